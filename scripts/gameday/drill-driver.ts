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
 * - Time is the drill's simulated clock; the watchers read the platform as `npm run status` does,
 *   through the orchestrator's own clients on the drill's fake AWS, plus a CloudWatch fake that
 *   reports each book applier's IteratorAge from the drill's book.
 * Runs are recorded with `source: offline`: they exercise the loop, they measure nothing of AWS.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GAME_DAYS, GAME_DAY_EXPERIMENTS, type GameDayExperiment } from '../../lib/model/game-day-catalog';
import type { OrchestratorConfig } from '../../lambda/orchestrator/config';
import type { OrchestratorDeps } from '../../lambda/orchestrator/orchestrator-deps';
import { fake } from '../drill/aws';
import { fetchThrough } from '../drill/client';
import { APP_REGIONS, type AppRegion, type Region } from '../drill/network';
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
import { gameday, type GameDayIo, orderSender } from '../gameday';
import { stackConfig } from '../offline';
import { readPlatform, type StatusIo } from '../status';
import type { ExperimentDriver, ExperimentState } from './fis';
import type { OrderOutcome } from './timeline';
import { readTraffic } from './traffic-reads';

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

/** The book appliers' function names in the drill (what bookApplierFunctionNames holds in a stack). */
export const DRILL_APPLIERS: Readonly<Record<AppRegion, string>> = {
  'us-east-1': 'fn-book-applier-use1-drill',
  'eu-west-1': 'fn-book-applier-euw1-drill',
};

/** The experiment a template name (`fis-<experiment>-<region code>-<env>`) starts. */
const experimentOf = (templateName: string): GameDayExperiment => {
  const found = GAME_DAY_EXPERIMENTS.find((x) => templateName.startsWith(`fis-${x}-`));
  if (!found) throw new Error(`no FIS experiment template tagged Name=${templateName} in the drill`);
  return found;
};

/** FIS on the drill: the fault injected at the next half second (as a scenario's faults are), ended after its duration. */
export function drillDriver(world: ScenarioWorld): ExperimentDriver {
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
      world.at(at + fault.seconds, () => endNow('completed'));
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

/**
 * CloudWatch on the drill, for what the watchers read: each applier's IteratorAge, sampled every
 * simulated second while its region is up (the age of the oldest record its applier has not
 * applied, 0 when none), as one-minute maxima newest first. Every other metric has no data.
 */
export function drillCloudWatch(world: ScenarioWorld): (region: string) => Pick<CloudWatchClient, 'send'> {
  const samples: Record<AppRegion, { at: number; ms: number }[]> = { 'us-east-1': [], 'eu-west-1': [] };
  world.sim.every('cloudwatch IteratorAge', 1000, world.sim.now() + 1000, async () => {
    for (const region of APP_REGIONS) {
      if (!world.network.isUp(region)) continue;
      const behind = world.book.behind(region);
      const stream = world.book.replicas.stream(region);
      const oldest = behind > 0 ? stream[stream.length - behind]?.writtenAt : undefined;
      samples[region].push({ at: world.sim.now(), ms: oldest === undefined ? 0 : world.sim.now() - oldest });
    }
  });
  const regionOfApplier = (name: unknown) =>
    APP_REGIONS.find((r) => DRILL_APPLIERS[r] === name) as AppRegion | undefined;
  return (region) =>
    fake(
      new CloudWatchClient({ region }),
      'monitoring',
      region as Region,
      {
        GetMetricDataCommand: async (input) => {
          const query = input.MetricDataQueries[0];
          const metric = query.MetricStat.Metric;
          const applier =
            metric.Namespace === 'AWS/Lambda' && metric.MetricName === 'IteratorAge'
              ? regionOfApplier(metric.Dimensions?.[0]?.Value)
              : undefined;
          const minutes = new Map<number, number>();
          const from = Math.floor(input.StartTime.getTime() / 60_000) * 60_000;
          for (const s of applier && applier === region ? samples[applier] : []) {
            if (s.at < from || s.at >= input.EndTime.getTime()) continue;
            const minute = Math.floor(s.at / 60_000) * 60_000;
            minutes.set(minute, Math.max(minutes.get(minute) ?? 0, s.ms));
          }
          const newestFirst = [...minutes].sort(([a], [b]) => b - a);
          return {
            MetricDataResults: [
              {
                Id: query.Id,
                Timestamps: newestFirst.map(([at]) => new Date(at)),
                Values: newestFirst.map(([, ms]) => ms),
              },
            ],
          };
        },
      },
      world.fakeContext(USER_VANTAGE),
    );
}

/** What answers the failover record offline: the drill's Route 53, uncached (its authoritative answer). */
export const DRILL_RESOLVER = "the drill's Route 53 answer (uncached, as the zone's name servers)";
/** The failover record's name offline (the drill's world has no domain; only the answer matters). */
const DRILL_RECORD_NAME = 'api.drill.example';

/**
 * The failover record as the zone's name servers answer it in the drill: Route 53's answer now
 * (the load balancer of the region it names). The stack's record (api.<domain>, CNAME to a load
 * balancer) stands in when the drill's orchestrator is not configured with one.
 */
function authoritativeRecord(
  world: ScenarioWorld,
  config: OrchestratorConfig,
): Pick<OrchestratorDeps, 'config' | 'resolveCname'> {
  const alb = (region: AppRegion) => world.regions[region].options.albDnsName;
  const record = config.failoverRecord ?? { name: DRILL_RECORD_NAME, secondaryTarget: alb('eu-west-1') };
  return {
    config: { ...config, failoverRecord: record },
    resolveCname: async (name) => {
      if (name !== record.name) throw Object.assign(new Error(`queryCname ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return [alb(world.route53.answer())];
    },
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** What an offline run hands back: the command's exit code, its output, every order's outcome and the world. */
export interface OfflineGameDay {
  readonly exitCode: Promise<number>;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly orders: OrderOutcome[];
  /** The drill's world the run happened in: what the watchers should have seen, for tests. */
  readonly world: ScenarioWorld;
}

/**
 * Runs `npm run gameday -- argv` in `world`, starting `startAtSeconds` into the scenario (after the
 * drill's minute schedules have started, so the fault lands where a scenario's does).
 */
export function runGameDayIn(
  world: ScenarioWorld,
  argv: readonly string[],
  startAtSeconds = FAULT_AT - 0.5,
): OfflineGameDay {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const orders: OrderOutcome[] = [];
  const { clientId, key } = DRILL_CLIENTS.ga;
  const resolve = world.route53.resolver(world.sim);
  const send = orderSender({ TAP_CLIENT_ID: clientId, TAP_CLIENT_KEY: key }, (input, init) => {
    const host = new URL(String(input instanceof Request ? input.url : input)).hostname;
    // The accelerator's name or the Route 53 failover name: where the user's new connection lands.
    const region = host.startsWith('global.') ? world.accelerator.route(USER_VANTAGE) : resolve();
    return fetchThrough(world.regions, USER_VANTAGE, region)(input, init);
  });
  const status: StatusIo = {
    deps: () => {
      const view = world.orchestrator;
      if (!view) throw new Error('the drill has not scheduled the orchestrator yet');
      return {
        config: view.config,
        clock: { now: () => world.sim.now(), sleep: (ms) => world.sim.sleep(ms) },
        ...view.clients(),
        metrics: { addMetric: () => undefined } as unknown as OrchestratorDeps['metrics'],
        logger: quiet,
      };
    },
    cloudwatch: drillCloudWatch(world),
  };
  const io: GameDayIo = {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    env: {},
    driver: () => drillDriver(world),
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
    platform: () => ({
      appliers: DRILL_APPLIERS,
      read: async () => {
        const config = world.orchestrator!.config;
        const platform = await readPlatform({ config, appliers: DRILL_APPLIERS }, status);
        const deps = { ...status.deps(config), ...authoritativeRecord(world, config) };
        return { ...platform, traffic: await readTraffic(deps, platform.status.at, DRILL_RESOLVER) };
      },
    }),
  };
  let exit: (code: number) => void = () => undefined;
  const exitCode = new Promise<number>((r) => (exit = r));
  world.sim.at(world.sim.epochMs + startAtSeconds * 1000, () =>
    world.sim.spawn('gameday', async () => exit(await gameday([...argv], io))),
  );
  return { exitCode, stdout, stderr, orders, world };
}

/**
 * A drill scenario that runs the game day `experiment` (its argv, plus `--observe-seconds`) and
 * lasts until the experiment has ended, the command has watched `observeSeconds` more and written
 * its report; `promotionSeconds` sets Aurora's promotion time.
 */
export function gameDayScenario(
  experiment: GameDayExperiment,
  argv: readonly string[],
  onRun: (run: OfflineGameDay) => void,
  options: { readonly observeSeconds: number; readonly promotionSeconds?: number },
): Scenario {
  const fault = OFFLINE_FAULTS[experiment];
  const { observeSeconds, promotionSeconds } = options;
  return {
    name: `gameday-${experiment}`,
    title: `npm run gameday -- --experiment ${experiment}, offline: ${fault.drillFault}`,
    proves: 'the game-day command runs end to end against the drill: report, watchers and calibration',
    faultAtSeconds: FAULT_AT,
    // The command notices the end at its next poll (at most 60 s: its --poll-seconds bound).
    durationSeconds: FAULT_AT + fault.seconds + 60 + observeSeconds + SETTLE,
    ...(promotionSeconds === undefined ? {} : { promotionSeconds }),
    expect: fault.expect,
    faults: (world) =>
      onRun(runGameDayIn(world, [...argv, '--experiment', experiment, '--observe-seconds', String(observeSeconds)])),
  };
}
