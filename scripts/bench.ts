/**
 * `npm run bench`: the trading handler, with regional and with cross-region durability (the
 * journal write answered by a zero-latency fake), against a raw pg INSERT baseline on the same
 * local PostgreSQL 14 server, in one run, printed as ratios (no absolute claims: machines are noisy).
 * Also prints each Lambda bundle's size, zipped.
 */
import { randomUUID } from 'crypto';
import { parseArgs } from 'util';
import { exitOnHelp } from './cli';
import { deflateRawSync } from 'zlib';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Pool } from 'pg';
import { bookWriter } from '../lambda/shared/book-writer';
import { OrderBook } from '../lambda/shared/order-book';
import { handleRequest } from '../lambda/trading/api';
import { fromAlbEvent } from '../lambda/trading/handler';
import { createRuntime, requireApiEnv } from '../lambda/trading/runtime';
import { bundleSource } from '../lib/functions/lambda-bundle';
import { BookReplicas } from './local/book-replicas';
import { APP_USER, CLIENTS, DB_NAME, LOCAL_HOSTS, startTradingDb } from './local/trading-db';
import { readProject } from './offline';
import { signedHeaders } from './order-client';

/**
 * `--short` (CI): a few orders, enough to prove the benchmark still runs end to end; its
 * ratios are too noisy to read. The full run is the default.
 */
exitOnHelp(`Usage: npm run bench [-- --short]

Measures the trading handler (regional and cross-region durability) against a raw pg INSERT
on a local PostgreSQL 14, order by order, and prints p50/p99 ratios and the Lambda bundle sizes.
  --short     50 orders (CI: proves the benchmark runs; its ratios are noise)
  -h, --help  show this help
BENCH_ORDERS=N sets the number of orders of a full run (default 2000).`);
const { short } = parseArgs({ options: { short: { type: 'boolean', default: false } } }).values;
const N = short ? 50 : Number(process.env.BENCH_ORDERS ?? 2000);
const WARMUP = short ? 10 : 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Workload {
  readonly label: string;
  run(i: number): Promise<void>;
}

/**
 * The workloads take turns order by order, so a noisy neighbour (other processes, fsync
 * stalls) hits each of them alike and the ratios stay meaningful on a shared machine.
 */
async function measure(workloads: readonly Workload[], n = N) {
  for (let i = 0; i < WARMUP; i++) for (const w of workloads) await w.run(-i - 1);
  const times = workloads.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, w] of workloads.entries()) {
      const t = process.hrtime.bigint();
      await w.run(i);
      times[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return workloads.map(({ label }, k) => {
    const sorted = [...times[k]].sort((a, b) => a - b);
    const totalMs = sorted.reduce((sum, t) => sum + t, 0);
    return { label, perSecond: (n / totalMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

async function main() {
  // Per-order INFO logs would go to this terminal and measure the terminal; WARN and above stay.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'WARN';
  const db = await startTradingDb('bench-password');
  const runtime = createRuntime(requireApiEnv(db.env), { secrets: db.secrets.client });
  // Cross-region durability with the journal write answered at once: what the order path adds.
  const zeroLatencyJournal = { send: async () => undefined };
  const journaled = createRuntime(
    requireApiEnv({
      ...db.env,
      REGION_NAME: 'us-east-1',
      ORDER_DURABILITY: 'cross-region',
      JOURNAL_QUEUE_URLS: JSON.stringify({
        'us-east-1': 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-bench',
        'eu-west-1': 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-bench',
      }),
    }),
    { secrets: db.secrets.client, journalSender: zeroLatencyJournal },
  );
  const raw = new Pool({
    host: db.pg.host,
    port: db.pg.port,
    user: APP_USER,
    password: 'bench-password',
    database: DB_NAME,
    max: 4,
  });
  // pool.end() resolves before its sockets close; the server's shutdown may still reach them.
  raw.on('error', () => undefined);

  try {
    const order = (id: string) => ({
      clientOrderId: id,
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: '100',
      limitPrice: '187.25',
    });
    const place = async (deps: typeof runtime.deps, clientOrderId: string) => {
      const text = JSON.stringify(order(clientOrderId));
      const body = Buffer.from(text).toString('base64');
      const response = await handleRequest(
        fromAlbEvent({
          requestContext: { elb: { targetGroupArn: 'tg' } },
          httpMethod: 'POST',
          path: '/orders',
          headers: {
            'content-type': 'application/json',
            host: LOCAL_HOSTS[0],
            ...signedHeaders(
              CLIENTS.deskA,
              { method: 'POST', host: LOCAL_HOSTS[0], path: '/orders', body: text },
              { region: deps.region },
            ),
          },
          body,
          isBase64Encoded: true,
        }),
        deps,
      );
      if (response.statusCode !== 201) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
    };
    const [handler, withJournal, baseline] = await measure([
      {
        label: 'handler (ALB event -> verify signature -> validate -> INSERT)',
        run: (i) => place(runtime.deps, `h-${i}`),
      },
      {
        label: 'handler, cross-region durability (BEGIN + INSERT, journal to a zero-latency fake, COMMIT)',
        run: (i) => place(journaled.deps, `j-${i}`),
      },
      {
        label: 'raw pg INSERT (same statement, same server)',
        run: async (i) => {
          await raw.query(
            `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, limit_price, status, region)
             VALUES ($1, 'bench', $2, 'AAPL', 'buy', 'limit', '100', '187.25', 'accepted', 'bench') ON CONFLICT (client_id, client_order_id) DO NOTHING RETURNING *`,
            [randomUUID(), `r-${i}`],
          );
        },
      },
    ]);
    if (short) console.log('Short run (--short): proves the benchmark runs; its ratios are noise.\n');
    console.log(
      `Orders: ${N} per workload, one at a time, the workloads taking turns, after ${WARMUP} warm-up, against embedded PostgreSQL 14 (log level ${process.env.POWERTOOLS_LOG_LEVEL})\n`,
    );
    for (const m of [handler, withJournal, baseline]) {
      console.log(
        `${m.label}\n  ${m.perSecond.toFixed(0)} orders/s   p50 ${m.p50.toFixed(3)} ms   p99 ${m.p99.toFixed(3)} ms`,
      );
    }
    const ratio = handler.p50 / baseline.p50;
    console.log(
      `\nhandler p50 / raw p50 = ${ratio.toFixed(2)}x (target <= 1.30x: ${ratio <= 1.3 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `handler p99 / raw p99 = ${(handler.p99 / baseline.p99).toFixed(2)}x; throughput ratio ${(handler.perSecond / baseline.perSecond).toFixed(2)}x`,
    );
    const journaledP50 = withJournal.p50 / baseline.p50;
    const journaledP99 = withJournal.p99 / baseline.p99;
    console.log(
      `cross-region handler p50 / raw p50 = ${journaledP50.toFixed(2)}x (target <= 1.30x: ${journaledP50 <= 1.3 ? 'met' : 'NOT met'}); ` +
        `p99 / raw p99 = ${journaledP99.toFixed(2)}x (target <= 2.50x: ${journaledP99 <= 2.5 ? 'met' : 'NOT met'})`,
    );
    console.log(
      `journal overhead (its own COMMIT round trip and bookkeeping, zero-latency queue): p50 +${(withJournal.p50 - handler.p50).toFixed(3)} ms, ` +
        `p99 +${(withJournal.p99 - handler.p99).toFixed(3)} ms; in AWS add one us-east-1 <-> eu-west-1 SQS round trip (~80 ms)`,
    );
    await benchBook(runtime.deps, place);
  } finally {
    await runtime.close();
    await journaled.close();
    await raw.end();
    db.secrets.restore();
    await db.pg.stop();
  }

  // The runtime the stack deploys by default (Pulumi.yaml), so the sizes are those of the real bundles.
  const lambdaRuntime = String(readProject().config?.lambdaRuntime?.default);
  console.log(`\nLambda bundles (esbuild for ${lambdaRuntime}, minified, zipped with deflate):`);
  for (const [name, entry] of [
    ['trading', 'handler'],
    ['trading', 'server'],
    ['rotation', 'handler'],
    ['orchestrator', 'handler'],
    ['journal-auditor', 'handler'],
  ] as const) {
    const code = bundleSource(name, lambdaRuntime, entry);
    const zipped = deflateRawSync(Buffer.from(code), { level: 9 }).length;
    console.log(
      `  ${`${name}/${entry}`.padEnd(22)} ${(code.length / 1024).toFixed(0).padStart(5)} KiB raw  ${(zipped / 1024).toFixed(0).padStart(4)} KiB zipped  (${zipped < 1024 * 1024 ? 'under' : 'OVER'} 1 MiB)`,
    );
  }
}

/**
 * The live order book (issue 22 item 9): the handler taking orders into the book (read the writer
 * item, the fenced transaction in the peer replica, then in the local one) against the same
 * writes done raw on the same emulator: one conditional put per replica the handler writes,
 * the peer at zero latency.
 */
async function benchBook(
  deps: Parameters<typeof handleRequest>[1],
  place: (d: typeof deps, clientOrderId: string) => Promise<void>,
) {
  const US = 'us-east-1';
  const EU = 'eu-west-1';
  const book = await BookReplicas.start({ regions: [US, EU], lagMs: 0 });
  try {
    const us = await book.client(US, US);
    const eu = await book.client(US, EU);
    const replicas = { tableName: book.tableName, regions: [US, EU], client: (r: string) => (r === US ? us : eu) };
    await bookWriter(replicas).moveWriter({ to: US, fromEpoch: 0, durability: 'cross-region' });
    const withBook = {
      ...deps,
      book: new OrderBook({ replicas, region: US, peer: EU, signingKey: async () => Buffer.alloc(32, 1) }),
    };
    // One key per replica: the peer's put replicates here at once and must not fail the local one.
    const rawPut = (client: typeof us, i: number) =>
      client.send(
        new PutItemCommand({
          TableName: book.tableName,
          Item: {
            pk: { S: `order#raw-${client === us ? 'us' : 'eu'}-${i}` },
            clientOrderId: { S: `r-${i}` },
            quantity: { S: '100' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    const n = Number(process.env.BENCH_BOOK_ORDERS ?? (short ? 50 : 500));
    const [handler, baseline] = await measure(
      [
        {
          label:
            'handler -> live book (ALB event -> verify -> validate -> peer txn, local txn; writer item cached <= 1 s)',
          run: (i) => place(withBook, `b-${i}`),
        },
        {
          label: 'raw conditional PutItem, peer replica then local (same emulator)',
          run: async (i) => {
            await rawPut(eu, i);
            await rawPut(us, i);
          },
        },
      ],
      n,
    );
    console.log(
      `\nLive order book: ${n} orders per workload on the two-replica emulator (dynalite), peer at zero latency`,
    );
    for (const m of [handler, baseline]) {
      console.log(
        `${m.label}\n  ${m.perSecond.toFixed(0)} orders/s   p50 ${m.p50.toFixed(3)} ms   p99 ${m.p99.toFixed(3)} ms`,
      );
    }
    const p50 = handler.p50 / baseline.p50;
    const p99 = handler.p99 / baseline.p99;
    console.log(
      `book handler p50 / raw p50 = ${p50.toFixed(2)}x (target <= 1.30x: ${p50 <= 1.3 ? 'met' : 'NOT met'}); ` +
        `p99 / raw p99 = ${p99.toFixed(2)}x (target <= 2.50x: ${p99 <= 2.5 ? 'met' : 'NOT met'})`,
    );
    us.destroy();
    eu.destroy();
  } finally {
    await book.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
