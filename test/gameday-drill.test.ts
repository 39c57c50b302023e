/**
 * `npm run gameday` offline (issue 27): the command itself, run against the drill's fakes for the
 * primary-unreachable experiment (scripts/gameday/drill-driver.ts). Its orders go through the
 * drill's real order API, its watchers read the platform through the orchestrator's own clients
 * (as `npm run status` does, plus the accelerator's endpoint health, Route 53's checkers and the
 * failover record's uncached answer), and the results file it writes calibrates the plan's RTO
 * model: Aurora's promotion and both traffic spans, each checked against the drill's own truth.
 * Aurora's promotion is set to 200 s so the calibration is visibly not the 120 s estimate, and the
 * experiment lasts as long as the assertions need (EXPERIMENT_SECONDS), not its template's 10 minutes.
 *
 * The same region outage serves `npm run status` (read before the fault and after the takeover,
 * through the orchestrator's own clients and code, as the CLI reads a stack): one drill, not two.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readFailoverStatus } from '../lambda/orchestrator/failover-status';
import type { OrchestratorDeps } from '../lambda/orchestrator/orchestrator-deps';
import { calibrationFrom, calibrationReport } from '../lib/model/calibration';
import { parseGameDayResults, type GameDayRun } from '../lib/model/game-day-results';
import { AURORA_PATH } from '../lib/model/rto';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoDistribution, sampleRto } from '../lib/model/rto-model';
import { parseSettings, readRawConfig } from '../lib/config';
import type { ScenarioResult } from '../scripts/drill/metrics';
import { Drill } from '../scripts/drill/run';
import { FAULT_AT } from '../scripts/drill/scenarios';
import { drillSettings } from '../scripts/drill/settings';
import type { ScenarioWorld } from '../scripts/drill/world';
import { gameDayScenario, type OfflineGameDay } from '../scripts/gameday/drill-driver';
import { DRILL_APPLIERS } from '../scripts/gameday/drill-platform';
import { EXIT } from '../scripts/gameday';
import { readProject, stackConfig } from '../scripts/stack-files';
import { lagTargets, readLags } from '../scripts/status/lag';
import { statusReport } from '../scripts/status/status-report';

const PROMOTION_SECONDS = 200;
const settings = drillSettings('dev');
/**
 * The region outage's length: the gate's recovery window (the slow path's promotion starts after
 * it, at the orchestrator's next run), the promotion, then two minutes: the watchers call the ledger
 * caught up when a whole CloudWatch minute of the secondary applier's IteratorAge is under the
 * alarm (the minute after the promotion at the latest), then poll a few times more. What ends with
 * the fault (us-east-1's Route 53 API readable again) is seen when it ends, whenever that is.
 */
const EXPERIMENT_SECONDS = settings.failoverRecoveryWindowSeconds + PROMOTION_SECONDS + 120;
/** The book-apply-lag alarm's threshold for the dev stack (what the watchers call caught up). */
const alarmBookApplyLagMs =
  parseSettings(readRawConfig(readProject().name, stackConfig('dev'))).alarmBookApplyLagSeconds * 1000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-drill-'));
const file = path.join(dir, 'dev.json');
let drill: Drill;
let result: ScenarioResult;
let offline: OfflineGameDay;
let run: GameDayRun;
const quietFile = path.join(dir, 'quiet', 'dev.json');
let quiet: OfflineGameDay;
let quietResult: ScenarioResult;
/** `npm run status`'s report at a second of the region outage (before the fault, after the takeover). */
const BEFORE = FAULT_AT - 5;
const AFTER_TAKEOVER = FAULT_AT + 60;
const reports = new Map<number, string[]>();

/** Reads the failover state at `seconds` into the scenario, as `npm run status` would. */
function readAt(world: ScenarioWorld, seconds: number): void {
  world.atExactly(seconds, () =>
    world.sim.spawn('status', async () => {
      const view = world.orchestrator!;
      const deps: OrchestratorDeps = {
        config: view.config,
        clock: { now: () => world.sim.now(), sleep: (ms) => world.sim.sleep(ms) },
        ...view.clients(),
        metrics: { addMetric: () => undefined } as unknown as OrchestratorDeps['metrics'],
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      };
      const status = await readFailoverStatus(deps, ['us-east-1', 'eu-west-1']);
      // The drill has no CloudWatch: every lag reads "no data".
      const lags = await readLags(
        lagTargets([view.config.primaryClusterArn, view.config.secondaryClusterArn], {
          'us-east-1': 'fn-book-applier-use1-drill',
        }),
        () => ({ send: async () => ({ MetricDataResults: [{ Values: [] }] }) }) as never,
        new Date(status.at),
      );
      reports.set(seconds, statusReport('drill', view.config, status, lags));
    }),
  );
}

/** Held so that afterAll closes a drill whose start outlived beforeAll's timeout. */
let starting: Promise<Drill> | undefined;

beforeAll(async () => {
  starting = Drill.start(settings);
  drill = await starting;
  const argv = ['--stack', 'dev', '--out', file, '--rate', '1', '--poll-seconds', '5'];
  // The takeover is over long before the experiment ends: no watching after it.
  const unreachable = gameDayScenario('app-unreachable', argv, (r) => (offline = r), {
    observeSeconds: 0,
    promotionSeconds: PROMOTION_SECONDS,
    faultSeconds: EXPERIMENT_SECONDS,
  });
  result = await drill.runScenario(
    {
      ...unreachable,
      faults: (world) => {
        unreachable.faults(world);
        readAt(world, BEFORE);
        readAt(world, AFTER_TAKEOVER);
      },
    },
    1,
  );
  run = parseGameDayResults(fs.readFileSync(file, 'utf8'), 'dev.json', 'dev').runs[0];
  // The in-region failover ends in 25 s: the command watches the gate's recovery window and a minute more (its default).
  const quietArgv = ['--stack', 'dev', '--out', quietFile, '--poll-seconds', '5'];
  quietResult = await drill.runScenario(
    gameDayScenario('db-failover-in-region', quietArgv, (r) => (quiet = r), {
      observeSeconds: settings.failoverRecoveryWindowSeconds + 60,
    }),
    1,
  );
}, 400_000);
afterAll(async () => (await starting?.catch(() => undefined))?.close());

/**
 * The drill's own checks, but for the ledger rows of the command's orders, which no drill client
 * sent (the tests count those against the command's acknowledgements).
 */
const drillFailures = (r: ScenarioResult) =>
  r.failures.filter((f) => !/^ledger: \d+ order\(s\) no client was acknowledged for$/.test(f));

/** Seconds from the fault's start to the first `event` of the run's timeline. */
const at = (event: string): number | undefined => {
  const start = run.timeline.find((e) => e.event === 'fault-start')!.at;
  const found = run.timeline.find((e) => e.event === event);
  return found && (Date.parse(found.at) - Date.parse(start)) / 1000;
};

/**
 * The game-day command's orders against the drill's final ledger: a 201 whose order is missing,
 * and a row whose order was answered with anything but a 201 (a 503 says "not taken": it must
 * be true). A row of an order that got no answer (unreachable, or a 504: the outcome unknown) is
 * neither: under load a client's timeout can come after the order was taken.
 */
function commandOrdersInLedger(game: OfflineGameDay, drilled: ScenarioResult) {
  const rows = new Set(drilled.detail.unacknowledgedIds.filter((id) => id.startsWith('gameday-')));
  const acked = game.orders.filter((o) => o.kind === 'answered' && o.status === 201).map((o) => o.clientOrderId!);
  const unanswered = new Set(
    game.orders.filter((o) => o.kind === 'unreachable' || o.status === 504).map((o) => o.clientOrderId),
  );
  return {
    ackedMissing: acked.filter((id) => !rows.has(id)),
    answeredOtherwise: [...rows].filter((id) => !acked.includes(id) && !unanswered.has(id)),
  };
}

it('the command completes and writes an offline run of the experiment', async () => {
  expect(offline.stderr).toEqual([]);
  expect(await offline.exitCode).toBe(EXIT.ok);
  expect(run).toMatchObject({ experiment: 'app-unreachable', source: 'offline', outcome: 'completed' });
  // The fault was injected when the command said so, on the drill's clock.
  expect(Date.parse(run.timeline[0].at)).toBe(Date.parse('2026-01-05T14:30:00Z') + FAULT_AT * 1000);
});

it('its orders went through the order API: failed from the fault on, then live in eu-west-1; none lost', () => {
  const kinds = offline.orders.map((o) =>
    o.kind === 'answered' ? `${o.status} ${o.region ?? ''}`.trim() : 'unreachable',
  );
  // The command starts the experiment, then sends: its first order meets the fault.
  expect(kinds[0]).toBe('unreachable');
  expect(kinds).toContain('201 eu-west-1');
  expect(kinds.at(-1)).toMatch(/^201 (us-east-1|eu-west-1)$/);
  // No 4xx: every order the command sends is a valid, signed order.
  expect(kinds.filter((k) => /^4/.test(k))).toEqual([]);
  // Every order the command got a 201 for is in the final ledger, and every other row of its orders
  // is one that got no answer (the drill's own clients are checked by the drill; the command's
  // orders are the ledger rows no drill client sent).
  expect(commandOrdersInLedger(offline, result)).toEqual({ ackedMissing: [], answeredOtherwise: [] });
  expect(result.detail.lostIds).toEqual([]);
  expect(result.detail.duplicateIds).toEqual([]);
  expect(drillFailures(result)).toEqual([]);
});

it('the timeline has the failover in order: failed order, gate votes, decision, fence, live in the secondary, promotion, ledger, recovery', () => {
  const events = run.timeline.map((e) => e.event);
  for (const e of [
    'fault-start',
    'first-failed-order',
    'gate-vote',
    'decision',
    'fence',
    'first-live-order-secondary',
    'recovery',
    'promotion-started',
    'promotion-complete',
    'ledger-caught-up',
    'fault-stop',
  ])
    expect(events).toContain(e);
  const seconds = (e: string) => at(e)!;
  expect(seconds('first-failed-order')).toBeLessThan(5);
  // The watchers see what the orchestrator did: the gate's fast path, then the book's writer moved.
  expect(run.timeline.find((e) => e.event === 'decision')!.detail).toMatch(/^region gone \(fast path\)/);
  expect(run.timeline.find((e) => e.event === 'fence')!.detail).toMatch(/^book writer to eu-west-1, epoch 2/);
  expect(seconds('decision')).toBeLessThanOrEqual(seconds('fence'));
  // Orders are seen as they are answered, the platform's state at each poll (5 s here).
  expect(seconds('fence')).toBeLessThanOrEqual(seconds('first-live-order-secondary') + 5);
  expect(seconds('first-live-order-secondary')).toBeLessThanOrEqual(settings.rtoTargetSeconds);
  // Each canary's vote went down: recorded as it changed, not at every poll.
  const votes = run.timeline.filter((e) => e.event === 'gate-vote').map((e) => e.detail!);
  expect(votes.some((v) => /^eu-west-1: \w+, region gone/.test(v))).toBe(true);
  expect(votes.some((v) => /^us-west-2: \w+, region gone/.test(v))).toBe(true);
  expect(votes.length).toBeLessThan(20);
  // Aurora's promotion: the watchers' span is the drill's 200 s, within one poll either side.
  expect(seconds('promotion-started')).toBeGreaterThan(seconds('fence'));
  expect(run.measured.promotionSeconds).toBeGreaterThanOrEqual(PROMOTION_SECONDS - 5);
  expect(run.measured.promotionSeconds).toBeLessThanOrEqual(PROMOTION_SECONDS + 5);
  expect(seconds('ledger-caught-up')).toBeGreaterThan(seconds('promotion-complete'));
  expect(run.timeline.find((e) => e.event === 'ledger-caught-up')!.detail).toMatch(/eu-west-1 applier IteratorAge/);
});

it("measures the traffic spans against the drill's own accelerator and Route 53, within one poll", () => {
  const fault = Date.parse(run.timeline[0].at);
  const { accelerator, route53 } = offline.world;
  // When the drill's accelerator marked us-east-1 unhealthy, and when Route 53's verdict turned
  // (from then on the failover record answers the secondary): the truth the watchers read through the APIs.
  const unhealthy = accelerator.changes.find((c) => c.region === 'us-east-1' && !c.healthy)!.at;
  const switched = route53.checks['us-east-1'].history.find((h) => !h.healthy)!.at;
  const poll = 5;
  const truth = { trafficShiftSeconds: (unhealthy - fault) / 1000, dnsSwitchSeconds: (switched - fault) / 1000 };
  for (const input of ['trafficShiftSeconds', 'dnsSwitchSeconds'] as const) {
    expect(run.measured[input]).toBeGreaterThanOrEqual(truth[input]);
    expect(run.measured[input]).toBeLessThanOrEqual(truth[input] + poll);
  }
  expect(run.timeline.find((e) => e.event === 'accelerator-unhealthy')!.detail).toMatch(
    /^DescribeEndpointGroup: all 1 primary endpoint\(s\) UNHEALTHY/,
  );
  expect(run.timeline.find((e) => e.event === 'dns-answers-secondary')!.detail).toMatch(
    /\(the secondary\) from the drill's Route 53 answer \(uncached/,
  );
  // Route 53's API is in us-east-1: unreadable through the outage, so its verdict is stamped late and says so.
  const route53Seen = run.timeline.find((e) => e.event === 'route53-unhealthy');
  if (route53Seen) expect(route53Seen.detail).toMatch(/unreadable at the previous poll/);
});

it('prints the measured values beside the model, and the results file calibrates the plan', () => {
  const printed = offline.stdout.join('\n');
  expect(printed).toMatch(/first live order in the secondary\s+[\d.]+ s\s+[\d.]+ s\s+[\d.]+ s\s+within p99/);
  const promotion = /Aurora promotion alone \(model input\)\s+([\d.]+) s/.exec(printed);
  expect(Math.abs(Number(promotion?.[1]) - PROMOTION_SECONDS)).toBeLessThanOrEqual(5);
  const results = parseGameDayResults(fs.readFileSync(file, 'utf8'), 'dev.json', 'dev');
  const calibration = calibrationFrom(results);
  expect(calibration.promotionSeconds).toMatchObject({ offline: true, values: [run.measured.promotionSeconds] });
  const inputs = rtoInputsFromSettings(parseSettings(readRawConfig(readProject().name, stackConfig('dev'))));
  const estimate = rtoDistribution(inputs).paths.find((p) => p.name === AURORA_PATH)!;
  const calibrated = rtoDistribution(inputs, { calibration }).paths.find((p) => p.name === AURORA_PATH)!;
  // The measured 200 s median replaces the 120 s estimate: the model's promotion path moves with it.
  expect(calibrated.p50).toBeGreaterThan(estimate.p50 + PROMOTION_SECONDS - inputs.dbPromotionEstimateSeconds - 30);
  const report = calibrationReport(inputs, calibration, 'dev.json').join('\n');
  expect(report).toMatch(/Aurora cross-region promotion\s+calibrated: median .* 1 run, .*offline runs included/);
  // The traffic inputs too: the plan names them calibrated, from one run, on the drill's date.
  expect(report).toMatch(/^RTO model inputs: 3 of 3 measurable inputs calibrated by game days \(dev\.json\)/);
  for (const name of ['Global Accelerator marking the primary unhealthy', "Route 53's failover answer switching"])
    expect(report).toMatch(new RegExp(`${name}\\s+calibrated: [\\d.]+ s, 1 run, 2026-01-05, offline runs included`));
  expect(calibration.trafficShiftSeconds!.values).toEqual([run.measured.trafficShiftSeconds]);
  expect(calibration.dnsSwitchSeconds!.values).toEqual([run.measured.dnsSwitchSeconds]);
  // The model's traffic paths now start from the measured spans: every accelerator sample is the
  // measured span plus the client's retry (and a pinned client's timeout), nothing of the estimate.
  const sampled = (name: string) =>
    sampleRto(inputs, { samples: 500, calibration }).find((p) => p.name === name)!.seconds;
  const shift = run.measured.trafficShiftSeconds!;
  expect([...sampled('traffic: Global Accelerator')].every((s) => s >= shift && s <= shift + 15)).toBe(true);
  const dns = run.measured.dnsSwitchSeconds!;
  const ttl = inputs.dnsTtlSeconds;
  expect([...sampled('traffic: Route 53 failover')].every((s) => s >= dns && s <= dns + ttl + 15)).toBe(true);
});

it('an in-region database failover: the command completes, and the watchers see no vote, decision, fence or promotion', async () => {
  expect(await quiet.exitCode).toBe(EXIT.ok);
  expect(drillFailures(quietResult)).toEqual([]);
  expect(commandOrdersInLedger(quiet, quietResult)).toEqual({ ackedMissing: [], answeredOtherwise: [] });
  const quietRun = parseGameDayResults(fs.readFileSync(quietFile, 'utf8'), 'dev.json', 'dev').runs[0];
  expect(quietRun).toMatchObject({ experiment: 'db-failover-in-region', source: 'offline', outcome: 'completed' });
  // Trading does not notice: orders stay live in the book (the drill's db-blip-25s), all in us-east-1.
  expect(quiet.orders.every((o) => o.kind === 'answered' && o.status === 201 && o.region === 'us-east-1')).toBe(true);
  expect(quietRun.timeline.map((e) => e.event)).toEqual(['fault-start', 'fault-stop']);
  // It watched past the gate's window: a wrong decision would have been seen.
  const watched = (Date.parse(quietRun.finishedAt) - Date.parse(quietRun.timeline[0].at)) / 1000;
  expect(watched).toBeGreaterThanOrEqual(25 + settings.failoverRecoveryWindowSeconds + 60);
  expect(quietRun.measured).toEqual({});
});

/** The eu-west-1 book applier's IteratorAge (ms) at each of a run's polls, as the watchers read it from CloudWatch. */
const secondaryApplierAges = (r: OfflineGameDay) =>
  r.readings.map(
    (reading) =>
      reading.lags.find((l) => l.region === 'eu-west-1' && l.label.includes(DRILL_APPLIERS['eu-west-1']))?.latest?.ms ??
      0,
  );

it("no false page from the secondary: while eu-west-1's cluster is a read-only secondary its book applier keeps up (IteratorAge under the book-apply-lag alarm at every poll)", () => {
  // The applier there confirms each order once Aurora has replicated it (lambda/book-applier/ledger.ts);
  // one that tried to insert into the read-only cluster would fall further behind every minute.
  const ages = secondaryApplierAges(quiet);
  expect(ages.length).toBeGreaterThan(30);
  expect(Math.max(...ages)).toBeLessThanOrEqual(alarmBookApplyLagMs);
});

it("before the promotion the secondary's applier cannot apply the orders eu-west-1 takes: its IteratorAge climbs past the alarm (a true page), and is back under it once the ledger has caught up", () => {
  const ages = secondaryApplierAges(offline);
  const fault = Date.parse(run.timeline[0].at);
  const polled = offline.readings.map((r) => r.status.at);
  const caughtUp = Date.parse(run.timeline.find((e) => e.event === 'ledger-caught-up')!.at);
  const before = ages.filter((_, k) => polled[k] < fault);
  expect(Math.max(...before)).toBeLessThanOrEqual(alarmBookApplyLagMs);
  expect(Math.max(...ages)).toBeGreaterThan(alarmBookApplyLagMs);
  // Polled after it (the experiment lasts long enough for that), every age is back under the alarm.
  const after = ages.filter((_, k) => polled[k] >= caughtUp);
  expect(after.length).toBeGreaterThan(2);
  expect(after.every((ms) => ms <= alarmBookApplyLagMs)).toBe(true);
});

describe("npm run status, read during the same region outage through the orchestrator's own clients", () => {
  it('before the fault: us-east-1 writes the book with cross-region durability, no fence, the gate closed on up votes, traffic as deployed', () => {
    const text = reports.get(BEFORE)!.join('\n');
    expect(text).toContain('us-east-1 replica: us-east-1 writes, epoch 1, cross-region durability');
    expect(text).toContain('eu-west-1 replica: us-east-1 writes, epoch 1, cross-region durability');
    expect(text).toMatch(/Aurora global cluster .*: us-east-1 writes \(the configured primary\)/);
    expect(text).toContain('Fence: none (traffic as deployed)');
    expect(text).toMatch(/^Gate: closed: /m);
    // Every canary has probed by then (each once a minute, at its own seeded phase): both see it up.
    expect(text).toMatch(/^ {2}eu-west-1: up \(primary answers: HTTP 200/m);
    expect(text).toMatch(/^ {2}us-west-2: up \(primary answers: HTTP 200/m);
    expect(text).toMatch(/^ {2}primary us-east-1: 100 %/m);
    expect(text).toContain('no data');
  });

  it('after the takeover: eu-west-1 writes under a new epoch, the fence and its dial moves, the gate saw the region gone, us-east-1 unreadable', () => {
    const text = reports.get(AFTER_TAKEOVER)!.join('\n');
    expect(text).toMatch(/eu-west-1 replica: eu-west-1 writes, epoch 2, regional durability/);
    // us-east-1 is down: its replica and its API cannot be read, and the report says so.
    expect(text).toMatch(/us-east-1 replica: unreadable \(.*dynamodb\.us-east-1 unreachable/);
    expect(text).toMatch(/^Fence: fenced at .*dial us-east-1 100 % -> 0 %/m);
    expect(text).toMatch(/^Gate: REGION GONE \(fast path\)/m);
    expect(text).toMatch(/^ {2}eu-west-1: \w+, region gone \(.*front door and beacon gone/m);
    expect(text).toMatch(/^ {2}us-west-2: \w+, region gone /m);
    expect(text).toMatch(/^ {2}secondary eu-west-1: 100 %/m);
    expect(text).toMatch(/^ {2}primary us-east-1: 0 %/m);
  });
});

// The drill's own database, on this file's server pair (one pair fewer to start in `npm test`).
it("the drill's standby waits out a cut link instead of retrying it in a loop, and streams again the moment the link heals", async () => {
  const db = drill.db;
  drill.network.reset();
  await db.reset(async () => undefined);
  const standby = db.clusters['eu-west-1'].server;
  const tries = () => (standby.recentLog().match(/could not connect to the primary server/g) ?? []).length;
  const before = tries();
  db.setReplicationCut(true);
  await db.clusters['us-east-1'].server.query('CREATE TABLE IF NOT EXISTS wake_probe (x int)');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // Each try is a new WAL receiver process: at a 100 ms retry, one second of cut link cost about ten.
  expect(tries() - before).toBeLessThanOrEqual(2);
  db.setReplicationCut(false);
  // Its next try would be 5 s away (wal_retrieve_retry_interval): only the wake makes this in time.
  await db.waitForReplication(3_000);
  await db.clusters['us-east-1'].server.query('DROP TABLE wake_probe');
}, 30_000);
