/**
 * `npm run status` against the drill's fakes: a real region-outage scenario (the real canaries,
 * orchestrator and book on the drill's simulated AWS), read before the fault and after the
 * takeover through the orchestrator's own clients and code, as the CLI reads a stack.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { readFailoverStatus } from '../lambda/orchestrator/failover-status';
import type { OrchestratorDeps } from '../lambda/orchestrator/orchestrator-deps';
import { drillScenarios } from '../scripts/drill/index';
import { Drill } from '../scripts/drill/run';
import type { ScenarioWorld } from '../scripts/drill/world';
import { drillSettings } from '../scripts/drill/settings';
import { EXIT, main } from '../scripts/status';
import { lagTargets, readLags } from '../scripts/status/lag';
import { statusReport } from '../scripts/status/status-report';

const settings = drillSettings('dev');
const outage = drillScenarios(settings).find((s) => s.name === 'region-outage')!;
const FAULT_AT = outage.faultAtSeconds;
const BEFORE = FAULT_AT - 5;
const reports = new Map<number, string[]>();
let drill: Drill;

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

beforeAll(async () => {
  drill = await Drill.start(settings);
  const result = await drill.runScenario(
    {
      ...outage,
      name: 'status-during-region-outage',
      faults: (world) => {
        outage.faults(world);
        readAt(world, BEFORE);
        readAt(world, FAULT_AT + 60);
      },
    },
    1,
  );
  expect(result.failures).toEqual([]);
}, 240_000);
afterAll(() => drill?.close());

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
  const text = reports.get(FAULT_AT + 60)!.join('\n');
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

describe('the command line', () => {
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  const never = {
    deps: () => {
      throw new Error('no AWS call expected');
    },
    cloudwatch: () => {
      throw new Error('no AWS call expected');
    },
  };

  it('refuses a missing --stack, and outputs without the orchestrator environment, before reading AWS', async () => {
    expect(await main([], out, never as never, () => ({}))).toBe(EXIT.usage);
    expect(await main(['--stack', 'old'], out, never as never, () => ({ apiName: 'x' }))).toBe(EXIT.unreadable);
    expect(lines.join('\n')).toMatch(/failoverOrchestratorEnvironment/);
    // An environment the orchestrator itself would refuse is refused the same way.
    expect(
      await main(['--stack', 'bad'], out, never as never, () => ({
        failoverOrchestratorEnvironment: { GLOBAL_CLUSTER_ID: 'g' },
        bookApplierFunctionNames: { 'us-east-1': 'fn' },
      })),
    ).toBe(EXIT.unreadable);
    expect(lines.join('\n')).toMatch(/status: invalid orchestrator environment: .*PRIMARY_CLUSTER_ARN/);
  });
});

it('reads the worst minute of each lag, and says when there is none or it cannot be read', async () => {
  const targets = lagTargets(
    ['arn:aws:rds:us-east-1:1:cluster:aurora-use1-dev', 'arn:aws:rds:eu-west-1:1:cluster:aurora-euw1-dev'],
    { 'eu-west-1': 'fn-book-applier-euw1-dev' },
  );
  const asked: unknown[] = [];
  const lags = await readLags(
    targets,
    (region) =>
      ({
        send: async (command: GetMetricDataCommand) => {
          asked.push([region, command.input.MetricDataQueries?.[0]?.MetricStat?.Metric]);
          if (region === 'us-east-1') throw new Error('AccessDenied');
          expect(command.input.ScanBy).toBe('TimestampDescending');
          const minute = (m: number) => new Date(`2026-12-05T11:5${m}:00Z`);
          return { MetricDataResults: [{ Values: [120, 950, 40], Timestamps: [minute(8), minute(7), minute(6)] }] };
        },
      }) as never,
    new Date('2026-12-05T12:00:00Z'),
  );
  expect(lags.map((l) => [l.region, l.worstMs ?? l.error])).toEqual([
    ['us-east-1', 'AccessDenied'],
    ['eu-west-1', 950],
    ['eu-west-1', 950],
  ]);
  // The newest minute first: what the game day's ledger watcher reads (scripts/gameday/watch.ts).
  expect(lags[2].latest).toEqual({ at: Date.parse('2026-12-05T11:58:00Z'), ms: 120 });
  expect(lags[0].latest).toBeUndefined();
  expect(asked).toContainEqual([
    'eu-west-1',
    {
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBReplicationLag',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'aurora-euw1-dev' }],
    },
  ]);
  expect(asked).toContainEqual([
    'eu-west-1',
    {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: 'fn-book-applier-euw1-dev' }],
    },
  ]);
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
