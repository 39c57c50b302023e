/**
 * Every drill scenario, run the way `npm run drill` runs them (two worker processes, each with
 * its own PostgreSQL pair), each held to its expectation. A failing case here names the unmet
 * expectation: an order lost or stranded, a promotion that should not have happened, a gap
 * longer than the RTO target.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ScenarioResult } from '../scripts/drill/metrics';
import { drillScenarios, runDrill } from '../scripts/drill/index';
import { drillSettings } from '../scripts/drill/settings';

const settings = drillSettings('dev');
const scenarios = drillScenarios(settings);
let results: ScenarioResult[] = [];

beforeAll(async () => {
  results = await runDrill({ settings, stack: 'dev', workers: 2 });
}, 300_000);

it('ran every scenario and the harness itself did not break', () => {
  expect(results.map((r) => r.name)).toEqual(scenarios.map((s) => s.name));
  expect(results.flatMap((r) => r.detail.harnessErrors)).toEqual([]);
});

for (const scenario of scenarios)
  it(`${scenario.name}: ${scenario.title}`, () => {
    const result = results.find((r) => r.name === scenario.name)!;
    expect(result.failures).toEqual([]);
  });

it('the partition trade-off: cross-region durability refuses orders, regional durability keeps committing', () => {
  const [crossRegion, regional] = ['partition', 'partition-regional'].map((n) => results.find((r) => r.name === n)!);
  // Refused for (nearly) the whole partition, never acknowledged without the journal ...
  expect(crossRegion.metrics.longestGapSeconds).toBeGreaterThan(settings.rtoTargetSeconds);
  // ... while the same partition with regional durability is not visible to clients.
  expect(regional.metrics.longestGapSeconds).toBeLessThanOrEqual(settings.rtoTargetSeconds);
  for (const r of [crossRegion, regional])
    expect([r.name, r.metrics.lost, r.metrics.promotions]).toEqual([r.name, 0, 0]);
});

it("docs/failover-drill.md's drill run shows every scenario with this run's promotions, losses and verdicts", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'failover-drill.md'), 'utf8');
  const block = /<!-- example:drill -->\s*```text\n\$ npm run drill\n[^\n]*\n[^\n]*\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  // Times are left out: the code's own timeouts run on the real clock.
  const shown = block![1]
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/))
    .map(([name, promotions, lost, dup, unacked, , , verdict]) => [name, promotions, lost, dup, unacked, verdict]);
  expect(shown).toEqual(
    results.map((r) => [
      r.name,
      `${r.metrics.promotions} (want ${r.expectation.promotions})`,
      String(r.metrics.lost),
      String(r.metrics.duplicates),
      String(r.metrics.unacknowledged),
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
});
