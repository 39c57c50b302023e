/**
 * The one mapping from settings to the RTO models' inputs: the point budget (rto.ts) and the
 * Monte Carlo (rto-model.ts) read the same values. Settings keep their Pulumi.yaml names up to
 * here; the plan (scripts/analysis.ts) reads the same keys off the registered resources and
 * calls this too, so configured and planned inputs cannot drift apart.
 */
import type { RtoInputs } from './rto';
import type { RtoModelInputs } from './rto-model';

/** The Pulumi config key behind each model input. */
export const RTO_SETTING_KEYS = {
  albIntervalSeconds: 'albHealthCheckIntervalSeconds',
  albTimeoutSeconds: 'albHealthCheckTimeoutSeconds',
  albUnhealthyThreshold: 'albUnhealthyThreshold',
  acceleratorReactionSeconds: 'acceleratorReactionSeconds',
  route53IntervalSeconds: 'route53HealthCheckIntervalSeconds',
  route53FailureThreshold: 'route53FailureThreshold',
  dnsTtlSeconds: 'dnsTtlSeconds',
  probeIntervalSeconds: 'failoverProbeIntervalSeconds',
  recoveryWindowSeconds: 'failoverRecoveryWindowSeconds',
  fastWindowSeconds: 'failoverFastWindowSeconds',
  dbPromotionEstimateSeconds: 'dbPromotionEstimateSeconds',
  targetSeconds: 'rtoTargetSeconds',
} as const satisfies Record<keyof (RtoInputs & RtoModelInputs), string>;

export type RtoSettingKey = (typeof RTO_SETTING_KEYS)[keyof typeof RTO_SETTING_KEYS];

/** The settings the RTO models read, under their Pulumi.yaml names. */
export type RtoSettings = { readonly [K in RtoSettingKey]: number };

/** Inputs of both models: the budget's (RtoInputs) and the Monte Carlo's (RtoModelInputs). */
export type AllRtoInputs = RtoInputs & RtoModelInputs;

export function rtoInputsFromSettings(s: RtoSettings): AllRtoInputs {
  const inputs = {} as Record<keyof AllRtoInputs, number>;
  for (const [input, key] of Object.entries(RTO_SETTING_KEYS) as [keyof AllRtoInputs, RtoSettingKey][]) {
    inputs[input] = s[key];
  }
  return inputs;
}
