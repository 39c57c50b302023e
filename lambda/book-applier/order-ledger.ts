/**
 * The ledger of orders in PostgreSQL, as the book applier writes it: an order from the book
 * inserted exactly once by (client, client order id), with the book's id, region and timestamp.
 * The schema is created at deploy time by lambda/schema (as its owner role); this user may only
 * SELECT and INSERT. The order API never reaches it: it takes orders in the live order book.
 */
import type { PoolClient } from 'pg';
import type { Queryable } from '../shared/credentialed-pool';
import { canonicalDecimal } from '../trading/decimal';
import type { Order, OrderStatus } from '../trading/order';
import type { LedgerStore } from './ledger';

/**
 * The id is derived from (client, client order id), so both unique indexes are arbiters (no
 * conflict target): with one named, a concurrent twin would fail on the other index instead of
 * doing nothing.
 */
const INSERT_ORDER = `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, limit_price, status, region, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT DO NOTHING
  RETURNING *`;

export interface InsertResult {
  readonly order: Order;
  /** false when the client order id was already stored (the stored order is returned). */
  readonly created: boolean;
}

/** What the writer endpoint said when probed: it takes writes, or it answers read-only. */
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

/** INSERT_ORDER's parameters, in its column order. */
function insertValues(clientId: string, order: Order): unknown[] {
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
    order.createdAt,
  ];
}

export class OrderLedger implements LedgerStore {
  private probing: Promise<EndpointState> | undefined;

  /** `pool` reaches this region's cluster (its own endpoint: the applier writes nowhere else). */
  constructor(private readonly pool: Queryable) {}

  /**
   * Apply an order as the book holds it (same id, status, region and timestamp), exactly once.
   * Returns the stored order either way.
   */
  async restore(clientId: string, order: Order): Promise<InsertResult> {
    const inserted = await this.pool.query<OrderRow>(INSERT_ORDER, insertValues(clientId, order));
    if (inserted.rows.length === 1) return { order: toOrder(inserted.rows[0]), created: true };
    const existing = await this.findByClientOrderId(clientId, order.clientOrderId);
    if (!existing) throw new Error(`order ${order.clientOrderId} conflicted but cannot be read back`);
    return { order: existing, created: false };
  }

  /** The client's order with this id (another client's is undefined). */
  async findById(clientId: string, id: string): Promise<Order | undefined> {
    const result = await this.pool.query<OrderRow>('SELECT * FROM orders WHERE id = $1 AND client_id = $2', [
      id,
      clientId,
    ]);
    return result.rows[0] ? toOrder(result.rows[0]) : undefined;
  }

  async findByClientOrderId(clientId: string, clientOrderId: string): Promise<Order | undefined> {
    const result = await this.pool.query<OrderRow>(
      'SELECT * FROM orders WHERE client_id = $1 AND client_order_id = $2',
      [clientId, clientOrderId],
    );
    return result.rows[0] ? toOrder(result.rows[0]) : undefined;
  }

  /**
   * Whether the cluster answers, and whether it takes writes; throws when it does not answer.
   * Concurrent callers share one probe.
   */
  probe(): Promise<EndpointState> {
    if (!this.probing) {
      const running = this.withClient(async (client) => {
        const row = (
          await client.query<{ recovery: boolean; read_only: string }>(
            "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
          )
        ).rows[0];
        return !row.recovery && row.read_only === 'off' ? 'writable' : 'read-only';
      });
      const done = () => void (this.probing = undefined);
      running.then(done, done);
      this.probing = running;
    }
    return this.probing;
  }

  private async withClient<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
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
