/**
 * `npm run bench`: the order API's accept handler taking orders into the live order book, against
 * the same writes done raw on the same two-replica emulator, in one run, printed as ratios (no
 * absolute claims: machines are noisy). Also prints each Lambda bundle's size, zipped.
 */
import { parseArgs } from 'util';
import { exitOnHelp } from './cli';
import { deflateRawSync } from 'zlib';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { handleRequest } from '../lambda/trading/api';
import { fromAlbEvent } from '../lambda/trading/handler';
import { createRuntime, requireApiEnv } from '../lambda/trading/runtime';
import { PRIMARY_REGION, SECONDARY_REGION } from '../lib/config/config-schema';
import { bundleSource } from '../lib/functions/lambda-bundle';
import { startLocalBook } from './local/local-book';
import { FakeSecretsManager } from './local/secrets';
import { CLIENTS, createClientKeys, LOCAL_HOSTS } from './local/trading-db';
import { readProject } from './offline';
import { signedHeaders } from './order-client';

/**
 * `--short` (CI): a few orders, enough to prove the benchmark still runs end to end; its
 * ratios are too noisy to read. The full run is the default.
 */
exitOnHelp(`Usage: npm run bench [-- --short]

Measures the order API's accept handler taking orders into the live order book (two in-process
replicas) against the same conditional puts done raw on the same emulator, order by order, and
prints p50/p99 ratios and the Lambda bundle sizes.
  --short     50 orders (CI: proves the benchmark runs; its ratios are noise)
  -h, --help  show this help
BENCH_ORDERS=N sets the number of orders of a full run (default 500).`);
const { short } = parseArgs({ options: { short: { type: 'boolean', default: false } } }).values;
const N = short ? 50 : Number(process.env.BENCH_ORDERS ?? 500);
const WARMUP = short ? 10 : 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Workload {
  readonly label: string;
  /** Untimed work before each run (what a client does before it sends: sign the request). */
  prepare?(i: number): unknown;
  run(i: number, prepared: unknown): Promise<void>;
}

/**
 * The workloads take turns order by order, so a noisy neighbour (other processes, fsync
 * stalls) hits each of them alike and the ratios stay meaningful on a shared machine.
 */
async function measure(workloads: readonly Workload[], n = N) {
  for (let i = 0; i < WARMUP; i++) for (const w of workloads) await w.run(-i - 1, w.prepare?.(-i - 1));
  const times = workloads.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (const [k, w] of workloads.entries()) {
      const prepared = w.prepare?.(i);
      const t = process.hrtime.bigint();
      await w.run(i, prepared);
      times[k].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return workloads.map(({ label }, k) => {
    const sorted = [...times[k]].sort((a, b) => a - b);
    const totalMs = sorted.reduce((sum, t) => sum + t, 0);
    return { label, perSecond: (n / totalMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

/**
 * The live order book (issue 22 item 9): the handler as deployed (createRuntime from its
 * environment: ALB event -> verify signature -> validate -> read the writer item -> the fenced
 * transaction in the peer replica, then in the local one) against the same writes done raw on
 * the same emulator: one conditional put per replica the handler writes, the peer at zero latency.
 */
async function benchBook() {
  const US = PRIMARY_REGION;
  const EU = SECONDARY_REGION;
  const secrets = new FakeSecretsManager();
  const book = await startLocalBook(secrets, { writer: US, peerLatencyMs: 0 });
  try {
    const runtime = createRuntime(
      requireApiEnv({
        REGION_NAME: US,
        REGION_ROLE: 'primary',
        CLIENT_KEYS_SECRET_ARN: createClientKeys(secrets),
        API_HOSTS: LOCAL_HOSTS.join(','),
        ...book.env,
      }),
      { secrets: secrets.client, book: book.view(US) },
    );
    const order = (id: string) => ({
      clientOrderId: id,
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: '100',
      limitPrice: '187.25',
    });
    // The client's part, untimed: the signed ALB event of one order (the handler's work starts there).
    const signedEvent = (clientOrderId: string) => {
      const text = JSON.stringify(order(clientOrderId));
      return {
        requestContext: { elb: { targetGroupArn: 'tg' } },
        httpMethod: 'POST',
        path: '/orders',
        headers: {
          'content-type': 'application/json',
          host: LOCAL_HOSTS[0],
          ...signedHeaders(
            CLIENTS.deskA,
            { method: 'POST', host: LOCAL_HOSTS[0], path: '/orders', body: text },
            { region: US },
          ),
        },
        body: Buffer.from(text).toString('base64'),
        isBase64Encoded: true,
      };
    };
    const place = async (event: ReturnType<typeof signedEvent>) => {
      const response = await handleRequest(fromAlbEvent(event), runtime.deps);
      if (response.statusCode !== 201) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
    };
    const view = book.view(US);
    const [us, eu] = [view.client(US), view.client(EU)];
    // One key per replica: the peer's put replicates here at once and must not fail the local one.
    const rawPut = (client: typeof us, i: number) =>
      client.send(
        new PutItemCommand({
          TableName: view.tableName,
          Item: {
            pk: { S: `order#raw-${client === us ? 'us' : 'eu'}-${i}` },
            clientOrderId: { S: `r-${i}` },
            quantity: { S: '100' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    const [handler, baseline] = await measure([
      {
        label:
          'handler -> live book (ALB event -> verify -> validate -> peer txn, local txn; writer item cached <= 1 s; the client signs untimed)',
        prepare: (i) => signedEvent(`b-${i}`),
        run: (_i, event) => place(event as ReturnType<typeof signedEvent>),
      },
      {
        label: 'raw conditional PutItem, peer replica then local (same emulator)',
        run: async (i) => {
          await rawPut(eu, i);
          await rawPut(us, i);
        },
      },
    ]);
    if (short) console.log('Short run (--short): proves the benchmark runs; its ratios are noise.\n');
    console.log(
      `Live order book: ${N} orders per workload, one at a time, the workloads taking turns, after ${WARMUP} warm-up, on the two-replica emulator (dynalite), peer at zero latency (log level ${process.env.POWERTOOLS_LOG_LEVEL})`,
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
  } finally {
    await book.stop();
    secrets.restore();
  }
}

async function main() {
  // Per-order INFO logs would go to this terminal and measure the terminal; WARN and above stay.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'WARN';
  await benchBook();

  // The runtime the stack deploys by default (Pulumi.yaml), so the sizes are those of the real bundles.
  const lambdaRuntime = String(readProject().config?.lambdaRuntime?.default);
  console.log(`\nLambda bundles (esbuild for ${lambdaRuntime}, minified, zipped with deflate):`);
  for (const [name, entry] of [
    ['trading', 'handler'],
    ['trading', 'server'],
    ['book-applier', 'handler'],
    ['rotation', 'handler'],
    ['orchestrator', 'handler'],
  ] as const) {
    const code = bundleSource(name, lambdaRuntime, entry);
    const zipped = deflateRawSync(Buffer.from(code), { level: 9 }).length;
    console.log(
      `  ${`${name}/${entry}`.padEnd(22)} ${(code.length / 1024).toFixed(0).padStart(5)} KiB raw  ${(zipped / 1024).toFixed(0).padStart(4)} KiB zipped  (${zipped < 1024 * 1024 ? 'under' : 'OVER'} 1 MiB)`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
