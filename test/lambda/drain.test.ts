/**
 * The drainer's decisions, directly, over an in-memory store and a fixed clock: expiry at the
 * time-to-live's edge, what is logged and dead-lettered with which reason, which failures refresh
 * credentials, and which ones stop the batch. (queue-and-drain.test.ts runs it against PostgreSQL.)
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { sqsDeadLetterQueue } from '../../lambda/drainer/dead-letter';
import { applyQueuedOrder, drain, DrainDeps } from '../../lambda/drainer/drain';
import { Order, OrderInput, orderIdFor } from '../../lambda/trading/order';
import type { InsertOptions, InsertResult } from '../../lambda/trading/store';
import { orderQueueRecord } from '../helpers/journal-queues';

const CLIENT = 'desk-a';
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const marketOrder = (clientOrderId: string, symbol = 'MSFT', extra: Record<string, unknown> = {}) => ({
  clientOrderId,
  symbol,
  side: 'sell',
  type: 'market',
  quantity: '10',
  ...extra,
});
const body = (order: object, waitedMs = 0) =>
  JSON.stringify({ acceptedAt: new Date(NOW - waitedMs).toISOString(), region: 'eu-west-1', clientId: CLIENT, order });

/** The store's insert as PostgreSQL does it: keyed by (client, client order id), the stored order wins. */
function memoryStore(fail?: (order: OrderInput) => Error | undefined) {
  const stored = new Map<string, Order>();
  const calls: { clientId: string; order: OrderInput; options?: InsertOptions }[] = [];
  return {
    stored,
    calls,
    async insert(clientId: string, order: OrderInput, options?: InsertOptions): Promise<InsertResult> {
      calls.push({ clientId, order, options });
      const error = fail?.(order);
      if (error) throw error;
      const key = `${clientId}:${order.clientOrderId}`;
      const existing = stored.get(key);
      if (existing) return { order: existing, created: false };
      const created: Order = {
        ...order,
        id: orderIdFor(clientId, order.clientOrderId),
        status: options?.status ?? 'accepted',
        region: 'eu-west-1',
        createdAt: (options?.acceptedAt ?? new Date(NOW)).toISOString(),
      };
      stored.set(key, created);
      return { order: created, created: true };
    },
  };
}

function recorder() {
  const logs: { level: string; message: string; data?: unknown }[] = [];
  const at =
    (level: string) =>
    (message: unknown, ...data: unknown[]) =>
      void logs.push({ level, message: String(message), data: data[0] });
  const logger: DrainDeps['logger'] = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logs, logger };
}

function setup(overrides: Partial<DrainDeps> = {}, fail?: (order: OrderInput) => Error | undefined) {
  const store = memoryStore(fail);
  const { logs, logger } = recorder();
  const deadLettered: { messageId: string; reason: string }[] = [];
  let refreshed = 0;
  const deps: DrainDeps = {
    store,
    logger,
    now: () => NOW,
    refreshCredentials: () => void refreshed++,
    deadLetter: { send: async (record, reason) => void deadLettered.push({ messageId: record.messageId, reason }) },
    ...overrides,
  };
  return { deps, store, logs, deadLettered, refreshed: () => refreshed };
}

const failed = (result: { batchItemFailures: { itemIdentifier: string }[] }) =>
  result.batchItemFailures.map((f) => f.itemIdentifier);

describe('a market order and its time-to-live', () => {
  it.each([
    ['exactly the default 60 s', 60_000, 'accepted'],
    ['1 ms past the default 60 s', 60_001, 'expired'],
  ])('waiting %s (%i ms) is recorded %s', async (_label, waitedMs, status) => {
    const { deps, store } = setup();
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1'), waitedMs), 'q-1'), deps);
    expect(store.calls).toEqual([
      {
        clientId: CLIENT,
        order: marketOrder('m-1'),
        options: { acceptedAt: new Date(NOW - waitedMs), status },
      },
    ]);
  });

  it('follows the configured time-to-live', async () => {
    const { deps, store } = setup({ marketOrderTtlSeconds: 10 });
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1'), 10_000), 'q-1'), deps);
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-2'), 10_001), 'q-2'), deps);
    expect(store.calls.map((c) => c.options?.status)).toEqual(['accepted', 'expired']);
  });

  it('a limit order never expires', async () => {
    const { deps, store } = setup();
    const limit = marketOrder('l-1', 'MSFT', { type: 'limit', limitPrice: '410.5' });
    await applyQueuedOrder(orderQueueRecord(body(limit, 3_600_000), 'q-1'), deps);
    expect(store.calls[0].options?.status).toBe('accepted');
  });

  it('is measured on the real clock when no clock is given', async () => {
    const { deps, store } = setup({ now: undefined });
    // Accepted at NOW (2026-01-01), which is in the past of the real clock: long expired.
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps);
    const acceptedNow = JSON.stringify({
      acceptedAt: new Date().toISOString(),
      region: 'eu-west-1',
      clientId: CLIENT,
      order: marketOrder('m-2'),
    });
    await applyQueuedOrder(orderQueueRecord(acceptedNow, 'q-2'), deps);
    expect(store.calls.map((c) => c.options?.status)).toEqual(['expired', 'accepted']);
  });
});

describe('what each message ends as, and what is logged', () => {
  it('applied: logged with the order and how long it waited', async () => {
    const { deps, logs } = setup();
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1'), 1_500), 'q-1'), deps);
    expect(logs).toEqual([
      {
        level: 'info',
        message: 'queued order applied',
        data: {
          messageId: 'q-1',
          clientId: CLIENT,
          clientOrderId: 'm-1',
          orderId: orderIdFor(CLIENT, 'm-1'),
          waitedSeconds: 1.5,
        },
      },
    ]);
  });

  it('expired: a warning with how long it waited and the time-to-live', async () => {
    const { deps, logs } = setup();
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1'), 61_000), 'q-1'), deps);
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'queued market order expired: recorded, not executed',
        data: {
          messageId: 'q-1',
          clientId: CLIENT,
          clientOrderId: 'm-1',
          orderId: orderIdFor(CLIENT, 'm-1'),
          waitedSeconds: 61,
          ttl: 60,
        },
      },
    ]);
  });

  it('already applied (a redelivery, or the same order written differently): acknowledged and logged as such', async () => {
    const { deps, logs, deadLettered } = setup();
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps);
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1', 'MSFT', { quantity: '010.0' })), 'q-2'), deps);
    expect(logs[1]).toEqual({
      level: 'info',
      message: 'queued order already applied',
      data: { messageId: 'q-2', clientId: CLIENT, clientOrderId: 'm-1', orderId: orderIdFor(CLIENT, 'm-1') },
    });
    expect(deadLettered).toEqual([]);
  });

  it('a different order under a stored client order id: dead-lettered with the reason, the stored order stands', async () => {
    const { deps, logs, deadLettered, store } = setup();
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps);
    await applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1', 'MSFT', { quantity: '11' })), 'q-2'), deps);
    const reason = `clientOrderId m-1 of ${CLIENT} is already used for a different order (${orderIdFor(CLIENT, 'm-1')})`;
    expect(deadLettered).toEqual([{ messageId: 'q-2', reason }]);
    expect(logs[1]).toEqual({
      level: 'error',
      message: 'queued message dead-lettered',
      data: { messageId: 'q-2', reason },
    });
    expect(logs).toHaveLength(2);
    expect([...store.stored.values()].map((o) => o.quantity)).toEqual(['10']);
  });

  it.each([
    ['not JSON', 'nonsense', 'not a queued order: body is not JSON'],
    ['not an order', '{"not":"an order"}', 'not a queued order: acceptedAt: '],
  ])('%s: dead-lettered with the reason, nothing stored', async (_label, text, reason) => {
    const { deps, deadLettered, store, logs } = setup();
    await applyQueuedOrder(orderQueueRecord(text, 'q-1'), deps);
    expect(deadLettered).toEqual([{ messageId: 'q-1', reason: expect.stringContaining(reason) }]);
    expect(deadLettered[0].reason.startsWith('not a queued order: ')).toBe(true);
    expect(logs).toEqual([
      {
        level: 'error',
        message: 'queued message dead-lettered',
        data: { messageId: 'q-1', reason: deadLettered[0].reason },
      },
    ]);
    expect(store.calls).toEqual([]);
  });

  it('without a dead-letter queue, such a message fails with its reason (the redrive policy moves it)', async () => {
    const { deps } = setup({ deadLetter: undefined });
    await expect(applyQueuedOrder(orderQueueRecord('nonsense', 'q-1'), deps)).rejects.toThrow(
      'cannot be applied: not a queued order: body is not JSON',
    );
  });
});

describe('database failures', () => {
  const refusedPassword = Object.assign(new Error('password authentication failed'), { code: '28P01' });
  const readOnly = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), { code: '25006' });

  it('a refused password forgets the cached credentials, warns, and hands the message back', async () => {
    const { deps, logs, refreshed } = setup({}, () => refusedPassword);
    await expect(applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps)).rejects.toBe(
      refusedPassword,
    );
    expect(refreshed()).toBe(1);
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'queued order not applied yet',
        data: { messageId: 'q-1', failure: 'auth', error: 'Error: password authentication failed' },
      },
    ]);
  });

  it('a refused password without cached credentials to forget still hands the message back', async () => {
    const { deps } = setup({ refreshCredentials: undefined }, () => refusedPassword);
    await expect(applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps)).rejects.toBe(
      refusedPassword,
    );
  });

  it('any other failure keeps the credentials', async () => {
    const { deps, refreshed } = setup({}, () => readOnly);
    await expect(applyQueuedOrder(orderQueueRecord(body(marketOrder('m-1')), 'q-1'), deps)).rejects.toBe(readOnly);
    expect(refreshed()).toBe(0);
  });

  it.each([
    ['read-only', readOnly],
    ['a timeout, in any case', new Error('Connection TIMEOUT expired')],
  ])('once the database is out (%s), the rest of the batch is handed back untried', async (_label, error) => {
    const { deps, store } = setup({}, () => error);
    const result = await drain(
      {
        Records: ['MSFT', 'AAPL', 'NVDA'].map((s, n) => orderQueueRecord(body(marketOrder(`t-${n}`, s)), `t-${n}`, s)),
      },
      deps,
    );
    expect(failed(result)).toEqual(['t-0', 't-1', 't-2']);
    expect(store.calls.map((c) => c.order.clientOrderId)).toEqual(['t-0']);
  });

  it('a failure of one message only (not the database) holds back its symbol, and the batch goes on', async () => {
    const { deps, store } = setup({}, (o) =>
      o.clientOrderId === 'f-1' ? Object.assign(new Error('duplicate key'), { code: '23505' }) : undefined,
    );
    const records: SQSRecord[] = [
      orderQueueRecord(body(marketOrder('f-1', 'MSFT')), 'f-1', 'MSFT'),
      orderQueueRecord(body(marketOrder('f-2', 'MSFT')), 'f-2', 'MSFT'),
      orderQueueRecord(body(marketOrder('g-1', 'AAPL')), 'g-1', 'AAPL'),
    ];
    expect(failed(await drain({ Records: records }, deps))).toEqual(['f-1', 'f-2']);
    expect(store.calls.map((c) => c.order.clientOrderId)).toEqual(['f-1', 'g-1']);
  });

  it('a batch that fails entirely is reported, not thrown', async () => {
    const { deps } = setup({}, () => readOnly);
    const result = await drain({ Records: [orderQueueRecord(body(marketOrder('m-1')), 'q-1')] }, deps);
    expect(failed(result)).toEqual(['q-1']);
  });
});

describe('the SQS dead-letter queue', () => {
  const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-dlq-euw1-test.fifo';

  it('keeps the body and the message group, deduplicates by the original message, and attaches the reason', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const mock = mockClient(sqs);
    mock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const record = orderQueueRecord('nonsense', 'm-7', 'AAPL');
    await sqsDeadLetterQueue(sqs, DLQ).send(record, 'not a queued order: body is not JSON');
    expect(mock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      {
        QueueUrl: DLQ,
        MessageBody: 'nonsense',
        MessageGroupId: 'AAPL',
        MessageDeduplicationId: 'm-7',
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: 'not a queued order: body is not JSON' },
          sourceMessageId: { DataType: 'String', StringValue: 'm-7' },
        },
      },
    ]);
    mock.restore();
  });

  it('cuts a long reason to 1024 characters, and names a group when the record has none', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const mock = mockClient(sqs);
    mock.on(SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const record = { ...orderQueueRecord('x', 'm-8'), attributes: undefined } as unknown as SQSRecord;
    await sqsDeadLetterQueue(sqs, DLQ).send(record, 'r'.repeat(1025));
    const [input] = mock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(input.MessageGroupId).toBe('unknown');
    expect(input.MessageAttributes?.reason?.StringValue).toBe('r'.repeat(1024));
    mock.restore();
  });
});
