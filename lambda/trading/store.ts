/**
 * Orders in PostgreSQL: exactly-once insert by client order id. The schema is created at deploy
 * time by lambda/schema (as its owner role); this user may only SELECT and INSERT.
 */
import type { PoolClient, QueryResult } from 'pg';
import type { Queryable } from '../shared/credentialed-pool';
import { type OrderJournal, queryWriterRegion } from '../shared/journal';
import { classifyDbError } from '../shared/postgres';
import { Order, OrderInput } from './order';
import { orderIdFor, orderKey } from './order-id';

const INSERT_ORDER = `INSERT INTO orders (id, client_order_id, symbol, side, type, quantity, limit_price, status, region)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 'accepted', $8)
  ON CONFLICT DO NOTHING
  RETURNING *`;

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

export interface InsertResult {
  readonly order: Order;
  /** false when the client order id was already stored (the stored order is returned). */
  readonly created: boolean;
}

interface OrderRow {
  id: string;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit';
  quantity: string;
  limit_price: string | null;
  status: 'accepted';
  region: string;
  created_at: Date;
}

/** numeric(20,8) comes back as '1.50000000': show the order as it was given. */
function trimDecimal(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    quantity: trimDecimal(row.quantity),
    ...(row.limit_price === null ? {} : { limitPrice: trimDecimal(row.limit_price) }),
    status: row.status,
    region: row.region,
    createdAt: row.created_at.toISOString(),
  };
}

export class OrderStore {
  /**
   * `pool` reaches the local cluster's writer endpoint, `reader` its reader endpoint. In the
   * standby region the writer endpoint does not take connections until promotion, while the
   * reader endpoint answers: that is how a read-only standby is told apart from a dead one.
   */
  constructor(
    private readonly pool: Queryable,
    private readonly region: string,
    private readonly reader: Queryable = pool,
    /** With cross-region durability: a new order is journaled before its transaction commits. */
    private readonly journal?: OrderJournal,
  ) {}

  /** Insert unless the client order id exists; either way return the stored order. */
  async insert(input: OrderInput): Promise<InsertResult> {
    const values = [
      orderIdFor(orderKey(input)),
      input.clientOrderId,
      input.symbol,
      input.side,
      input.type,
      input.quantity,
      input.limitPrice ?? null,
      this.region,
    ];
    const inserted = this.journal
      ? await this.insertJournaled(values, this.journal)
      : (await this.pool.query<OrderRow>(INSERT_ORDER, values)).rows[0];
    if (inserted) return { order: toOrder(inserted), created: true };
    const existing = await this.findByClientOrderId(input.clientOrderId);
    if (!existing) throw new Error(`order ${input.clientOrderId} conflicted but cannot be read back`);
    return { order: existing, created: false };
  }

  /**
   * INSERT, journal, COMMIT: a new order is committed only once the journal holds it; a journal
   * failure rolls the insert back. A replay inserts nothing and journals nothing.
   */
  private insertJournaled(values: unknown[], journal: OrderJournal): Promise<OrderRow | undefined> {
    return this.withClient(async (client) => {
      // The connection may drop while the journal write is out: that must reach the next query
      // as an error, not crash the process as an unhandled 'error' event.
      const ignore = () => undefined;
      client.on('error', ignore);
      try {
        const row = await beginAndInsert(client, values);
        if (row) await journal.record(toOrder(row), client);
        await client.query('COMMIT');
        return row;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.off('error', ignore);
      }
    });
  }

  /**
   * Apply an order as the journal recorded it (same id, same timestamp), exactly once: the
   * journal auditor's recovery after a promotion. Returns the stored order either way.
   */
  async restore(order: Order): Promise<InsertResult> {
    const inserted = await this.pool.query<OrderRow>(
      `INSERT INTO orders (id, client_order_id, symbol, side, type, quantity, limit_price, status, region, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [
        order.id,
        order.clientOrderId,
        order.symbol,
        order.side,
        order.type,
        order.quantity,
        order.limitPrice ?? null,
        order.status,
        order.region,
        order.createdAt,
      ],
    );
    if (inserted.rows.length === 1) return { order: toOrder(inserted.rows[0]), created: true };
    const existing = await this.findByClientOrderId(order.clientOrderId);
    if (!existing) throw new Error(`order ${order.clientOrderId} conflicted but cannot be read back`);
    return { order: existing, created: false };
  }

  /** Read from the writer (no replica lag after a POST); from the reader when the writer is out. */
  async findById(id: string): Promise<Order | undefined> {
    const select = async (db: Queryable) =>
      (await db.query<OrderRow>('SELECT * FROM orders WHERE id = $1', [id])).rows[0];
    let row: OrderRow | undefined;
    try {
      row = await select(this.pool);
    } catch (e) {
      if (this.reader === this.pool || classifyDbError(e) !== 'unavailable') throw e;
      row = await select(this.reader);
    }
    return row ? toOrder(row) : undefined;
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | undefined> {
    const result = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE client_order_id = $1', [clientOrderId]);
    return result.rows[0] ? toOrder(result.rows[0]) : undefined;
  }

  /** Whether the database answers, and whether it accepts writes (the standby does not). */
  async health(): Promise<{ writable: boolean }> {
    const probe = (db: Queryable) =>
      this.withClient(async (client) => {
        const row = (
          await client.query<{ recovery: boolean; read_only: string }>(
            "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
          )
        ).rows[0];
        return { writable: !row.recovery && row.read_only === 'off' };
      }, db);
    try {
      return await probe(this.pool);
    } catch (e) {
      if (this.reader === this.pool || classifyDbError(e) !== 'unavailable') throw e;
      // The writer endpoint is out but the cluster answers: read-only (standby before promotion).
      await probe(this.reader);
      return { writable: false };
    }
  }

  /** The region of the global database's writer, as this store's cluster reports it now. */
  globalWriterRegion(): Promise<string> {
    return this.withClient((client) => queryWriterRegion(client, this.region));
  }

  private async withClient<T>(fn: (client: PoolClient) => Promise<T>, db: Queryable = this.pool): Promise<T> {
    const client = await db.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }
}
