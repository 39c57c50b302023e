import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { sqsDeadLetterQueue } from '../../lambda/drainer/dead-letter';
import { DEFAULT_MARKET_ORDER_TTL_SECONDS, drain, DrainDeps } from '../../lambda/drainer/drain';
import { ApiResponse, handleRequest, readiness } from '../../lambda/trading/api';
import { orderIdFor } from '../../lambda/trading/order';
import { createRuntime, requireApiEnv, Runtime } from '../../lambda/trading/runtime';
import { CLIENTS, DB_NAME, startTradingDb, TradingDb } from '../../scripts/local/trading-db';
import { orderQueueRecord } from '../helpers/journal-queues';
import { apiRequest } from '../helpers/trading-requests';

/**
 * The promotion window end to end: no writer is reachable (the standby's database is
 * read-only), the API queues orders (202); the database becomes writable (promotion); the
 * drainer applies every queued order exactly once, however often SQS redelivers it, and every
 * message it cannot apply ends in the dead-letter queue with a reason.
 */
/** Every order here is desk A's (signed by it through the API, or queued under its id). */
const DESK = CLIENTS.deskA.clientId;
const ORDER_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-euw1-test.fifo';
const DEAD_LETTER_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-dlq-euw1-test.fifo';

let db: TradingDb;
const sqs = new SQSClient({ region: 'eu-west-1' });
const sqsMock = mockClient(sqs);
/** The FIFO order queue, deduplicated by MessageDeduplicationId as SQS does. */
const queue: SQSRecord[] = [];
const deadLettered: { body: string; group?: string; reason?: string; dedup?: string }[] = [];
const runtimes: Runtime[] = [];
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function runtime(): Runtime {
  const r = createRuntime(requireApiEnv({ ...db.env, ORDER_QUEUE_URL: ORDER_QUEUE }), {
    secrets: db.secrets.client,
    sqs,
  });
  runtimes.push(r);
  return r;
}

function drainer(overrides: Partial<DrainDeps> = {}): DrainDeps {
  return {
    store: runtime().store,
    logger: quiet,
    deadLetter: sqsDeadLetterQueue(sqs, DEAD_LETTER_QUEUE),
    ...overrides,
  };
}

const event = (records: SQSRecord[]): SQSEvent => ({ Records: records });
const failed = (result: { batchItemFailures: { itemIdentifier: string }[] }) =>
  result.batchItemFailures.map((f) => f.itemIdentifier);

async function setReadOnly(on: boolean, { endSessions = true } = {}) {
  const admin = await db.pg.admin();
  await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
  // Open sessions keep the old setting; end them, as a promotion restarts connections.
  if (endSessions) {
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [DB_NAME],
    );
  }
  await admin.end();
}

async function rows(where = 'true'): Promise<Record<string, any>[]> {
  const admin = await db.pg.admin(DB_NAME);
  try {
    return (await admin.query(`SELECT * FROM orders WHERE ${where} ORDER BY client_order_id`)).rows;
  } finally {
    await admin.end();
  }
}

const order = (id: string, symbol = 'MSFT', extra: Record<string, unknown> = {}) => ({
  clientOrderId: id,
  symbol,
  side: 'sell',
  type: 'market',
  quantity: '10',
  ...extra,
});

/** What the API puts on the order queue for desk A: the order, accepted `waitedSeconds` ago in eu-west-1. */
const queuedOrder = (queued: object, waitedSeconds = 0) => ({
  acceptedAt: new Date(Date.now() - waitedSeconds * 1000).toISOString(),
  region: 'eu-west-1',
  clientId: DESK,
  order: queued,
});

async function post(r: Runtime, body: object): Promise<ApiResponse & { json: any }> {
  const response = await handleRequest(apiRequest('POST', '/orders', body), r.deps);
  return { ...response, json: JSON.parse(response.body) };
}

async function get(r: Runtime, path: string) {
  const response = await handleRequest(apiRequest('GET', path), r.deps);
  return { status: response.statusCode, json: JSON.parse(response.body) };
}

beforeAll(async () => {
  // The schema exists (applied at deploy, replicated from the primary) before the standby serves traffic.
  db = await startTradingDb();
  let sequence = 0;
  sqsMock.on(SendMessageCommand).callsFake(async (input) => {
    if (input.QueueUrl === DEAD_LETTER_QUEUE) {
      if (!deadLettered.some((m) => m.dedup === input.MessageDeduplicationId)) {
        deadLettered.push({
          body: input.MessageBody!,
          group: input.MessageGroupId,
          reason: input.MessageAttributes?.reason?.StringValue,
          dedup: input.MessageDeduplicationId,
        });
      }
      return { MessageId: `dlq-${++sequence}` };
    }
    const duplicate = queue.some((m) => m.attributes.MessageDeduplicationId === input.MessageDeduplicationId);
    if (!duplicate) {
      const r = orderQueueRecord(input.MessageBody!, `m-${++sequence}`, input.MessageGroupId);
      r.attributes.MessageDeduplicationId = input.MessageDeduplicationId!;
      queue.push(r);
    }
    return { MessageId: `m-${sequence}` };
  });
});

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close().catch(() => undefined)));
  sqsMock.restore();
  db.secrets.restore();
  await db.pg.stop();
});

beforeEach(() => {
  queue.length = 0;
  deadLettered.length = 0;
});

it('every order accepted while read-only lands exactly once after promotion, under the id its 202 gave', async () => {
  await setReadOnly(true);
  const api = runtime();
  const ids = Array.from({ length: 12 }, (_, n) => `q-${n}`);
  const symbols = ['MSFT', 'AAPL', 'NVDA'];
  const body = (id: string) => order(id, symbols[Number(id.split('-')[1]) % 3]);
  const answers = [];
  for (const id of ids) answers.push(await post(api, body(id)));
  expect(answers.map((a) => a.statusCode)).toEqual(ids.map(() => 202));
  // A client retry of the same order within the dedup window is not queued twice.
  expect((await post(api, body('q-3'))).statusCode).toBe(202);
  expect(queue).toHaveLength(12);
  expect(await rows()).toHaveLength(0);

  // Still read-only: the drainer applies nothing and hands every message back for retry.
  expect(failed(await drain(event(queue), drainer()))).toHaveLength(12);
  expect(await rows()).toHaveLength(0);

  await setReadOnly(false);
  expect(failed(await drain(event(queue), drainer()))).toEqual([]);
  // SQS delivers at least once: a full redelivery and a duplicate message change nothing.
  expect(failed(await drain(event([...queue, queue[0]]), drainer()))).toEqual([]);
  const stored = await rows();
  expect(stored.map((r) => r.client_order_id).sort()).toEqual([...ids].sort());
  expect(stored.map((r) => r.id).sort()).toEqual(answers.map((a) => a.json.id).sort());
  expect(deadLettered).toEqual([]);

  // A replay through the API after the drain returns the stored order, not a new one.
  const replay = await post(runtime(), body('q-5'));
  expect(replay.statusCode).toBe(200);
  expect(replay.json.id).toBe(orderIdFor(DESK, 'q-5'));
  expect(await rows()).toHaveLength(12);
});

it('FIFO per symbol: a message that fails holds back the rest of its symbol, other symbols go on', async () => {
  const { store } = runtime();
  const dropped = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
  const flaky: DrainDeps['store'] = {
    insert: (clientId, o, options) =>
      o.clientOrderId === 'f-2' ? Promise.reject(dropped) : store.insert(clientId, o, options),
  };
  const queued = (id: string, symbol: string) => JSON.stringify(queuedOrder(order(id, symbol)));
  const result = await drain(
    event([
      orderQueueRecord(queued('f-1', 'MSFT'), 'f-1', 'MSFT'),
      orderQueueRecord(queued('f-2', 'MSFT'), 'f-2', 'MSFT'),
      orderQueueRecord(queued('g-1', 'AAPL'), 'g-1', 'AAPL'),
      orderQueueRecord(queued('f-3', 'MSFT'), 'f-3', 'MSFT'),
    ]),
    drainer({ store: flaky }),
  );
  expect(failed(result)).toEqual(['f-2', 'f-3']);
  expect((await rows("client_order_id IN ('f-1', 'f-2', 'f-3', 'g-1')")).map((r) => r.client_order_id)).toEqual([
    'f-1',
    'g-1',
  ]);
});

it('once the database stops answering, the rest of the batch is handed back without waiting on it again', async () => {
  const attempts: string[] = [];
  const frozen: DrainDeps['store'] = {
    insert: async (_clientId, o) => {
      attempts.push(o.clientOrderId);
      throw new Error('Query read timeout');
    },
  };
  const queued = (id: string, symbol: string) => JSON.stringify(queuedOrder(order(id, symbol)));
  const symbols = ['MSFT', 'AAPL', 'NVDA', 'AMZN'];
  const result = await drain(
    event(symbols.map((s, n) => orderQueueRecord(queued(`t-${n}`, s), `t-${n}`, s))),
    drainer({ store: frozen }),
  );
  expect(failed(result)).toEqual(['t-0', 't-1', 't-2', 't-3']);
  expect(attempts).toEqual(['t-0']);
});

it('a message that is not a queued order goes to the dead-letter queue with its reason, and holds nothing back', async () => {
  const before = (await rows()).length;
  const result = await drain(
    event([
      orderQueueRecord('{"not":"an order"}', 'bad', 'MSFT'),
      orderQueueRecord(JSON.stringify(queuedOrder(order('ok-1'))), 'ok-1', 'MSFT'),
    ]),
    drainer(),
  );
  expect(failed(result)).toEqual([]);
  expect(deadLettered).toEqual([
    { body: '{"not":"an order"}', group: 'MSFT', dedup: 'bad', reason: expect.stringMatching(/^not a queued order: /) },
  ]);
  expect(await rows()).toHaveLength(before + 1);
});

it('without a dead-letter queue to write to, such a message is failed (the redrive policy moves it), never acknowledged', async () => {
  const result = await drain(event([orderQueueRecord('garbage', 'bad-2')]), drainer({ deadLetter: undefined }));
  expect(failed(result)).toEqual(['bad-2']);
});

it('a queued order that conflicts with a stored one ends in the dead-letter queue with a reason; the stored order stands', async () => {
  const api = runtime();
  expect((await post(api, order('c-conflict', 'MSFT', { quantity: '10' }))).statusCode).toBe(201);
  const queued = queuedOrder(order('c-conflict', 'MSFT', { quantity: '11' }));
  const result = await drain(event([orderQueueRecord(JSON.stringify(queued), 'dup-1')]), drainer());
  expect(failed(result)).toEqual([]);
  expect(deadLettered).toHaveLength(1);
  expect(deadLettered[0].reason).toBe(
    `clientOrderId c-conflict of ${DESK} is already used for a different order (${orderIdFor(DESK, 'c-conflict')})`,
  );
  expect((await rows("client_order_id = 'c-conflict'")).map((r) => r.quantity)).toEqual(['10.00000000']);

  // The same order, written differently, is a replay and is simply acknowledged.
  const same = { ...queued, order: order('c-conflict', 'MSFT', { quantity: '010.000' }) };
  expect(failed(await drain(event([orderQueueRecord(JSON.stringify(same), 'dup-2')]), drainer()))).toEqual([]);
  expect(deadLettered).toHaveLength(1);
});

describe('orders that waited in the queue', () => {
  it('a market order older than its time-to-live is recorded as expired, never executed, and the client sees it via GET', async () => {
    const queued = queuedOrder(order('ttl-market-old'), DEFAULT_MARKET_ORDER_TTL_SECONDS + 1);
    expect(failed(await drain(event([orderQueueRecord(JSON.stringify(queued), 'ttl-1')]), drainer()))).toEqual([]);
    const fetched = await get(runtime(), `/orders/${orderIdFor(DESK, 'ttl-market-old')}`);
    expect(fetched).toMatchObject({ status: 200, json: { status: 'expired', createdAt: queued.acceptedAt } });
    // A replay of it answers what happened to it.
    expect((await post(runtime(), order('ttl-market-old'))).json).toMatchObject({ status: 'expired' });
  });

  it('a market order inside its time-to-live executes, stamped when the API accepted it', async () => {
    const queued = queuedOrder(order('ttl-market-young'), DEFAULT_MARKET_ORDER_TTL_SECONDS - 5);
    await drain(event([orderQueueRecord(JSON.stringify(queued), 'ttl-2')]), drainer());
    const [row] = await rows("client_order_id = 'ttl-market-young'");
    expect(row).toMatchObject({ status: 'accepted' });
    expect(row.created_at.toISOString()).toBe(queued.acceptedAt);
  });

  it('a limit order executes whatever it waited, with its original timestamp', async () => {
    const limit = order('ttl-limit', 'MSFT', { type: 'limit', limitPrice: '410.5' });
    const queued = queuedOrder(limit, 3600);
    await drain(event([orderQueueRecord(JSON.stringify(queued), 'ttl-3')]), drainer());
    const [row] = await rows("client_order_id = 'ttl-limit'");
    expect(row).toMatchObject({ status: 'accepted', limit_price: '410.50000000' });
    expect(row.created_at.toISOString()).toBe(queued.acceptedAt);
  });

  it('the time-to-live is a setting: with 10 minutes the same old market order executes', async () => {
    const queued = queuedOrder(order('ttl-market-long'), DEFAULT_MARKET_ORDER_TTL_SECONDS + 1);
    await drain(event([orderQueueRecord(JSON.stringify(queued), 'ttl-4')]), drainer({ marketOrderTtlSeconds: 600 }));
    expect((await rows("client_order_id = 'ttl-market-long'"))[0]).toMatchObject({ status: 'accepted' });
  });
});

it('writes follow the writer: a connection opened while the database was read-only does not make a writable one queue', async () => {
  await setReadOnly(true);
  const api = runtime();
  // The pool now holds a session that is read-only for its whole life (the old writer).
  expect(await readiness(api.deps)).toMatchObject({ writer: 'read-only' });
  // Promotion, without the server ending the sessions it had.
  await setReadOnly(false, { endSessions: false });
  const created = await post(api, order('follow-writer'));
  expect(created.statusCode).toBe(201);
  expect(queue).toHaveLength(0);
  expect(await readiness(api.deps)).toMatchObject({ writer: 'writable', accepting: 'write' });
});
