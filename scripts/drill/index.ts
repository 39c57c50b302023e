/**
 * `runDrill`: every scenario (or the named ones). Scenarios are split over worker processes,
 * each with its own PostgreSQL pair, because most of a scenario's wall time is spent waiting
 * on the database: two workers on two cores take about half the time. Every scenario starts
 * from the same reset state with its own seed, so the split does not change any result.
 */
import { fork } from 'child_process';
import * as path from 'path';
import { promotionGateSeconds } from './adapters';
import type { ScenarioResult } from './metrics';
import { Drill } from './run';
import { Scenario, scenarios } from './scenarios';
import { DrillSettings, drillSettings } from './settings';

export interface DrillOptions {
  readonly settings: DrillSettings;
  /** The stack and overrides the settings came from (workers read them again). */
  readonly stack?: string;
  readonly overrides?: Record<string, string>;
  /** Scenario names to run (default: all). */
  readonly only?: readonly string[];
  /** Worker processes (default 1: in this process). */
  readonly workers?: number;
  readonly onResult?: (result: ScenarioResult) => void;
}

export function drillScenarios(settings: DrillSettings): Scenario[] {
  return scenarios({
    gateSeconds: promotionGateSeconds({
      probeIntervalSeconds: settings.failoverProbeIntervalSeconds,
      recoveryWindowSeconds: settings.failoverRecoveryWindowSeconds,
    }),
    promotionSeconds: settings.dbPromotionEstimateSeconds,
  });
}

/** Each scenario's seed: fixed by its place in the full list, whatever subset runs. */
const seedOf = (all: readonly Scenario[], scenario: Scenario) => 1000 + all.indexOf(scenario);

/** Run `names` in this process on one server pair. */
export async function runInProcess(
  settings: DrillSettings,
  names: readonly string[],
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  const all = drillScenarios(settings);
  const drill = await Drill.start(settings);
  const results: ScenarioResult[] = [];
  try {
    for (const name of names) {
      const scenario = all.find((s) => s.name === name)!;
      const result = await drill.runScenario(scenario, seedOf(all, scenario));
      results.push(result);
      onResult?.(result);
    }
  } finally {
    await drill.close();
  }
  return results;
}

/** Split scenarios into `n` groups of about equal simulated length (longest first). */
export function balance(chosen: readonly Scenario[], n: number): string[][] {
  const groups = Array.from({ length: Math.min(n, chosen.length) }, () => ({ load: 0, names: [] as string[] }));
  for (const s of [...chosen].sort((a, b) => b.durationSeconds - a.durationSeconds)) {
    const lightest = groups.reduce((a, b) => (b.load < a.load ? b : a));
    lightest.names.push(s.name);
    lightest.load += s.durationSeconds;
  }
  return groups.map((g) => g.names);
}

export async function runDrill(options: DrillOptions): Promise<ScenarioResult[]> {
  const all = drillScenarios(options.settings);
  const unknown = (options.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  const chosen = options.only?.length ? all.filter((s) => options.only!.includes(s.name)) : all;
  const workers = options.workers ?? 1;
  if (workers <= 1 || chosen.length <= 1) {
    return runInProcess(
      options.settings,
      chosen.map((s) => s.name),
      options.onResult,
    );
  }
  const groups = balance(chosen, workers);
  const results = (
    await Promise.all(
      groups.map((names) => runWorker(options.stack ?? 'dev', options.overrides ?? {}, names, options.onResult)),
    )
  ).flat();
  return chosen.map((s) => results.find((r) => r.name === s.name)!);
}

/** One worker process (scripts/drill/worker.ts) running `names`; results stream back over IPC. */
function runWorker(
  stack: string,
  overrides: Record<string, string>,
  names: readonly string[],
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const results: ScenarioResult[] = [];
    let failure = '';
    const child = fork(path.join(__dirname, 'worker.ts'), [JSON.stringify({ stack, overrides, names })], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (chunk) => (failure = (failure + chunk).slice(-4000)));
    child.on('message', (message: { result?: ScenarioResult; error?: string }) => {
      if (message.result) {
        results.push(message.result);
        onResult?.(message.result);
      }
      if (message.error) failure = message.error;
    });
    child.once('exit', (code) =>
      code === 0 && results.length === names.length
        ? resolve(results)
        : reject(new Error(`drill worker for ${names.join(', ')} failed (exit ${code}): ${failure}`)),
    );
  });
}

export { drillSettings };
