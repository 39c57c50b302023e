/**
 * The RTO model's sampler: a seeded Monte Carlo over the paths (rto-paths.ts). Pure and
 * deterministic for a seed. Samples use common random numbers: the same uniform draws in the same
 * order whatever the settings, so a slower setting never yields a faster quantile (tested as a
 * property).
 */
import { Calibration, modelDraws } from './calibration';
import { ROUTE53_CHECKERS, RTO_PATHS, samplePaths, type RtoModelInputs } from './rto-paths';
import { seededRandom } from './seeded-random';

export const DEFAULT_SAMPLES = 4_000;
export const DEFAULT_SEED = 20_260_105;

export interface PathSamples {
  readonly name: string;
  /** Held to the RTO target (traffic) or reported (writes, sensitivity lines). */
  readonly bound: boolean;
  readonly seconds: Float64Array;
}

export interface RtoSimulationOptions {
  readonly samples?: number;
  readonly seed?: number;
  /** Game-day measurements replacing the estimates they measure (calibration.ts). */
  readonly calibration?: Calibration;
}

export function sampleRto(i: RtoModelInputs, options: RtoSimulationOptions = {}): PathSamples[] {
  const n = options.samples ?? DEFAULT_SAMPLES;
  const u = seededRandom(options.seed ?? DEFAULT_SEED);
  const v = seededRandom((options.seed ?? DEFAULT_SEED) + 1);
  const phases = new Float64Array(ROUTE53_CHECKERS);
  const draws = modelDraws(options.calibration);
  const out = RTO_PATHS.map(() => new Float64Array(n));
  for (let k = 0; k < n; k++) {
    const s = samplePaths(i, draws, u, v, phases);
    for (let p = 0; p < RTO_PATHS.length; p++) out[p][k] = s[RTO_PATHS[p].key];
  }
  return RTO_PATHS.map(({ name, bound }, p) => ({ name, bound, seconds: out[p] }));
}
