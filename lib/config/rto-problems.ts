/**
 * The RTO rule across keys: every bound path (traffic, and the first live order after the gate's
 * fast path) must meet rtoTargetSeconds, both as the worst-case sum (model/rto.ts) and at p99
 * (model/rto-model.ts); a path over the target names the input to change and the value that
 * would fit.
 */
import { rtoBudget } from '../model/rto';
import { RTO_SETTING_KEYS, rtoInputsFromSettings } from '../model/rto-inputs';
import { DEFAULT_SAMPLES, RtoDistribution, rtoDistribution } from '../model/rto-model';
import { ConfigValues, configSchema, KeyProblem } from './config-schema';

/**
 * Keys the search may suggest lowering: the budget's inputs. The ALB check timeout is left out:
 * it has a lower bound of its own (cross-checks.ts), and its share of a path is small.
 */
export const RTO_KEYS = Object.values(RTO_SETTING_KEYS).filter(
  (k) => k !== 'rtoTargetSeconds' && k !== 'albHealthCheckTimeoutSeconds',
);
type RtoKey = (typeof RTO_KEYS)[number];

/** Distributions already simulated (deterministic for their inputs; the search revisits values). */
const distributions = new Map<string, RtoDistribution>();
function distributionOf(values: ConfigValues): RtoDistribution {
  const inputs = rtoInputsFromSettings(values);
  const key = JSON.stringify(inputs);
  if (!distributions.has(key)) {
    if (distributions.size >= 1000) distributions.clear();
    distributions.set(key, rtoDistribution(inputs));
  }
  return distributions.get(key)!;
}

/**
 * A bound path (traffic, the first live order) over the target is blamed on the input that can
 * shorten it most, with the largest value of each input that would fit on its own, so the
 * message names what to change.
 * A path fits when both its worst-case sum (rto.ts) and its p99 (the seeded Monte Carlo of
 * rto-model.ts) are within the target: a suggested value is never refused on the next run, by
 * this path or by another one the same input feeds.
 */
export function rtoProblems(s: ConfigValues): KeyProblem[] {
  const measure = (values: ConfigValues, path: string) => {
    const budget = rtoBudget(rtoInputsFromSettings(values)).paths.find((p) => p.name === path)!;
    const p99 = distributionOf(values).paths.find((p) => p.name === path)!.p99;
    return { budget, p99, seconds: Math.max(budget.totalSeconds, p99) };
  };
  const valid = (key: RtoKey, value: number) => configSchema.shape[key].safeParse(String(value)).success;
  const boundPaths = rtoBudget(rtoInputsFromSettings(s)).paths.filter((p) => p.bound);
  const current = boundPaths.map((p) => measure(s, p.name));
  return current
    .filter((m) => m.seconds > s.rtoTargetSeconds)
    .map(({ budget: p, p99, seconds }): KeyProblem => {
      const fits = RTO_KEYS.flatMap((key) => {
        const at = (value: number) => measure({ ...s, [key]: value }, p.name).seconds;
        if (at(0) === seconds) return []; // this path does not depend on it
        // A value fits when every bound path that depends on this input fits with it (several paths
        // share inputs: the first live order reads the DNS TTL and the ALB's checks too).
        const shared = current.filter(
          (m) => m.budget.name === p.name || measure({ ...s, [key]: 0 }, m.budget.name).seconds !== m.seconds,
        );
        const fitsAt = (value: number) =>
          shared.every((m) => measure({ ...s, [key]: value }, m.budget.name).seconds <= s.rtoTargetSeconds);
        // Both measures grow with each input: find the largest value that fits, then the largest valid one.
        let [lo, hi] = [0, s[key]];
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (fitsAt(mid)) lo = mid;
          else hi = mid - 1;
        }
        let best = fitsAt(lo) ? lo : -1;
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
