/**
 * Scenarios the configuration must refuse before anything is deployed (issue 23 item 6): the
 * stack's config with the scenario's settings is parsed as `npm run plan` parses it, and the run
 * passes when it is refused with a problem that names the key. A refused config deploys nothing,
 * so nothing can be promoted: 0 promotions, and no simulation to run.
 */
import { ConfigError } from '../../lib/config';
import type { ScenarioResult } from './metrics';
import { FIXED_PHASES } from './phases';
import type { Scenario } from './scenarios';
import { drillSettings } from './settings';

export function isConfigScenario(scenario: Scenario): boolean {
  return scenario.refusedByConfig !== undefined;
}

/** Parse the stack's config with the scenario's settings; refused with a problem naming the key = pass. */
export function runConfigScenario(
  scenario: Scenario,
  options: { stack?: string; overrides?: Record<string, string> },
  seed: number,
): ScenarioResult {
  const { set, key } = scenario.refusedByConfig!;
  let refusal: string | undefined;
  const failures: string[] = [];
  try {
    drillSettings(options.stack ?? 'dev', { ...options.overrides, ...set });
    failures.push(`the config accepted ${JSON.stringify(set)}: a stack with it would deploy`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    refusal = e.problems.find((p) => p.startsWith(`${key}:`));
    if (!refusal) failures.push(`refused, but no problem names ${key}: ${e.problems.join('; ')}`);
  }
  return {
    name: scenario.name,
    title: scenario.title,
    seed,
    phases: FIXED_PHASES,
    metrics: {
      promotions: 0,
      lost: 0,
      duplicates: 0,
      unacknowledged: 0,
      firstLiveSeconds: null,
      longestGapSeconds: 0,
      decisionSeconds: null,
      fencedAcks: 0,
    },
    expectation: scenario.expect,
    failures,
    passed: failures.length === 0,
    ...(refusal ? { configRefusal: refusal } : {}),
    detail: {
      clients: [],
      lostIds: [],
      unacknowledgedIds: [],
      duplicateIds: [],
      promotions: [],
      promotionStarts: [],
      rejoins: [],
      decisions: [],
      writerMoves: [],
      ordersPerSecond: [],
      firstFailedSeconds: null,
      firstLiveSecondarySeconds: null,
      votes: [],
      ledgerBehind: [],
      rotations: [],
      processCrashes: [],
      awsCalls: {},
      harnessErrors: [],
      simulatedSeconds: 0,
      wallSeconds: 0,
    },
  };
}
