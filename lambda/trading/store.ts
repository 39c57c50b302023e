/**
 * Orders in PostgreSQL: exactly-once insert by client order id. The schema is created at deploy
 * time by lambda/schema (as its owner role); this user may only SELECT and INSERT.
 */
import { randomUUID } from 'crypto';
import type { PoolClient } from 'pg';
import type { Queryable } from '../shared/credentialed-pool';
import { classifyDbError } from '../shared/postgres';
import { Order, OrderInput } from './order';

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
  ) {}

  /** Insert unless the client order id exists; either way return the stored order. */
  async insert(input: OrderInput): Promise<InsertResult> {
    const inserted = await this.pool.query<OrderRow>(
      `INSERT INTO orders (id, client_order_id, symbol, side, type, quantity, limit_price, status, region)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'accepted', $8)
       ON CONFLICT (client_order_id) DO NOTHING
       RETURNING *`,
      [
        randomUUID(),
        input.clientOrderId,
        input.symbol,
        input.side,
        input.type,
        input.quantity,
        input.limitPrice ?? null,
        this.region,
      ],
    );
    if (inserted.rows.length === 1) return { order: toOrder(inserted.rows[0]), created: true };
    const existing = await this.findByClientOrderId(input.clientOrderId);
    if (!existing) throw new Error(`order ${input.clientOrderId} conflicted but cannot be read back`);
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

  private async withClient<T>(fn: (client: PoolClient) => Promise<T>, db: Queryable = this.pool): Promise<T> {
    const client = await db.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }
}
