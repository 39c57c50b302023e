/**
 * The RTO model's report: p50/p99 per path from the sampler (rto-sampler.ts), as the plan's
 * verdict, its table and the README's tables state them.
 */
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH } from './rto';
import { randomVariables } from './random-variables';
import { GATE_DECISION_PATH, type RtoModelInputs } from './rto-paths';
import { DEFAULT_SAMPLES, DEFAULT_SEED, RtoSimulationOptions, sampleRto } from './rto-sampler';

/** The q-quantile (nearest rank) of samples sorted ascending. */
export function quantile(sorted: Float64Array, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export interface PathDistribution {
  readonly name: string;
  readonly bound: boolean;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface RtoDistribution {
  readonly paths: readonly PathDistribution[];
  readonly targetSeconds: number;
  readonly samples: number;
  readonly seed: number;
  /** The slowest bound path's p99: what a client of either entry point waits, 99 times in 100. */
  readonly trafficP99: number;
  readonly withinTarget: boolean;
}

const round = (s: number) => Math.round(s * 10) / 10;

/** p50/p99 per path: the table `npm run plan` prints. */
export function rtoDistribution(i: RtoModelInputs, options: RtoSimulationOptions = {}): RtoDistribution {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  const paths = sampleRto(i, { samples, seed, calibration: options.calibration }).map((p): PathDistribution => {
    const sorted = p.seconds.sort();
    return {
      name: p.name,
      bound: p.bound,
      p50: round(quantile(sorted, 0.5)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1]),
    };
  });
  const trafficP99 = Math.max(...paths.filter((p) => p.bound).map((p) => p.p99));
  return {
    paths,
    targetSeconds: i.targetSeconds,
    samples,
    seed,
    trafficP99,
    withinTarget: trafficP99 <= i.targetSeconds,
  };
}

/**
 * The p99s in one line: the plan's verdict and the README's first paragraph (generated) state
 * them, not the worst-case sums.
 */
export function rtoHeadline(d: RtoDistribution): string {
  const p99 = (name: string) => d.paths.find((p) => p.name === name)!.p99;
  const traffic = Math.max(...d.paths.filter((p) => p.bound && p.name.startsWith('traffic:')).map((p) => p.p99));
  return `p99 over ${d.samples} simulated regional failures: gate decision ${p99(GATE_DECISION_PATH)} s, traffic ${traffic} s, first live order ${p99(FIRST_LIVE_ORDER_PATH)} s (target ${d.targetSeconds} s), Aurora promotion ${p99(AURORA_PATH)} s (off the trading path)`;
}

/** The table for `npm run plan` and the README. */
export function rtoDistributionReport(d: RtoDistribution): string[] {
  const rows = [
    ['path', 'p50', 'p99', 'max', 'held to target'],
    ...d.paths.map((p) => [
      p.name,
      `${p.p50} s`,
      `${p.p99} s`,
      `${p.max} s`,
      p.bound ? `yes (${d.targetSeconds} s)` : 'no',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [
    `RTO distribution (Monte Carlo, ${d.samples} simulated regional failures, seed ${d.seed})`,
    ...rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd()),
  ];
}

/** The README's two tables (p50/p99 per path; every random variable), as Markdown. */
export function rtoModelMarkdown(i: RtoModelInputs, options: RtoSimulationOptions = {}): string {
  const d = rtoDistribution(i, options);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| path | p50 | p99 | held to the ${d.targetSeconds} s target |`,
    '| --- | --- | --- | --- |',
    ...d.paths.map((p) => `| ${cell(p.name)} | ${p.p50} s | ${p.p99} s | ${p.bound ? 'yes' : 'no (reported)'} |`),
    '',
    `(${d.samples} simulated regional failures, seed ${d.seed}.)`,
    '',
    '| random variable | paths | distribution | source |',
    '| --- | --- | --- | --- |',
    ...randomVariables(i).map((v) => `| ${cell(v.name)} | ${v.paths} | ${cell(v.distribution)} | ${cell(v.source)} |`),
  ].join('\n');
}
