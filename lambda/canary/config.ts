/** The canary's settings, read from its environment and refused whole when any is wrong. */
import { z } from 'zod';
import { probeTimeoutMs } from '../facts/timing';
import { awsRegion as region, EnvError, parseEnv, requiredText as text } from '../facts/env';
import type { CanaryConfig } from './canary';
import { awsEndpointTarget, type ProbeTarget } from './probe';

const dnsName = text.regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a DNS name');

const schema = z.object({
  AWS_REGION: region,
  TARGET_REGION: region,
  PROBE_PROTOCOL: z.enum(['https', 'http'], { message: 'must be https or http' }),
  PROBE_CONNECT_HOST: dnsName,
  PROBE_HOSTNAME: dnsName.refine((v) => !/\.elb\.amazonaws\.com$/i.test(v), {
    message: "must be the platform's name on the certificate, not a load balancer's DNS name",
  }),
  PROBE_PATH: text.startsWith('/', 'must start with /').default('/health'),
  PROBE_INTERVAL_SECONDS: z.coerce.number().int().min(5, 'must be at least 5').max(60, 'must be at most 60'),
  EVIDENCE_TABLE: text,
  EVIDENCE_TABLE_REGION: region,
  ENVIRONMENT: text,
});

export interface CanarySettings {
  readonly canary: CanaryConfig;
  /** The primary's front door. */
  readonly target: ProbeTarget;
  /** An AWS endpoint in the canary's own region: its own network's health. */
  readonly control: ProbeTarget;
  /** An AWS endpoint in the probed region that the platform does not own: the region's health. */
  readonly beacon: ProbeTarget;
  readonly evidenceTable: string;
  readonly evidenceTableRegion: string;
  readonly environment: string;
}

export function canaryConfigFromEnv(env: Record<string, string | undefined>): CanarySettings {
  const e = parseEnv('canary', schema, env);
  if (e.AWS_REGION === e.TARGET_REGION) {
    throw new EnvError('canary', ['a canary must run outside the region it probes (AWS_REGION = TARGET_REGION)']);
  }
  const timeoutMs = probeTimeoutMs(e.PROBE_INTERVAL_SECONDS);
  return {
    canary: { vantage: e.AWS_REGION, target: e.TARGET_REGION, intervalMs: e.PROBE_INTERVAL_SECONDS * 1000 },
    target: {
      protocol: e.PROBE_PROTOCOL,
      connectHost: e.PROBE_CONNECT_HOST,
      hostname: e.PROBE_HOSTNAME,
      path: e.PROBE_PATH,
      timeoutMs,
    },
    control: awsEndpointTarget(e.AWS_REGION, timeoutMs),
    beacon: awsEndpointTarget(e.TARGET_REGION, timeoutMs),
    evidenceTable: e.EVIDENCE_TABLE,
    evidenceTableRegion: e.EVIDENCE_TABLE_REGION,
    environment: e.ENVIRONMENT,
  };
}
