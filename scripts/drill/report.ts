/**
 * The drill's table: one row per scenario over its seeded runs, the expectation next to what was
 * measured. Times are p50/p99 over the runs (nearest rank, the RTO model's quantile); counts are
 * totals over the runs; a scenario passes when every run did, and each failing run is listed
 * with the command that replays it.
 */
import { quantile } from '../../lib/model/rto-model';
import { Style, table } from '../report';
import type { ScenarioResult } from './metrics';

const secs = (v: number) => `${v} s`;

/** "p50 / p99" of the runs' values; "never" when no run has one, with the runs without one counted. */
export function spread(values: readonly (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return 'never';
  const sorted = Float64Array.from(present).sort();
  const shown = `${secs(quantile(sorted, 0.5))} / ${secs(quantile(sorted, 0.99))}`;
  const missing = values.length - present.length;
  return missing === 0 ? shown : `${shown} (${missing} never)`;
}

/** The runs' results grouped by scenario, in the order they came. */
export function byScenario(results: readonly ScenarioResult[]): ScenarioResult[][] {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) groups.set(r.name, [...(groups.get(r.name) ?? []), r]);
  return [...groups.values()];
}

export function drillReport(results: readonly ScenarioResult[], style: Style): string[] {
  const groups = byScenario(results);
  const sum = (runs: ScenarioResult[], pick: (r: ScenarioResult) => number) =>
    String(runs.reduce((n, r) => n + pick(r), 0));
  const rows = [
    [
      'scenario',
      'runs',
      'promotions',
      'decision p50/p99',
      'first live p50/p99',
      'lost',
      'dup',
      'unacked',
      'fenced acks',
      'result',
    ],
    ...groups.map((runs) => {
      const promotions = [...new Set(runs.map((r) => r.metrics.promotions))].sort();
      const failed = runs.filter((r) => !r.passed).length;
      const refused = runs[0].configRefusal !== undefined;
      return [
        runs[0].name,
        String(runs.length),
        `${promotions.join('-')} (want ${runs[0].expectation.promotions})`,
        refused ? 'refused by config' : spread(runs.map((r) => r.metrics.decisionSeconds)),
        refused ? '-' : spread(runs.map((r) => r.metrics.firstLiveSeconds)),
        sum(runs, (r) => r.metrics.lost),
        sum(runs, (r) => r.metrics.duplicates),
        sum(runs, (r) => r.metrics.unacknowledged),
        sum(runs, (r) => r.metrics.fencedAcks),
        failed === 0 ? style.green('pass') : style.red(`FAIL ${failed}/${runs.length}`),
      ];
    }),
  ];
  const lines = [
    style.bold('Failover drill (simulated time; seconds from the fault; p50/p99 over seeded runs)'),
    ...table(rows),
  ];
  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0) {
    lines.push('', style.bold('Unmet expectations (replay a run with the command shown)'));
    for (const r of failed) {
      lines.push(`  ${r.name} seed ${r.seed}: npm run drill -- --scenario ${r.name} --replay ${r.seed}`);
      for (const f of r.failures) lines.push(`    - ${f}`);
    }
  }
  return lines;
}
