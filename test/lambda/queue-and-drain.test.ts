import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { drain, QueuedMessage } from '../../lambda/drainer/drain';
import { handleRequest } from '../../lambda/trading/api';
import { createRuntime, requireEnv, Runtime } from '../../lambda/trading/runtime';
import { DB_NAME, startTradingDb, TradingDb } from '../helpers/trading-db';

/**
 * The promotion window end to end: the standby's database is read-only, the API queues orders
 * (202); the database becomes writable (promotion); the drainer applies every queued order
 * exactly once, however often SQS redelivers it.
 */
let db: TradingDb;
const sqs = new SQSClient({ region: 'eu-west-1' });
const sqsMock = mockClient(sqs);
const queue: QueuedMessage[] = [];
const runtimes: Runtime[] = [];
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function runtime(): Runtime {
  const r = createRuntime(
    requireEnv({
      ...db.env,
      ORDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-euw1-test.fifo',
    }),
    { secrets: db.secrets.client, sqs },
  );
  runtimes.push(r);
  return r;
}

async function setReadOnly(on: boolean) {
  const admin = await db.pg.admin();
  await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
  // Open sessions keep the old setting; end them, as a promotion restarts connections.
  await admin.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [DB_NAME],
  );
  await admin.end();
}

const order = (id: string, symbol = 'MSFT') => ({
  clientOrderId: id,
  symbol,
  side: 'sell',
  type: 'market',
  quantity: '10',
});
const post = (r: Runtime, body: object) =>
  handleRequest(
    {
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    },
    r.deps,
  );

beforeAll(async () => {
  // The schema exists (applied at deploy, replicated from the primary) before the standby serves traffic.
  db = await startTradingDb();
  // FIFO queue model: deduplicated by MessageDeduplicationId.
  sqsMock.on(SendMessageCommand).callsFake(async (input) => {
    if (!queue.some((m) => m.messageId === input.MessageDeduplicationId))
      queue.push({ messageId: input.MessageDeduplicationId!, body: input.MessageBody! });
    return { MessageId: input.MessageDeduplicationId };
  });
});

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close().catch(() => undefined)));
  sqsMock.restore();
  db.secrets.restore();
  await db.pg.stop();
});

it('every order accepted while read-only lands exactly once after promotion', async () => {
  await setReadOnly(true);
  const api = runtime();
  const ids = Array.from({ length: 12 }, (_, i) => `q-${i}`);
  for (const id of ids) expect((await post(api, order(id, i(id)))).statusCode).toBe(202);
  // A client retry of the same order within the dedup window is not queued twice.
  expect((await post(api, order('q-3', i('q-3')))).statusCode).toBe(202);
  expect(queue).toHaveLength(12);
  expect(await db.count()).toBe(0);

  // Still read-only: the drainer applies nothing and hands every message back for retry.
  const drainer = runtime();
  const early = await drain(queue, drainer.store, quiet);
  expect(early.batchItemFailures).toHaveLength(12);
  expect(await db.count()).toBe(0);

  await setReadOnly(false);
  const result = await drain(queue, runtime().store, quiet);
  expect(result.batchItemFailures).toEqual([]);
  expect(await db.count()).toBe(12);

  // SQS delivers at least once: a full redelivery and a duplicate message change nothing.
  const again = await drain([...queue, queue[0]], runtime().store, quiet);
  expect(again.batchItemFailures).toEqual([]);
  const admin = await db.pg.admin(DB_NAME);
  const rows = (await admin.query('SELECT client_order_id, count(*)::int AS n FROM orders GROUP BY 1 ORDER BY 1')).rows;
  await admin.end();
  expect(rows.map((r) => r.client_order_id).sort()).toEqual([...ids].sort());
  expect(rows.every((r) => r.n === 1)).toBe(true);
});

it('a replay through the API after the drain returns the stored order, not a new one', async () => {
  const replay = await post(runtime(), order('q-5', i('q-5')));
  expect(replay.statusCode).toBe(200);
  expect(await db.count()).toBe(12);
});

it('keeps FIFO order: after a failure, later messages are retried too; garbage goes to the DLQ path', async () => {
  const result = await drain(
    [
      { messageId: 'ok-1', body: JSON.stringify(order('f-1')) },
      { messageId: 'bad', body: '{"not":"an order"}' },
      { messageId: 'ok-2', body: JSON.stringify(order('f-2')) },
    ],
    runtime().store,
    quiet,
  );
  expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['bad', 'ok-2']);
  expect(await db.count()).toBe(13);
});

/** Spread orders over a few symbols (message groups). */
function i(id: string): string {
  return ['MSFT', 'AAPL', 'NVDA'][Number(id.split('-')[1]) % 3];
}
