/** The orchestrator's settings, read from its environment and refused whole when any is wrong. */
import { EnvError } from '../facts/env';
import { arbiterRegionProblem } from '../facts/keeper';
import type { PromotionMode } from './decide';
import { parseOrchestratorEnvironment } from './environment';
import { fastWindowProblems, windowProblems } from '../facts/timing';

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
  /** The evidence store's table (region: the function's own when absent). Tests inject a store instead. */
  readonly evidenceTable?: { readonly name: string; readonly region?: string };
  /**
   * The live order book's table and its replicas' regions: the fast path moves its writer item.
   * Tests and the drill inject the book's control instead.
   */
  readonly book?: { readonly tableName: string; readonly regions: readonly string[] };
  /** The arbiter's table (lambda/shared/arbiter.ts). Tests and the drill inject the arbiter instead. */
  readonly arbiter?: { readonly tableName: string; readonly region: string };
  /** The configured orderDurability (default cross-region): planned moves and restores aim for it, never above. */
  readonly orderDurability?: 'cross-region' | 'regional';
  /** This function's name, for the operator's approval command in notifications. */
  readonly functionName?: string;
}

export function configFromEnv(env: Record<string, string | undefined>): OrchestratorConfig {
  const e = parseOrchestratorEnvironment(env);
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
  const bookRegions = [...new Set(e.BOOK_REGIONS)];
  const secondaryRegion = e.SECONDARY_CLUSTER_ARN.split(':')[3];
  for (const needed of [e.PRIMARY_REGION, secondaryRegion])
    if (!bookRegions.includes(needed))
      problems.push(`BOOK_REGIONS must include ${needed} (a region the writer can move to or from)`);
  const arbiterProblem = arbiterRegionProblem(e.ARBITER_TABLE_REGION, [e.PRIMARY_REGION, secondaryRegion]);
  if (arbiterProblem) problems.push(`ARBITER_TABLE_REGION ${arbiterProblem}`);
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
    evidenceTable: { name: e.EVIDENCE_TABLE, ...(e.EVIDENCE_TABLE_REGION ? { region: e.EVIDENCE_TABLE_REGION } : {}) },
    book: { tableName: e.BOOK_TABLE_NAME, regions: bookRegions },
    arbiter: { tableName: e.ARBITER_TABLE, region: e.ARBITER_TABLE_REGION },
    orderDurability: e.ORDER_DURABILITY,
    ...(e.AWS_LAMBDA_FUNCTION_NAME ? { functionName: e.AWS_LAMBDA_FUNCTION_NAME } : {}),
  };
}
