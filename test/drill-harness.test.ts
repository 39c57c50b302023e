/**
 * The drill's own models, tested directly: a drill is only as honest as its SQS, its
 * DynamoDB conditions, its clock and its metric definitions.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Acknowledgement } from '../scripts/drill/client';
import { evaluate, FakeTable } from '../scripts/drill/dynamodb';
import { balance, drillScenarios } from '../scripts/drill/index';
import { measure, MeasureInput } from '../scripts/drill/metrics';
import { StandardQueue } from '../scripts/drill/queue';
import type { Scenario } from '../scripts/drill/scenarios';
import { drillSettings } from '../scripts/drill/settings';
import { Simulation } from '../scripts/drill/sim';

describe('SQS standard model (the order journal)', () => {
  let now = 0;
  const journal = () => new StandardQueue('j', 'arn:j', () => now, 30_000, 5_000);
  beforeEach(() => (now = 0));

  it('keeps every send (no deduplication), delivers only after the queue delay, again after the visibility timeout, never dead-letters', () => {
    const q = journal();
    q.send('a');
    q.send('a');
    expect(q.receive(10)).toEqual([]);
    now = 5_000;
    expect(q.receive(10).map((m) => [m.body, m.receiveCount])).toEqual([
      ['a', 1],
      ['a', 1],
    ]);
    expect(q.receive(10)).toEqual([]);
    for (let i = 2; i <= 100; i++) {
      now += 30_000;
      expect(q.receive(1).map((m) => m.receiveCount)).toEqual([i]);
    }
    const [last] = q.receive(10);
    q.delete(last.receipt!);
    expect(q.messages).toHaveLength(1);
  });

  it('refuses FIFO parameters', () => {
    expect(() => journal().send('a', 'group', 'dedup')).toThrow(/FIFO queues only/);
  });
});

describe('DynamoDB model: the conditions the evidence store sends', () => {
  const values = { ':now': 100, ':owner': 'me' };
  it.each([
    ['attribute_not_exists(pk) OR leaseUntil < :now', undefined, true],
    ['attribute_not_exists(pk) OR leaseUntil < :now', { pk: 'x', leaseUntil: 50 }, true],
    ['attribute_not_exists(pk) OR leaseUntil < :now', { pk: 'x', leaseUntil: 150 }, false],
    ['#owner = :owner', { pk: 'x', owner: 'me' }, true],
    ['#owner = :owner', { pk: 'x', owner: 'you' }, false],
    ['attribute_exists(pk)', undefined, false],
  ])('%s on %j is %s', (expression, item, expected) => {
    expect(evaluate(expression, item, { '#owner': 'owner' }, values)).toBe(expected);
  });

  it('refuses expressions it does not understand instead of passing them', () => {
    expect(() => evaluate('begins_with(sk, :p)', {}, undefined, { ':p': 'a' })).toThrow(/cannot evaluate/);
  });

  it('a conditional put that fails changes nothing and raises ConditionalCheckFailedException', async () => {
    const table = new FakeTable('t');
    const h = table.handlers();
    const lease = (owner: string, until: number) => ({
      TableName: 't',
      Item: { pk: 'lease#x', sk: 'lease', owner, leaseUntil: until },
      ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
      ExpressionAttributeValues: { ':now': 10 },
    });
    await h.PutCommand(lease('a', 100));
    await expect(h.PutCommand(lease('b', 200))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect((await h.GetCommand({ TableName: 't', Key: { pk: 'lease#x', sk: 'lease' } })) as object).toEqual({
      Item: { pk: 'lease#x', sk: 'lease', owner: 'a', leaseUntil: 100 },
    });
  });
});

describe('simulated clock', () => {
  it('fires timers in time order, equal times together, and holds time while real work runs', async () => {
    const sim = new Simulation(0);
    const seen: string[] = [];
    sim.at(2000, () => seen.push(`b@${sim.now()}`));
    sim.at(1000, () =>
      sim.spawn('slow', async () => {
        await sim.track(new Promise((resolve) => setTimeout(resolve, 30)));
        seen.push(`a-done@${sim.now()}`);
      }),
    );
    sim.at(2000, () => seen.push(`c@${sim.now()}`));
    await sim.runUntil(5000);
    expect(seen).toEqual(['a-done@1000', 'b@2000', 'c@2000']);
    expect(sim.now()).toBe(5000);
  });

  it('records a background failure instead of throwing it into the scheduler', async () => {
    const sim = new Simulation(0);
    sim.at(0, () =>
      sim.spawn('broken', async () => {
        throw new Error('boom');
      }),
    );
    await sim.runUntil(1000);
    expect(String(sim.errors[0])).toMatch(/broken: Error: boom/);
  });
});

describe('drill metrics', () => {
  const settings = drillSettings('dev');
  const scenario: Scenario = {
    name: 'x',
    title: 'x',
    proves: 'x',
    faultAtSeconds: 10,
    durationSeconds: 100,
    expect: { promotions: 1, firstLiveWithinSeconds: () => 50 },
    faults: () => undefined,
  };
  const ack = (id: string, status: number, atSeconds: number, orderId?: string): Acknowledgement => ({
    clientOrderId: id,
    status,
    orderId,
    region: 'us-east-1',
    firstSentAt: atSeconds * 1000,
    at: atSeconds * 1000,
  });
  const input = (
    acks: Acknowledgement[],
    rows: { client_order_id: string; id: string; status?: string }[],
    pending?: string,
    writerMoves: MeasureInput['writerMoves'] = [],
  ): MeasureInput => ({
    scenario,
    settings,
    epoch: 0,
    end: 100_000,
    acks: [{ client: 'c', acks, attempts: [], pending }],
    rows,
    promotions: [{ at: 50_000, kind: 'failover', from: 'us-east-1', to: 'eu-west-1' }],
    rejoins: [],
    decisions: [],
    writerMoves,
    rotations: [],
    gateSeconds: 0,
    harnessErrors: [],
    crashes: [],
    awsCalls: {},
    wallMs: 0,
  });

  it('the ledger check: lost (acknowledged, missing), executed twice, and rows no client was acknowledged for', () => {
    const result = measure(
      input(
        [ack('kept', 201, 5, 'id-1'), ack('lost', 201, 9, 'id-2'), ack('twice', 201, 30, 'id-3')],
        [
          { client_order_id: 'kept', id: 'id-1' },
          { client_order_id: 'twice', id: 'id-9' },
          { client_order_id: 'stray', id: 'id-7' },
          { client_order_id: 'in-flight', id: 'id-8' },
        ],
        'in-flight',
      ),
    );
    expect(result.detail.lostIds).toEqual(['lost']);
    expect(result.detail.duplicateIds).toEqual(['twice']);
    // The order the client was still retrying at the end may be stored: not a difference.
    expect(result.detail.unacknowledgedIds).toEqual(['stray']);
    expect(result.failures).toEqual(
      expect.arrayContaining([
        'ledger: 1 acknowledged order(s) missing (lost)',
        'ledger: 1 order(s) executed twice',
        'ledger: 1 order(s) no client was acknowledged for',
      ]),
    );
  });

  it('split brain: a live acknowledgement from a region sent after the writer moved away from it fails the scenario', () => {
    const moved = [{ at: 20_000, region: 'eu-west-1', epoch: 2, durability: 'regional' }];
    const rows = ['before', 'after'].map((id) => ({ client_order_id: id, id }));
    // Sent at 19 s, answered at 21 s by us-east-1: taken before the move.
    const before = { ...ack('before', 201, 21, 'before'), sentAt: 19_000 };
    expect(measure(input([before], rows.slice(0, 1), undefined, moved)).detail.fencedAcks).toBe(0);
    const after = ack('after', 201, 22, 'after');
    const result = measure(input([before, after], rows, undefined, moved));
    expect(result.detail.fencedAcks).toBe(1);
    expect(result.failures[0]).toMatch(
      /^split brain: 1 order\(s\) acknowledged live by a region after the writer moved/,
    );
  });

  it('a refused order (4xx) fails the scenario', () => {
    const result = measure(input([ack('a', 201, 11, 'a'), ack('b', 401, 12)], [{ client_order_id: 'a', id: 'a' }]));
    expect(result.failures).toContain('1 order(s) refused with 401');
  });

  it('times from the fault, and the longest gap includes the run edges', () => {
    const rows = ['a', 'b', 'c'].map((id) => ({ client_order_id: id, id }));
    const result = measure(input([ack('a', 201, 1, 'a'), ack('b', 200, 40, 'b'), ack('c', 201, 55, 'c')], rows));
    // A replay (200) is an acknowledgement, not a new live order.
    expect(result.metrics.firstLiveSeconds).toBe(45);
    expect(result.metrics.longestGapSeconds).toBe(45);
    expect(result.failures).toEqual([]);
  });
});

describe('worker split', () => {
  it('puts every scenario in exactly one group, longest first, groups about equal', () => {
    const scenarios = drillScenarios(drillSettings('dev'));
    const groups = balance(scenarios, 2);
    expect(groups.flat().sort()).toEqual(scenarios.map((s) => s.name).sort());
    const load = (g: string[]) => g.reduce((n, name) => n + scenarios.find((s) => s.name === name)!.durationSeconds, 0);
    const longest = Math.max(...scenarios.map((s) => s.durationSeconds));
    expect(Math.abs(load(groups[0]) - load(groups[1]))).toBeLessThanOrEqual(longest);
  });
});
