/**
 * The RTO rule across keys: every traffic path must meet rtoTargetSeconds, both as the
 * worst-case sum (model/rto.ts) and at p99 (model/rto-model.ts); a path over the target names
 * the input to change and the value that would fit.
 */
import { RtoInputs, rtoBudget } from '../model/rto';
import { DEFAULT_SAMPLES, RtoDistribution, rtoDistribution, rtoModelInputsFromSettings } from '../model/rto-model';
import { ConfigValues, configSchema, KeyProblem } from './config-schema';

/** Config keys behind each RTO input (the plan reads the same values off the resources). */
const RTO_INPUT_KEYS = {
  albIntervalSeconds: 'albHealthCheckIntervalSeconds',
  albUnhealthyThreshold: 'albUnhealthyThreshold',
  acceleratorReactionSeconds: 'acceleratorReactionSeconds',
  route53IntervalSeconds: 'route53HealthCheckIntervalSeconds',
  route53FailureThreshold: 'route53FailureThreshold',
  dnsTtlSeconds: 'dnsTtlSeconds',
  probeIntervalSeconds: 'failoverProbeIntervalSeconds',
  recoveryWindowSeconds: 'failoverRecoveryWindowSeconds',
  dbPromotionEstimateSeconds: 'dbPromotionEstimateSeconds',
  targetSeconds: 'rtoTargetSeconds',
} as const satisfies Record<keyof RtoInputs, keyof ConfigValues>;
export type RtoKey = (typeof RTO_INPUT_KEYS)[keyof RtoInputs];
export const RTO_KEYS = Object.values(RTO_INPUT_KEYS).filter((k) => k !== 'rtoTargetSeconds') as RtoKey[];

/** Distributions already simulated (deterministic for their inputs; the search revisits values). */
const distributions = new Map<string, RtoDistribution>();
function distributionOf(values: ConfigValues): RtoDistribution {
  const inputs = rtoModelInputsFromSettings(values);
  const key = JSON.stringify(inputs);
  if (!distributions.has(key)) {
    if (distributions.size >= 1000) distributions.clear();
    distributions.set(key, rtoDistribution(inputs));
  }
  return distributions.get(key)!;
}

/**
 * A traffic path over the target is blamed on the input that can shorten it most, with the
 * largest value of each input that would fit on its own, so the message names what to change.
 * A path fits when both its worst-case sum (rto.ts) and its p99 (the seeded Monte Carlo of
 * rto-model.ts) are within the target: a suggested value is never refused on the next run.
 */
export function rtoProblems(s: ConfigValues): KeyProblem[] {
  const measure = (values: ConfigValues, path: string) => {
    const budget = rtoBudget(rtoInputsFromSettings(values)).paths.find((p) => p.name === path)!;
    const p99 = distributionOf(values).paths.find((p) => p.name === path)!.p99;
    return { budget, p99, seconds: Math.max(budget.totalSeconds, p99) };
  };
  const valid = (key: RtoKey, value: number) => configSchema.shape[key].safeParse(String(value)).success;
  const boundPaths = rtoBudget(rtoInputsFromSettings(s)).paths.filter((p) => p.bound);
  return boundPaths
    .map((p) => measure(s, p.name))
    .filter((m) => m.seconds > s.rtoTargetSeconds)
    .map(({ budget: p, p99, seconds }): KeyProblem => {
      const fits = RTO_KEYS.flatMap((key) => {
        const at = (value: number) => measure({ ...s, [key]: value }, p.name).seconds;
        if (at(0) === seconds) return []; // this path does not depend on it
        // Both measures grow with each input: find the largest value that fits, then the largest valid one.
        let [lo, hi] = [0, s[key]];
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (at(mid) <= s.rtoTargetSeconds) lo = mid;
          else hi = mid - 1;
        }
        let best = at(lo) <= s.rtoTargetSeconds ? lo : -1;
        while (best >= 0 && !valid(key, best)) best--;
        const floor = [...Array(s[key] + 1).keys()].find((v) => valid(key, v)) ?? s[key];
        return [{ key, best, saving: seconds - at(floor) }];
      }).sort((a, b) => b.saving - a.saving);
      const terms = p.terms.map((t) => `${t.label} = ${t.seconds} s`).join(' + ');
      const fixes = [
        ...fits.filter((f) => f.best >= 0).map((f) => `lower ${f.key} to at most ${f.best}`),
        `raise rtoTargetSeconds to ${Math.ceil(seconds)}`,
      ];
      return [
        fits.find((f) => f.best >= 0)?.key ?? 'rtoTargetSeconds',
        `puts the path "${p.name}" at ${p.totalSeconds} s worst case (${terms}) and ${p99} s at p99 (Monte Carlo of ${DEFAULT_SAMPLES} failures, npm run plan), over rtoTargetSeconds (${s.rtoTargetSeconds} s). Inputs of that path: ${fits.map((f) => f.key).join(', ')}. Fix: ${fixes.join(', or ')}`,
      ];
    });
}

/** The RTO inputs as configured (the plan reads the same numbers off the resources). */
export function rtoInputsFromSettings(s: Pick<ConfigValues, RtoKey | 'rtoTargetSeconds'>): RtoInputs {
  return Object.fromEntries(
    Object.entries(RTO_INPUT_KEYS).map(([input, key]) => [input, s[key]]),
  ) as unknown as RtoInputs;
}
