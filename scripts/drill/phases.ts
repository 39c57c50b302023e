/**
 * Seeded runs (issue 23 item 7): each scenario runs several times, each run with its own seed,
 * and the seed draws the phases that decide how fast the gate can see a fault: when each
 * canary's minute starts, when the orchestrator's, and when the primary-down alarm evaluates. Faults stay at their fixed instant on the
 * clients' whole-second grid (a half second off it, where nothing else runs: see
 * ScenarioWorld.at), so drawing every minute schedule against that instant is drawing the fault
 * instant against the schedules. The same seed also draws the accelerator's pickup and the Route
 * 53 checkers' phases (run.ts), so one seed replays one run exactly.
 */
/** The schedules' period: the canaries and the orchestrator run every minute (EventBridge rate(1 minute)). */
export const SCHEDULE_SECONDS = 60;

export interface Phases {
  /** Seconds into the run of each canary's first invocation, one per vantage, in [0, 60). */
  readonly canarySeconds: readonly number[];
  /** Seconds into the run of the orchestrator's first scheduled invocation, in [0, 60). */
  readonly orchestratorSeconds: number;
  /** Seconds into the run of the primary-down alarm's first evaluation (one-minute periods), in [0, 60). */
  readonly alarmSeconds: number;
}

/** The phases the drill used before seeded runs: canaries at +5 s and +25 s, the orchestrator at +17 s, the alarm on the minute. */
export const FIXED_PHASES: Phases = { canarySeconds: [5, 25], orchestratorSeconds: 17, alarmSeconds: 0 };

/** Whole seconds, as EventBridge schedules fire (and everything periodic in the drill runs). */
const wholeSecond = (random: () => number) => Math.floor(random() * SCHEDULE_SECONDS);

/** Draw one run's phases for `vantages` canaries (the first draws of `random`). */
export function drawPhases(random: () => number, vantages: number): Phases {
  const canarySeconds = Array.from({ length: vantages }, () => wholeSecond(random));
  const orchestratorSeconds = wholeSecond(random);
  return { canarySeconds, orchestratorSeconds, alarmSeconds: wholeSecond(random) };
}

/**
 * The seed of run `run` (0-based) of the scenario at `index` in the full list, for base seed
 * `seed`: distinct for every (index, run) below 1000 scenarios and 1000 runs, readable (base
 * 1, scenario 3, run 2: 1003002), and independent of which scenarios a command line picks.
 */
export function runSeed(seed: number, index: number, run: number): number {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a whole number >= 0, got ${seed}`);
  if (index >= 1000 || run >= 1000) throw new Error('at most 1000 scenarios and 1000 runs per scenario');
  return (seed * 1_000_000 + index * 1000 + run) % 2 ** 32;
}
