/** The configured values the drill runs with: the stack's settings, as `npm run plan` reads them. */
import { parseSettings, readRawConfig, Settings } from '../../lib/config';
import { readProject, stackConfig } from '../stack-files';

export type DrillSettings = Pick<
  Settings,
  | 'environmentSuffix'
  | 'domainName'
  | 'dbName'
  | 'dbAppUsername'
  | 'dbMasterUsername'
  | 'albHealthCheckIntervalSeconds'
  | 'albHealthCheckTimeoutSeconds'
  | 'albHealthyThreshold'
  | 'albUnhealthyThreshold'
  | 'route53HealthCheckIntervalSeconds'
  | 'route53FailureThreshold'
  | 'dnsTtlSeconds'
  | 'failoverProbeIntervalSeconds'
  | 'failoverRecoveryWindowSeconds'
  | 'failoverFastWindowSeconds'
  | 'dbPromotionEstimateSeconds'
  | 'rtoTargetSeconds'
  | 'trafficPolicy'
  | 'orderDurability'
>;

export function drillSettings(stack = 'dev', overrides: Record<string, string> = {}): DrillSettings {
  return parseSettings(readRawConfig(readProject().name, stackConfig(stack, overrides)));
}

/** Global Accelerator dials as global-stack.ts sets them (active-passive: secondary at 0). */
export function dialsFor(policy: DrillSettings['trafficPolicy']): { primary: number; secondary: number } {
  return { primary: 100, secondary: policy === 'active-active' ? 100 : 0 };
}
