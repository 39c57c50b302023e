/**
 * Calibration: the RTO model's estimated inputs replaced by what game days measured
 * (game-day-results.ts). Three inputs are measured, each by a span of the game day's timeline
 * (MEASURED_SPANS says from which instant to which); every other input stays the configured or
 * documented value. The plan says which is which.
 *
 * - Aurora's promotion: the measured median replaces dbPromotionEstimateSeconds as the
 *   lognormal's median; the spread (PROMOTION_SIGMA) stays an assumption, because a handful of
 *   runs says little about a tail.
 * - The accelerator marking the primary unhealthy (the ALB's detection and the accelerator's
 *   pickup) and Route 53's failover answer changing (its checkers and verdict): drawn from the
 *   measured values themselves, resampled with a uniform draw the model makes anyway, so the
 *   model stays deterministic and its common random numbers stay common. The resolvers' caches
 *   after Route 53's answer stay the configured TTL.
 */
import { ACCELERATOR_PICKUP_MAX_SECONDS } from './rto';
import {
  GameDayResults,
  GameDayRun,
  MEASURED_INPUTS,
  MEASURED_UNDER,
  MeasuredInput,
  MeasuredUnderKey,
} from './game-day-results';

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
  trafficShiftSeconds: 'Global Accelerator marking the primary unhealthy',
  dnsSwitchSeconds: "Route 53's failover answer switching",
};

/** The stack's settings now, the ones the measured spans depend on (MEASURED_UNDER). */
export type CurrentSettings = Readonly<Record<MeasuredUnderKey, number>>;

/** How `run`'s settings differ from `current` for `input`'s span ("key then -> now"); none when unrecorded. */
function changedSince(run: GameDayRun, input: MeasuredInput, current: CurrentSettings | undefined): string[] {
  if (!current || !run.settings) return [];
  const then = run.settings;
  return MEASURED_UNDER[input]
    .filter((key) => then[key] !== current[key])
    .map((k) => `${k} ${then[k]} -> ${current[k]}`);
}

/**
 * The measured values of every input some run measured under `current` settings (all runs when
 * not given; a run that did not record its settings counts as measured under them).
 */
export function calibrationFrom(results: GameDayResults, current?: CurrentSettings): Calibration {
  const calibration: Partial<Record<MeasuredInput, CalibratedInput>> = {};
  for (const input of MEASURED_INPUTS) {
    const runs = results.runs.filter(
      (r) => r.measured[input] !== undefined && changedSince(r, input, current).length === 0,
    );
    if (runs.length === 0) continue;
    calibration[input] = {
      values: runs.map((r) => r.measured[input]!).sort((a, b) => a - b),
      dates: [...new Set(runs.map((r) => r.startedAt.slice(0, 10)))].sort(),
      offline: runs.some((r) => r.source === 'offline'),
    };
  }
  return calibration;
}

/** Per input, the runs left out because the settings its span depends on changed since: why, for the plan. */
export type IgnoredRuns = Readonly<Partial<Record<MeasuredInput, string>>>;

export function ignoredRuns(results: GameDayResults, current: CurrentSettings): IgnoredRuns {
  const ignored: Partial<Record<MeasuredInput, string>> = {};
  for (const input of MEASURED_INPUTS) {
    const changes = results.runs
      .filter((r) => r.measured[input] !== undefined)
      .map((r) => changedSince(r, input, current))
      .filter((c) => c.length > 0);
    if (changes.length === 0) continue;
    const n = changes.length;
    ignored[input] =
      `${n} run${n === 1 ? '' : 's'} left out, measured under other settings (${[...new Set(changes.flat())].join(', ')})`;
  }
  return ignored;
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
  /**
   * From the failure to Global Accelerator reporting the primary endpoint UNHEALTHY: the ALB's
   * detection (`albDetectSeconds`, drawn by the model) plus the accelerator's pickup drawn with `u`,
   * or a measured span resampled with `u`.
   */
  readonly acceleratorUnhealthy: (albDetectSeconds: number, u: number) => number;
  /**
   * From the failure to the failover record's authoritative answer naming the secondary: Route
   * 53's verdict (`route53DetectSeconds`, drawn by the model), or a measured span resampled with `u`.
   */
  readonly recordSwitched: (route53DetectSeconds: number, u: number) => number;
  /** The median of Aurora's promotion time. */
  readonly promotionMedian: (estimateSeconds: number) => number;
}

export function modelDraws(calibration: Calibration = {}): ModelDraws {
  const { trafficShiftSeconds: shift, dnsSwitchSeconds: dns, promotionSeconds: promotion } = calibration;
  return {
    acceleratorUnhealthy: shift
      ? (_alb, u) => resample(shift.values, u)
      : (alb, u) => alb + u * ACCELERATOR_PICKUP_MAX_SECONDS,
    recordSwitched: dns ? (_detect, u) => resample(dns.values, u) : (detect) => detect,
    promotionMedian: promotion ? () => median(promotion.values) : (estimate) => estimate,
  };
}

const s = (n: number) => `${Math.round(n * 10) / 10} s`;

/** What the estimates are made of: the model's inputs (rto-model.ts RtoModelInputs) these lines name. */
export interface EstimateInputs {
  readonly albIntervalSeconds: number;
  readonly albUnhealthyThreshold: number;
  readonly albTimeoutSeconds: number;
  readonly route53IntervalSeconds: number;
  readonly route53FailureThreshold: number;
  readonly dbPromotionEstimateSeconds: number;
}

/** One line per measurable input: its estimate, or its calibration from how many runs and when. */
export function calibrationReport(
  estimates: EstimateInputs,
  calibration: Calibration = {},
  file?: string,
  ignored: IgnoredRuns = {},
): string[] {
  const e = estimates;
  const estimate: Record<MeasuredInput, string> = {
    promotionSeconds: `estimate: median ${e.dbPromotionEstimateSeconds} s (dbPromotionEstimateSeconds)`,
    trafficShiftSeconds: `estimate: ALB detection (${e.albUnhealthyThreshold} checks every ${e.albIntervalSeconds} s, ${e.albTimeoutSeconds} s timeout) + U(0, ${ACCELERATOR_PICKUP_MAX_SECONDS} s) pickup (undocumented; AWS workshop "up to 30 s")`,
    dnsSwitchSeconds: `estimate: Route 53 checkers (${e.route53FailureThreshold} failures every ${e.route53IntervalSeconds} s, 18 % rule); resolvers' cache U(0, TTL) is config either way`,
  };
  const rows = MEASURED_INPUTS.map((input) => {
    const c = calibration[input];
    const left = ignored[input] ? `; ${ignored[input]}` : '';
    if (!c) return [CALIBRATED_INPUT_NAMES[input], `${estimate[input]}${left}`];
    const n = c.values.length;
    const span = c.dates.length === 1 ? c.dates[0] : `${c.dates[0]} to ${c.dates.at(-1)}`;
    const what =
      input === 'promotionSeconds'
        ? `median ${s(median(c.values))} (spread assumed)`
        : `${n === 1 ? s(c.values[0]) : `${s(c.values[0])} to ${s(c.values[n - 1])}`}`;
    const offline = c.offline ? ', offline runs included (drill fakes, not AWS)' : '';
    return [
      CALIBRATED_INPUT_NAMES[input],
      `calibrated: ${what}, ${n} run${n === 1 ? '' : 's'}, ${span}${offline}${left}`,
    ];
  });
  const width = Math.max(...rows.map(([name]) => name.length));
  const calibrated = MEASURED_INPUTS.filter((i) => calibration[i]).length;
  return [
    `RTO model inputs: ${calibrated} of ${MEASURED_INPUTS.length} measurable inputs calibrated by game days${file ? ` (${file})` : ' (no results file)'}; every other input is config or documentation`,
    ...rows.map(([name, basis]) => `  ${name.padEnd(width)}  ${basis}`),
  ];
}
