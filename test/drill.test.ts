/**
 * Every drill scenario, run the way `npm run drill` runs them (two worker processes, each with
 * its own PostgreSQL pair), each held to its expectation. A failing case here names the unmet
 * expectation: an order lost or stranded, a promotion that should not have happened, a gap
 * longer than the RTO target.
 */
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

it.each(scenarios.map((s) => [s.name, s.title]))('%s: %s', (name) => {
  const result = results.find((r) => r.name === name)!;
  expect(result.failures).toEqual([]);
});
