/**
 * `npm run serve`: the order API as the EC2 instances run it (lambda/trading/server.ts), on
 * 127.0.0.1, as the writer of the live order book (two in-process replicas of the book's
 * table, scripts/local/local-book.ts), with the book's applier feeding an embedded PostgreSQL 14
 * laid out as in AWS (master user, the deploy-time schema, the application user) and an
 * in-memory Secrets Manager, so it can be tried with curl.
 * docs/openapi.yaml describes the API; test/openapi.test.ts checks it against this server.
 *
 *   npm run serve -- --port 8080
 *
 * All local setup is in startLocalApi(): the database, the secrets and the API clients (the
 * local keys of scripts/local/trading-db.ts, which the printed commands sign with).
 */
import type { AddressInfo } from 'net';
import { parseArgs } from 'util';
import { createRuntime, requireApiEnv } from '../lambda/trading/runtime';
import { createApiServer } from '../lambda/trading/server';
import { PRIMARY_REGION } from '../lib/config/config-schema';
import { exitOnHelp } from './cli';
import { CLIENTS, openLedger, startTradingDb } from './local/trading-db';
import { startLocalBook } from './local/local-book';
import type { BookReplicas as BookReplicasView } from '../lambda/shared/book-writer';
import { startLedgerPump } from './local/ledger-pump';

export const HOST = '127.0.0.1';

export interface LocalApi {
  readonly url: string;
  /** The book's replicas as the service reaches them (its writer item: `npm run verify`'s test reads it). */
  readonly book: BookReplicasView;
  close(): Promise<void>;
}

/** The API on 127.0.0.1:`port` (0: any free port) over a fresh embedded database, as the primary region's service. */
export async function startLocalApi(port = 0): Promise<LocalApi> {
  const db = await startTradingDb('serve-password', { region: PRIMARY_REGION, role: 'primary' });
  const book = await startLocalBook(db.secrets, { writer: PRIMARY_REGION });
  const runtime = createRuntime(requireApiEnv({ ...db.env, ...book.env }), {
    secrets: db.secrets.client,
    book: book.view(PRIMARY_REGION),
  });
  // The primary region's book applier: every order in its replica's stream into the ledger.
  const ledger = openLedger(db);
  const pump = startLedgerPump(
    book,
    ledger.ledger,
    {
      info: (m, a = {}) => runtime.logger.info(m, a as Record<string, unknown>),
      warn: (m, a = {}) => runtime.logger.warn(m, a as Record<string, unknown>),
      error: (m, a = {}) => runtime.logger.error(m, a as Record<string, unknown>),
    },
    200,
  );
  const server = createApiServer(runtime.deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${bound}`,
    book: book.view(PRIMARY_REGION),
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pump.stop();
      await ledger.close();
      await book.stop();
      db.secrets.restore();
      await db.pg.stop();
    },
  };
}

async function main() {
  exitOnHelp(`Usage: npm run serve [-- --port N]

Runs the order API as the EC2 instances do, as the primary region's service and the writer
of the live order book (two in-process replicas), on 127.0.0.1, with the book's applier
feeding an embedded PostgreSQL 14 (removed on exit), and prints a local client key to try it.
  --port N    port to listen on (default 8080; 0 picks a free one)
  -h, --help  show this help`);
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0-65535');
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const api = await startLocalApi(port);
  const { clientId, key } = CLIENTS.deskA;
  const signed = `TAP_CLIENT_ID=${clientId} TAP_CLIENT_KEY=${key} npm run order --`;
  process.stdout.write(
    [
      `Order API on ${api.url}, serving as ${PRIMARY_REGION} (the primary region and the order book's writer; two in-process book replicas; the ledger in an embedded PostgreSQL 14; Ctrl-C stops it and removes the data).`,
      `Local API client ${clientId}, key ${key}. Try, in another terminal:`,
      `  curl -s ${api.url}/health`,
      `  ${signed} place --url ${api.url} --client-order-id try-1 --symbol ACME --side buy --quantity 10 --limit-price 101.25`,
      `  ${signed} get --url ${api.url} <id from the answer above>`,
      'Requests to /orders are signed (TAP-HMAC-SHA256; scripts/order-client.ts signs them). The API: docs/openapi.yaml.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    api.close().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module)
  main().catch((e) => {
    process.stderr.write(`serve failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
