/** The orchestrator's settings, read from its environment and refused whole when any is wrong. */
import { z } from 'zod';
import { awsRegion as region, EnvError, parseEnv, requiredText as text } from '../facts/env';
import type { PromotionMode } from './decide';
import { fastWindowProblems, MAX_FAST_WINDOW_SECONDS, MIN_FAST_WINDOW_SECONDS, windowProblems } from '../facts/timing';

export interface OrchestratorConfig {
  readonly globalClusterId: string;
  readonly primaryClusterArn: string;
  readonly secondaryClusterArn: string;
  /** The region the canaries probe (the primary's), the key of their evidence. */
  readonly primaryRegion: string;
  /** Canary regions whose votes count (at least two, none of them the primary's). */
  readonly vantages: readonly string[];
  readonly probeIntervalSeconds: number;
  readonly recoveryWindowSeconds: number;
  /** The fast path's window: the region gone this long moves the order book's writer. */
  readonly fastWindowSeconds: number;
  readonly mode: PromotionMode;
  readonly leaseMs: number;
  readonly primaryEndpointGroupArn: string;
  readonly secondaryEndpointGroupArn: string;
  /**
   * The Route 53 failover record (api.<domain>) and the secondary's load balancer name: the record
   * answering the secondary corroborates a lost region without us-east-1's control plane.
   */
  readonly failoverRecord?: { readonly name: string; readonly secondaryTarget: string };
  /** Route 53 health check of the primary: a corroboration when its API can be read, never a vote. */
  readonly route53HealthCheckId?: string;
  readonly topicArn: string;
  readonly environment: string;
  /** This function's name, for the operator's approval command in notifications. */
  readonly functionName?: string;
}

const seconds = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number of seconds')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const arn = (service: string) => text.regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be an ${service} ARN`);

const schema = z.object({
  GLOBAL_CLUSTER_ID: text,
  PRIMARY_CLUSTER_ARN: arn('rds'),
  SECONDARY_CLUSTER_ARN: arn('rds'),
  PRIMARY_REGION: region,
  CANARY_VANTAGES: text.transform((v) => v.split(',').map((r) => r.trim())).pipe(z.array(region)),
  PROBE_INTERVAL_SECONDS: seconds(5, 60),
  RECOVERY_WINDOW_SECONDS: seconds(60, 3600),
  FAST_WINDOW_SECONDS: seconds(MIN_FAST_WINDOW_SECONDS, MAX_FAST_WINDOW_SECONDS),
  PROMOTION_MODE: z.enum(['automatic', 'approval'], { message: 'must be automatic or approval' }).default('automatic'),
  LEASE_SECONDS: seconds(60, 3600),
  PRIMARY_ENDPOINT_GROUP_ARN: arn('globalaccelerator'),
  SECONDARY_ENDPOINT_GROUP_ARN: arn('globalaccelerator'),
  ROUTE53_HEALTH_CHECK_ID: z.string().trim().optional(),
  FAILOVER_RECORD_NAME: z.string().trim().optional(),
  SECONDARY_RECORD_TARGET: z.string().trim().optional(),
  TOPIC_ARN: arn('sns'),
  ENVIRONMENT: text,
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

export function configFromEnv(env: Record<string, string | undefined>): OrchestratorConfig {
  const e = parseEnv('orchestrator', schema, env);
  const problems: string[] = [];
  const vantages = [...new Set(e.CANARY_VANTAGES)];
  if (vantages.length < 2) problems.push('CANARY_VANTAGES must name at least two regions');
  if (vantages.includes(e.PRIMARY_REGION)) problems.push('CANARY_VANTAGES must not include PRIMARY_REGION');
  if (e.PRIMARY_CLUSTER_ARN === e.SECONDARY_CLUSTER_ARN)
    problems.push('SECONDARY_CLUSTER_ARN must differ from PRIMARY_CLUSTER_ARN');
  if (e.PRIMARY_ENDPOINT_GROUP_ARN === e.SECONDARY_ENDPOINT_GROUP_ARN) {
    problems.push('SECONDARY_ENDPOINT_GROUP_ARN must differ from PRIMARY_ENDPOINT_GROUP_ARN');
  }
  const windows = windowProblems({
    failoverProbeIntervalSeconds: e.PROBE_INTERVAL_SECONDS,
    failoverRecoveryWindowSeconds: e.RECOVERY_WINDOW_SECONDS,
  });
  problems.push(...windows.map(([, message]) => `RECOVERY_WINDOW_SECONDS ${message}`));
  const fast = fastWindowProblems({
    failoverProbeIntervalSeconds: e.PROBE_INTERVAL_SECONDS,
    failoverRecoveryWindowSeconds: e.RECOVERY_WINDOW_SECONDS,
    failoverFastWindowSeconds: e.FAST_WINDOW_SECONDS,
  });
  problems.push(...fast.map(([, message]) => `FAST_WINDOW_SECONDS ${message}`));
  if (!e.FAILOVER_RECORD_NAME !== !e.SECONDARY_RECORD_TARGET) {
    problems.push('FAILOVER_RECORD_NAME and SECONDARY_RECORD_TARGET go together (set both or neither)');
  }
  if (problems.length > 0) throw new EnvError('orchestrator', problems);
  return {
    globalClusterId: e.GLOBAL_CLUSTER_ID,
    primaryClusterArn: e.PRIMARY_CLUSTER_ARN,
    secondaryClusterArn: e.SECONDARY_CLUSTER_ARN,
    primaryRegion: e.PRIMARY_REGION,
    vantages,
    probeIntervalSeconds: e.PROBE_INTERVAL_SECONDS,
    recoveryWindowSeconds: e.RECOVERY_WINDOW_SECONDS,
    fastWindowSeconds: e.FAST_WINDOW_SECONDS,
    mode: e.PROMOTION_MODE,
    leaseMs: e.LEASE_SECONDS * 1000,
    primaryEndpointGroupArn: e.PRIMARY_ENDPOINT_GROUP_ARN,
    secondaryEndpointGroupArn: e.SECONDARY_ENDPOINT_GROUP_ARN,
    ...(e.ROUTE53_HEALTH_CHECK_ID ? { route53HealthCheckId: e.ROUTE53_HEALTH_CHECK_ID } : {}),
    ...(e.FAILOVER_RECORD_NAME && e.SECONDARY_RECORD_TARGET
      ? { failoverRecord: { name: e.FAILOVER_RECORD_NAME, secondaryTarget: e.SECONDARY_RECORD_TARGET } }
      : {}),
    topicArn: e.TOPIC_ARN,
    environment: e.ENVIRONMENT,
    ...(e.AWS_LAMBDA_FUNCTION_NAME ? { functionName: e.AWS_LAMBDA_FUNCTION_NAME } : {}),
  };
}
