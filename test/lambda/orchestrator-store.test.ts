/**
 * The evidence store's contract, run against both implementations: DynamoDB (on dynalite, a local
 * implementation of DynamoDB's API that evaluates condition expressions) and the in-memory store
 * the orchestrator tests and the offline drill use. Passing both is what makes the fake faithful.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ProbeRecord } from '../../lambda/orchestrator/gate';
import { InMemoryEvidenceStore } from '../../lambda/orchestrator/memory-store';
import {
  DynamoEvidenceStore,
  EvidenceStore,
  FenceRecord,
  JOURNAL_RETENTION_MS,
  PROBE_RETENTION_MS,
} from '../../lambda/orchestrator/store';
import { useLocalDynamoDB } from '../helpers/local-dynamodb';

const T0 = Date.UTC(2030, 0, 1);
const TABLE = 'ddb-failover-evidence-dev';

const client = useLocalDynamoDB('eu-west-1');

let tables = 0;
async function dynamoStore(): Promise<EvidenceStore> {
  const name = `${TABLE}-${++tables}`;
  // The table the infra creates: pk/sk strings, on-demand.
  await client().send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
  return new DynamoEvidenceStore(
    DynamoDBDocumentClient.from(client(), { marshallOptions: { removeUndefinedValues: true } }),
    name,
  );
}

const implementations: [string, () => Promise<EvidenceStore>][] = [
  ['DynamoDB (dynalite)', dynamoStore],
  ['in memory', async () => new InMemoryEvidenceStore()],
];

const probe = (
  vantage: string,
  t: number,
  layer: ProbeRecord['layer'] = 'sick',
  target: ProbeRecord['target'] = 'primary',
): ProbeRecord => ({
  vantage,
  target,
  startedAt: T0 + t,
  layer,
  detail: layer === 'up' ? 'HTTP 200' : 'HTTP 503',
});

describe.each(implementations)('evidence store: %s', (_name, make) => {
  let store: EvidenceStore;
  beforeEach(async () => {
    store = await make();
  });

  it('returns only probes of the target started after `since`, oldest first, from every vantage', async () => {
    await store.recordProbe('us-east-1', probe('us-west-2', 20_000));
    await store.recordProbe('us-east-1', probe('eu-west-1', 10_000));
    await store.recordProbe('us-east-1', probe('eu-west-1', 30_000, 'up'));
    await store.recordProbe('us-east-1', probe('eu-west-1', 5_000));
    await store.recordProbe('eu-west-1', probe('us-west-2', 25_000));
    const got = await store.probesSince('us-east-1', T0 + 5_000);
    expect(got).toEqual([probe('eu-west-1', 10_000), probe('us-west-2', 20_000), probe('eu-west-1', 30_000, 'up')]);
  });

  it('issue 23: a canary stores its primary, control and beacon probes of one instant side by side, each with its layer', async () => {
    const three = [
      probe('eu-west-1', 10_000, 'transport', 'primary'),
      probe('eu-west-1', 10_000, 'up', 'control'),
      probe('eu-west-1', 10_000, 'transport', 'beacon'),
    ];
    for (const p of three) await store.recordProbe('us-east-1', p);
    const got = await store.probesSince('us-east-1', T0);
    expect(got).toHaveLength(3);
    expect(got).toEqual(expect.arrayContaining(three));
  });

  it('issue 23: a refused promotion is recorded on the fence record, with its reason', async () => {
    await store.createFence('g', { fencedAt: T0, reason: 'region gone', changes: [] });
    await store.markPromotionRefused('g', T0 + 5_000, 'InvalidGlobalClusterStateFault: versions differ');
    expect(await store.getFence('g')).toEqual({
      fencedAt: T0,
      reason: 'region gone',
      changes: [],
      promotionRefused: { at: T0 + 5_000, reason: 'InvalidGlobalClusterStateFault: versions differ' },
    });
    await expect(store.markPromotionRefused('absent', T0, 'x')).rejects.toThrow();
  });

  it('issue 23: a database change AWS accepted is recorded on the fence record, which must exist', async () => {
    await store.createFence('g', { fencedAt: T0, reason: 'region gone', changes: [] });
    await store.markClusterChange('g', T0 + 7_000, 'failover');
    expect((await store.getFence('g'))?.clusterChange).toEqual({ at: T0 + 7_000, operation: 'failover' });
    await expect(store.markClusterChange('absent', T0, 'switchover')).rejects.toThrow();
  });

  it('the same probe written twice is stored once', async () => {
    await store.recordProbe('us-east-1', probe('eu-west-1', 10_000));
    await store.recordProbe('us-east-1', probe('eu-west-1', 10_000));
    expect(await store.probesSince('us-east-1', T0)).toHaveLength(1);
  });

  it('a lease is held by one owner until it expires; only its owner releases it', async () => {
    expect(await store.acquireLease('promotion#g', 'a', T0, 180_000)).toBe(true);
    expect(await store.acquireLease('promotion#g', 'b', T0 + 179_999, 180_000)).toBe(false);
    await store.releaseLease('promotion#g', 'b');
    expect(await store.acquireLease('promotion#g', 'b', T0 + 180_000, 180_000)).toBe(false);
    expect(await store.acquireLease('promotion#g', 'b', T0 + 180_001, 180_000)).toBe(true);
    await store.releaseLease('promotion#g', 'b');
    expect(await store.acquireLease('promotion#g', 'c', T0 + 180_002, 180_000)).toBe(true);
    expect(await store.acquireLease('promotion#other', 'd', T0 + 180_002, 180_000)).toBe(true);
  });

  it('racing acquirers: exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.acquireLease('promotion#g', `owner-${i}`, T0, 180_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('claimOnce: one claimer per period', async () => {
    const claims = await Promise.all([1, 2, 3].map(() => store.claimOnce('g#approval', T0, 3600_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimOnce('g#approval', T0 + 3600_000, 3600_000)).toBe(false);
    expect(await store.claimOnce('g#approval', T0 + 3600_001, 3600_000)).toBe(true);
    expect(await store.claimOnce('g#other', T0 + 3600_001, 3600_000)).toBe(true);
  });

  it('probes since a time exclude that exact millisecond and keep every field', async () => {
    await store.recordProbe('us-east-1', probe('eu-west-1', 10_000));
    await store.recordProbe('us-east-1', probe('eu-west-1', 10_001, 'up'));
    expect(await store.probesSince('us-east-1', T0 + 10_000)).toEqual([probe('eu-west-1', 10_001, 'up')]);
    expect(await store.probesSince('us-east-1', T0 + 9_999)).toEqual([
      probe('eu-west-1', 10_000),
      probe('eu-west-1', 10_001, 'up'),
    ]);
  });

  it('the first fence record wins, a failback mark sticks, and delete removes only the same record', async () => {
    const first: FenceRecord = {
      fencedAt: T0,
      reason: 'gate open',
      changes: [
        { endpointGroupArn: 'arn:eu', region: 'eu-west-1', before: 0, after: 100 },
        { endpointGroupArn: 'arn:us', region: 'us-east-1', before: 100, after: 0 },
      ],
    };
    expect(await store.getFence('g')).toBeUndefined();
    expect(await store.createFence('g', first)).toEqual(first);
    const second = { ...first, fencedAt: T0 + 1, changes: [{ ...first.changes[0], before: 100 }] };
    expect(await store.createFence('g', second)).toEqual(first);
    await store.markFailbackRequested('g', T0 + 5);
    expect(await store.getFence('g')).toEqual({ ...first, failbackRequestedAt: T0 + 5 });
    await store.deleteFence('g', T0 + 1);
    expect(await store.getFence('g')).toBeDefined();
    await store.deleteFence('g', T0);
    expect(await store.getFence('g')).toBeUndefined();
    await expect(store.markFailbackRequested('g', T0 + 6)).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
  });
});

describe('DynamoDB items', () => {
  it('carry a TTL in epoch seconds after their retention, and the journal keeps its entry', async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(db);
    mock.on(PutCommand).resolves({});
    try {
      const store = new DynamoEvidenceStore(db, TABLE);
      await store.recordProbe('us-east-1', probe('eu-west-1', 1));
      await store.acquireLease('promotion#g', 'a', T0 + 1, 180_000);
      await store.journal('g', T0 + 2, { action: 'fence' });
      const items = mock.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
      expect(items[0]).toEqual({
        pk: 'probe#us-east-1',
        sk: '2030-01-01T00:00:00.001Z#eu-west-1#primary',
        ...probe('eu-west-1', 1),
        ttl: (T0 + PROBE_RETENTION_MS) / 1000 + 1,
      });
      expect(items[1]).toEqual({
        pk: 'lease#promotion#g',
        sk: 'lease',
        owner: 'a',
        leaseUntil: T0 + 180_001,
        ttl: (T0 + 180_000) / 1000 + 1,
      });
      expect(items[2]).toMatchObject({
        pk: 'journal#g',
        sk: expect.stringMatching(/^2030-01-01T00:00:00\.002Z#[0-9a-z]{1,8}$/),
        at: T0 + 2,
        entry: { action: 'fence' },
        ttl: (T0 + JOURNAL_RETENTION_MS) / 1000 + 1,
      });
    } finally {
      mock.restore();
    }
  });

  it('a failed condition is a refusal; any other error is thrown', async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    const mock = mockClient(db);
    try {
      const store = new DynamoEvidenceStore(db, TABLE);
      mock.on(PutCommand).rejects(Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' }));
      expect(await store.acquireLease('promotion#g', 'a', T0, 1000)).toBe(false);
      mock.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
      await expect(store.acquireLease('promotion#g', 'a', T0, 1000)).rejects.toThrow('slow down');
    } finally {
      mock.restore();
    }
  });
});
