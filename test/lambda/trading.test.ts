import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handleRequest } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import { createRuntime, requireEnv, Runtime } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import { AddressInfo } from 'net';
import { APP_USER, DB_NAME, startTradingDb, TradingDb } from '../helpers/trading-db';

let db: TradingDb;
const runtimes: Runtime[] = [];

function runtime(extraEnv: Record<string, string> = {}, sqs?: SQSClient): Runtime {
  const r = createRuntime(requireEnv({ ...db.env, ...extraEnv }), { secrets: db.secrets.client, sqs });
  runtimes.push(r);
  return r;
}

function albEvent(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): ALBEvent {
  const text = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg-fn/1' },
    },
    httpMethod: method,
    path,
    queryStringParameters: {},
    headers,
    // The ALB base64-encodes bodies it does not consider text.
    body: text === null ? null : Buffer.from(text).toString('base64'),
    isBase64Encoded: true,
  };
}

async function call(r: Runtime, event: ALBEvent) {
  const result = toAlbResult(await handleRequest(fromAlbEvent(event), r.deps));
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
}

const order = (overrides: Record<string, unknown> = {}) => ({
  clientOrderId: 'c-1001',
  symbol: 'AAPL',
  side: 'buy',
  type: 'limit',
  quantity: '100',
  limitPrice: '187.25',
  ...overrides,
});

beforeAll(async () => {
  db = await startTradingDb();
});

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close().catch(() => undefined)));
  db.secrets.restore();
  await db.pg.stop().catch(() => undefined);
});

describe('order API against PostgreSQL 14', () => {
  it('creates an order (201), stores it once, and serves it back', async () => {
    const r = runtime();
    const created = await call(r, albEvent('POST', '/orders', order()));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...order(), status: 'accepted', region: 'eu-west-1' });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await db.count()).toBe(1);

    const fetched = await call(r, albEvent('GET', `/orders/${created.body.id}`));
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it('replays the same client order id as the stored order (200), never a duplicate', async () => {
    const r = runtime();
    const first = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay' })));
    const again = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay', quantity: 100 })));
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    const c = await db.pg.admin(DB_NAME);
    expect((await c.query("SELECT count(*)::int AS n FROM orders WHERE client_order_id = 'c-replay'")).rows[0].n).toBe(
      1,
    );
    await c.end();
  });

  it('refuses to reuse a client order id for a different order (409), keeping the original', async () => {
    const r = runtime();
    const before = await db.count();
    const conflict = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay', quantity: '5' })));
    expect(conflict.status).toBe(409);
    expect(conflict.body.order.quantity).toBe('100');
    expect(await db.count()).toBe(before);
  });

  it('market orders carry no limit price', async () => {
    const created = await call(
      runtime(),
      albEvent(
        'POST',
        '/orders',
        order({ clientOrderId: 'c-mkt', type: 'market', limitPrice: undefined, quantity: 0.5 }),
      ),
    );
    expect(created.status).toBe(201);
    expect(created.body.limitPrice).toBeUndefined();
    expect(created.body.quantity).toBe('0.5');
  });

  it('GET /orders/{id}: 404 for an unknown id, 400 for a malformed one', async () => {
    const r = runtime();
    expect((await call(r, albEvent('GET', '/orders/6f1c1d2e-1111-4222-8333-944445555666'))).status).toBe(404);
    expect((await call(r, albEvent('GET', '/orders/not-a-uuid'))).status).toBe(400);
  });

  it('GET /health reports the region and that the local cluster is writable', async () => {
    const health = await call(runtime(), albEvent('GET', '/health'));
    expect(health).toMatchObject({
      status: 200,
      body: { status: 'ok', region: 'eu-west-1', role: 'secondary', writable: true },
    });
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
    const r = runtime();
    expect((await call(r, albEvent('GET', '/nope'))).status).toBe(404);
    const wrong = await call(r, albEvent('DELETE', '/orders'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });
});

describe('closing the runtime', () => {
  it('ends its pools once when the reader endpoint is the writer endpoint (the benchmark and single-host setups)', async () => {
    const r = createRuntime(requireEnv({ ...db.env, DB_READ_HOST: db.env.DB_HOST }), { secrets: db.secrets.client });
    expect((await call(r, albEvent('GET', '/health'))).status).toBe(200);
    await expect(r.close()).resolves.toBeUndefined();
  });
});

describe('the EC2 adapter (node:http) serves the same API from the same core', () => {
  it('creates, replays and rejects orders over real HTTP', async () => {
    const server = createApiServer(runtime().deps);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const post = (body: string, type = 'application/json') =>
        fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': type }, body });
      const created = await post(JSON.stringify(order({ clientOrderId: 'c-http' })));
      expect(created.status).toBe(201);
      const stored = (await created.json()) as { id: string };
      expect((await post(JSON.stringify(order({ clientOrderId: 'c-http' })))).status).toBe(200);
      expect((await fetch(`${base}/orders/${stored.id}`)).status).toBe(200);
      expect((await post('x'.repeat(20 * 1024))).status).toBe(413);
      expect((await post('{}', 'text/plain')).status).toBe(415);
      const health = await fetch(`${base}/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', writable: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('invalid input: 4xx with field errors, nothing written', () => {
  const big = JSON.stringify(order({ clientOrderId: 'c-big', symbol: 'A'.repeat(1) })) + ' '.repeat(17 * 1024);
  const cases: [string, unknown, number, string?, Record<string, string>?][] = [
    ['body is not JSON', '{"clientOrderId": ', 400, '(body)'],
    ['empty body', '', 400, '(body)'],
    ['JSON array', '[]', 400, '(body)'],
    ['JSON string', '"order"', 400, '(body)'],
    ['JSON null', 'null', 400, '(body)'],
    ['missing clientOrderId', order({ clientOrderId: undefined }), 400, 'clientOrderId'],
    ['clientOrderId with spaces', order({ clientOrderId: 'c 1' }), 400, 'clientOrderId'],
    ['clientOrderId too long', order({ clientOrderId: 'c'.repeat(65) }), 400, 'clientOrderId'],
    ['missing symbol', order({ symbol: undefined }), 400, 'symbol'],
    ['lowercase symbol', order({ symbol: 'aapl' }), 400, 'symbol'],
    ['symbol too long', order({ symbol: 'ABCDEFGHIJKLM' }), 400, 'symbol'],
    ['side not buy/sell', order({ side: 'hold' }), 400, 'side'],
    ['type not market/limit', order({ type: 'stop' }), 400, 'type'],
    ['quantity zero', order({ quantity: 0 }), 400, 'quantity'],
    ['quantity negative', order({ quantity: '-5' }), 400, 'quantity'],
    ['quantity not numeric', order({ quantity: 'ten' }), 400, 'quantity'],
    ['quantity with 9 decimals', order({ quantity: '0.123456789' }), 400, 'quantity'],
    ['quantity in exponent form', order({ quantity: '1e5' }), 400, 'quantity'],
    ['quantity boolean', order({ quantity: true }), 400, 'quantity'],
    ['quantity above 12 integer digits', order({ quantity: '1234567890123' }), 400, 'quantity'],
    ['limit order without limitPrice', order({ limitPrice: undefined }), 400, 'limitPrice'],
    ['market order with limitPrice', order({ type: 'market' }), 400, 'limitPrice'],
    ['limitPrice negative', order({ limitPrice: -1 }), 400, 'limitPrice'],
    ['unknown field', order({ account: 'x' }), 400, 'account'],
    ['wrong content type', order(), 415, undefined, { 'Content-Type': 'text/plain' }],
    ['body larger than 16 KiB', big, 413],
  ];

  // Rows padded to full length: jest passes `done` to a test function with spare parameters.
  it.each(cases.map(([label, body, status, field, headers]) => ({ label, body, status, field, headers })))(
    '$label',
    async ({ body, status, field, headers }) => {
      const before = await db.count();
      const response = await call(runtime(), albEvent('POST', '/orders', body, headers));
      expect(response.status).toBe(status);
      if (field) expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await db.count()).toBe(before);
    },
  );

  it(`covers at least 20 kinds of invalid input`, () => expect(cases.length).toBeGreaterThanOrEqual(20));
});

describe('credentials rotate under a warm handler', () => {
  it('re-reads the secret once the database refuses the cached password, and recovers', async () => {
    const r = runtime();
    expect((await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-before-rotation' })))).status).toBe(
      201,
    );
    const readsBefore = db.secretReads();
    expect((await call(r, albEvent('GET', '/health'))).status).toBe(200);
    expect(db.secretReads()).toBe(readsBefore); // cached while it works

    const admin = await db.pg.admin(DB_NAME);
    await admin.query(`ALTER ROLE ${APP_USER} PASSWORD 'app-password-2'`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [APP_USER]);
    await admin.end();
    db.secrets.setCurrent(db.secretArn, { ...db.secrets.current(db.secretArn), password: 'app-password-2' });

    const after = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-after-rotation' })));
    expect(after.status).toBe(201);
    expect(db.secretReads()).toBeGreaterThan(readsBefore);
  });
});

describe('read-only local database (the standby before promotion)', () => {
  beforeAll(async () => {
    const admin = await db.pg.admin();
    await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = on`);
    await admin.end();
  });

  it('answers writes 503 with Retry-After and writes nothing; health says not writable', async () => {
    const r = runtime();
    const before = await db.count();
    const response = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-readonly' })));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(await db.count()).toBe(before);
    expect((await call(r, albEvent('GET', '/health'))).body).toMatchObject({ status: 'ok', writable: false });
  });

  it('with an order queue: answers 202 and queues the order, deduplicated by client order id', async () => {
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const r = runtime(
      { ORDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-euw1-test.fifo' },
      sqs,
    );
    const before = await db.count();
    const response = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-queued' })));
    expect(response).toMatchObject({ status: 202, body: { status: 'queued', clientOrderId: 'c-queued' } });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0].args[0].input;
    expect(sent).toMatchObject({ MessageGroupId: 'AAPL', MessageDeduplicationId: 'c-queued' });
    expect(JSON.parse(sent.MessageBody!)).toMatchObject({ clientOrderId: 'c-queued', quantity: '100' });
    expect(await db.count()).toBe(before);

    sqsMock.on(SendMessageCommand).rejects(new Error('queue down'));
    expect((await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-queue-down' })))).status).toBe(503);
    sqsMock.restore();
  });

  afterAll(async () => {
    const admin = await db.pg.admin();
    await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = off`);
    await admin.end();
  });
});

describe('standby whose writer endpoint does not take connections yet', () => {
  // Writer endpoint: an address nothing listens on (the server listens on 127.0.0.1 only).
  // Reader endpoint: the server, read-only, as the standby's replicas are.
  const standby = (sqs?: SQSClient) =>
    runtime(
      {
        DB_HOST: '127.0.0.2',
        DB_READ_HOST: '127.0.0.1',
        ...(sqs ? { ORDER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo' } : {}),
      },
      sqs,
    );

  beforeAll(async () => {
    const admin = await db.pg.admin();
    await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = on`);
    await admin.end();
  });

  afterAll(async () => {
    const admin = await db.pg.admin();
    await admin.query(`ALTER DATABASE ${DB_NAME} SET default_transaction_read_only = off`);
    await admin.end();
  });

  it('health is 200 from the reader with writable false; writes are queued (202) or refused (503), never written', async () => {
    const before = await db.count();
    const sqs = new SQSClient({ region: 'eu-west-1' });
    const sqsMock = mockClient(sqs);
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const r = standby(sqs);
    expect((await call(r, albEvent('GET', '/health'))).body).toMatchObject({ status: 'ok', writable: false });
    expect((await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-standby' })))).status).toBe(202);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
    // Reads fall back to the reader endpoint.
    const admin = await db.pg.admin(DB_NAME);
    const stored: string = (await admin.query('SELECT id FROM orders LIMIT 1')).rows[0].id;
    await admin.end();
    expect((await call(r, albEvent('GET', `/orders/${stored}`))).status).toBe(200);
    expect((await call(standby(), albEvent('POST', '/orders', order({ clientOrderId: 'c-standby-2' })))).status).toBe(
      503,
    );
    expect(await db.count()).toBe(before);
    sqsMock.restore();
  });
});

describe('database down', () => {
  it('writes and health answer 503', async () => {
    const r = runtime();
    expect((await call(r, albEvent('GET', '/health'))).status).toBe(200);
    await db.pg.stop();
    const write = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-down' })));
    expect(write.status).toBe(503);
    expect(write.headers['retry-after']).toBe('5');
    expect((await call(r, albEvent('GET', '/health'))).status).toBe(503);
  });
});
