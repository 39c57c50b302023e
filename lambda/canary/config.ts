/** The canary's settings, read from its environment and refused whole when any is wrong. */
import { probeTimeoutMs } from '../facts/timing';
import { awsRegion, EnvError, parseEnv } from '../facts/env';
import type { CanaryConfig } from './canary';
import { canaryEnvironment } from './environment';
import { awsEndpointTarget, type ProbeTarget } from './probe';

/** The contract's variables and the one Lambda sets: the canary's vantage is its own region. */
const schema = canaryEnvironment.extend({ AWS_REGION: awsRegion });

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
  readonly metricNamespace?: string;
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
    metricNamespace: e.METRIC_NAMESPACE,
  };
}
