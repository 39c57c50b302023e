/** Lambda adapter of the failover orchestrator (schedule, SNS alarm, or operator invoke). */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { createLogger } from '../shared/logger';
import { httpProbe, systemClock } from './canary';
import { configFromEnv, handleEvent, Outcome } from './orchestrator';

const logger = createLogger('orchestrator');
const clients = { rds: new RDSClient({}), cloudwatch: new CloudWatchClient({}), sns: new SNSClient({}) };

export async function handler(event: unknown): Promise<Outcome> {
  const url = process.env.PROBE_URL;
  if (!url) throw new Error('missing environment: PROBE_URL');
  return handleEvent(event, {
    ...clients,
    probe: httpProbe(url, Number(process.env.PROBE_TIMEOUT_MS ?? 4000)),
    clock: systemClock,
    logger,
    config: configFromEnv(process.env),
  });
}
