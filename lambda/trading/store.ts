/**
 * Orders in PostgreSQL: exactly-once insert by (client, client order id). The schema is created
 * at deploy time by lambda/schema (as its owner role); this user may only SELECT and INSERT.
 */
import type { PoolClient, QueryResult } from 'pg';
import type { Queryable } from '../shared/credentialed-pool';
import { type OrderJournal, queryWriterRegion } from '../shared/journal';
import { classifyDbError } from '../shared/postgres';
import { canonicalDecimal } from './decimal';
import { Order, OrderInput, orderIdFor, OrderStatus } from './order';

/**
 * The id is derived from (client, client order id), so both unique indexes are arbiters (no
 * conflict target): with one named, a concurrent twin would fail on the other index instead of
 * doing nothing.
 */
const INSERT_ORDER = `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, limit_price, status, region, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11::timestamptz, now()))
  ON CONFLICT DO NOTHING
  RETURNING *`;

export interface InsertResult {
  readonly order: Order;
  /** false when the client order id was already stored (the stored order is returned). */
  readonly created: boolean;
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

/** An order as INSERT_ORDER takes it: no createdAt means "now" (the database's clock). */
type OrderToInsert = OrderInput & Pick<Order, 'id' | 'status' | 'region'> & { readonly createdAt?: string };

/** INSERT_ORDER's parameters, in its column order. */
function insertValues(clientId: string, order: OrderToInsert): unknown[] {
  return [
    order.id,
    clientId,
    order.clientOrderId,
    order.symbol,
    order.side,
    order.type,
    order.quantity,
    order.limitPrice ?? null,
    order.status,
    order.region,
    order.createdAt ?? null,
  ];
}

/**
 * BEGIN and the INSERT in one round trip (a multi-statement simple query, so values are
 * rendered as literals with the driver's own escaping): the journaled path then costs one round
 * trip more than an autocommit INSERT (its COMMIT), not two.
 */
async function beginAndInsert(client: PoolClient, values: unknown[]): Promise<OrderRow | undefined> {
  const text = INSERT_ORDER.replace(/\$(\d+)/g, (_, index: string) => {
    const value = values[Number(index) - 1];
    return value === null || value === undefined ? 'NULL' : client.escapeLiteral(String(value));
  });
  const results = (await client.query(`BEGIN; ${text}`)) as unknown as QueryResult<OrderRow>[];
  return results[1].rows[0];
}

export class OrderStore {
  private readonly probes = new Map<Endpoint, Promise<EndpointState>>();

  /**
   * `pool` reaches the writer: the connection settings that follow the current writer (the
   * Aurora global writer endpoint), so writes land wherever the writer is after a switchover
   * or failover. `reader` reaches the local cluster's reader endpoint: in a region whose
   * cluster is a read-only secondary it still answers, which tells "no writer reachable, the
   * order is refused as read-only" apart from "database down".
   */
  constructor(
    private readonly pool: Queryable,
    private readonly region: string,
    private readonly reader: Queryable = pool,
    /** With cross-region durability: a new order is journaled before its transaction commits. */
    private readonly journal?: OrderJournal,
  ) {}

  /** Insert unless the client already used this client order id; either way return the stored order. */
  async insert(clientId: string, input: OrderInput): Promise<InsertResult> {
    const values = insertValues(clientId, {
      ...input,
      id: orderIdFor(clientId, input.clientOrderId),
      status: 'accepted',
      region: this.region,
    });
    const journal = this.journal;
    const inserted = await this.onWriter(async (db) =>
      journal
        ? this.insertJournaled(db, clientId, values, journal)
        : (await db.query<OrderRow>(INSERT_ORDER, values)).rows[0],
    );
    if (inserted) return { order: toOrder(inserted), created: true };
    return this.storedInstead(clientId, input.clientOrderId);
  }

  /**
   * INSERT, journal, COMMIT: a new order is committed only once the journal holds it; a journal
   * failure rolls the insert back. A replay inserts nothing and journals nothing.
   */
  private insertJournaled(
    db: Queryable,
    clientId: string,
    values: unknown[],
    journal: OrderJournal,
  ): Promise<OrderRow | undefined> {
    return this.withClient(async (client) => {
      // The connection may drop while the journal write is out: that must reach the next query
      // as an error, not crash the process as an unhandled 'error' event.
      const ignore = () => undefined;
      client.on('error', ignore);
      try {
        const row = await beginAndInsert(client, values);
        if (row) await journal.record(clientId, toOrder(row), client);
        await client.query('COMMIT');
        return row;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.off('error', ignore);
      }
    }, db);
  }

  /**
   * Apply an order as the journal recorded it (same id, status, region and timestamp), exactly
   * once: the journal auditor's recovery after a promotion. Returns the stored order either way.
   */
  async restore(clientId: string, order: Order): Promise<InsertResult> {
    const inserted = await this.pool.query<OrderRow>(INSERT_ORDER, insertValues(clientId, order));
    if (inserted.rows.length === 1) return { order: toOrder(inserted.rows[0]), created: true };
    return this.storedInstead(clientId, order.clientOrderId);
  }

  /** The insert did nothing (the client order id was taken): the order stored under it. */
  private async storedInstead(clientId: string, clientOrderId: string): Promise<InsertResult> {
    const existing = await this.findByClientOrderId(clientId, clientOrderId);
    if (!existing) throw new Error(`order ${clientOrderId} conflicted but cannot be read back`);
    return { order: existing, created: false };
  }

  /** The region of the global database's writer, as this store's cluster reports it now. */
  globalWriterRegion(): Promise<string> {
    return this.withClient((client) => queryWriterRegion(client, this.region));
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
