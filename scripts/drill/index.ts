/**
 * `runDrill`: every scenario (or the named ones). Runs go to worker processes, each with its own
 * PostgreSQL pair, because most of a run's cost is the work of the functions and their servers:
 * two workers on two cores take about half the time. Each worker takes the next run from one
 * queue (longest first) as soon as it is free, so neither waits while the other still has runs.
 * Every run starts from the same reset state with its own seed, so the order changes no result.
 *
 * This module loads only what the report needs: the simulation (run.ts: every function's
 * runtime, the AWS SDK, pg) is loaded where runs happen, in a worker or for `workers: 1` here.
 */
import { fork } from 'child_process';
import * as path from 'path';
import type { ScenarioResult } from './metrics';
import { isConfigScenario, runConfigScenario } from './config-scenario';
import { bookScenarios } from './book-scenarios';
import { gateScenarios } from './gate-scenarios';
import { runSeed } from './phases';
import { promotionGateSeconds } from './promotion-gate';
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

/** Runs one job at a time on its own server pair. */
export interface JobRunner {
  run(job: DrillJob): Promise<ScenarioResult>;
  close(): Promise<void>;
}

/** A runner in this process (the simulation is loaded on first use). */
export async function inProcessRunner(settings: DrillSettings): Promise<JobRunner> {
  const { Drill } = await import('./run');
  const all = drillScenarios(settings);
  const drill = await Drill.start(settings);
  return {
    run: (job) =>
      drill.runScenario(
        all.find((s) => s.name === job.name)!,
        job.seed,
      ),
    close: () => drill.close(),
  };
}

/** Jobs in the order runners take them: longest simulated run first, so the last ones are short. */
export function longestFirst(all: readonly Scenario[], jobs: readonly DrillJob[]): DrillJob[] {
  const length = (job: DrillJob) => all.find((s) => s.name === job.name)!.durationSeconds;
  return [...jobs].sort((a, b) => length(b) - length(a));
}

/**
 * Every job, each run by the next runner that is free, in the order given. A runner that fails
 * stops the others after the run they are in; every runner is closed before this returns.
 */
export async function dispatch(
  jobs: readonly DrillJob[],
  starts: readonly (() => Promise<JobRunner>)[],
  onResult?: (result: ScenarioResult) => void,
): Promise<ScenarioResult[]> {
  const queue = [...jobs];
  const results: ScenarioResult[] = [];
  const runners: JobRunner[] = [];
  let failed = false;
  const loops = await Promise.allSettled(
    starts.map(async (start) => {
      try {
        const runner = await start();
        runners.push(runner);
        for (let job = queue.shift(); job && !failed; job = queue.shift()) {
          const result = await runner.run(job);
          results.push(result);
          onResult?.(result);
        }
      } catch (e) {
        failed = true;
        throw e;
      }
    }),
  );
  const closed = await Promise.allSettled(runners.map((r) => r.close()));
  const failure = [...loops, ...closed].find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
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
  const workers = Math.max(1, Math.min(options.workers ?? 1, simulated.length));
  const start =
    workers === 1
      ? () => inProcessRunner(options.settings)
      : () => workerRunner(options.stack ?? 'dev', options.overrides ?? {});
  const results =
    simulated.length === 0
      ? []
      : await dispatch(
          longestFirst(all, simulated),
          Array.from({ length: workers }, () => start),
          options.onResult,
        );
  const done = [...configResults, ...results];
  return jobs.map((job) => done.find((r) => r.name === job.name && r.seed === job.seed)!);
}

/** A worker process (scripts/drill/worker.ts) with its own server pair, given one job at a time over IPC. */
function workerRunner(stack: string, overrides: Record<string, string>): Promise<JobRunner> {
  return new Promise((ready, notReady) => {
    let failure = '';
    let current: { job: DrillJob; resolve: (r: ScenarioResult) => void; reject: (e: Error) => void } | undefined;
    const child = fork(path.join(__dirname, 'worker.ts'), [JSON.stringify({ stack, overrides })], {
      execArgv: ['--import', 'tsx'],
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stderr!.on('data', (chunk) => (failure = (failure + chunk).slice(-4000)));
    child.on('message', (message: { ready?: boolean; result?: ScenarioResult; error?: string }) => {
      if (message.error) failure = message.error;
      if (message.ready) ready(runner);
      if (message.result && current) {
        const { resolve } = current;
        current = undefined;
        resolve(message.result);
      }
    });
    void exited.then((code) => {
      const doing = current ? ` running ${current.job.name} (seed ${current.job.seed})` : '';
      const error = new Error(`drill worker${doing} failed (exit ${code}): ${failure}`);
      current?.reject(error);
      current = undefined;
      notReady(error);
    });
    const runner: JobRunner = {
      run: (job) =>
        new Promise((resolve, reject) => {
          if (!child.connected) return reject(new Error(`drill worker is gone (${failure})`));
          current = { job, resolve, reject };
          child.send({ job });
        }),
      close: async () => {
        if (child.connected) child.send({ done: true });
        const code = await exited;
        if (code !== 0) throw new Error(`drill worker failed (exit ${code}): ${failure}`);
      },
    };
  });
}

export { drillSettings };
