/**
 * An order as the live book stores it, and the proof that the API wrote it: an HMAC-SHA256 by a
 * service-held key (a Secrets Manager secret only the API and the applier read) over the
 * order's canonical text. The applier refuses an item without a valid signature, so a principal
 * that can write to the table (a break-glass role, a mistake in a policy) cannot place an order
 * as a client or with a chosen timestamp (issue 25, "No back door to the book").
 */
import { createHmac, timingSafeEqual } from 'crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ORDER_PK_PREFIX } from '../facts/book';
import { parseDecimal } from '../trading/decimal';
import { orderIdFor, orderSchema, type Order, type OrderInput } from '../trading/order';

/** An order in the book: the client's order, who placed it, and the writer epoch it was taken under. */
export interface BookOrder extends Order {
  readonly clientId: string;
  /** The writer epoch the acknowledging write checked. */
  readonly epoch: number;
}

export const orderPk = (id: string) => `order#${id}`;
export { ORDER_PK_PREFIX };

/**
 * The signing key's secret: base64 of at least 32 random bytes (RFC 2104 section 3: a key shorter
 * than the hash output, 32 bytes for SHA-256, weakens the MAC).
 */
export function parseSigningKey(secretString: string | undefined): Buffer {
  const key = Buffer.from(secretString ?? '', 'base64');
  if (key.length < 32 || key.toString('base64').replace(/=+$/, '') !== (secretString ?? '').trim().replace(/=+$/, '')) {
    throw new Error('book signing key: the secret must be base64 of at least 32 bytes');
  }
  return key;
}

/** The signed text: every stored field, in a fixed order, JSON-escaped (no field can spill into another). */
export function canonicalBookOrder(o: BookOrder): string {
  return JSON.stringify([
    'tap-order-v1',
    o.id,
    o.clientId,
    o.clientOrderId,
    o.symbol,
    o.side,
    o.type,
    o.quantity,
    o.limitPrice ?? null,
    o.status,
    o.region,
    o.createdAt,
    o.epoch,
  ]);
}

export function signBookOrder(o: BookOrder, key: Buffer): string {
  return createHmac('sha256', key).update(canonicalBookOrder(o)).digest('hex');
}

export function bookOrderToItem(o: BookOrder, key: Buffer): Record<string, AttributeValue> {
  return {
    pk: { S: orderPk(o.id) },
    id: { S: o.id },
    clientId: { S: o.clientId },
    clientOrderId: { S: o.clientOrderId },
    symbol: { S: o.symbol },
    side: { S: o.side },
    type: { S: o.type },
    quantity: { S: o.quantity },
    ...(o.limitPrice === undefined ? {} : { limitPrice: { S: o.limitPrice } }),
    status: { S: o.status },
    region: { S: o.region },
    createdAt: { S: o.createdAt },
    epoch: { N: String(o.epoch) },
    sig: { S: signBookOrder(o, key) },
  };
}

/** The item's fields, read without trusting them (check with `verifyBookItem` before use). */
export function bookOrderFromItem(item: Record<string, AttributeValue>): BookOrder {
  const s = (k: string) => item[k]?.S;
  return {
    id: s('id') ?? '',
    clientId: s('clientId') ?? '',
    clientOrderId: s('clientOrderId') ?? '',
    symbol: s('symbol') ?? '',
    side: s('side') as Order['side'],
    type: s('type') as Order['type'],
    quantity: s('quantity') ?? '',
    ...(s('limitPrice') === undefined ? {} : { limitPrice: s('limitPrice') }),
    status: (s('status') ?? '') as Order['status'],
    region: s('region') ?? '',
    createdAt: s('createdAt') ?? '',
    epoch: Number(item.epoch?.N),
  };
}

/** The client's order inside a book order (what identity is decided on). */
export const inputOf = (o: BookOrder): OrderInput => ({
  clientOrderId: o.clientOrderId,
  symbol: o.symbol,
  side: o.side,
  type: o.type,
  quantity: o.quantity,
  ...(o.limitPrice === undefined ? {} : { limitPrice: o.limitPrice }),
});

/** The order as the API shows it to its client (no client id, epoch or signature). */
export function publicOrder(o: BookOrder): Order {
  return {
    id: o.id,
    ...inputOf(o),
    status: o.status,
    region: o.region,
    createdAt: o.createdAt,
  };
}

export interface TimestampBounds {
  /** The order may be stamped at most this far after the stream record was written (clock skew). */
  readonly maxFutureMs: number;
  /** ... and at most this long before it (DynamoDB Streams keep records 24 hours). */
  readonly maxAgeMs: number;
}

/**
 * 5 s of skew: EC2 and Lambda clocks follow the Amazon Time Sync Service (well under a second);
 * 24 h: a stream record older than the stream's retention cannot be read any more.
 */
export const DEFAULT_TIMESTAMP_BOUNDS: TimestampBounds = { maxFutureMs: 5_000, maxAgeMs: 24 * 3600 * 1000 };

export type Verified =
  { readonly ok: true; readonly order: BookOrder } | { readonly ok: false; readonly reason: string };

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether an item is an order the API wrote: a valid signature under one of `keys` (the current
 * key and, during a rotation, the previous one), a well-formed order, and a timestamp within
 * `bounds` of `writtenAt` (when the book's stream says the item was written).
 */
export function verifyBookItem(
  item: Record<string, AttributeValue>,
  keys: readonly Buffer[],
  writtenAt: Date,
  bounds: TimestampBounds = DEFAULT_TIMESTAMP_BOUNDS,
): Verified {
  const sig = item.sig?.S;
  if (!sig || !/^[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'no signature' };
  const order = bookOrderFromItem(item);
  const given = Buffer.from(sig, 'hex');
  if (!keys.some((k) => timingSafeEqual(Buffer.from(signBookOrder(order, k), 'hex'), given))) {
    return { ok: false, reason: 'bad signature' };
  }
  // Signed by us, yet checked as if not: a key leak must not let a malformed order through.
  if (!orderSchema.safeParse(inputOf(order)).success || !parseDecimal(order.quantity).ok) {
    return { ok: false, reason: 'malformed order' };
  }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(order.clientId) || !Number.isSafeInteger(order.epoch) || order.epoch < 1) {
    return { ok: false, reason: 'malformed order' };
  }
  if (!ISO_MS.test(order.createdAt) || item.pk?.S !== orderPk(order.id))
    return { ok: false, reason: 'malformed order' };
  if (order.id !== orderIdFor(order.clientId, order.clientOrderId)) return { ok: false, reason: 'malformed order' };
  const at = Date.parse(order.createdAt);
  if (at > writtenAt.getTime() + bounds.maxFutureMs) return { ok: false, reason: 'timestamp in the future' };
  if (at < writtenAt.getTime() - bounds.maxAgeMs) return { ok: false, reason: 'timestamp too old' };
  return { ok: true, order };
}
