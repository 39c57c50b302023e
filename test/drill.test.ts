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

/**
 * Scenarios whose expectation the platform does not meet yet, with the reason. Each runs as
 * `it.failing`: it turns red the moment the defect is fixed, so this list cannot go stale.
 */
const KNOWN_UNMET: Record<string, string> = {
  // With orderDurability cross-region (the default) the us-east-1 writer must journal each order
  // to eu-west-1 before acknowledging it; during a partition between the two regions it refuses
  // new orders (503, retryable) until the partition heals. Nothing is lost and nothing promotes,
  // but writes stop: durability is chosen over availability. Open product decision (issue 11/12).
  partition: 'cross-region journal unreachable: orders refused (503) for the whole partition',
};

const checkScenario = (name: string) => {
  const result = results.find((r) => r.name === name)!;
  expect(result.failures).toEqual([]);
};

for (const scenario of scenarios) {
  const title = `${scenario.name}: ${scenario.title}`;
  if (KNOWN_UNMET[scenario.name])
    it.failing(`${title} (known unmet: ${KNOWN_UNMET[scenario.name]})`, () => checkScenario(scenario.name));
  else it(title, () => checkScenario(scenario.name));
}

it('a known-unmet scenario still loses, doubles and strands nothing', () => {
  for (const name of Object.keys(KNOWN_UNMET)) {
    const result = results.find((r) => r.name === name)!;
    expect(result.failures.filter((f) => /lost|twice|strand|promotions/i.test(f))).toEqual([]);
  }
});
