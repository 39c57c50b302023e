/**
 * `runDrill`: every scenario (or the named ones). Scenarios are split over worker processes,
 * each with its own PostgreSQL pair, because most of a scenario's wall time is spent waiting
 * on the database: two workers on two cores take about half the time. Every run starts from the
 * same reset state with its own seed, so the split does not change any result.
 */
import { fork } from 'child_process';
import * as path from 'path';
import { promotionGateSeconds } from './adapters';
import type { ScenarioResult } from './metrics';
import { isConfigScenario, runConfigScenario } from './config-scenario';
import { bookScenarios } from './book-scenarios';
import { gateScenarios } from './gate-scenarios';
import { runSeed } from './phases';
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
  /** Runs per scenario, each with its own seed (default 1). */
  readonly runs?: number;
  /** Base seed the runs' seeds come from (default 1; scripts/drill/phases.ts runSeed). */
  readonly seed?: number;
  /** Replay one run by its seed (as a failing run prints it): one run of each chosen scenario. */
  readonly replay?: number;
  readonly onResult?: (result: ScenarioResult) => void;
}

/** One run of one scenario. */
export interface DrillJob {
  readonly name: string;
  readonly seed: number;
}

export function drillScenarios(settings: DrillSettings): Scenario[] {
  const timing = {
    gateSeconds: promotionGateSeconds({
      probeIntervalSeconds: settings.failoverProbeIntervalSeconds,
      recoveryWindowSeconds: settings.failoverRecoveryWindowSeconds,
    }),
    promotionSeconds: settings.dbPromotionEstimateSeconds,
  };
  // New scenarios go last: a run's seed comes from its scenario's place in this list (phases.ts).
  return [...scenarios(timing), ...gateScenarios(timing), ...bookScenarios(timing)];
}

/** Run `jobs` in this process on one server pair. */
export async function runInProcess(
  settings: DrillSettings,
  jobs: readonly DrillJob[],
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  const all = drillScenarios(settings);
  const drill = await Drill.start(settings);
  const results: ScenarioResult[] = [];
  try {
    for (const job of jobs) {
      const result = await drill.runScenario(
        all.find((s) => s.name === job.name)!,
        job.seed,
      );
      results.push(result);
      onResult?.(result);
    }
  } finally {
    await drill.close();
  }
  return results;
}

/** Split jobs into `n` groups of about equal simulated length (longest first). */
export function balance(all: readonly Scenario[], jobs: readonly DrillJob[], n: number): DrillJob[][] {
  const length = (job: DrillJob) => all.find((s) => s.name === job.name)!.durationSeconds;
  const groups = Array.from({ length: Math.min(n, jobs.length) }, () => ({ load: 0, jobs: [] as DrillJob[] }));
  for (const job of [...jobs].sort((a, b) => length(b) - length(a))) {
    const lightest = groups.reduce((a, b) => (b.load < a.load ? b : a));
    lightest.jobs.push(job);
    lightest.load += length(job);
  }
  return groups.map((g) => g.jobs);
}

/** Every run the options ask for, scenario by scenario (each seed fixed by the scenario's place in the full list). */
export function drillJobs(all: readonly Scenario[], chosen: readonly Scenario[], options: DrillOptions): DrillJob[] {
  if (options.replay !== undefined) return chosen.map((s) => ({ name: s.name, seed: options.replay! }));
  const runs = options.runs ?? 1;
  return chosen.flatMap((s) =>
    Array.from({ length: runs }, (_, run) => ({ name: s.name, seed: runSeed(options.seed ?? 1, all.indexOf(s), run) })),
  );
}

export async function runDrill(options: DrillOptions): Promise<ScenarioResult[]> {
  const all = drillScenarios(options.settings);
  const unknown = (options.only ?? []).filter((n) => !all.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${all.map((s) => s.name).join(', ')})`);
  const chosen = options.only?.length ? all.filter((s) => options.only!.includes(s.name)) : all;
  const jobs = drillJobs(all, chosen, options);
  // Settings the config refuses are judged here, without a simulation (scripts/drill/config-scenario.ts).
  const refused = jobs.filter((j) => isConfigScenario(all.find((s) => s.name === j.name)!));
  const simulated = jobs.filter((j) => !refused.includes(j));
  const configResults = refused.map((job) => {
    const result = runConfigScenario(
      all.find((s) => s.name === job.name)!,
      options,
      job.seed,
    );
    options.onResult?.(result);
    return result;
  });
  const workers = options.workers ?? 1;
  const results =
    workers <= 1 || simulated.length <= 1
      ? await runInProcess(options.settings, simulated, options.onResult)
      : (
          await Promise.all(
            balance(all, simulated, workers).map((group) =>
              runWorker(options.stack ?? 'dev', options.overrides ?? {}, group, options.onResult),
            ),
          )
        ).flat();
  const done = [...configResults, ...results];
  return jobs.map((job) => done.find((r) => r.name === job.name && r.seed === job.seed)!);
}

/** One worker process (scripts/drill/worker.ts) running `jobs`; results stream back over IPC. */
function runWorker(
  stack: string,
  overrides: Record<string, string>,
  jobs: readonly DrillJob[],
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  return new Promise((resolve, reject) => {
    const results: ScenarioResult[] = [];
    let failure = '';
    const child = fork(path.join(__dirname, 'worker.ts'), [JSON.stringify({ stack, overrides, jobs })], {
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
      code === 0 && results.length === jobs.length
        ? resolve(results)
        : reject(
            new Error(
              `drill worker for ${jobs.map((j) => `${j.name} (seed ${j.seed})`).join(', ')} failed (exit ${code}): ${failure}`,
            ),
          ),
    );
  });
}

export { drillSettings };
