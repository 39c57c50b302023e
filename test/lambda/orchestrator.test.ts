/**
 * The orchestrator end to end with fakes at the SDK boundary: the real canary loop writes
 * evidence to the in-memory store (contract-tested against DynamoDB), the real orchestrator
 * reads it on a fake clock, and stateful models stand in for the Aurora global cluster and the
 * Global Accelerator dials. Each case named in issue 10 has its test here or in the gate tests.
 */
import {
  DescribeDBClustersCommand,
  DescribeEventsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  FailoverState,
  GlobalCluster,
  GlobalClusterMember,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import {
  DescribeEndpointGroupCommand,
  GlobalAcceleratorClient,
  UpdateEndpointGroupCommand,
} from '@aws-sdk/client-global-accelerator';
import { GetHealthCheckStatusCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { runCanary } from '../../lambda/canary/canary';
import type { Clock } from '../../lambda/orchestrator/clock';
import { configFromEnv, OrchestratorConfig } from '../../lambda/orchestrator/config';
import type { ProbeLayer } from '../../lambda/orchestrator/gate';
import { InMemoryOrderBookControl } from '../../lambda/orchestrator/order-book';
import { ARBITER_SKEW_MARGIN_MS } from '../../lambda/facts/keeper';
import { InMemoryArbiter } from '../../lambda/shared/arbiter';
import { InMemoryEvidenceStore } from '../../lambda/orchestrator/memory-store';
import { handleEvent } from '../../lambda/orchestrator/orchestrator';
import type { OrchestratorDeps } from '../../lambda/orchestrator/orchestrator-deps';
import { InvalidEventError } from '../../lambda/orchestrator/trigger';
import { ACTION_BUDGET_SECONDS, leaseSeconds, worstCaseTimeToPromotion } from '../../lambda/facts/timing';
import {
  FAILOVER_FUNCTION_NAME,
  FAILOVER_TOPIC_ARN,
  GLOBAL_CLUSTER_ID as GC,
  PRIMARY_CLUSTER_ARN as PRIMARY,
  PRIMARY_ENDPOINT_GROUP_ARN as US_GROUP,
  SECONDARY_CLUSTER_ARN as SECONDARY,
  SECONDARY_ENDPOINT_GROUP_ARN as EU_GROUP,
} from '../helpers/failover-fixtures';

const EU = 'eu-west-1';
const USW2 = 'us-west-2';
const S = 1000;
const MIN = 60 * S;
const T0 = Date.UTC(2030, 0, 1, 12);

const config: OrchestratorConfig = {
  globalClusterId: GC,
  primaryClusterArn: PRIMARY,
  secondaryClusterArn: SECONDARY,
  primaryRegion: 'us-east-1',
  vantages: [EU, USW2],
  probeIntervalSeconds: 10,
  recoveryWindowSeconds: 90,
  fastWindowSeconds: 20,
  mode: 'automatic',
  leaseMs: leaseSeconds(90) * S,
  primaryEndpointGroupArn: US_GROUP,
  secondaryEndpointGroupArn: EU_GROUP,
  route53HealthCheckId: 'hc-use1',
  topicArn: FAILOVER_TOPIC_ARN,
  environment: 'dev',
  functionName: FAILOVER_FUNCTION_NAME,
};

/** Time that moves only when slept on. */
class FakeClock implements Clock {
  constructor(public t: number) {}
  now = () => this.t;
  sleep = async (ms: number) => {
    this.t += ms;
  };
}

/** The Aurora global cluster as RDS reports it, with failover and switchover that complete on demand. */
class GlobalClusterModel {
  writer = PRIMARY;
  status = 'available';
  failoverState?: FailoverState;
  members?: GlobalClusterMember[];

  describe(): GlobalCluster {
    return {
      GlobalClusterIdentifier: GC,
      Status: this.status,
      FailoverState: this.failoverState,
      GlobalClusterMembers:
        this.members ?? [PRIMARY, SECONDARY].map((arn) => ({ DBClusterArn: arn, IsWriter: arn === this.writer })),
    };
  }

  begin(target: string | undefined, allowDataLoss: boolean): Record<string, never> {
    if (this.status !== 'available' || this.failoverState || target === this.writer) {
      throw Object.assign(new Error('global cluster is not in a state to fail over'), {
        name: 'InvalidGlobalClusterStateFault',
      });
    }
    this.failoverState = {
      Status: 'pending',
      FromDbClusterArn: this.writer,
      ToDbClusterArn: target,
      IsDataLossAllowed: allowDataLoss,
    };
    this.status = allowDataLoss ? 'failing-over' : 'switching-over';
    return {};
  }

  complete(): void {
    this.writer = this.failoverState!.ToDbClusterArn!;
    this.failoverState = undefined;
    this.status = 'available';
  }
}

const rds = new RDSClient({ region: EU });
/** The primary region's RDS API (us-east-1): unreachable unless a test says otherwise. */
const primaryRds = new RDSClient({ region: 'us-east-1' });
const primaryRdsMock = mockClient(primaryRds);
const ga = new GlobalAcceleratorClient({ region: USW2 });
const route53 = new Route53Client({ region: 'us-east-1' });
const sns = new SNSClient({ region: EU });
const rdsMock = mockClient(rds);
const gaMock = mockClient(ga);
const route53Mock = mockClient(route53);
const snsMock = mockClient(sns);

let model: GlobalClusterModel;
let dials: Record<string, { region: string; dial: number }>;
/** Every change to the world, in order. */
let changes: string[];
const failoverTimes: number[] = [];
let store: InMemoryEvidenceStore;
let metrics: string[];
let logs: { level: string; message: string; detail?: unknown }[];

const record =
  (level: string) =>
  (message: unknown, ...detail: unknown[]): void => {
    logs.push({ level, message: String(message), detail: detail[0] });
  };
const logger = { info: record('info'), warn: record('warn'), error: record('error') };

function resetWorld() {
  for (const m of [rdsMock, gaMock, route53Mock, snsMock, primaryRdsMock]) m.reset();
  primaryRdsMock.onAnyCommand().rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
  primaryHealth = 'HEALTHY';
  beacon = () => 'up';
  model = new GlobalClusterModel();
  dials = { [US_GROUP]: { region: 'us-east-1', dial: 100 }, [EU_GROUP]: { region: EU, dial: 0 } };
  changes = [];
  failoverTimes.length = 0;
  store = new InMemoryEvidenceStore();
  metrics = [];
  logs = [];
  rdsMock.on(DescribeGlobalClustersCommand).callsFake(() => ({ GlobalClusters: [model.describe()] }));
  rdsMock.on(FailoverGlobalClusterCommand).callsFake((input) => {
    changes.push(`rds failover to ${input.TargetDbClusterIdentifier} allowDataLoss=${input.AllowDataLoss}`);
    failoverTimes.push(orchestratorNow);
    return model.begin(input.TargetDbClusterIdentifier, input.AllowDataLoss === true);
  });
  rdsMock.on(SwitchoverGlobalClusterCommand).callsFake((input) => {
    changes.push(`rds switchover to ${input.TargetDbClusterIdentifier}`);
    return model.begin(input.TargetDbClusterIdentifier, false);
  });
  gaMock.on(DescribeEndpointGroupCommand).callsFake(({ EndpointGroupArn }) => ({
    EndpointGroup: {
      EndpointGroupArn,
      EndpointGroupRegion: dials[EndpointGroupArn].region,
      TrafficDialPercentage: dials[EndpointGroupArn].dial,
      EndpointDescriptions: [
        {
          EndpointId: `alb-${dials[EndpointGroupArn].region}`,
          HealthState: EndpointGroupArn === US_GROUP ? primaryHealth : 'HEALTHY',
        },
      ],
    },
  }));
  gaMock.on(UpdateEndpointGroupCommand).callsFake(({ EndpointGroupArn, TrafficDialPercentage, ...rest }) => {
    // The fence is recorded before any dial moves, and nothing but the dial is sent.
    changes.push(
      `ga ${dials[EndpointGroupArn].region} ${TrafficDialPercentage}${store.fences.has(GC) ? '' : ' UNRECORDED'}`,
    );
    expect(rest).toEqual({});
    dials[EndpointGroupArn].dial = TrafficDialPercentage;
    return {};
  });
  // us-east-1 is down in most scenarios: Route 53's API cannot be read.
  route53Mock
    .on(GetHealthCheckStatusCommand)
    .rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
}
beforeEach(resetWorld);

function deps(clock: Clock, over: Partial<OrchestratorDeps> = {}): OrchestratorDeps {
  return {
    config,
    clock,
    store,
    rds,
    primaryRds,
    ga,
    route53,
    sns,
    metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
    logger,
    ...over,
  };
}

type World = (vantage: string, t: number) => ProbeLayer;
const healthy: World = () => 'up';
/** The primary answers 503 for everyone between `from` and `to` (its RDS API unreachable: see resetWorld). */
const outage =
  (from: number, to: number, layer: ProbeLayer = 'sick'): World =>
  (_v, t) =>
    t >= T0 + from && t < T0 + to ? layer : 'up';
/** What the us-east-1 beacon shows each canary (an AWS endpoint the platform does not own). */
let beacon: World = () => 'up';
/** The accelerator's health of the primary's endpoint (its us-west-2 API). */
let primaryHealth: 'HEALTHY' | 'UNHEALTHY' = 'HEALTHY';

/**
 * Minute by minute, as deployed: each canary runs its one-minute probe loop (the real code), then
 * the orchestrator's scheduled run for the same minute. The orchestrator only ever counts
 * evidence from before its own clock, so running the canaries first is faithful.
 */
async function simulate(
  world: World,
  fromMinute: number,
  toMinute: number,
  opts: {
    orchestrator?: boolean;
    config?: OrchestratorConfig;
    over?: Partial<OrchestratorDeps>;
    controlDown?: string;
  } = {},
) {
  const settings = opts.config ?? config;
  for (let m = fromMinute; m < toMinute; m++) {
    const minute = T0 + m * MIN;
    for (const [vantage, offset] of [
      [EU, 0],
      [USW2, 3 * S],
    ] as const) {
      const clock = new FakeClock(minute + offset);
      await runCanary({
        config: { vantage, target: 'us-east-1', intervalMs: settings.probeIntervalSeconds * S },
        probes: {
          primary: async () => {
            const layer = world(vantage, clock.now());
            const detail = layer === 'up' ? 'HTTP 200' : layer === 'sick' ? 'HTTP 503' : 'PROBE_TIMEOUT';
            return { layer, detail, latencyMs: 4 };
          },
          control: async () =>
            vantage === opts.controlDown
              ? { layer: 'transport', detail: 'PROBE_TIMEOUT', latencyMs: 4 }
              : { layer: 'up', detail: 'HTTP 200', latencyMs: 4 },
          beacon: async () => {
            const layer = beacon(vantage, clock.now());
            return { layer, detail: layer === 'up' ? 'HTTP 200' : 'PROBE_TIMEOUT', latencyMs: 4 };
          },
        },
        store,
        clock,
        metrics: { addMetric: () => undefined as never },
        logger,
      });
    }
    if (opts.orchestrator !== false) {
      const clock = new FakeClock(minute + 1 * S);
      const tracked: Clock = { now: () => (orchestratorNow = clock.now()), sleep: clock.sleep };
      await handleEvent({ source: 'schedule' }, deps(tracked, { config: settings, ...opts.over }));
    }
  }
}

const simulateWith = (
  world: World,
  fromMinute: number,
  toMinute: number,
  over: Partial<OrchestratorDeps>,
  opts: { controlDown?: string } = {},
) => simulate(world, fromMinute, toMinute, { over, ...opts });

/** The orchestrator's clock at its latest reading: when FailoverGlobalCluster is called. */
let orchestratorNow = 0;
const failovers = () => rdsMock.commandCalls(FailoverGlobalClusterCommand);

describe('the gate in the running system', () => {
  it('issue 10: Aurora in-region events of 25, 50 and 89 s recover without any promotion or traffic change', async () => {
    const world: World = (v, t) =>
      [outage(2 * MIN, 2 * MIN + 25 * S), outage(5 * MIN, 5 * MIN + 50 * S), outage(8 * MIN, 8 * MIN + 89 * S)].some(
        (w) => w(v, t) === 'sick',
      )
        ? 'sick'
        : 'up';
    await simulate(world, 0, 12);
    expect(failovers()).toHaveLength(0);
    expect(changes).toEqual([]);
    expect(dials[US_GROUP].dial).toBe(100);
  });

  it('a regional failure: fenced first, recorded, then exactly one failover with data loss allowed, within the worst case', async () => {
    const fault = 2 * MIN + 17 * S;
    await simulate(outage(fault, 60 * MIN), 0, 10);
    expect(changes).toEqual(['ga eu-west-1 100', 'ga us-east-1 0', `rds failover to ${SECONDARY} allowDataLoss=true`]);
    const promotedAfter = failoverTimes[0] - (T0 + fault);
    expect(promotedAfter).toBeGreaterThanOrEqual(config.recoveryWindowSeconds * S);
    expect(promotedAfter).toBeLessThanOrEqual(
      worstCaseTimeToPromotion({ failoverProbeIntervalSeconds: 10, failoverRecoveryWindowSeconds: 90 }).totalSeconds *
        S,
    );
    expect(store.fences.get(GC)?.changes).toEqual([
      { endpointGroupArn: EU_GROUP, region: EU, before: 0, after: 100 },
      { endpointGroupArn: US_GROUP, region: 'us-east-1', before: 100, after: 0 },
    ]);
    expect(store.journals.get(GC)?.map((j) => j.entry.step)).toEqual(['fenced', 'failover-requested']);
    expect(metrics.filter((m) => m === 'FailoverInitiated')).toHaveLength(1);
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(published).toContain('Aurora failover initiated (dev)');
    // Every decision is logged with its evidence: the promotion's log names both canaries' failed probes.
    const decision = logs.find(
      (l) => l.message === 'gate decision' && (l.detail as { action: { kind: string } }).action.kind === 'promote',
    );
    const votes = (decision?.detail as { gate: { votes: { source: string; vote: string; probes: string[] }[] } }).gate
      .votes;
    expect(votes.filter((v) => v.vote === 'down').map((v) => v.source)).toEqual([EU, USW2]);
    expect(votes.find((v) => v.source === EU)!.probes.length).toBeGreaterThanOrEqual(10);
    expect(votes.map((v) => v.source)).toEqual([EU, USW2]);
  });

  it('property: a regional failure is promoted once, never before the window, never after the worst case', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(5, 7, 10, 15, 20, 30, 45, 60),
        fc.integer({ min: 0, max: 240 }),
        fc.integer({ min: 0, max: 119_999 }),
        async (interval, extraWindow, faultOffset) => {
          resetWorld();
          const window = Math.max(60, 2 * interval) + extraWindow;
          const settings = { ...config, probeIntervalSeconds: interval, recoveryWindowSeconds: window };
          const fault = MIN + faultOffset;
          const worst = worstCaseTimeToPromotion({
            failoverProbeIntervalSeconds: interval,
            failoverRecoveryWindowSeconds: window,
          }).totalSeconds;
          await simulate(outage(fault, 60 * MIN), 0, Math.ceil((fault + worst * S) / MIN) + 1, { config: settings });
          const after = failoverTimes[0] - (T0 + fault);
          return failoverTimes.length === 1 && after >= window * S && after <= worst * S;
        },
      ),
      { numRuns: 25 },
    );
  });

  it('issue 10: a partition between eu-west-1 and us-east-1 (users still served) never promotes', async () => {
    route53Mock.on(GetHealthCheckStatusCommand).resolves({
      HealthCheckObservations: Array.from({ length: 15 }, (_, i) => ({
        Region: 'us-west-1',
        StatusReport: {
          Status: i < 2 ? 'Failure: timeout' : 'Success: HTTP Status Code 200, OK',
          CheckedTime: new Date(T0 + 30 * MIN),
        },
      })),
    });
    const partition: World = (v, t) => (v === EU && t >= T0 + MIN ? 'transport' : 'up');
    await simulate(partition, 0, 30);
    expect(failovers()).toHaveLength(0);
    expect(changes).toEqual([]);
  });

  it('issue 10: two failures at the end of one window and one six hours later never promote', async () => {
    const blip: World = (_v, t) => ((t >= T0 + 40 * S && t < T0 + MIN) || t >= T0 + 6 * 60 * MIN ? 'sick' : 'up');
    await simulate(blip, 0, 1);
    // Six hours without canary runs (a paused schedule), then one failing probe: nothing carries over.
    const clock = new FakeClock(T0 + 6 * 60 * MIN);
    for (const vantage of [EU, USW2]) {
      await store.recordProbe('us-east-1', {
        vantage,
        target: 'primary',
        startedAt: clock.now(),
        layer: 'sick',
        detail: 'HTTP 503',
      });
    }
    clock.t += 5 * S;
    const outcome = await handleEvent({ source: 'schedule' }, deps(clock));
    expect(failovers()).toHaveLength(0);
    expect(outcome.actions.every((a) => a.kind === 'none')).toBe(true);
  });

  it("a new stack: the first scheduled run writes the book's first writer item (primary, configured durability), later runs leave it", async () => {
    const moves: unknown[] = [];
    let held: { region: string; epoch: number; durability: 'cross-region' | 'regional' } | undefined;
    const book = {
      findWriter: async () => held,
      answers: async () => true,
      readWriter: async () => held ?? Promise.reject(new Error('no writer item')),
      moveWriter: async (m: { to: string; fromEpoch: number; durability: 'cross-region' | 'regional' }) => {
        moves.push(m);
        held = { region: m.to, epoch: m.fromEpoch + 1, durability: m.durability };
        return { moved: true, writer: held };
      },
    };
    const clock = new FakeClock(0);
    await handleEvent(
      { source: 'schedule' },
      deps(clock, { book, config: { ...config, orderDurability: 'regional' } }),
    );
    expect(moves).toEqual([{ to: 'us-east-1', fromEpoch: 0, durability: 'regional' }]);
    expect(metrics).toContain('BookWriterBootstrapped');
    await handleEvent(
      { source: 'schedule' },
      deps(clock, { book, config: { ...config, orderDurability: 'regional' } }),
    );
    expect(moves).toHaveLength(1);
  });

  it('Route 53 unreadable (us-east-1 down) never blocks; its verdict counts when it can be read', async () => {
    await simulate(outage(MIN, 60 * MIN), 0, 5);
    expect(failovers()).toHaveLength(1);
  });
});

describe('at most once', () => {
  async function gateOpen() {
    await simulate(outage(0, 60 * MIN), 0, 3, { orchestrator: false });
    return new FakeClock(T0 + 3 * MIN);
  }
  const alarm = {
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: { Message: JSON.stringify({ AlarmName: 'alarm-primary-down-use1-dev', NewStateValue: 'ALARM' }) },
      },
    ],
  };

  it('issue 10: the canary schedule and the Route 53 alarm racing promote once', async () => {
    const clock = await gateOpen();
    const outcomes = await Promise.all([
      handleEvent({ source: 'schedule' }, deps(clock, { newOwnerId: () => 'schedule' })),
      handleEvent(alarm, deps(clock, { newOwnerId: () => 'alarm' })),
    ]);
    expect(failovers()).toHaveLength(1);
    const kinds = outcomes.map((o) => o.actions.at(-1)!.kind).sort();
    expect(kinds).toEqual(['none', 'promote']);
    expect(changes.filter((c) => c.startsWith('rds'))).toHaveLength(1);
  });

  it('many racing invocations promote once', async () => {
    const clock = await gateOpen();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => handleEvent(alarm, deps(clock, { newOwnerId: () => `inv-${i}` }))),
    );
    expect(failovers()).toHaveLength(1);
  });

  it('a holder that died after fencing: the next one (after the lease) re-applies the first record, never its own', async () => {
    const clock = await gateOpen();
    rdsMock
      .on(FailoverGlobalClusterCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    await expect(handleEvent(alarm, deps(clock))).rejects.toThrow('socket hang up');
    expect(dials[US_GROUP].dial).toBe(0);
    // The lease is kept after an ambiguous failover call: nobody retries until it expires.
    expect((await handleEvent(alarm, deps(clock))).actions[0].reason).toMatch(/lease/);
    await simulate(outage(0, 60 * MIN), 3, 7, { orchestrator: false });
    clock.t = T0 + 7 * MIN;
    rdsMock.on(FailoverGlobalClusterCommand).callsFake((input) => model.begin(input.TargetDbClusterIdentifier, true));
    await handleEvent(alarm, deps(clock));
    expect(rdsMock.commandCalls(FailoverGlobalClusterCommand)).toHaveLength(2);
    expect(store.fences.get(GC)?.changes.map((c) => c.before)).toEqual([0, 100]);
  });

  it('a failed fence releases the lease and promotes nothing; the next evaluation retries', async () => {
    const clock = await gateOpen();
    gaMock
      .on(UpdateEndpointGroupCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(handleEvent(alarm, deps(clock))).rejects.toThrow('throttled');
    expect(failovers()).toHaveLength(0);
    clock.t += 10 * S;
    await simulate(outage(0, 60 * MIN), 3, 4, { orchestrator: false });
    await handleEvent(alarm, deps(clock));
    expect(failovers()).toHaveLength(1);
  });

  it('the cluster is read again under the lease: a failover that started meanwhile is left alone', async () => {
    const clock = await gateOpen();
    let reads = 0;
    rdsMock.on(DescribeGlobalClustersCommand).callsFake(() => {
      // Someone (an operator, another tool) starts a failover between our first read and the lease.
      if (++reads === 2) model.begin(SECONDARY, true);
      return { GlobalClusters: [model.describe()] };
    });
    const outcome = await handleEvent(alarm, deps(clock));
    expect(outcome.actions[0].reason).toMatch(/state changed under the lease/);
    expect(failovers()).toHaveLength(0);
    expect(changes).toEqual([]);
  });

  it('issue 10: states that are not understood are reported once and left alone', async () => {
    const states: [string, () => void][] = [
      ['deleting', () => (model.status = 'deleting')],
      ['inaccessible', () => (model.status = 'inaccessible')],
      ['FailoverState pending', () => (model.failoverState = { Status: 'pending', IsDataLossAllowed: true })],
      ['two writers', () => (model.members = [PRIMARY, SECONDARY].map((a) => ({ DBClusterArn: a, IsWriter: true })))],
      [
        'unknown writer',
        () =>
          (model.members = [
            { DBClusterArn: 'arn:aws:rds:us-west-2:1:cluster:x', IsWriter: true },
            { DBClusterArn: SECONDARY },
          ]),
      ],
    ];
    const clock = await gateOpen();
    for (const [name, apply] of states) {
      model = new GlobalClusterModel();
      apply();
      snsMock.resetHistory();
      await handleEvent(alarm, deps(clock));
      await handleEvent(alarm, deps(clock));
      expect([name, failovers().length, changes]).toEqual([name, 0, []]);
      expect([name, snsMock.commandCalls(PublishCommand).length]).toEqual([name, 1]);
    }
  });
});

describe('after a promotion', () => {
  async function promoted() {
    await simulate(outage(0, 5 * MIN), 0, 4);
    expect(failovers()).toHaveLength(1);
    model.complete();
    changes.length = 0;
  }

  it('issue 10: the old primary rejoins healthy, but traffic stays on the new writer and nothing promotes again', async () => {
    await promoted();
    await simulate(healthy, 4, 15);
    expect(failovers()).toHaveLength(0 + 1);
    expect(changes).toEqual([]);
    expect(dials[US_GROUP].dial).toBe(0);
    expect(dials[EU_GROUP].dial).toBe(100);
  });

  it('failback is an explicit switchover; the recorded dials come back once the primary writes again', async () => {
    await promoted();
    const clock = new FakeClock(T0 + 20 * MIN);
    const requested = await handleEvent({ action: 'failback' }, deps(clock));
    expect(requested.actions[0].kind).toBe('failback');
    expect(changes).toEqual([`rds switchover to ${PRIMARY}`]);
    // The switchover is still running: the dials stay where they are.
    await simulate(healthy, 21, 22);
    expect(dials[US_GROUP].dial).toBe(0);
    model.complete();
    await simulate(healthy, 25, 26);
    expect(changes.slice(1)).toEqual(['ga us-east-1 100', 'ga eu-west-1 0']);
    expect(dials).toEqual({ [US_GROUP]: { region: 'us-east-1', dial: 100 }, [EU_GROUP]: { region: EU, dial: 0 } });
    expect(store.fences.has(GC)).toBe(false);
    expect(rdsMock.commandCalls(SwitchoverGlobalClusterCommand)[0].args[0].input).toEqual({
      GlobalClusterIdentifier: GC,
      TargetDbClusterIdentifier: PRIMARY,
    });
  });

  it('a promotion done by hand: traffic converges on the new writer without an operator', async () => {
    model.writer = SECONDARY;
    await simulate(healthy, 0, 1);
    expect(changes).toEqual(['ga eu-west-1 100', 'ga us-east-1 0']);
    expect(failovers()).toHaveLength(0);
  });
});

describe('operator actions and modes', () => {
  it('approval mode: the gate opening asks an operator once; nothing moves until approved', async () => {
    const approval = { ...config, mode: 'approval' as const };
    await simulate(outage(0, 60 * MIN), 0, 3, { orchestrator: false });
    const clock = new FakeClock(T0 + 3 * MIN);
    for (let i = 0; i < 3; i++) await handleEvent({ source: 'schedule' }, deps(clock, { config: approval }));
    expect(failovers()).toHaveLength(0);
    expect(changes).toEqual([]);
    const asks = snsMock.commandCalls(PublishCommand).filter((c) => /awaits approval/.test(c.args[0].input.Subject!));
    expect(asks).toHaveLength(1);
    expect(JSON.parse(asks[0].args[0].input.Message!).approve).toContain(`'{"action":"approve-failover"}'`);
    const approved = await handleEvent({ action: 'approve-failover' }, deps(clock, { config: approval }));
    expect(approved.actions[0].kind).toBe('promote');
    expect(failovers()).toHaveLength(1);
  });

  it('an approval that arrives after the primary recovered promotes nothing', async () => {
    await simulate(outage(0, 3 * MIN), 0, 5, { orchestrator: false });
    const clock = new FakeClock(T0 + 5 * MIN);
    const outcome = await handleEvent(
      { action: 'approve-failover' },
      deps(clock, { config: { ...config, mode: 'approval' } }),
    );
    expect(outcome.actions[0].kind).toBe('none');
    expect(failovers()).toHaveLength(0);
  });

  it('a planned switchover fences, then switches over without data loss', async () => {
    const outcome = await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0)));
    expect(outcome.actions[0].kind).toBe('switchover');
    expect(changes).toEqual(['ga eu-west-1 100', 'ga us-east-1 0', `rds switchover to ${SECONDARY}`]);
    expect(failovers()).toHaveLength(0);
  });

  it('an alarm returning to OK does nothing; unknown events are rejected before any AWS call', async () => {
    const ok = { Records: [{ EventSource: 'aws:sns', Sns: { Message: JSON.stringify({ NewStateValue: 'OK' }) } }] };
    expect((await handleEvent(ok, deps(new FakeClock(T0)))).trigger).toBe('ignored');
    await expect(handleEvent({ hello: 'world' }, deps(new FakeClock(T0)))).rejects.toThrow(InvalidEventError);
    await expect(handleEvent({ source: 'canary' }, deps(new FakeClock(T0)))).rejects.toThrow(InvalidEventError);
    await expect(
      handleEvent({ Records: [{ EventSource: 'aws:sns', Sns: { Message: 'not json' } }] }, deps(new FakeClock(T0))),
    ).rejects.toThrow(/not a CloudWatch alarm/);
    expect(rdsMock.calls()).toHaveLength(0);
    expect(gaMock.calls()).toHaveLength(0);
  });

  it('access denied: logged, counted, operators notified, and the invocation fails', async () => {
    rdsMock
      .on(DescribeGlobalClustersCommand)
      .rejects(Object.assign(new Error('not authorized to rds:DescribeGlobalClusters'), { name: 'AccessDenied' }));
    await expect(handleEvent({ action: 'switchover' }, deps(new FakeClock(T0)))).rejects.toThrow(/not authorized/);
    expect(metrics).toContain('PermissionError');
    expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.Subject).toMatch(/permission error/);
    expect(logs.some((l) => l.level === 'error' && /permission denied/.test(l.message))).toBe(true);
  });

  it('refuses to run when the lease would not outlive the invocation', async () => {
    const short = deps(new FakeClock(T0), { remainingMs: () => config.leaseMs });
    await expect(handleEvent({ source: 'schedule' }, short)).rejects.toThrow(/LEASE_SECONDS/);
  });

  it('a scheduled run evaluates every probe interval for a minute, never starting one without time to act', async () => {
    const clock = new FakeClock(T0);
    const timeout = 90 * S;
    const outcome = await handleEvent(
      { source: 'schedule' },
      deps(clock, { remainingMs: () => timeout - (clock.now() - T0) }),
    );
    expect(outcome.actions).toHaveLength(1 + 6);
    const tight = new FakeClock(T0);
    const cut = await handleEvent(
      { source: 'schedule' },
      deps(tight, { remainingMs: () => (ACTION_BUDGET_SECONDS + 25) * S - (tight.now() - T0) }),
    );
    expect(cut.actions).toHaveLength(1 + 3);
  });
});

describe('configuration from the environment', () => {
  const env = {
    GLOBAL_CLUSTER_ID: GC,
    PRIMARY_CLUSTER_ARN: PRIMARY,
    SECONDARY_CLUSTER_ARN: SECONDARY,
    PRIMARY_REGION: 'us-east-1',
    CANARY_VANTAGES: 'eu-west-1,us-west-2',
    PROBE_INTERVAL_SECONDS: '10',
    RECOVERY_WINDOW_SECONDS: '90',
    FAST_WINDOW_SECONDS: '20',
    LEASE_SECONDS: '180',
    PRIMARY_ENDPOINT_GROUP_ARN: US_GROUP,
    SECONDARY_ENDPOINT_GROUP_ARN: EU_GROUP,
    TOPIC_ARN: config.topicArn,
    ENVIRONMENT: 'dev',
    EVIDENCE_TABLE: 'ddb-failover-evidence-euw1-dev',
    BOOK_TABLE_NAME: 'ddb-order-book-dev',
    BOOK_REGIONS: 'us-east-1,eu-west-1',
    ARBITER_TABLE: 'ddb-arbiter-usw2-dev',
    ARBITER_TABLE_REGION: 'us-west-2',
  };

  it('reads a valid environment; automatic is the default mode', () => {
    const parsed = configFromEnv(env);
    expect(parsed).toMatchObject({
      mode: 'automatic',
      vantages: [EU, USW2],
      leaseMs: 180_000,
      recoveryWindowSeconds: 90,
    });
    expect(configFromEnv({ ...env, PROMOTION_MODE: 'approval' }).mode).toBe('approval');
  });

  it('names every bad key', () => {
    expect(() => configFromEnv({ ...env, RECOVERY_WINDOW_SECONDS: '30', PROMOTION_MODE: 'yolo' })).toThrow(
      /RECOVERY_WINDOW_SECONDS must be at least 60.*PROMOTION_MODE must be automatic or approval/,
    );
    expect(() => configFromEnv({ ...env, CANARY_VANTAGES: 'eu-west-1' })).toThrow(/at least two regions/);
    expect(() => configFromEnv({ ...env, CANARY_VANTAGES: 'eu-west-1,us-east-1' })).toThrow(
      /must not include PRIMARY_REGION/,
    );
    expect(() => configFromEnv({ ...env, PROBE_INTERVAL_SECONDS: '60', RECOVERY_WINDOW_SECONDS: '100' })).toThrow(
      /three failed probes/,
    );
  });

  it('maps every variable; optional ones appear only when set', () => {
    expect(
      configFromEnv({
        ...env,
        CANARY_VANTAGES: ' eu-west-1 , us-west-2,eu-west-1',
        ROUTE53_HEALTH_CHECK_ID: ' hc-1 ',
        AWS_LAMBDA_FUNCTION_NAME: 'fn-orchestrator-dev',
      }),
    ).toEqual({
      globalClusterId: GC,
      primaryClusterArn: PRIMARY,
      secondaryClusterArn: SECONDARY,
      primaryRegion: 'us-east-1',
      vantages: [EU, USW2],
      probeIntervalSeconds: 10,
      recoveryWindowSeconds: 90,
      fastWindowSeconds: 20,
      mode: 'automatic',
      orderDurability: 'cross-region',
      leaseMs: 180_000,
      primaryEndpointGroupArn: US_GROUP,
      secondaryEndpointGroupArn: EU_GROUP,
      route53HealthCheckId: 'hc-1',
      topicArn: config.topicArn,
      environment: 'dev',
      functionName: 'fn-orchestrator-dev',
      evidenceTable: { name: 'ddb-failover-evidence-euw1-dev' },
      book: { tableName: 'ddb-order-book-dev', regions: ['us-east-1', 'eu-west-1'] },
      arbiter: { tableName: 'ddb-arbiter-usw2-dev', region: 'us-west-2' },
    });
    expect(() => configFromEnv({ ...env, ARBITER_TABLE_REGION: 'eu-west-1' })).toThrow(
      /ARBITER_TABLE_REGION must be a third region/,
    );
    const bare = configFromEnv({ ...env, ROUTE53_HEALTH_CHECK_ID: ' ', AWS_LAMBDA_FUNCTION_NAME: '' });
    expect(bare).not.toHaveProperty('route53HealthCheckId');
    expect(bare).not.toHaveProperty('functionName');
  });

  it('refuses the same region twice as two vantages, and the same cluster or endpoint group twice', () => {
    expect(() => configFromEnv({ ...env, CANARY_VANTAGES: 'eu-west-1,eu-west-1' })).toThrow(
      'invalid orchestrator environment: CANARY_VANTAGES must name at least two regions',
    );
    expect(() =>
      configFromEnv({ ...env, SECONDARY_CLUSTER_ARN: PRIMARY, SECONDARY_ENDPOINT_GROUP_ARN: US_GROUP }),
    ).toThrow(
      'invalid orchestrator environment: SECONDARY_CLUSTER_ARN must differ from PRIMARY_CLUSTER_ARN; ' +
        'SECONDARY_ENDPOINT_GROUP_ARN must differ from PRIMARY_ENDPOINT_GROUP_ARN',
    );
  });

  it.each([
    ['PROBE_INTERVAL_SECONDS', '4', 'PROBE_INTERVAL_SECONDS must be at least 5'],
    ['PROBE_INTERVAL_SECONDS', '61', 'PROBE_INTERVAL_SECONDS must be at most 60'],
    ['PROBE_INTERVAL_SECONDS', '7.5', 'PROBE_INTERVAL_SECONDS must be a whole number of seconds'],
    ['RECOVERY_WINDOW_SECONDS', '3601', 'RECOVERY_WINDOW_SECONDS must be at most 3600'],
    ['LEASE_SECONDS', '59', 'LEASE_SECONDS must be at least 60'],
    ['LEASE_SECONDS', 'soon', 'LEASE_SECONDS must be a number'],
    ['PRIMARY_CLUSTER_ARN', 'arn:aws:ec2:us-east-1:1:x', 'PRIMARY_CLUSTER_ARN must be an rds ARN'],
    ['PRIMARY_CLUSTER_ARN', `x${PRIMARY}`, 'PRIMARY_CLUSTER_ARN must be an rds ARN'],
    ['TOPIC_ARN', 'arn:aws:sqs:us-east-1:1:x', 'TOPIC_ARN must be an sns ARN'],
    ['PRIMARY_ENDPOINT_GROUP_ARN', 'x', 'PRIMARY_ENDPOINT_GROUP_ARN must be an globalaccelerator ARN'],
    ['CANARY_VANTAGES', 'eu-west-1,europe', 'CANARY_VANTAGES.1 must be an AWS region'],
  ])('refuses %s=%j', (key, value, message) => {
    expect(() => configFromEnv({ ...env, [key]: value })).toThrow(message);
  });

  it('accepts the limits themselves and other partitions', () => {
    const edge = configFromEnv({
      ...env,
      PROBE_INTERVAL_SECONDS: '5',
      RECOVERY_WINDOW_SECONDS: '3600',
      LEASE_SECONDS: '3600',
      PRIMARY_CLUSTER_ARN: 'arn:aws-us-gov:rds:us-gov-west-1:1:cluster:x',
    });
    expect(edge).toMatchObject({ probeIntervalSeconds: 5, recoveryWindowSeconds: 3600, leaseMs: 3_600_000 });
    expect(
      configFromEnv({ ...env, PROBE_INTERVAL_SECONDS: '25', RECOVERY_WINDOW_SECONDS: '60', FAST_WINDOW_SECONDS: '50' }),
    ).toMatchObject({ probeIntervalSeconds: 25, recoveryWindowSeconds: 60, fastWindowSeconds: 50 });
  });

  it('issue 23: the fast window is bounded: three transport failures per canary, shorter than the recovery window', () => {
    expect(() => configFromEnv({ ...env, FAST_WINDOW_SECONDS: '9' })).toThrow(
      /FAST_WINDOW_SECONDS must be at least 10/,
    );
    expect(() => configFromEnv({ ...env, FAST_WINDOW_SECONDS: '61' })).toThrow(
      /FAST_WINDOW_SECONDS must be at most 60/,
    );
    expect(() => configFromEnv({ ...env, PROBE_INTERVAL_SECONDS: '15', FAST_WINDOW_SECONDS: '20' })).toThrow(
      /FAST_WINDOW_SECONDS must be at least 2 x failoverProbeIntervalSeconds \(30 s\)/,
    );
    expect(() => configFromEnv({ ...env, RECOVERY_WINDOW_SECONDS: '60', FAST_WINDOW_SECONDS: '60' })).toThrow(
      /FAST_WINDOW_SECONDS must be shorter than failoverRecoveryWindowSeconds/,
    );
  });
});

describe('issue 23: the fast path (region gone) and the slow path (region sick)', () => {
  const gone = (from: number): World => outage(from, 60 * MIN, 'transport');
  let book: InMemoryOrderBookControl;
  beforeEach(() => {
    book = new InMemoryOrderBookControl({ region: 'us-east-1', epoch: 7, durability: 'cross-region' });
  });
  const run = (world: World, from: number, to: number, over: Partial<OrchestratorDeps> = {}) =>
    simulateWith(world, from, to, { book, ...over });

  it('region gone (transport failures, controls up, beacon failing, accelerator agrees): the writer moves within the fast window, Aurora later', async () => {
    const fault = 2 * MIN + 17 * S;
    beacon = (_v, t) => (t >= T0 + fault ? 'transport' : 'up');
    primaryHealth = 'UNHEALTHY';
    await run(gone(fault), 0, 3);
    // The writer moved (one fenced move from epoch 7) and traffic followed, with no promotion yet.
    expect(book.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'regional' }]);
    expect(failovers()).toHaveLength(0);
    expect(changes).toEqual(['ga eu-west-1 100', 'ga us-east-1 0']);
    const moved = store.journals.get(GC)!.find((j) => j.entry.step === 'writer-moved')!;
    const decidedAfter = moved.at - (T0 + fault);
    expect(decidedAfter).toBeGreaterThanOrEqual(config.fastWindowSeconds * S);
    expect(decidedAfter).toBeLessThan(config.recoveryWindowSeconds * S);
    // Aurora: the slow path's evidence (the whole window, its RDS API unreachable) promotes it, once.
    await run(gone(fault), 3, 6);
    expect(failovers()).toHaveLength(1);
    expect(book.moves).toHaveLength(1);
    expect(metrics.filter((m) => m === 'WriterMoved')).toHaveLength(1);
  });

  it("issue 22: while the primary's keeper holds the regional lease, the takeover waits for its end plus the skew margin, then holds the arbiter", async () => {
    const fault = 2 * MIN + 17 * S;
    beacon = (_v, t) => (t >= T0 + fault ? 'transport' : 'up');
    primaryHealth = 'UNHEALTHY';
    const arbiter = new InMemoryArbiter();
    const leaseEnd = T0 + fault + 30 * S;
    await arbiter.take({ holder: 'us-east-1', until: leaseEnd }, T0 + fault);
    await run(gone(fault), 0, 3, { arbiter });
    expect(book.moves).toEqual([]);
    const refused = store.journals.get(GC)!.find((j) => j.entry.step === 'writer-not-moved');
    expect(refused?.entry.reason).toMatch(/held by us-east-1/);
    await run(gone(fault), 3, 4, { arbiter });
    expect(book.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'regional' }]);
    const moved = store.journals.get(GC)!.find((j) => j.entry.step === 'writer-moved')!;
    expect(moved.at).toBeGreaterThan(leaseEnd + ARBITER_SKEW_MARGIN_MS);
    expect(await arbiter.read()).toEqual({ holder: EU });
  });

  it('issue 22: no takeover while the arbiter (us-west-2) cannot be reached', async () => {
    const fault = 2 * MIN + 17 * S;
    beacon = (_v, t) => (t >= T0 + fault ? 'transport' : 'up');
    primaryHealth = 'UNHEALTHY';
    const arbiter = new InMemoryArbiter();
    arbiter.unreachable = true;
    await run(gone(fault), 0, 3, { arbiter });
    expect(book.moves).toEqual([]);
    arbiter.unreachable = false;
    await run(gone(fault), 3, 4, { arbiter });
    expect(book.moves).toHaveLength(1);
  });

  it('transport failures with the beacon answering (our front door, e.g. an allowlist): never the fast path', async () => {
    primaryHealth = 'UNHEALTHY';
    // Two minutes: past the fast window, short of the recovery window (the slow path decides later).
    await run(gone(MIN), 0, 2);
    expect(book.moves).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('no AWS-side corroboration (accelerator sees the primary healthy): the writer stays', async () => {
    beacon = () => 'transport';
    await run(gone(MIN), 0, 2);
    expect(book.moves).toEqual([]);
    const goneLog = logs.find((l) =>
      (l.detail as { gate?: { goneReason?: string } })?.gate?.goneReason?.includes('no AWS-side'),
    );
    expect(goneLog).toBeDefined();
  });

  it('a canary whose own control target fails does not vote, so one canary cannot move the writer', async () => {
    beacon = () => 'transport';
    primaryHealth = 'UNHEALTHY';
    await simulateWith(gone(MIN), 0, 3, { book }, { controlDown: USW2 });
    expect(book.moves).toEqual([]);
    expect(failovers()).toHaveLength(0);
  });

  it('503 for 10 minutes with a healthy database: approval requested, never promoted, writer stays', async () => {
    primaryRdsMock.reset();
    primaryRdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'available' }] });
    primaryRdsMock.on(DescribeEventsCommand).resolves({ Events: [] });
    await run(outage(MIN, 11 * MIN), 0, 11);
    expect(failovers()).toHaveLength(0);
    expect(book.moves).toEqual([]);
    expect(metrics).toContain('ApprovalRequested');
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(published.filter((s) => s?.startsWith('Promotion awaits approval'))).toHaveLength(1);
  });

  it('an in-region failover with RDS events visible holds the promotion and pages once', async () => {
    primaryRdsMock.reset();
    primaryRdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Status: 'failing-over' }] });
    primaryRdsMock.on(DescribeEventsCommand).resolves({
      Events: [
        {
          Message: 'Started cross AZ failover to DB instance x',
          EventCategories: ['failover'],
          Date: new Date(T0 + MIN),
        },
      ],
    });
    await run(outage(MIN, 4 * MIN), 0, 5);
    expect(failovers()).toHaveLength(0);
    expect(metrics).toContain('PromotionHeld');
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(published.filter((s) => s?.startsWith('Promotion held'))).toHaveLength(1);
  });

  it('a writer instance being recreated (its own events, the cluster reporting available) holds the promotion', async () => {
    primaryRdsMock.reset();
    primaryRdsMock.on(DescribeDBClustersCommand).resolves({
      DBClusters: [
        {
          Status: 'available',
          DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-use1-dev-1', IsClusterWriter: true }],
        },
      ],
    });
    primaryRdsMock.on(DescribeEventsCommand, { SourceType: 'db-cluster' }).resolves({ Events: [] });
    // RDS-EVENT-0020: an instance event (source type db-instance), absent from the cluster's events.
    primaryRdsMock
      .on(DescribeEventsCommand, { SourceType: 'db-instance', SourceIdentifier: 'aurora-use1-dev-1' })
      .resolves({
        Events: [
          {
            SourceType: 'db-instance',
            SourceIdentifier: 'aurora-use1-dev-1',
            Message:
              'Recovery of the DB instance has started. Recovery time will vary with the amount of data to be recovered.',
            EventCategories: ['recovery'],
            Date: new Date(T0 + MIN),
          },
        ],
      });
    await run(outage(MIN, 9 * MIN), 0, 9);
    expect(failovers()).toHaveLength(0);
    expect(metrics).toContain('PromotionHeld');
    const asked = primaryRdsMock.commandCalls(DescribeEventsCommand).map((c) => c.args[0].input.SourceType);
    expect(asked).toContain('db-instance');
  });

  it('FailoverGlobalCluster refused: dedicated metric, reason logged and recorded, approval mode; an approved retry promotes', async () => {
    rdsMock
      .on(FailoverGlobalClusterCommand)
      .rejectsOnce(Object.assign(new Error('engine versions differ'), { name: 'InvalidGlobalClusterStateFault' }));
    await run(outage(MIN, 60 * MIN), 0, 5);
    expect(metrics.filter((m) => m === 'PromotionRefused')).toHaveLength(1);
    expect(store.fences.get(GC)?.promotionRefused?.reason).toMatch(
      /InvalidGlobalClusterStateFault: engine versions differ/,
    );
    expect(logs.some((l) => l.level === 'error' && l.message === 'promotion refused')).toBe(true);
    // Consistent: traffic and the book's writer on the secondary, the database unchanged.
    expect(dials[EU_GROUP].dial).toBe(100);
    expect(dials[US_GROUP].dial).toBe(0);
    expect(book.moves.map((m) => m.to)).toEqual([EU]);
    expect(model.writer).toBe(PRIMARY);
    // No automatic retry loop: later evaluations ask an operator.
    expect(failovers()).toHaveLength(1);
    expect(metrics).toContain('ApprovalRequested');
    rdsMock.on(FailoverGlobalClusterCommand).callsFake((input) => model.begin(input.TargetDbClusterIdentifier, true));
    await handleEvent({ action: 'approve-failover' }, deps(new FakeClock(T0 + 5 * MIN + 2 * S), { book }));
    expect(failovers()).toHaveLength(2);
  });
});

describe('issue 22 item 2: planned moves keep cross-region durability; a takeover returns to it by itself', () => {
  let book: InMemoryOrderBookControl;
  beforeEach(() => {
    book = new InMemoryOrderBookControl({ region: 'us-east-1', epoch: 7, durability: 'cross-region' });
  });
  const gone = (from: number): World => outage(from, 60 * MIN, 'transport');

  it('a planned switchover moves the writer (epoch + 1) to eu-west-1 with cross-region durability, after the fence', async () => {
    await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0), { book }));
    expect(book.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'cross-region' }]);
    const steps = store.journals.get(GC)!.map((j) => j.entry.step);
    expect(steps.indexOf('fenced')).toBeLessThan(steps.indexOf('writer-moved'));
    expect(steps.indexOf('writer-moved')).toBeLessThan(steps.indexOf('switchover-requested'));
  });

  it("a planned switchover while us-east-1's replica does not answer: the writer moves with regional durability", async () => {
    book.down.add('us-east-1');
    const readable = new InMemoryOrderBookControl({ region: 'us-east-1', epoch: 7, durability: 'cross-region' });
    // The target's replica answers; only the peer's is cut.
    const control = {
      ...readable,
      answers: book.answers,
      moveWriter: readable.moveWriter,
      readWriter: readable.readWriter,
    };
    await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0), { book: control }));
    expect(readable.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'regional' }]);
  });

  it('orderDurability regional: a planned switchover moves the writer regional, and nothing raises it later', async () => {
    book = new InMemoryOrderBookControl({ region: 'us-east-1', epoch: 7, durability: 'regional' });
    const regional = { ...config, orderDurability: 'regional' as const };
    await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0), { book, config: regional }));
    await simulate(healthy, 1, 3, { config: regional, over: { book } });
    expect(book.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'regional' }]);
  });

  it('failback: the writer comes back to us-east-1 cross-region once the primary writes, before the dials', async () => {
    await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0), { book }));
    model.complete();
    changes.length = 0;
    await handleEvent({ action: 'failback' }, deps(new FakeClock(T0 + 10 * MIN), { book }));
    // The database switches back first; trading stays with traffic on eu-west-1 meanwhile.
    expect(book.moves).toHaveLength(1);
    model.complete();
    await simulate(healthy, 15, 16, { over: { book } });
    expect(book.moves).toEqual([
      { to: EU, fromEpoch: 7, durability: 'cross-region' },
      { to: 'us-east-1', fromEpoch: 8, durability: 'cross-region' },
    ]);
    const steps = store.journals.get(GC)!.map((j) => j.entry.step);
    expect(steps.lastIndexOf('writer-moved')).toBeLessThan(steps.lastIndexOf('restored'));
    expect(dials[US_GROUP].dial).toBe(100);
  });

  it('after a takeover the writer returns to cross-region by itself once the lost replica answers again, and leaves it when the region is gone again', async () => {
    const fault = 2 * MIN;
    beacon = (_v, t) => (t >= T0 + fault && t < T0 + 8 * MIN ? 'transport' : 'up');
    primaryHealth = 'UNHEALTHY';
    book.down.add('us-east-1');
    await simulateWith(gone(fault), 0, 4, { book });
    expect(book.moves).toEqual([{ to: EU, fromEpoch: 7, durability: 'regional' }]);
    // Still unreachable: nothing changes, however long it lasts.
    await simulateWith(gone(fault), 4, 6, { book });
    expect(book.moves).toHaveLength(1);
    // us-east-1 is back (its API answers 503 "fenced", its replica answers): cross-region again.
    book.down.delete('us-east-1');
    primaryHealth = 'HEALTHY';
    await simulateWith(outage(fault, 60 * MIN, 'sick'), 8, 9, { book });
    expect(book.moves.slice(1)).toEqual([{ to: EU, fromEpoch: 8, durability: 'cross-region' }]);
    expect(metrics).toContain('BookDurabilityRestored');
    // us-east-1 is lost again: the writer cannot stay cross-region with a lost peer.
    beacon = () => 'transport';
    primaryHealth = 'UNHEALTHY';
    book.down.add('us-east-1');
    await simulateWith(gone(10 * MIN), 10, 13, { book });
    expect(book.moves.slice(2)).toEqual([{ to: EU, fromEpoch: 9, durability: 'regional' }]);
  });
});

describe('a database change in flight', () => {
  const subjects = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);

  it('its own promotion in flight is waited for quietly, then paged once as stuck past the bound', async () => {
    const fault = 2 * MIN + 17 * S;
    // The promotion never completes (the model completes only when told).
    await simulate(outage(fault, 60 * MIN), 0, 10);
    expect(failovers()).toHaveLength(1);
    expect(store.fences.get(GC)?.clusterChange).toEqual({ at: failoverTimes[0], operation: 'failover' });
    expect(subjects().filter((s) => s?.includes('left a state alone'))).toEqual([]);
    expect(metrics).not.toContain('FailoverSkipped');
    expect(metrics).not.toContain('PromotionStuck');
    const waiting = logs.find(
      (l) =>
        l.message === 'gate decision' &&
        /the failover this orchestrator requested is pending/.test(JSON.stringify(l.detail)),
    );
    expect(waiting).toBeDefined();

    await simulate(outage(fault, 60 * MIN), 10, 24);
    expect(metrics.filter((m) => m === 'PromotionStuck').length).toBeGreaterThan(0);
    expect(subjects().filter((s) => s === 'Aurora promotion STUCK (dev)')).toHaveLength(1);
    const stuck = logs.find((l) => l.message === 'promotion stuck');
    expect(stuck).toBeDefined();
    // Not before the bound: the first stuck page comes at least PROMOTION_STUCK_SECONDS after the call.
    const firstStuck = logs.findIndex((l) => l.message === 'promotion stuck');
    const minutesLogged = logs.slice(0, firstStuck).filter((l) => l.message === 'gate decision').length;
    expect(minutesLogged).toBeGreaterThan(0);
    expect(JSON.stringify(stuck?.detail)).toMatch(/requested 1[5-9] min ago is still pending/);
    expect(failovers()).toHaveLength(1);
  });

  it('a failover this orchestrator did not request is reported, not waited for', async () => {
    model.begin(SECONDARY, true);
    await simulate(outage(0, 60 * MIN), 0, 5);
    expect(failovers()).toHaveLength(0);
    expect(subjects()).toContain('Failover orchestrator left a state alone (dev)');
    expect(metrics).toContain('FailoverSkipped');
  });

  it('a switchover it requested is not mistaken for a failover (and the reverse)', async () => {
    await handleEvent({ action: 'switchover' }, deps(new FakeClock(T0)));
    expect(store.fences.get(GC)?.clusterChange?.operation).toBe('switchover');
    const later = new FakeClock(T0 + 5 * MIN);
    const actions = await handleEvent({ action: 'failback' }, deps(later));
    expect(actions.actions[0]).toMatchObject({
      kind: 'none',
      reason: expect.stringMatching(/^failback waits: the switchover/),
    });
    model.failoverState = { ...model.failoverState, IsDataLossAllowed: true };
    const other = await handleEvent({ action: 'failback' }, deps(later));
    expect(other.actions[0]).toMatchObject({ kind: 'report' });
  });
});
