/**
 * `npm run bench`: the trading handler against a raw pg INSERT baseline on the same local
 * PostgreSQL 14 server, in one run, printed as ratios (no absolute claims: machines are noisy).
 * Also prints each Lambda bundle's size, zipped.
 */
import { randomUUID } from 'crypto';
import { deflateRawSync } from 'zlib';
import { Pool } from 'pg';
import { handleRequest } from '../lambda/trading/api';
import { fromAlbEvent } from '../lambda/trading/handler';
import { createRuntime, requireApiEnv } from '../lambda/trading/runtime';
import { bundleSource } from '../lib/lambda-bundle';
import { APP_USER, CLIENTS, DB_NAME, startTradingDb } from './local/trading-db';
import { authorization } from './order-client';

const N = Number(process.env.BENCH_ORDERS ?? 2000);
const WARMUP = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(label: string, run: (i: number) => Promise<void>) {
  for (let i = 0; i < WARMUP; i++) await run(-i - 1);
  const times: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await run(i);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const totalMs = Number(process.hrtime.bigint() - start) / 1e6;
  times.sort((a, b) => a - b);
  return { label, perSecond: (N / totalMs) * 1000, p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function main() {
  // Per-order INFO logs would go to this terminal and measure the terminal; WARN and above stay.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'WARN';
  const db = await startTradingDb('bench-password');
  const runtime = createRuntime(requireApiEnv(db.env), { secrets: db.secrets.client });
  const raw = new Pool({
    host: db.pg.host,
    port: db.pg.port,
    user: APP_USER,
    password: 'bench-password',
    database: DB_NAME,
    max: 4,
  });
  try {
    const order = (id: string) => ({
      clientOrderId: id,
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: '100',
      limitPrice: '187.25',
    });
    const handler = await measure('handler (ALB event -> verify signature -> validate -> INSERT)', async (i) => {
      const text = JSON.stringify(order(`h-${i}`));
      const body = Buffer.from(text).toString('base64');
      const response = await handleRequest(
        fromAlbEvent({
          requestContext: { elb: { targetGroupArn: 'tg' } },
          httpMethod: 'POST',
          path: '/orders',
          headers: {
            'content-type': 'application/json',
            authorization: authorization(CLIENTS.deskA, { method: 'POST', path: '/orders', body: text }),
          },
          body,
          isBase64Encoded: true,
        }),
        runtime.deps,
      );
      if (response.statusCode !== 201) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
    });
    const baseline = await measure('raw pg INSERT (same statement, same server)', async (i) => {
      await raw.query(
        `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, limit_price, status, region)
         VALUES ($1, 'bench', $2, 'AAPL', 'buy', 'limit', '100', '187.25', 'accepted', 'bench') ON CONFLICT (client_id, client_order_id) DO NOTHING RETURNING *`,
        [randomUUID(), `r-${i}`],
      );
    });
    console.log(
      `Orders: ${N} sequential, after ${WARMUP} warm-up, against embedded PostgreSQL 14 (log level ${process.env.POWERTOOLS_LOG_LEVEL})\n`,
    );
    for (const m of [handler, baseline]) {
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
  } finally {
    await runtime.close();
    await raw.end();
    db.secrets.restore();
    await db.pg.stop();
  }

  console.log('\nLambda bundles (esbuild, minified, zipped with deflate):');
  for (const [name, entry] of [
    ['trading', 'handler'],
    ['trading', 'server'],
    ['rotation', 'handler'],
    ['drainer', 'handler'],
    ['orchestrator', 'handler'],
  ] as const) {
    const code = bundleSource(name, 'nodejs22.x', entry);
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
