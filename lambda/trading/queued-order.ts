/**
 * An order queued while the database is read-only, with the client that placed it: the drainer
 * stores it as that client's. Messages queued before authentication are bare orders; they are
 * still applied (an acknowledged order must not vanish), owned by no client (''), like the rows
 * the client_id migration backfilled.
 */
import { OrderInput, validateOrder, Validation } from './order';
import { CLIENT_ID_PATTERN } from './signing';

export function encodeQueuedOrder(clientId: string, order: OrderInput): string {
  return JSON.stringify({ clientId, order });
}

/** FIFO deduplication: a replay of the same client's order within 5 minutes is dropped by SQS. */
export function queuedOrderDeduplicationId(clientId: string, order: OrderInput): string {
  return `${clientId}:${order.clientOrderId}`;
}

export type DecodedQueuedOrder = { ok: true; clientId: string; order: OrderInput } | { ok: false; reason: string };

export function decodeQueuedOrder(body: string): DecodedQueuedOrder {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not JSON' };
  }
  const envelope = parsed as { clientId?: unknown; order?: unknown } | null;
  const isEnvelope = typeof envelope === 'object' && envelope !== null && 'clientId' in envelope;
  if (isEnvelope) {
    if (Object.keys(envelope).some((k) => k !== 'clientId' && k !== 'order')) {
      return { ok: false, reason: 'message has fields other than clientId and order' };
    }
    if (typeof envelope.clientId !== 'string' || !CLIENT_ID_PATTERN.test(envelope.clientId)) {
      return { ok: false, reason: 'message clientId is not a client id' };
    }
  }
  const validation: Validation = validateOrder(isEnvelope ? envelope.order : parsed);
  if (!validation.ok) return { ok: false, reason: 'message is not an order' };
  return { ok: true, clientId: isEnvelope ? (envelope.clientId as string) : '', order: validation.order };
}
