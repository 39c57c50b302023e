/**
 * `npm run load`: the EC2 service (lambda/trading/server.ts) on 127.0.0.1, driven by many
 * concurrent keep-alive connections for a bounded time against an embedded PostgreSQL 14.
 * Mixes new orders, replays (in other spellings), conflicting reuses of a client order id,
 * reads and bad requests; prints throughput, p50/p99 latency, status counts per kind, and the
 * rows written against the orders acknowledged. Exits 1 when they differ (an order lost or
 * doubled) or when any answer is not what its kind calls for.
 *
 *   npm run load -- --duration=10 --concurrency=64 --pool=4
 *
 * Loopback only: the server listens on 127.0.0.1 and nothing else is contacted.
 */
import { Agent, request as httpRequest } from 'http';
import type { AddressInfo } from 'net';
import { parseArgs } from 'util';
import { exitOnHelp } from './cli';
import { canonicalDecimal } from '../lambda/trading/decimal';
import { createRuntime, requireApiEnv } from '../lambda/trading/runtime';
import { createApiServer } from '../lambda/trading/server';
import { splitTarget } from '../lambda/trading/signing';
import { CLIENTS, DB_NAME, LOCAL_REGION, startTradingDb } from './local/trading-db';
import { authorization } from './order-client';

const HOST = '127.0.0.1';

exitOnHelp(`Usage: npm run load [-- --duration S] [--concurrency N] [--pool N]

Drives the EC2 order service on 127.0.0.1 over a local PostgreSQL 14 with keep-alive clients
and exits 1 when rows written differ from orders acknowledged or an answer is wrong.
  --duration S      seconds to run (default 10)
  --concurrency N   keep-alive connections (default 64)
  --pool N          database pool size (default 4)
  -h, --help        show this help`);
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    pool: { type: 'string', default: '4' },
  },
});
const DURATION_MS = Number(flags.duration) * 1000;
const CONCURRENCY = Number(flags.concurrency);
const POOL = Number(flags.pool);
for (const [name, value] of Object.entries({ duration: DURATION_MS, concurrency: CONCURRENCY, pool: POOL })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
}

interface LoadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Sent without a signature (a stranger's request). */
  readonly unsigned?: true;
}

/**
 * The one place every request passes through before it is sent: signed by desk A (a fresh
 * nonce each time, so a retried request is a new one), unless it plays a stranger.
 */
function finalize(request: LoadRequest, port: number): LoadRequest {
  const hostHeader = `${HOST}:${port}`;
  if (request.unsigned) return request;
  const { path, query } = splitTarget(request.path);
  const signed = authorization(
    CLIENTS.deskA,
    {
      method: request.method,
      host: hostHeader,
      path,
      query: query.map(([k, v]) => [k, v ?? ''] as const),
      body: request.body,
    },
    { region: LOCAL_REGION },
  );
  return { ...request, headers: { ...request.headers, authorization: signed } };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function send(port: number, unsigned: LoadRequest): Promise<Answer> {
  const req = finalize(unsigned, port);
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: HOST, port, method: req.method, path: req.path, headers: req.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Number(process.hrtime.bigint() - start) / 1e6,
          }),
        );
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

const json = (body: unknown): Pick<LoadRequest, 'headers' | 'body'> => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

interface Acked {
  readonly id: string;
  readonly body: Record<string, string>;
}

type Kind = 'new' | 'replay' | 'conflict' | 'read' | 'bad';
/** What each kind of request must be answered (a 503 + Retry-After is retried, as a client would). */
const EXPECTED: Record<Kind, number[]> = {
  new: [201],
  replay: [200],
  conflict: [409],
  read: [200],
  bad: [400, 401, 404, 413, 415],
};
const MIX: [Kind, number][] = [
  ['new', 55],
  ['replay', 15],
  ['conflict', 5],
  ['read', 15],
  ['bad', 10],
];

const BAD: LoadRequest[] = [
  { method: 'POST', path: '/orders', ...json({ clientOrderId: 'x' }) },
  { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{"clientOrderId": ' },
  { method: 'POST', path: '/orders', headers: { 'content-type': 'text/plain' }, body: '{}' },
  { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) },
  { method: 'GET', path: '/orders/%ZZ', headers: {} },
  { method: 'GET', path: '/nope', headers: {} },
  { method: 'POST', path: '/orders', ...json({ clientOrderId: 'ld-stranger' }), unsigned: true },
  { method: 'POST', path: '/x/../orders', ...json({ clientOrderId: 'ld-dotdot' }) },
];

function pick(): Kind {
  let n = Math.random() * 100;
  for (const [kind, weight] of MIX) if ((n -= weight) < 0) return kind;
  return 'new';
}

async function main() {
  process.env.POWERTOOLS_LOG_LEVEL = process.env.LOAD_LOG_LEVEL ?? 'ERROR';
  const db = await startTradingDb('load-password');
  const runtime = createRuntime(requireApiEnv({ ...db.env, DB_POOL_MAX: String(POOL) }), {
    secrets: db.secrets.client,
  });
  const server = createApiServer(runtime.deps);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;

  const latencies: number[] = [];
  const counts = new Map<string, number>();
  const unexpected: string[] = [];
  const acked = new Map<string, Acked>();
  let retried = 0;

  /** Send, retrying a 503 (Retry-After) the way a client must; the final answer counts. */
  async function exchange(kind: Kind, req: LoadRequest): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await send(port, req);
      latencies.push(answer.ms);
      const key = `${kind} ${answer.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (answer.status !== 503 || attempt >= 20) return answer;
      retried++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function worker(w: number, deadline: number) {
    const mine: Acked[] = [];
    for (let n = 0; Date.now() < deadline; n++) {
      let kind = pick();
      if (kind !== 'new' && kind !== 'bad' && mine.length === 0) kind = 'new';
      const some = () => mine[Math.floor(Math.random() * mine.length)];
      let req: LoadRequest;
      let target: Acked | undefined;
      switch (kind) {
        case 'new': {
          const limit = n % 2 === 0;
          const body: Record<string, string> = {
            clientOrderId: `ld-${w}-${n}`,
            symbol: ['AAPL', 'MSFT', 'NVDA', 'AMZN'][n % 4],
            side: n % 3 === 0 ? 'sell' : 'buy',
            type: limit ? 'limit' : 'market',
            quantity: `${1 + (n % 500)}.${n % 7}`,
            ...(limit ? { limitPrice: `${100 + (w % 50)}.25` } : {}),
          };
          req = { method: 'POST', path: '/orders', ...json(body) };
          target = { id: '', body };
          break;
        }
        case 'replay': {
          target = some();
          // The same order in another spelling: trailing zeros are the same decimal.
          req = {
            method: 'POST',
            path: '/orders',
            ...json({ ...target.body, quantity: `${target.body.quantity}000` }),
          };
          break;
        }
        case 'conflict':
          target = some();
          req = { method: 'POST', path: '/orders', ...json({ ...target.body, quantity: `${target.body.quantity}1` }) };
          break;
        case 'read':
          target = some();
          req = { method: 'GET', path: `/orders/${target.id}`, headers: {} };
          break;
        default:
          req = BAD[n % BAD.length];
      }
      const answer = await exchange(kind, req);
      if (!EXPECTED[kind].includes(answer.status)) {
        unexpected.push(`${kind} ${req.method} ${req.path} -> ${answer.status} ${answer.body.slice(0, 200)}`);
        continue;
      }
      if (kind === 'new') {
        const stored = { id: JSON.parse(answer.body).id as string, body: target!.body };
        mine.push(stored);
        acked.set(stored.body.clientOrderId, stored);
      }
      if ((kind === 'replay' || kind === 'read') && JSON.parse(answer.body).id !== target!.id) {
        unexpected.push(`${kind} of ${target!.body.clientOrderId} answered another order`);
      }
    }
  }

  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w, started + DURATION_MS)));
  const elapsedMs = Date.now() - started;

  const admin = await db.pg.admin(DB_NAME);
  const rows = (
    await admin.query<{ client_order_id: string; id: string; quantity: string }>(
      "SELECT client_order_id, id, quantity::text FROM orders WHERE client_order_id LIKE 'ld-%'",
    )
  ).rows;
  await admin.end();
  const stored = new Map(rows.map((r) => [r.client_order_id, r]));
  const lost = [...acked.keys()].filter((id) => !stored.has(id));
  const unacknowledged = [...stored.keys()].filter((id) => !acked.has(id));
  const mismatched = [...acked.values()].filter((a) => {
    const row = stored.get(a.body.clientOrderId);
    return row && (row.id !== a.id || canonicalDecimal(row.quantity) !== canonicalDecimal(a.body.quantity));
  });

  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  console.log(`load: ${CONCURRENCY} connections for ${(elapsedMs / 1000).toFixed(1)} s on ${HOST}, pool ${POOL}`);
  console.log(`  requests     ${latencies.length} (${((latencies.length / elapsedMs) * 1000).toFixed(0)}/s)`);
  console.log(`  latency      p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms`);
  console.log(`  503 retried  ${retried}`);
  console.log(
    '  statuses     ' +
      [...counts]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
  );
  console.log(`  orders       acknowledged ${acked.size}, rows written ${stored.size}`);
  console.log(
    `               lost ${lost.length}, written but not acknowledged ${unacknowledged.length}, differing ${mismatched.length}`,
  );
  for (const line of unexpected.slice(0, 10)) console.log(`  unexpected   ${line}`);

  server.close();
  agent.destroy();
  await runtime.close();
  db.secrets.restore();
  await db.pg.stop();
  const ok = lost.length === 0 && unacknowledged.length === 0 && mismatched.length === 0 && unexpected.length === 0;
  console.log(ok ? 'load: OK' : `load: FAILED (${unexpected.length} unexpected answers)`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
