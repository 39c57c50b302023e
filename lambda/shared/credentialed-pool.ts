/** A pg pool whose user and password come from a Secrets Manager credential. */
import { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import { SecretCache } from './secret-cache';

/** What the order store needs of a pool. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  connect(): Promise<PoolClient>;
  /** Drop every connection; the next query opens a new one (and resolves the host name again). */
  reset?(): Promise<void>;
}

/**
 * The pool is created on first use, once the secret has told us the username; the password is
 * read per new connection, so after `secret.invalidate()` new connections use the rotated one
 * while connections already open keep working.
 */
export class CredentialedPool implements Queryable {
  private pool?: Promise<Pool>;

  constructor(
    private readonly secret: SecretCache,
    private readonly config: Omit<PoolConfig, 'user' | 'password'>,
  ) {}

  private get(): Promise<Pool> {
    if (!this.pool) {
      this.pool = this.secret.get().then((credentials) => {
        const pool = new Pool({
          ...this.config,
          user: credentials.username,
          password: async () => (await this.secret.get()).password,
        });
        // An idle client dropped by the server is removed from the pool; nothing to crash on.
        pool.on('error', () => undefined);
        // The pool listens only to idle clients: one dropped while checked out (between two
        // statements) would emit an unhandled `error` and end the process. Its request fails
        // through its own query; release(error) then discards the client.
        pool.on('connect', (client) => client.on('error', () => undefined));
        return pool;
      });
      this.pool.catch(() => (this.pool = undefined));
    }
    return this.pool;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return (await this.get()).query<R>(text, values);
  }

  async connect(): Promise<PoolClient> {
    return (await this.get()).connect();
  }

  /**
   * New connections from now on; connections in use finish their query and are closed on
   * release. Used when a host name now leads elsewhere (a writer endpoint after failover).
   */
  async reset(): Promise<void> {
    const previous = this.pool;
    this.pool = undefined;
    if (previous) void (await previous.catch(() => undefined))?.end().catch(() => undefined);
  }

  async end(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) await (await pool).end();
  }
}
