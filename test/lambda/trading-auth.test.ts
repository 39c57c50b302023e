/**
 * The order API admits only signed clients, on every path spelling and through both adapters
 * (ALB -> Lambda and node:http on EC2), and each client sees only its own orders. Over the
 * live order book (two-replica emulator); the HTTP adapter is driven with raw request targets
 * (no client-side URL normalisation), the way an attacker would send them.
 */
import { request } from 'http';
import { AddressInfo } from 'net';
import type { Runtime } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import { ClientCredentials } from '../../scripts/order-client';
import { main as orderClientCli } from '../../scripts/order-client';
import { CLIENTS, SLOW_CLIENT_LIMITS } from '../../scripts/local/trading-db';
import { limitOrder } from '../helpers/trading-db';
import { type BookApi, startBookApi } from '../helpers/book-api';
import { albEvent, callAlb, SendOptions, signedHeaders } from '../helpers/trading-requests';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

interface Adapter {
  readonly name: string;
  send(method: string, path: string, body?: unknown, options?: SendOptions): Promise<Reply>;
  /** Send exactly these headers (to replay a captured request). */
  sendRaw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply>;
}

let db: BookApi;
const closers: (() => Promise<void>)[] = [];

function runtime(): Runtime {
  return db.runtime();
}

const text = (body: unknown) =>
  body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
const JSON_TYPE = { 'content-type': 'application/json' };

/** Every answer of either adapter carries the security headers: checked on every reply in this file. */
function checked(reply: Reply): Reply {
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['cache-control']).toBe('no-store');
  // At least a year, the floor browsers' preload lists ask for.
  const maxAge = /^max-age=(\d+)(;|$)/.exec(String(reply.headers['strict-transport-security']))?.[1];
  expect(Number(maxAge)).toBeGreaterThanOrEqual(31_536_000);
  return reply;
}

function albAdapter(r: Runtime): Adapter {
  const sendRaw = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
    const event = albEvent(method, path, body, headers, { as: null });
    const reply = await callAlb(r.deps, event);
    return checked({
      ...reply,
      headers: Object.fromEntries(Object.entries(reply.headers).map(([k, v]) => [k, String(v)])),
    });
  };
  return {
    name: 'ALB -> Lambda',
    send: (method, path, body, options = {}) =>
      sendRaw(method, path, signedHeaders(method, path, text(body), JSON_TYPE, options), text(body)),
    sendRaw,
  };
}

async function httpAdapter(r: Runtime): Promise<Adapter> {
  const server = createApiServer(r.deps);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const sendRaw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<Reply>((resolve, reject) => {
      // `path` goes on the wire exactly as given: no URL parser in between.
      const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString();
          resolve(checked({ status: res.statusCode!, headers: res.headers, body: raw ? JSON.parse(raw) : null }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    name: 'node:http (EC2)',
    send: (method, path, body, options = {}) =>
      sendRaw(method, path, signedHeaders(method, path, text(body), JSON_TYPE, options), text(body)),
    sendRaw,
  };
}

let serial = 0;
const order = (overrides: Record<string, unknown> = {}) => limitOrder(`auth-${++serial}`, overrides);

/** What a refused request must not carry: any field of an order. */
function expectNoOrder(reply: Reply) {
  for (const field of ['id', 'clientOrderId', 'symbol', 'quantity', 'order', 'createdAt']) {
    expect(reply.body).not.toHaveProperty(field);
  }
}

const adapters: Record<string, Adapter> = {};

beforeAll(async () => {
  db = await startBookApi();
  // Each adapter its own runtime (as separate processes are): its own replay guard and buckets.
  adapters.alb = albAdapter(runtime());
  adapters.http = await httpAdapter(runtime());
});

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await db.stop();
});

describe.each(['alb', 'http'])('%s adapter', (key) => {
  const api = () => adapters[key];
  let stored: { id: string };

  beforeAll(async () => {
    const created = await api().send('POST', '/orders', order());
    expect(created.status).toBe(201);
    stored = created.body as { id: string };
  });

  it('serves a signed client: places and reads its order', async () => {
    const placed = await api().send('POST', '/orders', order());
    expect(placed.status).toBe(201);
    const { durability: _durability, ...stored } = placed.body;
    expect((await api().send('GET', `/orders/${placed.body.id}`)).body).toEqual(stored);
  });

  // Each refusal, on each order route (the canonical spelling; other spellings are 400 below).
  // Functions: a window is relative to when the request is sent, not when this file loaded.
  const attacks: [string, () => SendOptions][] = [
    ['unsigned', () => ({ as: null })],
    ['expired (31 s old)', () => ({ now: Date.now() - 31_000 })],
    ['future-dated (6 s ahead)', () => ({ now: Date.now() + 6_000 })],
    ['signed with another key', () => ({ as: { clientId: CLIENTS.deskA.clientId, key: CLIENTS.deskB.key } })],
    ['signed by an unknown client', () => ({ as: { clientId: 'nobody', key: CLIENTS.deskA.key } })],
    ['signed for another path', () => ({ signedPath: '/orders/00000000-0000-4000-8000-000000000000' })],
  ];
  const routes = (): [string, string, unknown][] => [
    ['POST', '/orders', order()],
    ['GET', `/orders/${stored.id}`, undefined],
  ];

  it.each(attacks)(
    'refuses a request %s with 401 on every order route, writing and revealing nothing',
    async (_l, options) => {
      for (const [method, path, body] of routes()) {
        const before = db.orders();
        const reply = await api().send(method, path, body, options());
        expect([method, path, reply.status]).toEqual([method, path, 401]);
        expect(reply.headers['www-authenticate']).toBe('TAP-HMAC-SHA256');
        expectNoOrder(reply);
        expect(db.orders()).toBe(before);
      }
    },
  );

  it('refuses a tampered body (signature over the original) with 401, writing nothing', async () => {
    const signed = signedHeaders('POST', '/orders', JSON.stringify(order({ quantity: '1' })), JSON_TYPE, {});
    const before = db.orders();
    const reply = await api().sendRaw('POST', '/orders', signed, JSON.stringify(order({ quantity: '1000000' })));
    expect(reply.status).toBe(401);
    expect(db.orders()).toBe(before);
  });

  it('refuses a replayed request within the window (POST and GET)', async () => {
    const body = JSON.stringify(order());
    const post = signedHeaders('POST', '/orders', body, JSON_TYPE, {});
    expect((await api().sendRaw('POST', '/orders', post, body)).status).toBe(201);
    const before = db.orders();
    const replay = await api().sendRaw('POST', '/orders', post, body);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatch(/nonce/);
    expectNoOrder(replay);
    expect(db.orders()).toBe(before);

    const get = signedHeaders('GET', `/orders/${stored.id}`, undefined, {}, {});
    expect((await api().sendRaw('GET', `/orders/${stored.id}`, get)).status).toBe(200);
    const again = await api().sendRaw('GET', `/orders/${stored.id}`, get);
    expect(again.status).toBe(401);
    expectNoOrder(again);
  });

  // Spellings that a URL parser, proxy or listener rule may map onto an order route.
  const spellings = (id: string) => [
    ['POST', '/x/../orders'],
    ['POST', '/%2e%2e/orders'],
    ['POST', '/%2E%2E/orders'],
    ['POST', '//orders'],
    ['POST', '/./orders'],
    ['POST', '/orders/'],
    ['POST', '/orders/.'],
    ['POST', '/%6frders'],
    ['POST', '/x/..%2forders'],
    ['POST', '/x%2F..%2Forders'],
    ['POST', '/x\\..\\orders'],
    ['GET', `/orders%2F${id}`],
    ['GET', `/orders/x/../${id}`],
    ['GET', `//orders/${id}`],
    ['GET', `/orders//${id}`],
    ['GET', `/orders/${id}/`],
    ['GET', `/orders/%${id}`],
    ['GET', '/orders/%ZZ'],
  ];

  it('answers 400 to every other spelling of an order route, signed or not, before routing', async () => {
    for (const [method, path] of spellings(stored.id)) {
      for (const as of [undefined, null]) {
        const before = db.orders();
        const body = method === 'POST' ? order() : undefined;
        const reply = await api().send(method, path, body, { as });
        expect([method, path, as === null ? 'unsigned' : 'signed', reply.status]).toEqual([
          method,
          path,
          as === null ? 'unsigned' : 'signed',
          400,
        ]);
        expect(reply.body.error).toBe('non-canonical path');
        expectNoOrder(reply);
        expect(db.orders()).toBe(before);
      }
    }
  });

  it('asks for a signature before saying whether a path exists', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/orders'],
      ['POST', '/health'],
      ['GET', '/ORDERS'],
    ]) {
      expect([path, (await api().send(method, path, undefined, { as: null })).status]).toEqual([path, 401]);
    }
    expect((await api().send('GET', '/nope')).status).toBe(404);
  });

  it('GET /health answers anyone, with its status and nothing else', async () => {
    const health = await api().send('GET', '/health', undefined, { as: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const everything = JSON.stringify(health);
    for (const secret of ['eu-west-1', 'secondary', 'writable', 'region']) expect(everything).not.toContain(secret);
  });
});

describe('the EC2 adapter reads an absolute-form request target as written, not as a URL parser would', () => {
  const host = 'http://api.example.com';

  it.each([`${host}/x/../orders`, `${host}/%2e%2e/orders`, `${host}//orders`, `${host}/orders/`])(
    '%s answers 400, signed or not, writing nothing',
    async (target) => {
      const path = target.slice(host.length);
      for (const options of [{ signedPath: path }, { as: null }]) {
        const before = db.orders();
        const reply = await adapters.http.send('POST', target, order(), options);
        expect(reply.status).toBe(400);
        expect(db.orders()).toBe(before);
      }
    },
  );

  it('serves a signed absolute-form request at the path it names', async () => {
    const body = JSON.stringify(order());
    const reply = await adapters.http.sendRaw(
      'POST',
      `${host}/orders`,
      signedHeaders('POST', '/orders', body, JSON_TYPE, {}),
      body,
    );
    expect(reply.status).toBe(201);
  });
});

describe('orders belong to the client that signed', () => {
  it.each(['alb', 'http'])(
    "%s: ids are unique per client; nobody reads or learns about another client's order",
    async (key) => {
      const api = adapters[key];
      const asB = { as: CLIENTS.deskB };
      const mine = order({ clientOrderId: `shared-${key}` });
      const a = await api.send('POST', '/orders', mine);
      expect(a.status).toBe(201);

      // The same client order id is desk B's to use: a different order, not a conflict or a replay.
      const theirs = { ...mine, quantity: '7' };
      const b = await api.send('POST', '/orders', theirs, asB);
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.quantity).toBe('7');

      // Desk B cannot read desk A's order: the same 404 as an id that does not exist.
      const peek = await api.send('GET', `/orders/${a.body.id}`, undefined, asB);
      const none = await api.send('GET', '/orders/6f1c1d2e-1111-4222-8333-944445555666', undefined, asB);
      expect(peek.status).toBe(404);
      expect(peek.body).toEqual(none.body);

      // A conflicting POST is 409 and echoes no order, not even the client's own.
      const conflict = await api.send('POST', '/orders', { ...mine, quantity: '9' });
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual({ error: 'clientOrderId already used for a different order' });

      // Replays still answer each client with its own order.
      expect((await api.send('POST', '/orders', mine)).body.id).toBe(a.body.id);
      expect((await api.send('POST', '/orders', theirs, asB)).body.id).toBe(b.body.id);
    },
  );
});

describe('per-client limits', () => {
  it.each(['alb', 'http'])(
    '%s: a client over its burst gets 429 with Retry-After; others are not slowed',
    async (key) => {
      const api = adapters[key];
      const slow = { as: CLIENTS.slow as ClientCredentials };
      for (let i = 0; i < SLOW_CLIENT_LIMITS.burst; i++) {
        expect((await api.send('POST', '/orders', order(), slow)).status).toBe(201);
      }
      const before = db.orders();
      const throttled = await api.send('POST', '/orders', order(), slow);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(db.orders()).toBe(before);
      expect((await api.send('POST', '/orders', order())).status).toBe(201);
    },
  );
});

describe('the order client CLI (README example)', () => {
  it('places an order and reads it back against the EC2 adapter', async () => {
    const server = createApiServer(runtime().deps);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = { TAP_CLIENT_ID: CLIENTS.deskA.clientId, TAP_CLIENT_KEY: CLIENTS.deskA.key };
    const lines: string[] = [];
    try {
      const args = [
        'place',
        '--url',
        url,
        '--client-order-id',
        'cli-1',
        '--symbol',
        'AAPL',
        '--side',
        'buy',
        '--quantity',
        '5',
      ];
      expect(await orderClientCli(args, env, (l) => lines.push(l))).toBe(0);
      expect(lines[0]).toMatch(/^201 /);
      const id = JSON.parse(lines[0].slice(4)).id;
      expect(await orderClientCli(['get', '--url', url, id], env, (l) => lines.push(l))).toBe(0);
      expect(lines[1]).toMatch(/^200 .*"clientOrderId":"cli-1"/);
      // Without a key it explains itself instead of sending an unsigned request.
      expect(await orderClientCli(['get', '--url', url, id], {}, (l) => lines.push(l))).toBe(2);
      expect(lines[2]).toMatch(/TAP_CLIENT_KEY/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
