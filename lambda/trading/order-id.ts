/**
 * The order id is derived from the order's key (a name-based UUID, RFC 9562 version 5), so every
 * path that stores an order (the API, its retries, the drainer, recovery from the journal) gives
 * it the same id: the id a client was acknowledged with stays valid after a failover.
 */
import { createHash } from 'crypto';
import type { OrderInput } from './order';

/** The order's identity across the API, the queue, the journal and the database. */
export function orderKey(order: Pick<OrderInput, 'clientOrderId'>): string {
  return order.clientOrderId;
}

/** Fixed namespace of this platform's order ids (a random UUID, chosen once). */
const ORDER_NAMESPACE = Buffer.from('5b0f3c2e8a7d4e61b9d2c4a1f0e3d7b6', 'hex');

export function orderIdFor(key: string): string {
  const hash = createHash('sha1').update(ORDER_NAMESPACE).update(key, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
