import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AUDIT_METRICS } from '../../lambda/facts/metrics';
import {
  auditBatch,
  AuditorRuntime,
  auditorSettingsFromEnv,
  createAuditorRuntime,
  handler,
} from '../../lambda/journal-auditor/handler';
import { encodeJournalEntry, JournalEntry, PeerFence } from '../../lambda/shared/journal';
import { handleRequest } from '../../lambda/trading/api';
import { ClientCredentials } from '../../scripts/order-client';
import { apiRequest } from '../helpers/trading-requests';
import type { Order } from '../../lambda/trading/order';
import { createRuntime, requireEnv, Runtime } from '../../lambda/trading/runtime';
import { FakeJournalQueues } from '../helpers/journal-queues';
import { PgNode, ReplicationPair, startReplicationPair } from '../../scripts/local/replication';
import { FakeSecretsManager } from '../../scripts/local/secrets';
import { CLIENTS, DB_NAME, LOCAL_HOSTS, provisionTradingDb } from '../../scripts/local/trading-db';

/**
 * The journal auditor against a real PostgreSQL 14 primary (us-east-1's writer) and hot standby
 * (eu-west-1's replica) in streaming replication; the journal is an in-memory SQS queue.
 */
const APP_PASSWORD = 'app-password-journal';
const QUEUES = JSON.stringify({
  'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-test',
  'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-test',
});
const PARKED_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-parked-euw1-test';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Cluster {
  readonly pair: ReplicationPair;
  readonly secrets: FakeSecretsManager;
  readonly journal: FakeJournalQueues;
  readonly parked: string[];
  readonly sqs: SQSClient;
  readonly closers: (() => Promise<void>)[];
  env(node: PgNode, extra?: Record<string, string>): Record<string, string>;
}

async function startCluster(): Promise<Cluster> {
  const secrets = new FakeSecretsManager();
  let secretArn = '';
  let clientKeysArn = '';
  // Database, schema and app user on the primary, before the standby is copied from it.
  const pair = await startReplicationPair(async (primary) => {
    ({ secretArn, clientKeysArn } = await provisionTradingDb(primary, secrets, APP_PASSWORD));
  });
  const parked: string[] = [];
  const sqs = new SQSClient({ region: 'eu-west-1' });
  mockClient(sqs)
    .on(SendMessageCommand)
    .callsFake(async (input) => {
      parked.push(input.MessageBody);
      return { MessageId: String(parked.length) };
    });
  return {
    pair,
    secrets,
    journal: new FakeJournalQueues(),
    parked,
    sqs,
    closers: [],
    env: (node, extra = {}) => ({
      REGION_NAME: 'us-east-1',
      REGION_ROLE: 'primary',
      DB_SECRET_ARN: secretArn,
      CLIENT_KEYS_SECRET_ARN: clientKeysArn,
      API_HOSTS: LOCAL_HOSTS.join(','),
      DB_HOST: node.host,
      DB_PORT: String(node.port),
      DB_NAME,
      DB_SSL: 'disable',
      ORDER_DURABILITY: 'cross-region',
      JOURNAL_QUEUE_URLS: QUEUES,
      JOURNAL_TIMEOUT_MS: '300',
      ...extra,
    }),
  };
}

async function stopCluster(c: Cluster): Promise<void> {
  await Promise.all(c.closers.map((close) => close().catch(() => undefined)));
  c.secrets.restore();
  await c.pair.stop();
}

/** The order API of one region (writes to `node`), journaling into the cluster's fake queues. */
function api(c: Cluster, node: PgNode, extra: Record<string, string> = {}, fence?: PeerFence): Runtime {
  const r = createRuntime(requireEnv(c.env(node, extra)), {
    secrets: c.secrets.client,
    journalSender: c.journal,
    fence,
  });
  c.closers.push(() => r.close());
  return r;
}

/** eu-west-1's auditor: its own cluster is the standby, the global writer endpoint is `writer`. */
function auditor(
  c: Cluster,
  writer: PgNode | undefined,
  metrics: string[] = [],
  env: Record<string, string> = {},
): AuditorRuntime {
  const r = createAuditorRuntime(
    {
      ...c.env(c.pair.standby, { REGION_NAME: 'eu-west-1', REGION_ROLE: 'secondary', ...env }),
      ...(writer ? { WRITER_DB_HOST: writer.host, WRITER_DB_PORT: String(writer.port) } : {}),
      JOURNAL_PARKED_QUEUE_URL: PARKED_URL,
    },
    { secrets: c.secrets.client, sqs: c.sqs },
    { logger: quiet, metrics: { addMetric: (name: string) => (metrics.push(name), new Metrics()) } },
  );
  c.closers.push(() => r.close());
  return r;
}

/** Deliver what eu-west-1's journal holds to the auditor once; return the failed message ids. */
async function auditOnce(c: Cluster, a: AuditorRuntime, options: { duplicate?: boolean; now?: Date } = {}) {
  const event = c.journal.receive('eu-west-1', 10, options.duplicate);
  const deps = options.now ? { ...a.deps, now: () => options.now! } : a.deps;
  const response = await auditBatch(event, deps);
  c.journal.settle('eu-west-1', event, response);
  return response.batchItemFailures.map((f) => f.itemIdentifier);
}

const order = (clientOrderId: string, overrides: Record<string, unknown> = {}) => ({
  clientOrderId,
  symbol: 'MSFT',
  side: 'sell',
  type: 'limit',
  quantity: '10',
  limitPrice: '420.5',
  ...overrides,
});

/** POST /orders signed as desk A (the order's owner in these tests) unless told otherwise. */
async function post(r: Runtime, body: object, as: ClientCredentials = CLIENTS.deskA) {
  const response = await handleRequest(apiRequest('POST', '/orders', body, { as, region: r.deps.region }), r.deps);
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function storedOrders(node: PgNode): Promise<Map<string, { id: string; n: number }>> {
  const c = await node.admin(DB_NAME);
  try {
    const rows = (
      await c.query<{ client_order_id: string; id: string; n: number }>(
        'SELECT client_order_id, min(id::text) AS id, count(*)::int AS n FROM orders GROUP BY client_order_id',
      )
    ).rows;
    return new Map(rows.map((r) => [r.client_order_id, { id: r.id, n: r.n }]));
  } finally {
    await c.end();
  }
}

describe('journal auditor decisions (primary and hot standby in streaming replication)', () => {
  let c: Cluster;
  let writer: Runtime;

  beforeAll(async () => {
    c = await startCluster();
    writer = api(c, c.pair.primary);
  });
  afterAll(() => stopCluster(c));
  beforeEach(() => {
    c.journal.messages('eu-west-1').length = 0;
    c.parked.length = 0;
  });

  it('confirms and deletes an order that reached the replica', async () => {
    expect((await post(writer, order('a-replicated'))).status).toBe(201);
    await c.pair.waitForStandby();
    const metrics: string[] = [];
    expect(await auditOnce(c, auditor(c, c.pair.primary, metrics))).toEqual([]);
    expect(c.journal.messages('eu-west-1')).toHaveLength(0);
    expect(metrics).toEqual([AUDIT_METRICS.confirmed]);
  });

  it('keys orders by client: two desks using the same client order id are each confirmed, not a conflict', async () => {
    expect((await post(writer, order('a-shared', { quantity: '10' }))).status).toBe(201);
    expect((await post(writer, order('a-shared', { quantity: '20' }), CLIENTS.deskB)).status).toBe(201);
    await c.pair.waitForStandby();
    const metrics: string[] = [];
    expect(await auditOnce(c, auditor(c, c.pair.primary, metrics))).toEqual([]);
    expect(metrics).toEqual([AUDIT_METRICS.confirmed, AUDIT_METRICS.confirmed]);
  });

  it('keeps an unreplicated order (batch item failure) and reports its age; confirms it once replicated', async () => {
    await c.pair.cutReplication();
    try {
      expect((await post(writer, order('a-lagging'))).status).toBe(201);
      const metrics: string[] = [];
      const a = auditor(c, c.pair.primary, metrics);
      expect(await auditOnce(c, a)).toHaveLength(1);
      expect(metrics).toEqual([AUDIT_METRICS.waiting, AUDIT_METRICS.waitingAge]);
      // Old enough to be an orphan candidate, but the writer has it: still waiting, never voided.
      const later = new Date(Date.now() + 3600_000);
      expect(await auditOnce(c, a, { now: later })).toHaveLength(1);
      expect(c.journal.messages('eu-west-1')).toHaveLength(1);
    } finally {
      await c.pair.resumeReplication();
    }
    await c.pair.waitForStandby();
    expect(await auditOnce(c, auditor(c, c.pair.primary))).toEqual([]);
    expect(c.journal.messages('eu-west-1')).toHaveLength(0);
  });

  it('voids an old orphan (journaled, then rolled back by the writer) only when a writer confirms it is absent', async () => {
    c.journal.mode = 'deliver-then-fail';
    expect((await post(writer, order('a-orphan'))).status).toBe(503);
    c.journal.mode = 'ok';
    const later = new Date(Date.now() + 301_000);
    // Young: could still be committing. No writer configured, or the "writer" is a replica: keep.
    expect(await auditOnce(c, auditor(c, c.pair.primary))).toHaveLength(1);
    expect(await auditOnce(c, auditor(c, undefined), { now: later })).toHaveLength(1);
    expect(await auditOnce(c, auditor(c, c.pair.standby), { now: later })).toHaveLength(1);
    const metrics: string[] = [];
    expect(await auditOnce(c, auditor(c, c.pair.primary, metrics), { now: later })).toEqual([]);
    expect(metrics).toEqual([AUDIT_METRICS.voided]);
    expect(c.journal.messages('eu-west-1')).toHaveLength(0);
  });

  it('a secondary whose cluster endpoint refuses connections: presence read on the reader, orphans still voided', async () => {
    // 127.0.0.2 reaches no server: the standby listens on 127.0.0.1 only.
    const refusing = { DB_HOST: '127.0.0.2', DB_READ_HOST: c.pair.standby.host };
    expect((await post(writer, order('a-reader'))).status).toBe(201);
    await c.pair.waitForStandby();
    c.journal.mode = 'deliver-then-fail';
    expect((await post(writer, order('a-reader-orphan'))).status).toBe(503);
    c.journal.mode = 'ok';
    const metrics: string[] = [];
    const later = new Date(Date.now() + 301_000);
    expect(await auditOnce(c, auditor(c, c.pair.primary, metrics, refusing), { now: later })).toEqual([]);
    expect(metrics.sort()).toEqual([AUDIT_METRICS.confirmed, AUDIT_METRICS.voided]);
  });

  it('parks a message that is not a journal entry, or names a different stored order, and deletes it', async () => {
    const created = await post(writer, order('a-conflict'));
    await c.pair.waitForStandby();
    c.journal.messages('eu-west-1').length = 0;
    const forged: JournalEntry = {
      kind: 'tap.order-journal.v1',
      writerRegion: 'us-east-1',
      journaledAt: new Date().toISOString(),
      clientId: CLIENTS.deskA.clientId,
      order: { ...(created.body as Order), quantity: '11' },
    };
    await c.journal.send('eu-west-1', encodeJournalEntry(forged), new AbortController().signal);
    await c.journal.send('eu-west-1', '{"not":"an entry"}', new AbortController().signal);
    const metrics: string[] = [];
    expect(await auditOnce(c, auditor(c, c.pair.primary, metrics))).toEqual([]);
    expect(metrics).toEqual([AUDIT_METRICS.parked, AUDIT_METRICS.parked]);
    expect(c.parked).toHaveLength(2);
    expect(c.journal.messages('eu-west-1')).toHaveLength(0);
  });
});

describe('unplanned failover with replication cut and orders in flight: nothing acknowledged is lost', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster();
  });
  afterAll(() => stopCluster(c));

  it('promote, audit: acknowledged lost = 0, duplicates = 0, recovered = every journaled order the replica missed', async () => {
    const useast = api(c, c.pair.primary);
    const acknowledged = new Map<string, string>(); // clientOrderId -> order id the client was given
    const ack = (res: { status: number; body: { id: string; clientOrderId: string } }) => {
      if (res.status === 201 || res.status === 200) acknowledged.set(res.body.clientOrderId, res.body.id);
      return res.status;
    };

    // Steady state: replicated and confirmed.
    for (let i = 0; i < 5; i++) expect(ack(await post(useast, order(`f-before-${i}`)))).toBe(201);
    await c.pair.waitForStandby();
    expect(await auditOnce(c, auditor(c, c.pair.primary))).toEqual([]);

    // Replication stops: the writer keeps acknowledging, the journal in eu-west-1 keeps the copies.
    await c.pair.cutReplication();
    const duringCut: string[] = [];
    for (let i = 0; i < 8; i++) {
      expect(ack(await post(useast, order(`f-cut-${i}`)))).toBe(201);
      duringCut.push(`f-cut-${i}`);
    }
    expect(ack(await post(useast, order('f-cut-0')))).toBe(200); // a replay: journaled once
    expect(await post(useast, order('f-cut-1', { quantity: '99' }))).toMatchObject({ status: 409 });
    c.journal.mode = 'fail';
    expect((await post(useast, order('f-refused'))).status).toBe(503); // not stored, not journaled
    c.journal.mode = 'deliver-then-fail';
    expect((await post(useast, order('f-unknown'))).status).toBe(503); // journaled, rolled back
    c.journal.mode = 'ok';
    // The standby's auditor sees the exposure: every copy waits, none is lost or voided.
    expect(await auditOnce(c, auditor(c, c.pair.primary))).toHaveLength(9);

    // Orders in flight when the primary dies: some are answered 201, the rest 503.
    const inFlight = Array.from({ length: 6 }, (_, i) => post(useast, order(`f-flight-${i}`)));
    await c.pair.killPrimary();
    const flightStatuses = (await Promise.all(inFlight)).map(ack);
    expect(flightStatuses.every((s) => s === 201 || s === 503)).toBe(true);

    const journaledKeys = new Set(c.journal.bodies('eu-west-1').map((b) => (b as JournalEntry).order.clientOrderId));
    const beforePromotion = await storedOrders(c.pair.standby);
    const missing = [...journaledKeys].filter((k) => !beforePromotion.has(k));
    // Everything acknowledged during the cut is missing from the replica: the loss is real.
    expect(missing).toEqual(expect.arrayContaining(duringCut));

    await c.pair.promoteStandby();
    const metrics: string[] = [];
    const euAuditor = auditor(c, c.pair.standby, metrics);
    // SQS delivers at least once, so every message arrives twice.
    for (let round = 0; round < 5 && c.journal.messages('eu-west-1').length > 0; round++) {
      expect(await auditOnce(c, euAuditor, { duplicate: true })).toEqual([]);
    }
    expect(c.journal.messages('eu-west-1')).toHaveLength(0);

    const after = await storedOrders(c.pair.standby);
    const lost = [...acknowledged].filter(([key, id]) => after.get(key)?.id !== id);
    const duplicates = [...after.values()].filter((row) => row.n > 1);
    expect(lost).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(after.has('f-refused')).toBe(false);
    // Recovered: exactly the journaled orders the replica missed; f-unknown (503, outcome
    // unknown) is among them, as documented.
    const recovered = metrics.filter((m) => m === AUDIT_METRICS.recovered).length;
    expect(recovered).toBe(missing.length);
    expect(missing).toContain('f-unknown');

    // The new writer journals to us-east-1, which is down: fenced, it still takes orders.
    c.journal.mode = 'fail';
    const fence: PeerFence = { isFenced: async (region) => region === 'us-east-1' };
    const promoted = { REGION_NAME: 'eu-west-1', REGION_ROLE: 'secondary' };
    expect((await post(api(c, c.pair.standby, promoted), order('f-after-unfenced'))).status).toBe(503);
    expect((await post(api(c, c.pair.standby, promoted, fence), order('f-after-fenced'))).status).toBe(201);
    c.journal.mode = 'ok';
  });
});

describe('the Lambda handler (Powertools batch processor, logger, metrics)', () => {
  let c: Cluster;
  const saved = { ...process.env };
  beforeAll(async () => {
    c = await startCluster();
  });
  afterAll(async () => {
    process.env = saved;
    await stopCluster(c);
  });

  it('recovers a missing order after promotion and publishes JournalRecovered; keeps nothing', async () => {
    const useast = api(c, c.pair.primary);
    await c.pair.cutReplication();
    expect((await post(useast, order('h-lost'))).status).toBe(201);
    await c.pair.killPrimary();
    await c.pair.promoteStandby();

    Object.assign(process.env, c.env(c.pair.standby, { REGION_NAME: 'eu-west-1', REGION_ROLE: 'secondary' }), {
      JOURNAL_PARKED_QUEUE_URL: PARKED_URL,
      AWS_REGION: 'eu-west-1',
    });
    const secret = JSON.parse(
      (await c.secrets.client.send(new GetSecretValueCommand({ SecretId: process.env.DB_SECRET_ARN }))).SecretString!,
    );
    const secretsMock = mockClient(SecretsManagerClient);
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
    const stdout = jest.spyOn(process.stdout, 'write');
    const stderr = jest.spyOn(process.stderr, 'write');
    try {
      const event: SQSEvent = c.journal.receive('eu-west-1');
      const context = { functionName: 'fn-journal-auditor-test', awsRequestId: 'req-1' } as Context;
      expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
      const lines = [...stdout.mock.calls, ...stderr.mock.calls].map(([chunk]) => String(chunk));
      const emf = lines.map((l) => JSON.parse(l)).find((l) => l._aws);
      expect(emf).toMatchObject({ JournalRecovered: 1 });
      expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('TapOrderJournal');
      expect(lines.some((l) => l.includes('journaled order recovered') && l.includes('req-1'))).toBe(true);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      secretsMock.restore();
    }
    expect((await storedOrders(c.pair.standby)).get('h-lost')).toEqual({ id: expect.any(String), n: 1 });
  });
});

describe('auditor settings are checked at cold start', () => {
  it.each([
    [{}, /JOURNAL_PARKED_QUEUE_URL/],
    [{ JOURNAL_PARKED_QUEUE_URL: PARKED_URL, JOURNAL_ORPHAN_AFTER_SECONDS: '30' }, /from 60 to 86400/],
    [{ JOURNAL_PARKED_QUEUE_URL: PARKED_URL, JOURNAL_ORPHAN_AFTER_SECONDS: 'soon' }, /JOURNAL_ORPHAN_AFTER_SECONDS/],
  ])('%j is rejected', (env, message) => {
    expect(() => auditorSettingsFromEnv(env)).toThrow(message);
  });

  it('voids orphans after 5 minutes by default', () => {
    expect(auditorSettingsFromEnv({ JOURNAL_PARKED_QUEUE_URL: PARKED_URL }).orphanAfterSeconds).toBe(300);
  });
});
