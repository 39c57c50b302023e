/**
 * The game day's record and what it prints: the run as the results file keeps it (validated
 * against the schema the plan reads back), the file with the run appended, and the measured
 * spans beside the model's p50/p99 for the same config. Pure.
 */
import {
  GameDayResults,
  GameDayRun,
  gameDayRunSchema,
  measuredFrom,
  RESULTS_VERSION,
  TimelineEvent,
} from '../../lib/model/game-day-results';
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH } from '../../lib/model/rto';
import { GATE_DECISION_PATH, PROMOTION_SIGMA, RtoDistribution } from '../../lib/model/rto-model';
import type { TimelineEntry } from './timeline';

export type RunInput = Omit<GameDayRun, 'measured' | 'timeline'> & { readonly timeline: readonly TimelineEntry[] };

/** The run as the results file keeps it; throws if it would not read back. */
export function gameDayRun(input: RunInput): GameDayRun {
  return gameDayRunSchema.parse({ ...input, timeline: [...input.timeline], measured: measuredFrom(input.timeline) });
}

/** The stack's results with `run` appended (a new file when there was none). */
export function appendRun(existing: GameDayResults | undefined, stack: string, run: GameDayRun): GameDayResults {
  return { version: RESULTS_VERSION, stack, runs: [...(existing?.runs ?? []), run] };
}

/** The spans the command compares with the model: from the fault's start to each milestone. */
export const COMPARED: readonly { readonly label: string; readonly to: TimelineEvent; readonly path: string }[] = [
  { label: 'gate decision', to: 'decision', path: GATE_DECISION_PATH },
  { label: 'traffic through Global Accelerator', to: 'accelerator-shifted', path: 'traffic: Global Accelerator' },
  { label: 'traffic through Route 53', to: 'dns-answers-secondary', path: 'traffic: Route 53 failover' },
  { label: 'first live order in the secondary', to: 'first-live-order-secondary', path: FIRST_LIVE_ORDER_PATH },
  { label: 'Aurora promotion complete', to: 'promotion-complete', path: AURORA_PATH },
];

const secs = (n: number) => `${Math.round(n * 10) / 10} s`;

/** Measured values beside the model's p50/p99; "not seen" where the run did not reach a milestone. */
export function comparison(run: GameDayRun, model: RtoDistribution, promotionMedianSeconds: number): string[] {
  const at = (event: TimelineEvent) => run.timeline.find((e) => e.event === event)?.at;
  const start = at('fault-start');
  const rows: string[][] = [['measured from the fault', 'measured', 'model p50', 'model p99', 'verdict']];
  for (const c of COMPARED) {
    const p = model.paths.find((x) => x.name === c.path);
    const end = at(c.to);
    const value = start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : undefined;
    const verdict = value === undefined || !p ? 'not seen' : value <= p.p99 ? 'within p99' : 'OVER p99';
    rows.push([
      c.label,
      value === undefined ? '-' : secs(value),
      p ? secs(p.p50) : '-',
      p ? secs(p.p99) : '-',
      verdict,
    ]);
  }
  // Aurora's promotion itself, against the model's input (lognormal: p99 = median x e^(2.326 sigma)).
  const promotion = run.measured.promotionSeconds;
  const p99 = promotionMedianSeconds * Math.exp(2.326 * PROMOTION_SIGMA);
  rows.push([
    'Aurora promotion alone (model input)',
    promotion === undefined ? '-' : secs(promotion),
    secs(promotionMedianSeconds),
    secs(p99),
    promotion === undefined ? 'not seen' : promotion <= p99 ? 'within p99' : 'OVER p99',
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [
    `Game day ${run.experiment} (${run.source}, ${run.outcome}): measured vs the RTO model for this stack's config`,
    ...rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd()),
  ];
}
