/**
 * Orders in PostgreSQL: exactly-once insert by (client, client order id). The schema is created
 * at deploy time by lambda/schema (as its owner role); this user may only SELECT and INSERT.
 */
import type { PoolClient } from 'pg';
import type { Queryable } from '../shared/credentialed-pool';
import { classifyDbError } from '../shared/postgres';
import { canonicalDecimal } from './decimal';
import { Order, OrderInput, orderIdFor, OrderStatus } from './order';

export interface InsertResult {
  readonly order: Order;
  /** false when the client order id was already stored (the stored order is returned). */
  readonly created: boolean;
}

/** How an order that waited in the order queue is recorded (the drainer sets these). */
export interface InsertOptions {
  /** When the API accepted the order (default: now). */
  readonly acceptedAt?: Date;
  readonly status?: OrderStatus;
}

/** Which connection settings to use: the writer follows the current writer, the reader is local. */
export type Endpoint = 'writer' | 'reader';

/** What an endpoint said when probed: it takes writes, or it answers read-only. */
export type EndpointState = 'writable' | 'read-only';

interface OrderRow {
  id: string;
  client_id: string;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: string;
  limit_price: string | null;
  status: OrderStatus;
  region: string;
  created_at: Date;
}

/** numeric(20,8) comes back as '1.50000000': canonical text, as the API's schema produces it. */
function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    quantity: canonicalDecimal(row.quantity),
    ...(row.limit_price === null ? {} : { limitPrice: canonicalDecimal(row.limit_price) }),
    status: row.status,
    region: row.region,
    createdAt: row.created_at.toISOString(),
  };
}

export class OrderStore {
  private readonly probes = new Map<Endpoint, Promise<EndpointState>>();

  /**
   * `pool` reaches the writer: the connection settings that follow the current writer (the
   * Aurora global writer endpoint), so writes land wherever the writer is after a switchover
   * or failover. `reader` reaches the local cluster's reader endpoint: in a region whose
   * cluster is a read-only secondary it still answers, which tells "no writer reachable, the
   * order can be queued" apart from "database down".
   */
  constructor(
    private readonly pool: Queryable,
    private readonly region: string,
    private readonly reader: Queryable = pool,
  ) {}

  /**
   * Insert unless the client already used this client order id; either way return the stored
   * order. The id is derived from (client, client order id), so both unique indexes are arbiters
   * (no conflict target): with one named, a concurrent twin would fail on the other index
   * instead of doing nothing.
   */
  async insert(clientId: string, input: OrderInput, options: InsertOptions = {}): Promise<InsertResult> {
    const inserted = await this.onWriter((db) =>
      db.query<OrderRow>(
        `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, limit_price, status, region, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11::timestamptz, now()))
         ON CONFLICT DO NOTHING
         RETURNING *`,
        [
          orderIdFor(clientId, input.clientOrderId),
          clientId,
          input.clientOrderId,
          input.symbol,
          input.side,
          input.type,
          input.quantity,
          input.limitPrice ?? null,
          options.status ?? 'accepted',
          this.region,
          options.acceptedAt?.toISOString() ?? null,
        ],
      ),
    );
    if (inserted.rows.length === 1) return { order: toOrder(inserted.rows[0]), created: true };
    const existing = await this.findByClientOrderId(clientId, input.clientOrderId);
    if (!existing) throw new Error(`order ${input.clientOrderId} conflicted but cannot be read back`);
    return { order: existing, created: false };
  }

  /**
   * The client's order with this id (another client's is undefined). Read from the writer (no
   * replica lag after a POST); from the reader when the writer is out.
   */
  async findById(clientId: string, id: string): Promise<Order | undefined> {
    const select = async (db: Queryable) =>
      (await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND client_id = $2', [id, clientId])).rows[0];
    let row: OrderRow | undefined;
    try {
      row = await select(this.pool);
    } catch (e) {
      if (this.reader === this.pool || classifyDbError(e) !== 'unavailable') throw e;
      row = await select(this.reader);
    }
    return row ? toOrder(row) : undefined;
  }

  async findByClientOrderId(
    clientId: string,
    clientOrderId: string,
    from: Endpoint = 'writer',
  ): Promise<Order | undefined> {
    const db = from === 'writer' ? this.pool : this.reader;
    const result = await db.query<OrderRow>('SELECT * FROM orders WHERE client_id = $1 AND client_order_id = $2', [
      clientId,
      clientOrderId,
    ]);
    return result.rows[0] ? toOrder(result.rows[0]) : undefined;
  }

  /**
   * Whether an endpoint answers, and whether it takes writes; throws when it does not answer.
   * Concurrent callers (health checks from every load balancer node) share one probe.
   */
  probe(endpoint: Endpoint): Promise<EndpointState> {
    let running = this.probes.get(endpoint);
    if (!running) {
      running = this.withClient(
        async (client) => {
          const row = (
            await client.query<{ recovery: boolean; read_only: string }>(
              "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
            )
          ).rows[0];
          return !row.recovery && row.read_only === 'off' ? 'writable' : 'read-only';
        },
        endpoint === 'writer' ? this.pool : this.reader,
      );
      const done = () => void this.probes.delete(endpoint);
      running.then(done, done);
      this.probes.set(endpoint, running);
    }
    return running;
  }

  /** Whether the reader is a separate endpoint (otherwise the writer's answer is the reader's). */
  get hasSeparateReader(): boolean {
    return this.reader !== this.pool;
  }

  /**
   * A write that finds a read-only server through the writer's settings reached the old writer
   * (connections opened before a switchover or failover, or a resolver that had not caught up):
   * drop the writer's connections and try once more on fresh ones.
   */
  private async onWriter<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    try {
      return await fn(this.pool);
    } catch (e) {
      if (classifyDbError(e) !== 'read-only' || !this.pool.reset) throw e;
      await this.pool.reset();
      return fn(this.pool);
    }
  }

  private async withClient<T>(fn: (client: PoolClient) => Promise<T>, db: Queryable = this.pool): Promise<T> {
    const client = await db.connect();
    try {
      const result = await fn(client);
      client.release();
      return result;
    } catch (e) {
      // A connection whose query failed or timed out may still be busy: never reuse it.
      client.release(e instanceof Error ? e : true);
      throw e;
    }
  }
}
