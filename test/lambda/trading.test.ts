/**
 * The order API end to end through both adapters, over the live order book (the two-replica
 * emulator): what is taken, what is refused (4xx, nothing written), identity and races.
 */
import type { ALBEvent } from 'aws-lambda';
import { handleRequest, readiness } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import type { Runtime } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import { AddressInfo } from 'net';
import { OrderClient } from '../../scripts/order-client';
import { CLIENTS } from '../../scripts/local/trading-db';
import { limitOrder } from '../helpers/trading-db';
import { albEvent, callAlb } from '../helpers/trading-requests';
import { type BookApi, startBookApi } from '../helpers/book-api';

let api: BookApi;

function runtime(extraEnv: Record<string, string> = {}): Runtime {
  return api.runtime(extraEnv);
}

async function call(r: Runtime, event: ALBEvent) {
  return callAlb(r.deps, event);
}

/** The conflict answer: no order in it, not even the client's own. */
const CONFLICT = { error: 'clientOrderId already used for a different order' };

const order = (overrides: Record<string, unknown> = {}) => limitOrder('c-1001', overrides);

beforeAll(async () => {
  api = await startBookApi();
});

afterAll(() => api.stop());

describe('order API over the live order book', () => {
  it('creates an order (201), stores it once, and serves it back', async () => {
    const r = runtime();
    const created = await call(r, albEvent('POST', '/orders', order()));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...order(), status: 'accepted', region: 'eu-west-1' });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.orders()).toBe(1);

    const fetched = await call(r, albEvent('GET', `/orders/${created.body.id}`));
    expect(fetched.status).toBe(200);
    // The 201 also says how durable the acknowledgement was; the order itself is the same.
    const { durability, ...stored } = created.body;
    expect(durability).toBe('cross-region');
    expect(fetched.body).toEqual(stored);
  });

  it('replays the same client order id as the stored order (200), never a duplicate', async () => {
    const r = runtime();
    const first = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay' })));
    const again = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay', quantity: '100.0' })));
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.id).toBe(first.body.id);
    expect(api.orders()).toBe(2);
  });

  it('refuses to reuse a client order id for a different order (409), keeping the original', async () => {
    const r = runtime();
    const before = api.orders();
    const conflict = await call(r, albEvent('POST', '/orders', order({ clientOrderId: 'c-replay', quantity: '5' })));
    expect(conflict).toMatchObject({ status: 409, body: CONFLICT });
    expect(api.orders()).toBe(before);
  });

  it('market orders carry no limit price', async () => {
    const created = await call(
      runtime(),
      albEvent(
        'POST',
        '/orders',
        order({ clientOrderId: 'c-mkt', type: 'market', limitPrice: undefined, quantity: '0.5' }),
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

  it('GET /health answers 200 with its status only, unsigned; the region accepts orders through the book', async () => {
    const r = runtime();
    const health = await call(r, albEvent('GET', '/health', undefined, {}, { as: null }));
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await readiness(r.deps)).toEqual({ accepting: 'write', book: 'ready' });
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
    const r = runtime();
    expect((await call(r, albEvent('GET', '/nope'))).status).toBe(404);
    const wrong = await call(r, albEvent('DELETE', '/orders'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });
});

describe('order identity is decided on canonical decimals at the column scale', () => {
  // Each value is stored as numeric(20, 8) and read back as e.g. '187.25000000'.
  it.each(['187.250', '020', '00.6', '5.10000000'])(
    'an identical retry with limitPrice %s is a replay (200)',
    async (price) => {
      const r = runtime();
      const body = order({ clientOrderId: `c-canon-${price.replace('.', '_')}`, limitPrice: price, quantity: price });
      const first = await call(r, albEvent('POST', '/orders', body));
      const again = await call(r, albEvent('POST', '/orders', body));
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body.id).toBe(first.body.id);
    },
  );

  it('the same value written differently is the same order (200), as a number or a string', async () => {
    const r = runtime();
    const first = await call(
      r,
      albEvent('POST', '/orders', order({ clientOrderId: 'c-canon-forms', limitPrice: '0187.2500' })),
    );
    const again = await call(
      r,
      albEvent('POST', '/orders', order({ clientOrderId: 'c-canon-forms', limitPrice: '187.25' })),
    );
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(first.body.limitPrice).toBe('187.25');
  });

  it('a quantity that differs in the 8th decimal is a different order (409), never a replay', async () => {
    const r = runtime();
    const id = 'c-canon-big';
    const first = await call(
      r,
      albEvent('POST', '/orders', order({ clientOrderId: id, quantity: '123456789012.12345678' })),
    );
    const other = await call(
      r,
      albEvent('POST', '/orders', order({ clientOrderId: id, quantity: '123456789012.12345679' })),
    );
    expect([first.status, other.status]).toEqual([201, 409]);
    expect((await call(r, albEvent('GET', `/orders/${first.body.id}`))).body.quantity).toBe('123456789012.12345678');
  });

  it('refuses a JSON number the double cannot hold exactly, naming the field', async () => {
    const before = api.orders();
    // JSON.parse turns this into 123456789012.12346: accepting it would store another quantity.
    const text = JSON.stringify(order({ clientOrderId: 'c-canon-double' })).replace('"100"', '123456789012.12345679');
    const response = await call(runtime(), albEvent('POST', '/orders', text));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({
      field: 'quantity',
      message: expect.stringMatching(/decimal string/),
    });
    expect(api.orders()).toBe(before);
  });
});

describe('concurrent requests with one client order id', () => {
  it('identical orders racing on several processes: exactly one 201, never another order, one item', async () => {
    const apis = [runtime(), runtime(), runtime()];
    const body = order({ clientOrderId: 'c-race-same' });
    const before = api.orders();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, n) => call(apis[n % apis.length], albEvent('POST', '/orders', body))),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const id = answers.find((a) => a.status === 201)!.body.id;
    // The rest replay it (200), or were refused in time (503: the emulator serialises writes) and
    // replay it when sent again: never a second order.
    for (const a of answers.filter((x) => x.status !== 201)) {
      if (a.status === 200) expect(a.body.id).toBe(id);
      else expect(a.status).toBe(503);
    }
    const again = await call(apis[0], albEvent('POST', '/orders', body));
    expect(again).toMatchObject({ status: 200, body: { id } });
    expect(api.orders()).toBe(before + 1);
  });

  it('different orders racing: one is stored, every other one is told 409', async () => {
    const apis = [runtime(), runtime(), runtime()];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        call(
          apis[n % apis.length],
          albEvent('POST', '/orders', order({ clientOrderId: 'c-race-diff', quantity: String(n + 1) })),
        ),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201))
      expect(a).toEqual(expect.objectContaining({ status: 409, body: CONFLICT }));
  });
});

describe("malformed requests are the client's fault (400), never a 500", () => {
  it.each(['/orders/%ZZ', '/orders/%', '/orders/%E0%A4%A'])('GET %s answers 400', async (path) => {
    const response = await call(runtime(), albEvent('GET', path));
    expect(response.status).toBe(400);
  });

  it.each([
    ['httpMethod', { httpMethod: undefined }],
    ['path', { path: undefined }],
    ['both', { httpMethod: undefined, path: undefined }],
    ['a non-string httpMethod', { httpMethod: 42 }],
  ])('an ALB event without %s answers 400', async (_label, overrides) => {
    const event = { ...albEvent('GET', '/health'), ...overrides } as unknown as ALBEvent;
    const response = toAlbResult(await handleRequest(fromAlbEvent(event), runtime().deps));
    expect(response.statusCode).toBe(400);
  });
});

describe('the EC2 adapter (node:http) serves the same API from the same core', () => {
  it('creates, replays and rejects orders over real HTTP', async () => {
    const server = createApiServer(runtime().deps);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = new OrderClient(base, CLIENTS.deskA);
      const created = await client.placeOrder(order({ clientOrderId: 'c-http' }));
      expect(created.status).toBe(201);
      const stored = created.body as { id: string };
      expect((await client.placeOrder(order({ clientOrderId: 'c-http' }))).status).toBe(200);
      expect((await client.getOrder(stored.id)).status).toBe(200);
      expect((await client.request('POST', '/orders', 'x'.repeat(20 * 1024))).status).toBe(413);
      const plain = await client.request('POST', '/orders', '{}', { headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(415);
      const health = await fetch(`${base}/health`);
      expect(await health.json()).toEqual({ status: 'ok' });
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
    ['quantity zero', order({ quantity: '0' }), 400, 'quantity'],
    ['quantity as a JSON number', order({ quantity: 100 }), 400, 'quantity'],
    ['limitPrice as a JSON number', order({ limitPrice: 187.25 }), 400, 'limitPrice'],
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
      const before = api.orders();
      const response = await call(runtime(), albEvent('POST', '/orders', body, headers));
      expect(response.status).toBe(status);
      if (field) expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(api.orders()).toBe(before);
    },
  );

  it(`covers at least 20 kinds of invalid input`, () => expect(cases.length).toBeGreaterThanOrEqual(20));
});
