/** `runDrill`: every scenario (or the named ones) against one server pair; used by the CLI and jest. */
import { DEFAULT_RECOVERY_WINDOW_SECONDS, promotionGateSeconds } from './adapters';
import type { ScenarioResult } from './metrics';
import { Drill } from './run';
import { Scenario, scenarios } from './scenarios';
import { DrillSettings } from './settings';

export interface DrillOptions {
  readonly settings: DrillSettings;
  /** Scenario names to run (default: all). */
  readonly only?: readonly string[];
  readonly onResult?: (result: ScenarioResult) => void;
}

export function drillScenarios(settings: DrillSettings): Scenario[] {
  return scenarios({
    gateSeconds: promotionGateSeconds({
      probeIntervalSeconds: settings.failoverProbeIntervalSeconds,
      recoveryWindowSeconds: DEFAULT_RECOVERY_WINDOW_SECONDS,
    }),
    promotionSeconds: settings.dbPromotionEstimateSeconds,
  });
}

export async function runDrill(options: DrillOptions): Promise<ScenarioResult[]> {
  const all = drillScenarios(options.settings);
  const unknown = (options.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  const chosen = options.only?.length ? all.filter((s) => options.only!.includes(s.name)) : all;
  const drill = await Drill.start(options.settings);
  const results: ScenarioResult[] = [];
  try {
    for (const [index, scenario] of chosen.entries()) {
      const result = await drill.runScenario(scenario, 1000 + all.indexOf(scenario) + index * 0);
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await drill.close();
  }
  return results;
}
