/**
 * `npm run load`: the EC2 service (lambda/trading/server.ts) on 127.0.0.1 as the primary
 * region's writer of the live order book (two in-process replicas, the peer `--peer-latency-ms`
 * away), driven by many concurrent keep-alive connections for a bounded time. The book's
 * applier feeds an embedded PostgreSQL 14 (the ledger) from the primary replica's stream.
 * Mixes new orders, replays (in other spellings), conflicting reuses of a client order id,
 * reads and bad requests; prints throughput, p50/p99 latency, status counts per kind (a 503
 * "overloaded" apart from a 503 for any other reason), and the ledger's rows against the orders
 * acknowledged. Exits 1 when they differ (an order lost or doubled), when any answer is not what
 * its kind calls for, or when a healthy writer refused an order (503 other than overload).
 *
 *   npm run load -- --duration=10 --concurrency=64 --peer-latency-ms=80
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
import { CLIENTS, DB_NAME, openLedger, startTradingDb } from './local/trading-db';
import { PRIMARY_REGION } from '../lib/config/config-schema';
import { startLocalBook } from './local/local-book';
import { startLedgerPump } from './local/ledger-pump';
import { signedHeaders } from './order-client';

const HOST = '127.0.0.1';

exitOnHelp(`Usage: npm run load [-- --duration S] [--concurrency N] [--peer-latency-ms N]

Drives the EC2 order service on 127.0.0.1, the writer of the live order book (two in-process
replicas), with keep-alive clients, and exits 1 when the ledger (a local PostgreSQL 14 fed by
the book's applier) differs from the orders acknowledged, an answer is wrong, or a healthy
writer refused an order.
  --duration S          seconds to run (default 10)
  --concurrency N       keep-alive connections (default 64)
  --peer-latency-ms N   added to every call to the other region's replica (default 80)
  -h, --help            show this help`);
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    'peer-latency-ms': { type: 'string', default: '80' },
  },
});
const DURATION_MS = Number(flags.duration) * 1000;
const CONCURRENCY = Number(flags.concurrency);
const PEER_LATENCY_MS = Number(flags['peer-latency-ms']);
for (const [name, value] of Object.entries({ duration: DURATION_MS, concurrency: CONCURRENCY })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
}
if (!Number.isInteger(PEER_LATENCY_MS) || PEER_LATENCY_MS < 0 || PEER_LATENCY_MS > 10_000)
  throw new Error('--peer-latency-ms must be a whole number of milliseconds from 0 to 10000');

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
  const signed = signedHeaders(
    CLIENTS.deskA,
    {
      method: request.method,
      host: hostHeader,
      path,
      query: query.map(([k, v]) => [k, v ?? ''] as const),
      body: request.body,
    },
    { region: PRIMARY_REGION },
  );
  return { ...request, headers: { ...request.headers, ...signed } };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
  /** A 200 that answered a retry after "outcome unknown": the order was stored by the first try. */
  readonly afterUnknown?: true;
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
  const db = await startTradingDb('load-password', { region: PRIMARY_REGION, role: 'primary' });
  const book = await startLocalBook(db.secrets, { writer: PRIMARY_REGION, peerLatencyMs: PEER_LATENCY_MS });
  const runtime = createRuntime(requireApiEnv({ ...db.env, ...book.env }), {
    secrets: db.secrets.client,
    book: book.view(PRIMARY_REGION),
  });
  // The primary region's applier: its replica's stream into the ledger, as the event source mapping runs it.
  const ledger = openLedger(db);
  const quiet = { info: () => undefined, warn: () => undefined, error: (m: string, a?: object) => console.error(m, a) };
  const pump = startLedgerPump(book, ledger.ledger, quiet, 100);
  const server = createApiServer(runtime.deps);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;

  const latencies: number[] = [];
  const counts = new Map<string, number>();
  const unexpected: string[] = [];
  const acked = new Map<string, Acked>();
  let retried = 0;
  let overloaded = 0;
  let unknown = 0;
  let refused = 0;

  /** Send, retrying a 503 (Retry-After) the way a client must; the final answer counts. */
  async function exchange(kind: Kind, req: LoadRequest): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await send(port, req);
      latencies.push(answer.ms);
      // A 503 says why: "overloaded" (back off and retry) is not "no writer" (nothing can take it).
      const reason = answer.status === 503 ? ` ${(JSON.parse(answer.body) as { reason?: string }).reason}` : '';
      const key = `${kind} ${answer.status}${reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      // 504 "outcome unknown": the client retries the same order (same clientOrderId), as the API says.
      if (answer.status === 504 && attempt < 20) {
        unknown++;
        continue;
      }
      if (answer.status !== 503 || attempt >= 20)
        return attempt > 0 && answer.status === 200 ? { ...answer, afterUnknown: true } : answer;
      if (reason === ' overloaded') overloaded++;
      else refused++;
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
      const expected = kind === 'new' && answer.afterUnknown ? [200] : EXPECTED[kind];
      if (!expected.includes(answer.status)) {
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
  // The ledger once the applier has read the whole stream.
  await pump.drain();

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
  console.log(
    `load: ${CONCURRENCY} connections for ${(elapsedMs / 1000).toFixed(1)} s on ${HOST}, writer ${PRIMARY_REGION}, peer replica +${PEER_LATENCY_MS} ms`,
  );
  console.log(`  requests     ${latencies.length} (${((latencies.length / elapsedMs) * 1000).toFixed(0)}/s)`);
  console.log(`  latency      p50 ${percentile(50).toFixed(1)} ms, p99 ${percentile(99).toFixed(1)} ms`);
  console.log(`  503 retried  ${retried} (overloaded ${overloaded}, refused for another reason ${refused})`);
  console.log(`  504 retried  ${unknown} (outcome unknown: sent again with the same clientOrderId)`);
  console.log(
    '  statuses     ' +
      [...counts]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
  );
  console.log(`  orders       acknowledged ${acked.size}, ledger rows ${stored.size}`);
  console.log(
    `               lost ${lost.length}, written but not acknowledged ${unacknowledged.length}, differing ${mismatched.length}`,
  );
  for (const line of unexpected.slice(0, 10)) console.log(`  unexpected   ${line}`);

  server.close();
  agent.destroy();
  await ledger.close();
  await book.stop();
  db.secrets.restore();
  await db.pg.stop();
  const ok =
    lost.length === 0 &&
    unacknowledged.length === 0 &&
    mismatched.length === 0 &&
    unexpected.length === 0 &&
    refused === 0;
  console.log(
    ok ? 'load: OK' : `load: FAILED (${unexpected.length} unexpected answers, ${refused} refused by a healthy writer)`,
  );
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
