/**
 * Applies orders queued while no writer was reachable, through the writer's connection
 * settings (they follow the current writer), as orders of the client that placed them. Exactly
 * once: the insert is keyed by (client, client order id), so a redelivered or duplicated message
 * finds its order already stored. Each message ends one of four ways: applied, already applied
 * (replay), expired (a market order that waited past its time-to-live: recorded with status
 * `expired`, never executed), or dead-lettered with a reason (not an order, or a different order
 * under a stored client order id).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { classifyDbError } from '../shared/postgres';
import { sameOrder } from '../trading/order';
import { parseQueuedOrder } from '../trading/queued-order';
import type { OrderStore } from '../trading/store';

/**
 * A market order is priced when it executes: one that waited longer than this executes at a
 * price its sender never saw, so it is recorded as `expired` instead. The default is the
 * platform's recovery-time objective (60 s): an in-region blip fits, a cross-region promotion
 * does not. Limit orders bound their own price and execute with their original timestamp.
 */
export const DEFAULT_MARKET_ORDER_TTL_SECONDS = 60;

/** Where a message goes that can never be applied, with the reason attached. */
export interface DeadLetterQueue {
  send(record: SQSRecord, reason: string): Promise<void>;
}

export interface DrainDeps {
  readonly store: Pick<OrderStore, 'insert'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Forget cached credentials (called when the database refuses them: rotated). */
  readonly refreshCredentials?: () => void;
  /** Without one, a message that cannot be applied is failed and the queue's redrive policy moves it. */
  readonly deadLetter?: DeadLetterQueue;
  readonly marketOrderTtlSeconds?: number;
  readonly now?: () => number;
}

/** Apply one queued message; throws when it should be retried (no writer yet, or a failure of ours). */
export async function applyQueuedOrder(record: SQSRecord, deps: DrainDeps): Promise<void> {
  const parsed = parseQueuedOrder(record.body);
  if (!parsed.ok) return deadLetter(record, `not a queued order: ${parsed.reason}`, deps);
  const { order, acceptedAt, clientId } = parsed.queued;
  const waitedSeconds = ((deps.now?.() ?? Date.now()) - Date.parse(acceptedAt)) / 1000;
  const ttl = deps.marketOrderTtlSeconds ?? DEFAULT_MARKET_ORDER_TTL_SECONDS;
  const expired = order.type === 'market' && waitedSeconds > ttl;
  let result;
  try {
    result = await deps.store.insert(clientId, order, {
      acceptedAt: new Date(acceptedAt),
      status: expired ? 'expired' : 'accepted',
    });
  } catch (e) {
    const failure = classifyDbError(e);
    if (failure === 'auth') deps.refreshCredentials?.();
    deps.logger.warn('queued order not applied yet', { messageId: record.messageId, failure, error: String(e) });
    throw e;
  }
  const context = {
    messageId: record.messageId,
    clientId,
    clientOrderId: order.clientOrderId,
    orderId: result.order.id,
  };
  if (!result.created && !sameOrder(result.order, order)) {
    return deadLetter(
      record,
      `clientOrderId ${order.clientOrderId} of ${clientId} is already used for a different order (${result.order.id})`,
      deps,
    );
  }
  if (!result.created) deps.logger.info('queued order already applied', context);
  else if (expired) {
    deps.logger.warn('queued market order expired: recorded, not executed', { ...context, waitedSeconds, ttl });
  } else deps.logger.info('queued order applied', { ...context, waitedSeconds });
}

async function deadLetter(record: SQSRecord, reason: string, deps: DrainDeps): Promise<void> {
  deps.logger.error('queued message dead-lettered', { messageId: record.messageId, reason });
  if (!deps.deadLetter) throw new Error(`cannot be applied: ${reason}`);
  await deps.deadLetter.send(record, reason);
}

/**
 * A failure that says the database is out (no writer, or it stopped answering), not that this
 * message is: every later message would wait for the same timeouts, past the function's timeout.
 */
function databaseOut(error: unknown): boolean {
  return classifyDbError(error) === 'read-only' || /timeout/i.test((error as Error)?.message ?? '');
}

/**
 * One SQS batch, FIFO-aware (Powertools SqsFifoPartialProcessorAsync): a failed message fails
 * the rest of its message group (one symbol), so no order overtakes an earlier one of the same
 * symbol, while other symbols go on; once the database is out, the rest of the batch is handed
 * back without waiting on it again. A batch that fails entirely is reported, not thrown: a
 * read-only standby fails every batch until promotion, which is not an error of this function.
 */
export function drain(event: SQSEvent, deps: DrainDeps, context?: Context): Promise<SQSBatchResponse> {
  let out: unknown;
  const apply = async (record: SQSRecord) => {
    if (out) throw new Error(`not tried: the database was out earlier in this batch (${String(out)})`);
    try {
      await applyQueuedOrder(record, deps);
    } catch (e) {
      if (databaseOut(e)) out = e;
      throw e;
    }
  };
  return processPartialResponse(event, apply, new SqsFifoPartialProcessorAsync(), {
    context,
    skipGroupOnError: true,
    throwOnFullBatchFailure: false,
  });
}
