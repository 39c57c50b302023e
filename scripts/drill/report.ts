/** The drill's table: one row per scenario, the expectation next to what was measured. */
import { Style, table } from '../report';
import type { ScenarioResult } from './metrics';

const secs = (v: number | null) => (v === null ? 'never' : `${v} s`);

export function drillReport(results: readonly ScenarioResult[], style: Style): string[] {
  const rows = [
    ['scenario', 'promotions', 'lost', 'dup', 'unacked', 'first live', 'longest gap', 'result'],
    ...results.map((r) => {
      const m = r.metrics;
      return [
        r.name,
        `${m.promotions} (want ${r.expectation.promotions})`,
        String(m.lost),
        String(m.duplicates),
        String(m.unacknowledged),
        secs(m.firstLiveSeconds),
        secs(m.longestGapSeconds),
        r.passed ? style.green('pass') : style.red('FAIL'),
      ];
    }),
  ];
  const lines = [style.bold('Failover drill (simulated time; seconds from the fault)'), ...table(rows)];
  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0) {
    lines.push('', style.bold('Unmet expectations'));
    for (const r of failed) {
      lines.push(`  ${r.name}: ${r.title}`);
      for (const f of r.failures) lines.push(`    - ${f}`);
    }
  }
  return lines;
}
