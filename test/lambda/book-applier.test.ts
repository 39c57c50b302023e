/**
 * The book's stream applied to the ledger (PostgreSQL laid out as in AWS, the applier's own
 * OrderLedger): every acknowledged order lands once with its id, region and timestamp; a replayed
 * stream changes nothing; an item not signed by the service key, or stamped outside the bounds,
 * is refused and never reaches the ledger (issue 25 item 1: a forged order placed straight into
 * the table by a principal that may write to it).
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { applyBookRecords, type ApplierDeps } from '../../lambda/book-applier/apply';
import { bookOrderToItem, type BookOrder } from '../../lambda/shared/book-order';
import { bookWriter } from '../../lambda/shared/book-writer';
import { OrderBook } from '../../lambda/shared/order-book';
import { orderIdFor } from '../../lambda/trading/order';
import { BookReplicas } from '../../scripts/local/book-replicas';
import { DB_NAME, openLedger, startTradingDb, type TradingDb } from '../../scripts/local/trading-db';
import { closeTradingDb, limitOrder } from '../helpers/trading-db';

const US = 'us-east-1';
const EU = 'eu-west-1';
const KEY = Buffer.alloc(32, 9);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let db: TradingDb;
let ledgerPool: ReturnType<typeof openLedger>;
let book: BookReplicas;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  db = await startTradingDb();
  ledgerPool = openLedger(db);
  book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await book?.stop();
  await ledgerPool?.close();
  await closeTradingDb(db);
});

async function client(from: string, to: string) {
  const c = await book.client(from, to);
  clients.push(c);
  return c;
}

async function api(region: string): Promise<OrderBook> {
  const byRegion = new Map([
    [US, await client(region, US)],
    [EU, await client(region, EU)],
  ]);
  return new OrderBook({
    replicas: { tableName: book.tableName, client: (r) => byRegion.get(r)! },
    region,
    peer: region === US ? EU : US,
    signingKey: async () => KEY,
  });
}

const deps = (errors: object[] = []): ApplierDeps => ({
  restore: (clientId, order) => ledgerPool.ledger.restore(clientId, order),
  keys: async () => [KEY],
  logger: { ...quiet, error: (_m: string, a?: object) => void errors.push(a ?? {}) },
});

async function ledger(): Promise<{ id: string; created_at: Date; region: string }[]> {
  const c = await db.pg.admin(DB_NAME);
  try {
    return (await c.query('SELECT id, created_at, region FROM orders ORDER BY id')).rows;
  } finally {
    await c.end();
  }
}

it('applies every acknowledged order once, with its id, region and timestamp; a replayed stream changes nothing', async () => {
  const replicas = { tableName: book.tableName, client: (r: string) => (r === US ? usUs : usEu) };
  const usUs = await client(US, US);
  const usEu = await client(US, EU);
  await bookWriter(replicas).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
  const us = await api(US);
  const acked = [];
  for (const id of ['a-1', 'a-2', 'a-3']) {
    const outcome = await us.accept('desk-a', limitOrder(id) as never, Date.now() + 5_000);
    expect(outcome.kind).toBe('created');
    acked.push((outcome as { order: BookOrder }).order);
  }
  expect(await book.settle()).toBe(true);
  const first = await applyBookRecords(book.stream(US), deps());
  expect(first).toMatchObject({ applied: 3, present: 0, refused: [], mismatched: 0 });
  const again = await applyBookRecords(book.stream(US), deps());
  expect(again).toMatchObject({ applied: 0, present: 3, refused: [], mismatched: 0 });
  const rows = await ledger();
  expect(rows.map((r) => [r.id, r.created_at.toISOString(), r.region])).toEqual(
    acked.map((o) => [o.id, o.createdAt, US]).sort((a, b) => a[0].localeCompare(b[0])),
  );
});

it('refuses a forged item (no signature, another key, or a tampered field) and a timestamp out of bounds', async () => {
  const c = await client(EU, EU);
  const forged = (clientOrderId: string, key: Buffer, change: Partial<BookOrder> = {}) => {
    const o: BookOrder = {
      id: orderIdFor('desk-b', clientOrderId),
      clientId: 'desk-b',
      ...(limitOrder(clientOrderId) as never as Pick<
        BookOrder,
        'clientOrderId' | 'symbol' | 'side' | 'type' | 'quantity'
      >),
      limitPrice: '187.25',
      status: 'accepted',
      region: EU,
      createdAt: new Date().toISOString(),
      epoch: 1,
    };
    return { ...bookOrderToItem(o, key), ...(change.quantity ? { quantity: { S: change.quantity } } : {}) };
  };
  const put = (Item: Record<string, unknown>) =>
    c.send(new PutItemCommand({ TableName: book.tableName, Item: Item as never }));
  const unsigned = forged('f-none', KEY);
  delete (unsigned as Record<string, unknown>).sig;
  await put(unsigned);
  await put(forged('f-otherkey', Buffer.alloc(32, 1)));
  await put(forged('f-tampered', KEY, { quantity: '1000000' }));
  const future = bookOrderToItem(
    {
      id: orderIdFor('desk-b', 'f-future'),
      clientId: 'desk-b',
      clientOrderId: 'f-future',
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      quantity: '1',
      status: 'accepted',
      region: EU,
      createdAt: new Date(Date.now() + 3_600_000).toISOString(),
      epoch: 1,
    },
    KEY,
  );
  await put(future);
  const before = await ledger();
  const errors: object[] = [];
  const report = await applyBookRecords(
    book.stream(EU).filter((r) => r.dynamodb.NewImage?.clientId?.S === 'desk-b'),
    deps(errors),
  );
  expect(report.applied).toBe(0);
  expect(report.refused.map((r) => r.reason)).toEqual([
    'no signature',
    'bad signature',
    'bad signature',
    'timestamp in the future',
  ]);
  expect(errors).toHaveLength(4);
  expect(await ledger()).toEqual(before);
});

it('stops at a record the database does not take, so Lambda retries from it', async () => {
  const records = book.stream(US).filter((r) => r.dynamodb.NewImage?.pk.S?.startsWith('order#'));
  let calls = 0;
  const failing: ApplierDeps = {
    ...deps(),
    restore: async (clientId, order) => {
      calls += 1;
      if (calls === 2) throw new Error('connection terminated');
      return ledgerPool.ledger.restore(clientId, order);
    },
  };
  const report = await applyBookRecords(records, failing);
  expect(report.failedFrom).toBe(records[1].dynamodb.SequenceNumber);
  expect(calls).toBe(2);
});
