/**
 * The drill through the CLI's own entry point (runDrill), held to its expectations: a failing case
 * here names the unmet expectation (an order lost or stranded, a promotion that should not have
 * happened, a gap longer than the RTO target) and the seed that replays it.
 *
 * `npm test` runs one seed of two scenarios, in this process: the region outage (the simulated
 * path end to end: PostgreSQL pair, canaries, orchestrator, book) and a refused config (the path
 * that judges settings without a simulation). Every scenario, the partition trade-off included
 * (its expectations: no commit and a retryable 503 through the whole partition with cross-region
 * durability, no gap over the RTO target with regional durability), runs in CI as its own step,
 * `npm run drill -- --runs 1` in .ci/run, which exits non-zero when any expectation is missed.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ScenarioResult } from '../scripts/drill/metrics';
import { drillScenarios, runDrill } from '../scripts/drill/index';
import { drillSettings } from '../scripts/drill/settings';

const TESTED = ['region-outage', 'ingress-blinds-gate'];
const settings = drillSettings('dev');
const scenarios = drillScenarios(settings).filter((s) => TESTED.includes(s.name));
let results: ScenarioResult[] = [];

beforeAll(async () => {
  results = await runDrill({ settings, stack: 'dev', workers: 1, runs: 1, seed: 1, only: TESTED });
}, 240_000);

it('ran every tested scenario and the harness itself did not break', () => {
  expect(results.map((r) => r.name)).toEqual(scenarios.map((s) => s.name));
  expect(results.flatMap((r) => r.detail.harnessErrors)).toEqual([]);
});

for (const scenario of scenarios)
  it(`${scenario.name}: ${scenario.title}`, () => {
    const result = results.find((r) => r.name === scenario.name)!;
    expect({ seed: result.seed, failures: result.failures }).toEqual({ seed: result.seed, failures: [] });
  });

it("docs/failover-drill.md's drill run shows every scenario passing, the tested ones with this run's promotions, losses and verdicts", () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'failover-drill.md'), 'utf8');
  const block = /<!-- example:drill -->\s*```text\n\$ npm run drill[^\n]*\n[^\n]*\n[^\n]*\n([\s\S]*?)```/.exec(readme);
  expect(block).not.toBeNull();
  // Times are left out (they are p50/p99 over the CLI's runs; this test runs one seed), and so are
  // the run counts; promotions, losses and the verdict must be this run's.
  const shown = block![1]
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/ {2,}/))
    .map(([name, , promotions, , , lost, dup, unacked, fenced, verdict]) => [
      name,
      promotions,
      lost,
      dup,
      unacked,
      fenced,
      verdict.split(' ')[0],
    ]);
  // Every scenario is in the block (from a CLI run); the tested ones must match this run.
  expect(shown.map(([name]) => name)).toEqual(drillScenarios(settings).map((s) => s.name));
  expect(shown.filter(([name]) => TESTED.includes(name))).toEqual(
    results.map((r) => [
      r.name,
      `${r.metrics.promotions} (want ${r.expectation.promotions})`,
      String(r.metrics.lost),
      String(r.metrics.duplicates),
      String(r.metrics.unacknowledged),
      String(r.metrics.fencedAcks),
      r.passed ? 'pass' : 'FAIL',
    ]),
  );
  // The others show what a passing run shows (the CI drill step fails on any other outcome): the
  // promotions the scenario wants, nothing lost, doubled, unacknowledged or acknowledged when fenced.
  expect(shown.filter(([name]) => !TESTED.includes(name))).toEqual(
    drillScenarios(settings)
      .filter((s) => !TESTED.includes(s.name))
      .map((s) => [s.name, `${s.expect.promotions} (want ${s.expect.promotions})`, '0', '0', '0', '0', 'pass']),
  );
});
