/**
 * `npm run gameday` offline: the command's GameDayIo backed by a drill scenario's world
 * (scripts/drill/world.ts), so the same code that runs a FIS experiment in AWS runs on every
 * commit (test/gameday-drill.test.ts).
 *
 * - The driver "starts" an experiment by injecting the drill fault that stands for it
 *   (OFFLINE_FAULTS, each saying how it differs from what FIS does) and ends it when the
 *   template's duration has passed, or on a stop (Ctrl-C).
 * - Orders are signed by the command's own sender and go through the drill's order API: to the
 *   region the entry point routes the user to (Route 53's answer for `api.`, the accelerator for
 *   `global.`), from the users' vantage.
 * - Time is the drill's simulated clock; the watchers read the platform as drill-platform.ts
 *   serves it: as `npm run status` does, through the orchestrator's own clients on the drill's
 *   fake AWS, plus the appliers' IteratorAge and the failover record's uncached answer.
 * Runs are recorded with `source: offline`: they exercise the loop, they measure nothing of AWS.
 */
import { GAME_DAYS, GAME_DAY_EXPERIMENTS, type GameDayExperiment } from '../../lib/model/game-day-catalog';
import { fetchThrough } from '../drill/client';
import { DRILL_CLIENTS, USER_VANTAGE } from '../drill/run';
import {
  afterRecovery,
  type Expectation,
  FAULT_AT,
  regionLost,
  type Scenario,
  SETTLE,
  unaffected,
} from '../drill/scenarios';
import type { ScenarioWorld } from '../drill/world';
import { DEFAULT_POLL_SECONDS, gameday, type GameDayIo, orderSender } from '../gameday';
import { stackConfig } from '../stack-files';
import type { ExperimentDriver, ExperimentState } from './fis';
import type { OrderOutcome } from './timeline';
import { drillPlatform } from './drill-platform';
import type { PlatformReading } from './watch';

/** The drill fault that stands for each experiment offline. */
export interface OfflineFault {
  /** What the drill does, and how that differs from the FIS experiment (said in the runbook). */
  readonly drillFault: string;
  readonly differs: string;
  /** How long it lasts (s): the template's duration, or the drill fault's own for a one-shot action. */
  readonly seconds: number;
  inject(world: ScenarioWorld): void;
  end(world: ScenarioWorld): void;
  /** What the drill's ledger and client checks expect of the run (scripts/drill/scenarios.ts). */
  readonly expect: Expectation;
}

/** A routine in-region failover: Aurora's "typically less than 30 s" (the drill's db-blip-25s). */
const IN_REGION_FAILOVER_SECONDS = 25;
const networkFault = GAME_DAYS['app-unreachable'].minutes * 60;

export const OFFLINE_FAULTS: Readonly<Record<GameDayExperiment, OfflineFault>> = {
  'app-unreachable': {
    drillFault: 'region outage: us-east-1 unreachable from everywhere, back when the experiment ends',
    differs:
      "stronger than FIS's network ACLs: AWS's own us-east-1 endpoints (the beacon, the book's replica, the RDS API) go too, so the gate's fast path moves trading and the slow path promotes, where in AWS the beacon answers and the orchestrator asks for approval",
    seconds: networkFault,
    inject: (w) => w.regionDown('us-east-1', true),
    end: (w) => w.regionDown('us-east-1', false),
    expect: { promotions: 1, firstLiveWithinSeconds: regionLost },
  },
  'db-failover-in-region': {
    drillFault: `the us-east-1 database unavailable for ${IN_REGION_FAILOVER_SECONDS} s, then back (the db-blip-25s scenario)`,
    differs: "the drill has no reader to promote: the cluster is down and comes back, without FIS's RDS events",
    seconds: IN_REGION_FAILOVER_SECONDS,
    inject: (w) => w.databaseDown('us-east-1', true),
    end: (w) => w.databaseDown('us-east-1', false),
    expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
  },
  'cross-region-lost': {
    drillFault:
      'us-east-1 and eu-west-1 cut from each other, Aurora and book replication paused (the partition scenario, for the template duration)',
    differs:
      "the drill's cut also hides the primary from the eu-west-1 canary; FIS disrupts only the primary subnets' routes to eu-west-1",
    seconds: networkFault,
    inject: (w) => {
      w.partition('eu-west-1', 'us-east-1', true);
      w.replicationCut(true);
    },
    end: (w) => {
      w.partition('eu-west-1', 'us-east-1', false);
      w.replicationCut(false);
    },
    expect: {
      promotions: 0,
      firstLiveWithinSeconds: afterRecovery(networkFault),
      refusesOrdersForSeconds: networkFault,
    },
  },
  'az-lost': {
    drillFault: `the closest fault the drill has: the writer's zone lost, so the us-east-1 database is unavailable for ${IN_REGION_FAILOVER_SECONDS} s (Aurora fails over in the region)`,
    differs:
      'the drill has no Availability Zones: the application tier losing a third of its targets and the launch ban are not modelled, only the database side',
    seconds: IN_REGION_FAILOVER_SECONDS,
    inject: (w) => w.databaseDown('us-east-1', true),
    end: (w) => w.databaseDown('us-east-1', false),
    expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
  },
};

/** The experiment a template name (`fis-<experiment>-<region code>-<env>`) starts. */
const experimentOf = (templateName: string): GameDayExperiment => {
  const found = GAME_DAY_EXPERIMENTS.find((x) => templateName.startsWith(`fis-${x}-`));
  if (!found) throw new Error(`no FIS experiment template tagged Name=${templateName} in the drill`);
  return found;
};

/**
 * FIS on the drill: the fault injected at the next half second (as a scenario's faults are), ended
 * after its duration: the template's, or `seconds` (a template of that duration).
 */
export function drillDriver(world: ScenarioWorld, seconds?: number): ExperimentDriver {
  let state: ExperimentState = { status: 'pending' };
  let fault: OfflineFault | undefined;
  let runs = 0;
  const endNow = (final: 'completed' | 'stopped') => {
    if (!fault || (state.status !== 'running' && state.status !== 'stopping')) return;
    fault.end(world);
    state = { status: final };
  };
  return {
    async start(templateName) {
      const experiment = experimentOf(templateName);
      fault = OFFLINE_FAULTS[experiment];
      const at = world.sim.seconds() + 0.5;
      await new Promise<void>((resolve) =>
        world.at(at, () => {
          fault!.inject(world);
          state = { status: 'running' };
          resolve();
        }),
      );
      world.at(at + (seconds ?? fault.seconds), () => endNow('completed'));
      return `drill-${experiment}-${++runs}`;
    },
    async state() {
      return state;
    },
    async stop() {
      if (state.status !== 'running') return;
      state = { status: 'stopping', reason: 'StopExperiment' };
      world.at(world.sim.seconds() + 0.5, () => endNow('stopped'));
    },
  };
}

/** What an offline run hands back: the command's exit code, its output, every order's outcome and the world. */
export interface OfflineGameDay {
  readonly exitCode: Promise<number>;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly orders: OrderOutcome[];
  /** The drill's world the run happened in: what the watchers should have seen, for tests. */
  readonly world: ScenarioWorld;
  /** Every reading the watchers made, in order. */
  readonly readings: PlatformReading[];
}

/**
 * Runs `npm run gameday -- argv` in `world`, starting `startAtSeconds` into the scenario (after the
 * drill's minute schedules have started, so the fault lands where a scenario's does); the
 * experiment lasts `faultSeconds` when given, its template's duration otherwise.
 */
export function runGameDayIn(
  world: ScenarioWorld,
  argv: readonly string[],
  { startAtSeconds = FAULT_AT - 0.5, faultSeconds }: { startAtSeconds?: number; faultSeconds?: number } = {},
): OfflineGameDay {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const orders: OrderOutcome[] = [];
  const readings: PlatformReading[] = [];
  const { clientId, key } = DRILL_CLIENTS.ga;
  const resolve = world.route53.resolver(world.sim);
  const send = orderSender({ TAP_CLIENT_ID: clientId, TAP_CLIENT_KEY: key }, (input, init) => {
    const host = new URL(String(input instanceof Request ? input.url : input)).hostname;
    // The accelerator's name or the Route 53 failover name: where the user's new connection lands.
    const region = host.startsWith('global.') ? world.accelerator.route(USER_VANTAGE) : resolve();
    return fetchThrough(world.regions, USER_VANTAGE, region)(input, init);
  });
  const io: GameDayIo = {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env: {},
    driver: () => drillDriver(world, faultSeconds),
    sendOrder: async (url, n) => {
      const outcome = await send(url, n);
      orders.push(outcome);
      return outcome;
    },
    now: () => new Date(world.sim.now()),
    sleep: (ms) => world.sim.sleep(ms),
    onInterrupt: () => () => undefined,
    stackConfig: (stack) => stackConfig(stack, { gameDays: 'enabled' }),
    source: 'offline',
    platform: () => drillPlatform(world, readings),
  };
  let exit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((r) => (exit = r));
  world.sim.at(world.sim.epochMs + startAtSeconds * 1000, () =>
    world.sim.spawn('gameday', async () => exit(await gameday([...argv], io))),
  );
  return { exitCode, stdout, stderr, orders, world, readings };
}

/**
 * A drill scenario that runs the game day `experiment` (its argv, plus `--observe-seconds`) and
 * lasts until the experiment has ended, the command has watched `observeSeconds` more and written
 * its report; `promotionSeconds` sets Aurora's promotion time, `faultSeconds` the experiment's
 * length (its template's when not given: a shorter run where the template's length proves nothing more).
 */
export function gameDayScenario(
  experiment: GameDayExperiment,
  argv: readonly string[],
  onRun: (run: OfflineGameDay) => void,
  options: { readonly observeSeconds: number; readonly promotionSeconds?: number; readonly faultSeconds?: number },
): Scenario {
  const fault = OFFLINE_FAULTS[experiment];
  const { observeSeconds, promotionSeconds, faultSeconds = fault.seconds } = options;
  // The command notices the experiment's end at its next poll (--poll-seconds).
  const pollFlag = argv.indexOf('--poll-seconds');
  const pollSeconds = pollFlag >= 0 ? Number(argv[pollFlag + 1]) : DEFAULT_POLL_SECONDS;
  return {
    name: `gameday-${experiment}`,
    title: `npm run gameday -- --experiment ${experiment}, offline: ${fault.drillFault}`,
    proves: 'the game-day command runs end to end against the drill: report, watchers and calibration',
    faultAtSeconds: FAULT_AT,
    durationSeconds: FAULT_AT + faultSeconds + pollSeconds + observeSeconds + SETTLE,
    ...(promotionSeconds === undefined ? {} : { promotionSeconds }),
    expect: fault.expect,
    faults: (world) =>
      onRun(
        runGameDayIn(world, [...argv, '--experiment', experiment, '--observe-seconds', String(observeSeconds)], {
          faultSeconds,
        }),
      ),
  };
}
