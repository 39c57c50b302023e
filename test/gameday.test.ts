/**
 * `npm run gameday`: its pure parts (timeline, order outcomes, refusal, report) directly, and the
 * command against a fake FIS driver and a fake clock: it refuses a protected stack without the
 * explicit flag (nothing started), stops the experiment on Ctrl-C, and writes a run the plan
 * reads back, printing measured values beside the model's p50/p99.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseGameDayResults } from '../lib/model/game-day-results';
import { EXIT, gameday, GameDayIo, orderSender } from '../scripts/gameday';
import { validateOrder } from '../lambda/trading/order';
import type { ExperimentDriver } from '../scripts/gameday/fis';
import { fisDriver } from '../scripts/gameday/fis';
import { ACCEPT_PROTECTED_FLAG, refusal } from '../scripts/gameday/guard';
import { appendRun, comparison, gameDayRun } from '../scripts/gameday/report';
import { OrderOutcome, orderEvents, TimelineRecorder } from '../scripts/gameday/timeline';
import { stackConfig } from '../scripts/stack-files';
import { rtoDistribution } from '../lib/model/rto-model';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { FIRST_LIVE_ORDER_PATH } from '../lib/model/rto';
import type { FailoverStatus } from '../lambda/orchestrator/failover-status';
import { PlatformReading, PlatformWatcher } from '../scripts/gameday/watch';
import { type DnsIo, zoneNameServers, zoneResolver } from '../scripts/gameday/traffic-reads';
import { gameDayTable, rtoBasis } from '../scripts/gameday/game-day-docs';
import { StackOutputsError } from '../scripts/stack-outputs';

const T0 = Date.parse('2026-12-05T10:00:00Z');

describe('the timeline recorder', () => {
  it('stamps each event once with the injected clock, gate votes each time', () => {
    let now = T0;
    const t = new TimelineRecorder(() => new Date(now));
    expect(t.record('fault-start')).toBe(true);
    now += 5000;
    expect(t.record('fault-start')).toBe(false);
    t.record('gate-vote', 'eu-west-1 down');
    now += 1000;
    t.record('gate-vote', 'us-west-2 down');
    expect(t.entries()).toEqual([
      { at: '2026-12-05T10:00:00.000Z', event: 'fault-start' },
      { at: '2026-12-05T10:00:05.000Z', event: 'gate-vote', detail: 'eu-west-1 down' },
      { at: '2026-12-05T10:00:06.000Z', event: 'gate-vote', detail: 'us-west-2 down' },
    ]);
  });

  it("reads an order's outcome: failed (5xx, unreachable), live in the secondary (2xx from there), else nothing", () => {
    const answered = (status: number, region?: string): OrderOutcome => ({ kind: 'answered', status, region });
    expect(orderEvents(answered(503, 'us-east-1'), 'eu-west-1')).toEqual(['first-failed-order']);
    expect(orderEvents({ kind: 'unreachable', error: 'ETIMEDOUT' }, 'eu-west-1')).toEqual(['first-failed-order']);
    expect(orderEvents(answered(201, 'eu-west-1'), 'eu-west-1')).toEqual(['first-live-order-secondary']);
    expect(orderEvents(answered(202, 'eu-west-1'), 'eu-west-1')).toEqual(['first-live-order-secondary']);
    expect(orderEvents(answered(201, 'us-east-1'), 'eu-west-1')).toEqual([]);
    expect(orderEvents(answered(400, 'eu-west-1'), 'eu-west-1')).toEqual([]);
  });
});

describe('the refusal', () => {
  it('a protected stack only with the explicit flag; a stack without templates never', () => {
    const protectedStack = { dataProtection: 'protected', gameDays: 'enabled' } as const;
    expect(refusal('prod', protectedStack, false)).toMatch(/dataProtection: protected.*--i-accept-protected/);
    expect(refusal('prod', protectedStack, true)).toBeUndefined();
    expect(refusal('dev', { dataProtection: 'ephemeral', gameDays: 'disabled' }, true)).toMatch(/gameDays: disabled/);
    expect(refusal('dev', { dataProtection: 'ephemeral', gameDays: 'enabled' }, false)).toBeUndefined();
  });
});

describe('the report', () => {
  const entries = [
    { at: '2026-12-05T10:00:00.000Z', event: 'fault-start' as const },
    { at: '2026-12-05T10:00:12.000Z', event: 'first-failed-order' as const },
    { at: '2026-12-05T10:00:31.000Z', event: 'decision' as const },
    { at: '2026-12-05T10:00:47.000Z', event: 'first-live-order-secondary' as const },
    { at: '2026-12-05T10:01:00.000Z', event: 'promotion-started' as const },
    { at: '2026-12-05T10:06:00.000Z', event: 'promotion-complete' as const },
  ];
  const run = gameDayRun({
    experiment: 'app-unreachable',
    source: 'aws',
    experimentId: 'EXP1',
    startedAt: '2026-12-05T10:00:00.000Z',
    finishedAt: '2026-12-05T10:10:00.000Z',
    outcome: 'completed',
    timeline: entries,
  });
  const settings = {
    albHealthCheckIntervalSeconds: 10,
    albHealthCheckTimeoutSeconds: 5,
    albUnhealthyThreshold: 2,
    acceleratorReactionSeconds: 30,
    route53HealthCheckIntervalSeconds: 10,
    route53FailureThreshold: 2,
    dnsTtlSeconds: 10,
    failoverProbeIntervalSeconds: 10,
    failoverRecoveryWindowSeconds: 90,
    failoverFastWindowSeconds: 20,
    dbPromotionEstimateSeconds: 120,
    rtoTargetSeconds: 60,
  };
  const model = rtoDistribution(rtoInputsFromSettings(settings));

  it('measures the spans of its timeline and appends to the stack file', () => {
    expect(run.measured).toEqual({ promotionSeconds: 300 });
    const once = appendRun(undefined, 'dev', run);
    expect(appendRun(once, 'dev', run).runs).toHaveLength(2);
    expect(parseGameDayResults(JSON.stringify(once), 'x.json', 'dev').runs[0]).toEqual(run);
  });

  it('prints each measured milestone beside the model p50/p99, with a verdict', () => {
    const lines = comparison(run, model, 120);
    const live = model.paths.find((x) => x.name === FIRST_LIVE_ORDER_PATH)!;
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `first live order in the secondary\\s+47 s\\s+${live.p50} s\\s+${live.p99} s\\s+${47 <= live.p99 ? 'within p99' : 'OVER p99'}`,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/traffic through Route 53\s+-\s+[\d.]+ s\s+[\d.]+ s\s+not seen/),
    );
    // Against a 120 s median the model input's p99 is 120 x e^(2.326 x 0.4) = 304.3 s: 300 s is within, 310 s over.
    expect(lines).toContainEqual(
      expect.stringMatching(/Aurora promotion alone \(model input\)\s+300 s\s+120 s\s+304.3 s\s+within p99/),
    );
    expect(comparison({ ...run, measured: { promotionSeconds: 310 } }, model, 120).at(-1)).toMatch(/OVER p99$/);
  });
});

describe('the FIS driver', () => {
  it('finds the template by its Name tag across pages, starts it with tags, reads its state, stops it', async () => {
    const sent: { name: string; input: any }[] = [];
    const driver = fisDriver((async (command: any) => {
      sent.push({ name: command.constructor.name, input: command.input });
      switch (command.constructor.name) {
        case 'ListExperimentTemplatesCommand':
          return command.input.nextToken
            ? { experimentTemplates: [{ id: 'EXT2', tags: { Name: 'fis-az-lost-use1-dev' } }] }
            : {
                experimentTemplates: [{ id: 'EXT1', tags: { Name: 'fis-app-unreachable-use1-dev' } }],
                nextToken: 'p2',
              };
        case 'StartExperimentCommand':
          return { experiment: { id: 'EXP9' } };
        case 'GetExperimentCommand':
          return { experiment: { state: { status: 'running' } } };
        default:
          return {};
      }
    }) as never);
    expect(await driver.start('fis-az-lost-use1-dev', { GameDay: 'az-lost' })).toBe('EXP9');
    expect(sent.find((c) => c.name === 'StartExperimentCommand')!.input).toMatchObject({
      experimentTemplateId: 'EXT2',
      tags: { GameDay: 'az-lost' },
    });
    expect(await driver.state('EXP9')).toEqual({ status: 'running', reason: undefined });
    await driver.stop('EXP9');
    expect(sent.at(-1)).toEqual({ name: 'StopExperimentCommand', input: { id: 'EXP9' } });
  });
});

/** A fake world: FIS states in order, order outcomes by number, a clock that sleeping advances. */
function world(states: string[], orders: (n: number) => OrderOutcome) {
  let now = T0;
  const calls: string[] = [];
  let interrupt: (() => void) | undefined;
  const out: string[] = [];
  const err: string[] = [];
  const driver: ExperimentDriver = {
    start: async (name) => {
      calls.push(`start ${name}`);
      return 'EXP1';
    },
    state: async () => ({ status: states.length > 1 ? states.shift()! : states[0] }),
    stop: async (id) => {
      calls.push(`stop ${id}`);
    },
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-'));
  const io: GameDayIo = {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    env: {},
    driver: () => driver,
    sendOrder: async (_url, n) => orders(n),
    now: () => new Date(now),
    sleep: async (ms) => {
      now += Math.max(ms, 1);
    },
    onInterrupt: (h) => {
      interrupt = h;
      return () => (interrupt = undefined);
    },
    stackConfig: (stack) => stackConfig(stack, { gameDays: 'enabled' }),
  };
  return { io, calls, out, err, dir, interrupt: () => interrupt?.(), file: path.join(dir, 'dev.json') };
}

describe('npm run gameday', () => {
  it('refuses a protected stack without the explicit flag, before starting anything', async () => {
    const w = world(['completed'], () => ({ kind: 'answered', status: 201, region: 'us-east-1' }));
    const code = await gameday(['--stack', 'prod', '--experiment', 'az-lost', '--out', w.file], w.io);
    expect(code).toBe(EXIT.refused);
    expect(w.err.join('\n')).toMatch(/dataProtection: protected/);
    expect(w.calls).toEqual([]);
    expect(fs.existsSync(w.file)).toBe(false);
    // The flag lets it through to the experiment.
    const accepted = await gameday(
      ['--stack', 'prod', '--experiment', 'az-lost', '--out', w.file, ACCEPT_PROTECTED_FLAG, '--rate', '0'],
      w.io,
    );
    expect(accepted).toBe(EXIT.ok);
    expect(w.calls).toEqual(['start fis-az-lost-use1-prod']);
  });

  it('runs the experiment with orders through it, writes the run the plan reads back, prints measured vs model', async () => {
    const w = world(['initiating', 'running', 'running', 'running', 'completed'], (n) =>
      n < 3
        ? { kind: 'answered', status: 201, region: 'us-east-1' }
        : n < 6
          ? { kind: 'unreachable', error: 'ETIMEDOUT' }
          : { kind: 'answered', status: 201, region: 'eu-west-1' },
    );
    const code = await gameday(
      ['--stack', 'dev', '--experiment', 'app-unreachable', '--out', w.file, '--rate', '1', '--poll-seconds', '5'],
      w.io,
    );
    expect(code).toBe(EXIT.ok);
    expect(w.calls).toEqual(['start fis-app-unreachable-use1-dev']);
    const results = parseGameDayResults(fs.readFileSync(w.file, 'utf8'), 'dev.json', 'dev');
    const run = results.runs[0];
    expect(run).toMatchObject({
      experiment: 'app-unreachable',
      source: 'aws',
      experimentId: 'EXP1',
      outcome: 'completed',
    });
    // The health-check settings its spans depend on, as the stack has them (Pulumi.yaml's dev values).
    expect(run.settings).toEqual({
      albHealthCheckIntervalSeconds: 5,
      albHealthCheckTimeoutSeconds: 3,
      albUnhealthyThreshold: 2,
      route53HealthCheckIntervalSeconds: 10,
      route53FailureThreshold: 2,
    });
    expect(run.timeline.map((e) => e.event)).toEqual([
      'fault-start',
      'first-failed-order',
      'first-live-order-secondary',
      'recovery',
      'fault-stop',
    ]);
    // Order 3 (2 s after the start at one a second) failed first; order 6 was the first live one in eu-west-1.
    const at = (event: string) => Date.parse(run.timeline.find((e) => e.event === event)!.at) - T0;
    expect(at('first-failed-order')).toBe(2000);
    expect(at('first-live-order-secondary')).toBe(5000);
    expect(w.out.join('\n')).toMatch(/first live order in the secondary\s+5 s\s+[\d.]+ s\s+[\d.]+ s\s+within p99/);
    expect(w.out.join('\n')).toMatch(/Wrote run 1 of stack dev/);
  });

  it('Ctrl-C stops the experiment (StopExperiment) and records the run as stopped', async () => {
    const states = ['running', 'running', 'running', 'stopping', 'stopped'];
    const w = world(states, () => ({ kind: 'answered', status: 201, region: 'us-east-1' }));
    const orders = w.io.sendOrder;
    const io: GameDayIo = {
      ...w.io,
      // The operator presses Ctrl-C while the third order is in flight.
      sendOrder: async (url, n) => {
        if (n === 3) w.interrupt();
        return orders(url, n);
      },
    };
    const code = await gameday(['--stack', 'dev', '--experiment', 'az-lost', '--out', w.file], io);
    expect(code).toBe(EXIT.failed);
    expect(w.calls).toEqual(['start fis-az-lost-use1-dev', 'stop EXP1']);
    const run = parseGameDayResults(fs.readFileSync(w.file, 'utf8'), 'dev.json', 'dev').runs[0];
    expect(run.outcome).toBe('stopped');
    expect(run.timeline.find((e) => e.event === 'fault-stop')!.detail).toMatch(/Ctrl-C/);
  });

  it('bad arguments: usage, exit 64, nothing started', async () => {
    const w = world(['completed'], () => ({ kind: 'unreachable', error: 'x' }));
    expect(await gameday(['--stack', 'dev', '--experiment', 'meteor'], w.io)).toBe(EXIT.usage);
    expect(await gameday(['--experiment', 'az-lost'], w.io)).toBe(EXIT.usage);
    expect(await gameday(['--stack', 'dev', '--experiment', 'az-lost', '--rate', 'fast'], w.io)).toBe(EXIT.usage);
    expect(w.err.join('\n')).toMatch(/--experiment must be one of app-unreachable/);
    expect(w.calls).toEqual([]);
  });
});

describe('the watchers', () => {
  const vote = (source: string, v: 'up' | 'down' | 'abstain', gone = false) => ({
    source,
    vote: v,
    gone,
    reason: `${source} ${v}`,
    evidence: [],
  });
  const writer = (region: string, epoch: number) => ({
    region,
    writer: { ok: true as const, value: { region, epoch, durability: 'regional' as const } },
  });
  type Cluster = FailoverStatus['cluster'];
  /** A reading of the platform at `at` ms: the canaries' votes, the book's writers, the cluster, the lags. */
  const reading = (
    at: number,
    votes: ReturnType<typeof vote>[],
    writers: ReturnType<typeof writer>[],
    cluster: Cluster,
    lags: PlatformReading['lags'] = [],
    gate: { regionGone?: boolean; open?: boolean } = {},
  ): PlatformReading => ({
    status: {
      at,
      bookWriters: writers,
      cluster,
      fence: { ok: true, value: undefined },
      gate: {
        kind: 'verdict',
        gate: {
          open: gate.open ?? false,
          reason: 'window',
          regionGone: gate.regionGone ?? false,
          goneReason: 'canaries agree',
          downVotes: 0,
          upVotes: 0,
          votes,
          corroboration: [],
        },
      },
      dials: [],
    },
    lags,
  });
  const setup = { secondaryRegion: 'eu-west-1', appliers: { 'eu-west-1': 'fn-euw1' }, caughtUpMs: 60_000 };
  const primary: Cluster = { kind: 'primary-writer' };
  const lag = (at: number, ms: number) => ({
    label: 'ledger behind the book (fn-euw1 IteratorAge)',
    region: 'eu-west-1',
    worstMs: ms,
    latest: { at, ms },
  });

  it('records a vote when it changes (the first poll is the baseline), the decision, and the fence once the epoch rises', () => {
    const w = new PlatformWatcher(setup);
    const up = [vote('eu-west-1', 'up'), vote('us-west-2', 'up')];
    expect(w.observe(reading(0, up, [writer('us-east-1', 1)], primary))).toEqual([]);
    expect(w.observe(reading(5000, up, [writer('us-east-1', 1)], primary))).toEqual([]);
    const gone = [vote('eu-west-1', 'abstain', true), vote('us-west-2', 'up')];
    expect(w.observe(reading(10_000, gone, [writer('us-east-1', 1)], primary))).toEqual([
      { event: 'gate-vote', detail: 'eu-west-1: abstain, region gone (eu-west-1 abstain)' },
    ]);
    const both = [vote('eu-west-1', 'abstain', true), vote('us-west-2', 'abstain', true)];
    expect(
      w.observe(
        reading(15_000, both, [writer('us-east-1', 1), writer('eu-west-1', 2)], primary, [], { regionGone: true }),
      ),
    ).toEqual([
      { event: 'gate-vote', detail: 'us-west-2: abstain, region gone (us-west-2 abstain)' },
      { event: 'decision', detail: 'region gone (fast path): canaries agree' },
      { event: 'fence', detail: 'book writer to eu-west-1, epoch 2, regional durability' },
    ]);
    // A first poll that already sees a canary down records it.
    expect(new PlatformWatcher(setup).observe(reading(0, [vote('eu-west-1', 'down')], [], primary))).toEqual([
      { event: 'gate-vote', detail: 'eu-west-1: down (eu-west-1 down)' },
    ]);
  });

  it('times the promotion from the global cluster leaving "primary writes" to the secondary writing; a failed read is not a promotion', () => {
    const w = new PlatformWatcher(setup);
    const events = (at: number, cluster: Cluster, lags: PlatformReading['lags'] = []) =>
      w.observe(reading(at, [], [], cluster, lags)).map((e) => e.event);
    expect(events(0, primary)).toEqual([]);
    expect(events(5000, { kind: 'not-understood', reason: 'DescribeGlobalClusters failed: ETIMEDOUT' })).toEqual([]);
    expect(events(7000, { kind: 'not-understood', reason: 'no member is the writer' })).toEqual([]);
    const inFlight: Cluster = {
      kind: 'in-flight',
      operation: 'failover',
      status: 'failing-over',
      toClusterArn: 'arn:aws:rds:eu-west-1:1:cluster:aurora-euw1-dev',
      reason: 'a failover is failing-over (use1 -> euw1)',
    };
    expect(events(10_000, inFlight)).toEqual(['promotion-started']);
    expect(events(15_000, inFlight)).toEqual([]);
    // The ledger is watched after the promotion only, on a minute that began after it, under the alarm's bound.
    expect(events(300_000, { kind: 'secondary-writer' }, [lag(240_000, 0)])).toEqual(['promotion-complete']);
    expect(events(330_000, { kind: 'secondary-writer' }, [lag(300_000, 90_000)])).toEqual([]);
    expect(events(390_000, { kind: 'secondary-writer' }, [lag(360_000, 800)])).toEqual(['ledger-caught-up']);
    expect(events(400_000, { kind: 'secondary-writer' }, [lag(360_000, 800)])).toEqual([]);
  });

  it('does not call a cluster that never was the primary writer a promotion', () => {
    const w = new PlatformWatcher(setup);
    expect(w.observe(reading(0, [], [], { kind: 'secondary-writer' }))).toEqual([]);
  });

  it('the command records what the watchers see at each poll, and refuses to start when the stack cannot be read', async () => {
    const w = world(['running', 'running', 'running', 'completed'], () => ({
      kind: 'answered',
      status: 201,
      region: 'us-east-1',
    }));
    const polls = [
      reading(0, [vote('eu-west-1', 'up')], [writer('us-east-1', 1)], primary),
      reading(5000, [vote('eu-west-1', 'down', true)], [writer('eu-west-1', 2)], primary, [], { regionGone: true }),
    ];
    const base: GameDayIo = {
      ...w.io,
      platform: () => {
        let n = 0;
        return { appliers: {}, read: async () => polls[Math.min(polls.length - 1, n++)] };
      },
    };
    const argv = ['--stack', 'dev', '--experiment', 'app-unreachable', '--out', w.file, '--rate', '0'];
    expect(await gameday(argv, base)).toBe(EXIT.ok);
    const run = parseGameDayResults(fs.readFileSync(w.file, 'utf8'), 'dev.json', 'dev').runs[0];
    expect(run.timeline.map((e) => e.event)).toEqual(['fault-start', 'gate-vote', 'decision', 'fence', 'fault-stop']);

    w.calls.length = 0;
    const unreadable: GameDayIo = {
      ...base,
      platform: () => {
        throw new StackOutputsError('the stack outputs lack what this command reads: failoverOrchestratorEnvironment');
      },
    };
    expect(await gameday(argv, unreadable)).toBe(EXIT.refused);
    expect(w.calls).toEqual([]);
    expect(w.err).toEqual([
      'Refused: the watchers cannot read the stack: the stack outputs lack what this command reads: failoverOrchestratorEnvironment',
    ]);
  });

  it('keeps watching after the experiment ends (--observe-seconds), so a late decision is on the timeline', async () => {
    const late = async (observe: string) => {
      const w = world(['running', 'completed'], () => ({ kind: 'answered', status: 201, region: 'us-east-1' }));
      let reads = 0;
      const io: GameDayIo = {
        ...w.io,
        // The gate decides on the fourth read, 15 s in: after the experiment completed (second read).
        platform: () => ({
          appliers: {},
          read: async () => reading(reads * 5000, [vote('eu-west-1', 'up')], [], primary, [], { open: ++reads >= 4 }),
        }),
      };
      const file = w.file;
      const argv = ['--stack', 'dev', '--experiment', 'db-failover-in-region', '--out', file, '--rate', '0'];
      expect(await gameday([...argv, '--observe-seconds', observe], io)).toBe(EXIT.ok);
      const run = parseGameDayResults(fs.readFileSync(file, 'utf8'), 'dev.json', 'dev').runs[0];
      return { events: run.timeline.map((e) => e.event), seconds: (Date.parse(run.finishedAt) - T0) / 1000 };
    };
    expect(await late('0')).toEqual({ events: ['fault-start', 'fault-stop'], seconds: 5 });
    expect(await late('30')).toEqual({ events: ['fault-start', 'fault-stop', 'decision'], seconds: 35 });
  });

  describe('the traffic watchers', () => {
    type Dial = FailoverStatus['dials'][number];
    const group = (g: 'primary' | 'secondary', dial: number, health: string): Dial => ({
      ok: true,
      value: {
        group: g,
        endpointGroupArn: `arn:aws:globalaccelerator::1:accelerator/a/listener/l/endpoint-group/${g}`,
        trafficDialPercentage: dial,
        endpoints: [{ id: `alb-${g}`, health }],
      },
    });
    const checkers = (healthy: number, of = 15) => ({ kind: 'read' as const, healthyCheckers: healthy, checkers: of });
    const answers = (secondary: boolean) => ({
      kind: 'read' as const,
      answersSecondary: secondary,
      detail: secondary ? 'answers alb-euw1 (the secondary)' : 'answers alb-use1',
    });
    const poll = (at: number, dials: Dial[], traffic: PlatformReading['traffic'] = {}): PlatformReading => {
      const r = reading(at, [], [], primary);
      return { ...r, status: { ...r.status, dials }, traffic };
    };
    const healthy = [group('primary', 100, 'HEALTHY'), group('secondary', 0, 'HEALTHY')];
    const resolver = "the zone's name servers (ns-1.awsdns-01.org)";

    it("records the accelerator's health verdict, the shift (health or dial), Route 53's verdict and the record's answer, each once", () => {
      const w = new PlatformWatcher(setup);
      const fine = { route53: checkers(15), record: answers(false), resolver };
      expect(w.observe(poll(0, healthy, fine))).toEqual([]);
      // The orchestrator's fence moved the dial before the accelerator's health said anything: shifted, not unhealthy.
      const dialed = [group('primary', 0, 'HEALTHY'), group('secondary', 100, 'HEALTHY')];
      expect(w.observe(poll(5000, dialed, fine))).toEqual([
        { event: 'accelerator-shifted', detail: 'primary traffic dial 0' },
      ]);
      // Route 53's 18 % rule: 3 of 15 healthy (20 %) is still up; 2 of 15 (13 %) is down.
      expect(w.observe(poll(10_000, dialed, { ...fine, route53: checkers(3) }))).toEqual([]);
      const down = [group('primary', 0, 'UNHEALTHY'), group('secondary', 100, 'HEALTHY')];
      expect(w.observe(poll(15_000, down, { route53: checkers(2), record: answers(true), resolver }))).toEqual([
        { event: 'accelerator-unhealthy', detail: 'DescribeEndpointGroup: all 1 primary endpoint(s) UNHEALTHY' },
        { event: 'route53-unhealthy', detail: 'GetHealthCheckStatus: 2 of 15 checkers see the primary healthy' },
        {
          event: 'dns-answers-secondary',
          detail: `answers alb-euw1 (the secondary) from ${resolver}`,
        },
      ]);
      expect(w.observe(poll(20_000, down, { route53: checkers(0), record: answers(true), resolver }))).toEqual([]);
    });

    it('unreadable is not unhealthy; a verdict first read after an unreadable poll says it may be older', () => {
      const w = new PlatformWatcher(setup);
      const lost: Dial = { ok: false, error: 'connect ETIMEDOUT' };
      const gone = { kind: 'unreadable' as const, reason: 'connect ETIMEDOUT' };
      expect(w.observe(poll(0, healthy, { route53: checkers(15) }))).toEqual([]);
      expect(w.observe(poll(5000, [lost], { route53: gone, record: gone }))).toEqual([]);
      // Too few fresh checkers is no verdict either (route53Verdict: unknown).
      expect(w.observe(poll(10_000, [lost], { route53: checkers(0, 2) }))).toEqual([]);
      expect(w.observe(poll(15_000, [group('primary', 100, 'UNHEALTHY')], { route53: checkers(0) }))).toEqual([
        {
          event: 'accelerator-unhealthy',
          detail:
            'DescribeEndpointGroup: all 1 primary endpoint(s) UNHEALTHY; unreadable at the previous poll, so it may have held earlier',
        },
        {
          event: 'accelerator-shifted',
          detail: 'all 1 primary endpoint(s) UNHEALTHY; unreadable at the previous poll, so it may have held earlier',
        },
        {
          event: 'route53-unhealthy',
          detail:
            'GetHealthCheckStatus: 0 of 15 checkers see the primary healthy; unreadable at the previous poll, so it may have held earlier',
        },
      ]);
    });

    it("asks the zone's own name servers for the failover record; falls back to the system resolver and says so", async () => {
      const asked: (readonly string[])[] = [];
      const io = (known: Record<string, string[]>): DnsIo => ({
        addresses: async (host) => {
          if (!known[host]) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
          return known[host];
        },
        resolver: (servers) => {
          asked.push(servers);
          return { resolveCname: async () => ['alb-euw1.eu-west-1.elb.amazonaws.com'] };
        },
      });
      const ns = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'];
      const zone = zoneResolver(ns, io({ 'ns-1.awsdns-01.org': ['205.251.192.1'] }));
      expect(await zone.resolveCname('api.dev.example.com')).toEqual(['alb-euw1.eu-west-1.elb.amazonaws.com']);
      expect(asked).toEqual([['205.251.192.1']]);
      expect(zone.describe()).toBe("the zone's name servers (ns-1.awsdns-01.org, ns-2.awsdns-02.com)");
      const none = zoneResolver(ns, io({}));
      await none.resolveCname('api.dev.example.com');
      expect(asked.at(-1)).toEqual([]);
      expect(none.describe()).toMatch(
        /^the system resolver \(no name server of the zone resolved\): answers may be cached/,
      );
      expect(zoneNameServers({ hostedZoneNameServers: ns })).toEqual(ns);
      expect(zoneNameServers({})).toEqual([]);
    });

    it('a condition that already holds at the first poll is never recorded: it held before the fault', () => {
      const w = new PlatformWatcher(setup);
      const down = [group('primary', 0, 'UNHEALTHY')];
      expect(w.observe(poll(0, down, { route53: checkers(0), record: answers(true) }))).toEqual([]);
      expect(w.observe(poll(5000, down, { route53: checkers(0), record: answers(true) }))).toEqual([]);
    });
  });

  it('a live order after a failed one is the recovery, in whichever region', () => {
    expect(orderEvents({ kind: 'answered', status: 201, region: 'us-east-1' }, 'eu-west-1', true)).toEqual([
      'recovery',
    ]);
    expect(orderEvents({ kind: 'answered', status: 201, region: 'eu-west-1' }, 'eu-west-1', true)).toEqual([
      'first-live-order-secondary',
      'recovery',
    ]);
    expect(orderEvents({ kind: 'answered', status: 503 }, 'eu-west-1', true)).toEqual(['first-failed-order']);
  });
});

describe("the command's orders", () => {
  it('are orders the API accepts (its own validation), signed, and read back with the answering region', async () => {
    const sent: { url: string; headers: Headers; body: unknown }[] = [];
    const send = orderSender({ TAP_CLIENT_ID: 'desk-1', TAP_CLIENT_KEY: 'k'.repeat(40) }, (async (input, init) => {
      sent.push({ url: String(input), headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify({ region: 'eu-west-1' }), { status: 201 });
    }) as typeof fetch);
    const outcome = await send('https://api.dev.example.com', 7);
    expect(outcome).toEqual({
      kind: 'answered',
      status: 201,
      region: 'eu-west-1',
      clientOrderId: expect.stringMatching(/^gameday-\d+-7$/),
    });
    // The outcome names the order it sent: a ledger row is told to its answer by that id.
    expect(outcome.clientOrderId).toBe((sent[0].body as { clientOrderId: string }).clientOrderId);
    expect(sent[0].url).toBe('https://api.dev.example.com/orders');
    expect(sent[0].headers.get('authorization')).toBeTruthy();
    expect(validateOrder(sent[0].body)).toMatchObject({ ok: true });
    expect(await orderSender({})('https://api.dev.example.com', 1)).toMatchObject({ kind: 'unreachable' });
  });
});

describe('what the docs say about game days', () => {
  it("the README's RTO basis says estimates until a results file calibrates an input, and says when runs were offline", () => {
    expect(rtoBasis('dev', { calibration: {} })).toMatch(/^estimates: no game day has measured the dev stack/);
    const basis = rtoBasis('dev', {
      file: 'gameday/dev.json',
      calibration: { promotionSeconds: { values: [300], dates: ['2026-12-05'], offline: true } },
    });
    expect(basis).toBe(
      'calibrated by game days (gameday/dev.json): Aurora cross-region promotion (1 run, 2026-12-05); offline runs included, which are drill fakes, not AWS measurements; every other input is an estimate',
    );
  });

  it("the runbook's table prices each experiment from its template's actions ($0.10 per action-minute)", () => {
    const table = gameDayTable();
    expect(table).toMatch(/\| `app-unreachable` \|.*\| 2 actions x 10 minutes: about \$2\.00 a run \|/);
    expect(table).toMatch(/\| `cross-region-lost` \|.*\| 3 actions x 10 minutes: about \$3\.00 a run \|/);
    expect(table).toMatch(/\| `db-failover-in-region` \|.*\| 1 action x under 1 minute: about \$0\.10 a run \|/);
    expect(table).toMatch(/\| `az-lost` \|.*closest fault the drill has/);
  });
});
