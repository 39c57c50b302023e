/**
 * Calibration: the RTO model's estimated inputs replaced by what game days measured
 * (game-day-results.ts). Three inputs are measured, each by a span of the game day's timeline;
 * every other input stays the configured or documented value. The plan says which is which.
 *
 * - Aurora's promotion: the measured median replaces dbPromotionEstimateSeconds as the
 *   lognormal's median; the spread (PROMOTION_SIGMA) stays an assumption, because a handful of
 *   runs says little about a tail.
 * - Global Accelerator's pickup and the resolver's cache: bounded phases, drawn from the measured
 *   values themselves (resampled with the model's own uniform draw, so the model stays
 *   deterministic and its common random numbers stay common).
 */
import { ACCELERATOR_PICKUP_MAX_SECONDS } from './rto';
import { GameDayResults, MEASURED_INPUTS, MeasuredInput } from './game-day-results';

export interface CalibratedInput {
  /** Every measured value, ascending. */
  readonly values: readonly number[];
  /** The days (UTC, YYYY-MM-DD) of the runs that measured it, ascending, each once. */
  readonly dates: readonly string[];
  /** Whether any of them ran against the drill's fakes (they exercise the loop, not AWS). */
  readonly offline: boolean;
}

export type Calibration = Readonly<Partial<Record<MeasuredInput, CalibratedInput>>>;

/** What each measured input replaces in the model, as the plan names it. */
export const CALIBRATED_INPUT_NAMES: Readonly<Record<MeasuredInput, string>> = {
  promotionSeconds: 'Aurora cross-region promotion',
  trafficShiftSeconds: 'Global Accelerator traffic shift (pickup)',
  dnsSwitchSeconds: "DNS switch (resolver's cached answer)",
};

/** The measured values of every input some run measured. */
export function calibrationFrom(results: GameDayResults): Calibration {
  const calibration: Partial<Record<MeasuredInput, CalibratedInput>> = {};
  for (const input of MEASURED_INPUTS) {
    const runs = results.runs.filter((r) => r.measured[input] !== undefined);
    if (runs.length === 0) continue;
    calibration[input] = {
      values: runs.map((r) => r.measured[input]!).sort((a, b) => a - b),
      dates: [...new Set(runs.map((r) => r.startedAt.slice(0, 10)))].sort(),
      offline: runs.some((r) => r.source === 'offline'),
    };
  }
  return calibration;
}

const median = (sorted: readonly number[]) =>
  sorted.length % 2 === 1
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;

/** One of the measured values, chosen by a uniform draw `u` in [0, 1). */
const resample = (sorted: readonly number[], u: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(u * sorted.length))];

/** How the model draws the three measurable inputs: the estimate, or the measurements. */
export interface ModelDraws {
  /** Global Accelerator's pickup after the ALB marks its targets unhealthy. */
  readonly pickup: (u: number) => number;
  /** What is left of the client resolver's cached answer when Route 53 fails the primary. */
  readonly dnsCache: (u: number, ttlSeconds: number) => number;
  /** The median of Aurora's promotion time. */
  readonly promotionMedian: (estimateSeconds: number) => number;
}

export function modelDraws(calibration: Calibration = {}): ModelDraws {
  const { trafficShiftSeconds: shift, dnsSwitchSeconds: dns, promotionSeconds: promotion } = calibration;
  return {
    pickup: shift ? (u) => resample(shift.values, u) : (u) => u * ACCELERATOR_PICKUP_MAX_SECONDS,
    dnsCache: dns ? (u) => resample(dns.values, u) : (u, ttl) => u * ttl,
    promotionMedian: promotion ? () => median(promotion.values) : (estimate) => estimate,
  };
}

const s = (n: number) => `${Math.round(n * 10) / 10} s`;

/** One line per measurable input: its estimate, or its calibration from how many runs and when. */
export function calibrationReport(
  estimates: { readonly dbPromotionEstimateSeconds: number; readonly dnsTtlSeconds: number },
  calibration: Calibration = {},
  file?: string,
): string[] {
  const estimate: Record<MeasuredInput, string> = {
    promotionSeconds: `estimate: median ${estimates.dbPromotionEstimateSeconds} s (dbPromotionEstimateSeconds)`,
    trafficShiftSeconds: `estimate: U(0, ${ACCELERATOR_PICKUP_MAX_SECONDS} s) (undocumented; AWS workshop "up to 30 s")`,
    dnsSwitchSeconds: `estimate: U(0, ${estimates.dnsTtlSeconds} s) (dnsTtlSeconds)`,
  };
  const rows = MEASURED_INPUTS.map((input) => {
    const c = calibration[input];
    if (!c) return [CALIBRATED_INPUT_NAMES[input], estimate[input]];
    const n = c.values.length;
    const span = c.dates.length === 1 ? c.dates[0] : `${c.dates[0]} to ${c.dates.at(-1)}`;
    const what =
      input === 'promotionSeconds'
        ? `median ${s(median(c.values))} (spread assumed)`
        : `${n === 1 ? s(c.values[0]) : `${s(c.values[0])} to ${s(c.values[n - 1])}`}`;
    const offline = c.offline ? ', offline runs included (drill fakes, not AWS)' : '';
    return [CALIBRATED_INPUT_NAMES[input], `calibrated: ${what}, ${n} run${n === 1 ? '' : 's'}, ${span}${offline}`];
  });
  const width = Math.max(...rows.map(([name]) => name.length));
  const calibrated = MEASURED_INPUTS.filter((i) => calibration[i]).length;
  return [
    `RTO model inputs: ${calibrated} of ${MEASURED_INPUTS.length} measurable inputs calibrated by game days${file ? ` (${file})` : ' (no results file)'}; every other input is config or documentation`,
    ...rows.map(([name, basis]) => `  ${name.padEnd(width)}  ${basis}`),
  ];
}
