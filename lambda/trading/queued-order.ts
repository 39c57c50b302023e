/**
 * An order that waited in the order queue because no writer was reachable: what the API puts
 * on the queue and the drainer takes off it, with the client that placed it (the drainer stores
 * it as that client's).
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { OrderInput, orderFingerprint, orderSchema } from './order';
import { CLIENT_ID_PATTERN } from './signing';

export const queuedOrderSchema = z.strictObject({
  /** When the API accepted the order: a limit order keeps it, a market order's age counts from it. */
  acceptedAt: z.iso.datetime({ offset: true }),
  /** The region whose API accepted it. */
  region: z.string().min(1),
  /** The authenticated client that placed it. */
  clientId: z.string().regex(CLIENT_ID_PATTERN),
  order: orderSchema,
});

export type QueuedOrder = z.output<typeof queuedOrderSchema>;

export type QueuedOrderParse = { ok: true; queued: QueuedOrder } | { ok: false; reason: string };

/** The drainer validates with the same schema as the API, so both hold the same canonical order. */
export function parseQueuedOrder(body: string): QueuedOrderParse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const result = queuedOrderSchema.safeParse(json);
  if (result.success) return { ok: true, queued: result.data };
  return {
    ok: false,
    reason: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
  };
}

/** Holds orders while no writer is reachable. */
export interface OrderQueue {
  enqueue(queued: QueuedOrder): Promise<void>;
}

/**
 * SQS FIFO: one message group per symbol (orders of a symbol drain in the order they came).
 * Deduplicated by the client and the order's identity, not by its client order id alone: an
 * identical retry inside the 5-minute window is dropped, while a different order reusing the
 * client order id is kept, so the drainer sees the conflict and dead-letters it with a reason
 * instead of SQS dropping it in silence after a 202; the same order from two clients is two orders.
 */
export function sqsOrderQueue(client: SQSClient, queueUrl: string): OrderQueue {
  return {
    async enqueue(queued: QueuedOrder) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(queued),
          MessageGroupId: queued.order.symbol,
          MessageDeduplicationId: queuedOrderDeduplicationId(queued),
        }),
      );
    },
  };
}

/** At most 32 + 1 + 64 characters (SQS allows 128). */
export function queuedOrderDeduplicationId(queued: Pick<QueuedOrder, 'clientId' | 'order'>): string {
  return `${queued.clientId}:${orderFingerprint(queued.order)}`;
}

export function queueOrder(clientId: string, order: OrderInput, region: string, now: Date): QueuedOrder {
  return { acceptedAt: now.toISOString(), region, clientId, order };
}
