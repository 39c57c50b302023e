/**
 * The book's stream applied to Aurora, the system of record: every order item in the writer
 * region's replica stream is inserted with its own id, region and timestamp, exactly once
 * (OrderLedger.restore: INSERT ... ON CONFLICT DO NOTHING, then the stored row read back).
 *
 * Only orders the API wrote are applied (issue 25, "No back door to the book"): an item whose
 * signature is not the service key's, or whose timestamp is outside the bounds, is refused,
 * logged and counted, never retried (it cannot become valid). A database failure stops the batch
 * at that record: Lambda retries from it (ReportBatchItemFailures on a stream event source
 * mapping checkpoints at the lowest failed sequence number: Lambda developer guide, "Using Lambda
 * with DynamoDB", "Configuring partial batch response").
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Order } from '../trading/order';
import {
  ORDER_PK_PREFIX,
  publicOrder,
  type TimestampBounds,
  DEFAULT_TIMESTAMP_BOUNDS,
  verifyBookItem,
} from '../shared/book-order';

/** The part of a DynamoDB stream record (Lambda event) the applier reads. */
export interface BookStreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly NewImage?: Record<string, unknown>;
    readonly SequenceNumber?: string;
    /** Seconds since the epoch. */
    readonly ApproximateCreationDateTime?: number;
  };
}

export interface ApplierDeps {
  /** Insert the order unless present; the stored order either way (OrderLedger.restore). */
  restore(clientId: string, order: Order): Promise<{ readonly order: Order; readonly created: boolean }>;
  /** The signing keys an item may be signed with (current, and previous during a rotation). */
  keys(): Promise<readonly Buffer[]>;
  readonly logger: {
    info(m: string, a?: object): void;
    warn(m: string, a?: object): void;
    error(m: string, a?: object): void;
  };
  readonly bounds?: TimestampBounds;
}

export interface ApplyReport {
  readonly applied: number;
  /** Already in the ledger (a replay of the stream, or the same order written twice). */
  readonly present: number;
  /** Refused as not written by the API: never applied. */
  readonly refused: readonly { readonly sequenceNumber: string; readonly reason: string }[];
  /** In the ledger with other contents than the book's item (same id): logged as an error. */
  readonly mismatched: number;
  /** The first record that failed and every one after it: Lambda retries them. */
  readonly failedFrom?: string;
}

const same = (a: Order, b: Order) =>
  JSON.stringify([
    a.id,
    a.clientOrderId,
    a.symbol,
    a.side,
    a.type,
    a.quantity,
    a.limitPrice ?? null,
    a.region,
    a.createdAt,
  ]) ===
  JSON.stringify([
    b.id,
    b.clientOrderId,
    b.symbol,
    b.side,
    b.type,
    b.quantity,
    b.limitPrice ?? null,
    b.region,
    b.createdAt,
  ]);

export async function applyBookRecords(records: readonly BookStreamRecord[], deps: ApplierDeps): Promise<ApplyReport> {
  let applied = 0;
  let present = 0;
  let mismatched = 0;
  const refused: { sequenceNumber: string; reason: string }[] = [];
  const keys = await deps.keys();
  for (const record of records) {
    const seq = record.dynamodb?.SequenceNumber ?? '';
    const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
    // The writer item, deletions (the API never deletes an order) and anything else: not orders.
    if (!image || (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY')) continue;
    if (!String(image.pk?.S ?? '').startsWith(ORDER_PK_PREFIX)) continue;
    const writtenAt = new Date((record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000);
    const verified = verifyBookItem(image, keys, writtenAt, deps.bounds ?? DEFAULT_TIMESTAMP_BOUNDS);
    if (!verified.ok) {
      refused.push({ sequenceNumber: seq, reason: verified.reason });
      deps.logger.error('book item refused: not written by the order API', {
        sequenceNumber: seq,
        reason: verified.reason,
        pk: image.pk?.S,
      });
      continue;
    }
    const order = publicOrder(verified.order);
    try {
      const result = await deps.restore(verified.order.clientId, order);
      if (result.created) applied += 1;
      else present += 1;
      if (!same(result.order, order)) {
        mismatched += 1;
        deps.logger.error('ledger differs from the book', { id: order.id, book: order, ledger: result.order });
      }
    } catch (e) {
      deps.logger.warn('order not applied: retrying from this record', {
        sequenceNumber: seq,
        id: order.id,
        error: String(e),
      });
      return { applied, present, refused, mismatched, failedFrom: seq };
    }
  }
  return { applied, present, refused, mismatched };
}
