/** Lambda adapter of a canary (scheduled once a minute in each vantage region). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { sdkOptions } from '../orchestrator/aws';
import { systemClock } from '../orchestrator/clock';
import { DynamoEvidenceStore } from '../orchestrator/store';
import { runCanary } from './canary';
import { canaryConfigFromEnv } from './config';
import { probeOnce } from './probe';

const logger = createLogger('canary');
const settings = canaryConfigFromEnv(process.env);
const metrics = new Metrics({ namespace: settings.metricNamespace, serviceName: 'canary' });
metrics.setDefaultDimensions({ Environment: settings.environment, Vantage: settings.canary.vantage });
const store = new DynamoEvidenceStore(
  DynamoDBDocumentClient.from(new DynamoDBClient(sdkOptions(settings.evidenceTableRegion))),
  settings.evidenceTable,
);

export async function handler(_event: unknown, context: Context): Promise<{ probes: number }> {
  logger.addContext(context);
  try {
    const records = await runCanary({
      config: settings.canary,
      probes: {
        primary: () => probeOnce(settings.target),
        control: () => probeOnce(settings.control),
        beacon: () => probeOnce(settings.beacon),
      },
      store,
      clock: systemClock,
      metrics,
      logger,
    });
    return { probes: records.length };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
