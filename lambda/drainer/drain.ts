/**
 * Applies orders queued while the database was read-only. Exactly once: the insert is keyed
 * by (client, client order id), so a redelivered or duplicated message finds its order already stored.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { classifyDbError } from '../shared/postgres';
import { decodeQueuedOrder } from '../trading/queued-order';
import type { OrderStore } from '../trading/store';

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
}

export interface DrainResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
}

export async function drain(
  messages: readonly QueuedMessage[],
  store: Pick<OrderStore, 'insert'>,
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  /** Forget cached credentials (called when the database refuses them: rotated). */
  refreshCredentials: () => void = () => undefined,
): Promise<DrainResult> {
  for (const [index, message] of messages.entries()) {
    let failed = false;
    const queued = decodeQueuedOrder(message.body);
    if (!queued.ok) {
      // Never accepted by the API: let it go to the dead-letter queue, where it is alarmed on.
      logger.error('queued message is not an order', { messageId: message.messageId, reason: queued.reason });
      failed = true;
    } else {
      try {
        const { order, created } = await store.insert(queued.clientId, queued.order);
        logger.info(created ? 'queued order applied' : 'queued order already applied', {
          clientId: queued.clientId,
          clientOrderId: order.clientOrderId,
          orderId: order.id,
        });
      } catch (e) {
        if (classifyDbError(e) === 'auth') refreshCredentials();
        logger.warn('queued order not applied yet', {
          messageId: message.messageId,
          failure: classifyDbError(e),
          error: String(e),
        });
        failed = true;
      }
    }
    if (failed) {
      // FIFO: later messages must not overtake a failed one, so they are all retried.
      return { batchItemFailures: messages.slice(index).map((m) => ({ itemIdentifier: m.messageId })) };
    }
  }
  return { batchItemFailures: [] };
}
