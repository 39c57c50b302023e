/**
 * The evidence store's contract, run against both implementations: DynamoDB (on dynalite, a local
 * implementation of DynamoDB's API that evaluates condition expressions) and the in-memory store
 * the orchestrator tests and the offline drill use. Passing both is what makes the fake faithful.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { ProbeRecord } from '../../lambda/orchestrator/gate';
import { InMemoryEvidenceStore } from '../../lambda/orchestrator/memory-store';
import { DynamoEvidenceStore, EvidenceStore, FenceRecord } from '../../lambda/orchestrator/store';

const T0 = Date.UTC(2030, 0, 1);
const TABLE = 'ddb-failover-evidence-dev';

let server: ReturnType<typeof dynalite>;
let client: DynamoDBClient;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server.close(resolve));
});

let tables = 0;
async function dynamoStore(): Promise<EvidenceStore> {
  const name = `${TABLE}-${++tables}`;
  // The table the infra creates: pk/sk strings, on-demand.
  await client.send(
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
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    name,
  );
}

const implementations: [string, () => Promise<EvidenceStore>][] = [
  ['DynamoDB (dynalite)', dynamoStore],
  ['in memory', async () => new InMemoryEvidenceStore()],
];

const probe = (vantage: string, t: number, outcome: ProbeRecord['outcome'] = 'down'): ProbeRecord => ({
  vantage,
  startedAt: T0 + t,
  outcome,
  detail: outcome === 'down' ? 'HTTP 503' : 'HTTP 200',
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
    expect(await store.claimOnce('g#approval', T0 + 3600_001, 3600_000)).toBe(true);
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
