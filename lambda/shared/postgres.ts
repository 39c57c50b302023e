/** PostgreSQL connections: TLS policy from the environment, errors classified once. */
import type { ConnectionOptions } from 'tls';
import { Client, ClientConfig } from 'pg';

export type SslMode = 'disable' | 'require' | 'verify-full';

/**
 * `verify-full` in AWS (Aurora enforces TLS; the Amazon CA bundle is loaded through
 * NODE_EXTRA_CA_CERTS); `disable` only for the local test server.
 */
export function sslOptions(mode: string | undefined): false | ConnectionOptions {
  switch (mode ?? 'verify-full') {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new Error(`DB_SSL must be disable, require or verify-full, got "${mode}"`);
  }
}

export type DbFailure = 'read-only' | 'auth' | 'unavailable' | 'other';

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** What a database error means for the caller. */
export function classifyDbError(error: unknown): DbFailure {
  const e = error as { code?: string; message?: string };
  if (e?.code === '25006') return 'read-only';
  if (e?.code === '28P01' || e?.code === '28000') return 'auth';
  if (
    (e?.code && UNAVAILABLE_CODES.has(e.code)) ||
    /timeout|terminated|connect|not queryable/i.test(e?.message ?? '')
  ) {
    return 'unavailable';
  }
  return 'other';
}

/** A pooled connection the server closed under us: worth one retry on a fresh connection. */
export function isDroppedConnection(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    ['57P01', '57P02', 'ECONNRESET', 'EPIPE'].includes(e?.code ?? '') || /Connection terminated/i.test(e?.message ?? '')
  );
}

/** Client-side bounds on every wait on a PostgreSQL server. */
export interface DbWaitBounds {
  /** TCP connect, TLS and authentication, until the server is ready for queries. */
  readonly connectMs: number;
  /** One query, measured by the client: a frozen server never answers, so only the client can stop waiting. */
  readonly queryMs: number;
}

/**
 * Connection settings that bound every wait on the server from the client side: connect and
 * query timeouts (a frozen or black-holed server), the same limit enforced by the server too
 * (it releases its locks), idle-in-transaction cut-off, and TCP keep-alive so a connection to a
 * host that vanished (a writer after failover) is found dead instead of waited on.
 */
export function boundedClientSettings(bounds: DbWaitBounds) {
  return {
    connectionTimeoutMillis: bounds.connectMs,
    query_timeout: bounds.queryMs,
    statement_timeout: bounds.queryMs,
    idle_in_transaction_session_timeout: 2 * bounds.queryMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  } satisfies Partial<ClientConfig>;
}

export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** One short-lived client, used by the rotation function (it must log in as specific users). */
export async function connect(
  target: ConnectionTarget,
  ssl: SslMode | string | undefined,
  timeoutMs = 5000,
): Promise<Client> {
  const config: ClientConfig = {
    ...target,
    ssl: sslOptions(ssl),
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  };
  const client = new Client(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
  return client;
}
