/**
 * The accept path of the live order book. An order is acknowledged (created, live, readable by
 * GET) only after it was written by transactions that each checked the writer item in the
 * replica they wrote (lambda/shared/book-writer.ts):
 *
 * - cross-region durability: first the PEER replica (ConditionCheck on the peer's copy of the
 *   writer item + Put if absent), then the local one. A writer that was fenced (the survivor moved
 *   the writer in its replica) is refused by the first write, so it stores nothing at all; an
 *   order is never in the local replica unless the peer already holds it.
 * - regional durability (the writer item says so: its peer is down): the local write alone; when
 *   the primary's keeper made it regional, only until the lease's end the item carries
 *   (`regionalUntil`, lambda/shared/arbiter.ts), checked in the same transaction against this
 *   API's clock, so an isolated primary whose keeper cannot renew stops by itself.
 *
 * Every wait is bounded by an AbortSignal well inside the request's deadline, and the outcome is
 * one of: created, replayed (same client order id, same order), conflict (same client order id,
 * another order), not taken (nothing stored and nothing will be: a refusal, or a request that
 * never left), or unknown (a write may have been applied: its reply was lost or too late). Nothing
 * here holds a connection or lock across the cross-region round trip: the SDK's HTTP agent keeps
 * sockets, not transactions.
 */
import {
  GetItemCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type ConditionCheck,
} from '@aws-sdk/client-dynamodb';
import { type OrderInput, orderIdFor, sameOrder } from '../trading/order';
import { type BookOrder, bookOrderFromItem, bookOrderToItem, inputOf, orderPk } from './book-order';
import { BOOK_KEY, bookWriter, type BookReplicas, type Durability, type Writer, writerKey } from './book-writer';
import { classifyWriteError, type WriteResult } from './write-errors';

export { classifyWriteError } from './write-errors';

export type AcceptOutcome =
  | { readonly kind: 'created'; readonly order: BookOrder; readonly durability: Durability }
  | { readonly kind: 'replayed'; readonly order: BookOrder }
  | { readonly kind: 'conflict'; readonly id: string }
  | { readonly kind: 'not-taken'; readonly reason: string; readonly overload?: boolean; readonly fenced?: boolean }
  | { readonly kind: 'unknown'; readonly id: string; readonly reason: string };

/** Upper bounds of each wait (ms); each is also cut to what is left of the request's deadline. */
export interface BookBounds {
  readonly readWriterMs: number;
  readonly peerWriteMs: number;
  readonly localWriteMs: number;
  /** Left unused at the end of the deadline for answering. */
  readonly marginMs: number;
  /**
   * How long this region's writer item, read once, is reused (0: read before every order). Safe:
   * the acknowledging writes check the epoch themselves, so a stale copy only costs a refusal,
   * after which the item is read again and the order tried once more.
   */
  readonly writerCacheMs?: number;
}

/**
 * Three round trips at most, in series: one local read, one cross-region write, one local write.
 * 80 ms to the peer is normal; 1.5 s covers DynamoDB's own transaction retries under contention.
 * Sum (3 s) + margin stays under the API's 5 s request deadline.
 */
export const DEFAULT_BOOK_BOUNDS: BookBounds = {
  writerCacheMs: 1_000,
  readWriterMs: 500,
  peerWriteMs: 1_500,
  localWriteMs: 1_000,
  marginMs: 250,
};

export interface OrderBookDeps {
  readonly replicas: BookReplicas;
  /** This function's region and the other replica's. */
  readonly region: string;
  readonly peer: string;
  /** The service's signing key (current). */
  readonly signingKey: () => Promise<Buffer>;
  readonly now?: () => Date;
  readonly bounds?: BookBounds;
}

export class OrderBook {
  private readonly bounds: BookBounds;
  private readonly now: () => Date;

  constructor(private readonly deps: OrderBookDeps) {
    this.bounds = deps.bounds ?? DEFAULT_BOOK_BOUNDS;
    this.now = deps.now ?? (() => new Date());
  }

  private cache?: { readonly writer: Writer; readonly at: number };

  /** Take an order for `clientId`, answering before `deadline` (epoch ms). */
  async accept(clientId: string, input: OrderInput, deadline: number): Promise<AcceptOutcome> {
    const cached =
      this.cache && this.now().getTime() - this.cache.at < (this.bounds.writerCacheMs ?? 0)
        ? this.cache.writer
        : undefined;
    const outcome = await this.acceptAs(clientId, input, deadline, cached);
    if (cached && outcome.kind === 'not-taken' && outcome.fenced) {
      // Refused as a whole (nothing written): the copy was stale. Read the item and try once more.
      this.cache = undefined;
      return this.acceptAs(clientId, input, deadline, undefined);
    }
    return outcome;
  }

  private async acceptAs(
    clientId: string,
    input: OrderInput,
    deadline: number,
    cached: Writer | undefined,
  ): Promise<AcceptOutcome> {
    const id = orderIdFor(clientId, input.clientOrderId);
    const wait = (bound: number) => Math.max(0, Math.min(bound, deadline - this.bounds.marginMs - Date.now()));

    let writer: Writer | undefined = cached;
    try {
      if (!writer) {
        writer = await bookWriter(this.deps.replicas).readWriter(this.deps.region, {
          abortSignal: AbortSignal.timeout(wait(this.bounds.readWriterMs)),
        });
        this.cache = writer && writer.region === this.deps.region ? { writer, at: this.now().getTime() } : undefined;
      }
    } catch (e) {
      const c = classifyWriteError(e);
      return {
        kind: 'not-taken',
        reason: `order book unavailable (${'reason' in c ? c.reason : c.kind})`,
        overload: c.kind === 'refused' && c.overload,
      };
    }
    if (!writer) return { kind: 'not-taken', reason: 'no writer region is set in the order book' };
    if (writer.region !== this.deps.region)
      return { kind: 'not-taken', reason: `${writer.region} is the writer region` };

    const key = await this.deps.signingKey();
    let order: BookOrder = {
      id,
      clientId,
      ...input,
      status: 'accepted',
      region: this.deps.region,
      createdAt: this.now().toISOString(),
      epoch: writer.epoch,
    };
    let replayed = false;

    if (writer.durability === 'cross-region') {
      const peer = await this.write(this.deps.peer, writer, bookOrderToItem(order, key), wait(this.bounds.peerWriteMs));
      if (peer.kind === 'fenced')
        return { kind: 'not-taken', reason: 'this region is no longer the writer (fenced by its peer)', fenced: true };
      if (peer.kind === 'refused')
        return {
          kind: 'not-taken',
          reason: `peer replica refused the write (${peer.reason})`,
          overload: peer.overload,
        };
      if (peer.kind === 'unknown') return { kind: 'unknown', id, reason: `peer replica: ${peer.reason}` };
      if (peer.kind === 'exists') {
        const stored = peer.item ? bookOrderFromItem(peer.item) : undefined;
        if (!stored || stored.clientId !== clientId)
          return { kind: 'unknown', id, reason: 'peer holds the id but did not return it' };
        if (!sameOrder(inputOf(stored), input)) return { kind: 'conflict', id };
        // An earlier request stored it (or this one, on a retried send): the same order, the
        // same timestamp, everywhere.
        replayed = stored.createdAt !== order.createdAt;
        order = stored;
      }
    }

    // A replay writes the peer's copy as it is: same timestamp, same signature.
    const local = await this.write(
      this.deps.region,
      writer,
      bookOrderToItem(order, key),
      wait(this.bounds.localWriteMs),
    );
    if (local.kind === 'written')
      return replayed ? { kind: 'replayed', order } : { kind: 'created', order, durability: writer.durability };
    if (local.kind === 'exists') {
      const stored = local.item ? bookOrderFromItem(local.item) : undefined;
      if (!stored) return { kind: 'unknown', id, reason: 'local replica holds the id but did not return it' };
      if (!sameOrder(inputOf(stored), input)) return { kind: 'conflict', id };
      // This request's own peer write, replicated here first: created, not replayed.
      if (!replayed && stored.createdAt === order.createdAt) {
        return { kind: 'created', order: stored, durability: writer.durability };
      }
      return { kind: 'replayed', order: stored };
    }
    if (writer.durability === 'regional') {
      if (local.kind === 'fenced') return { kind: 'not-taken', reason: 'the writer moved: not taken', fenced: true };
      if (local.kind === 'refused')
        return {
          kind: 'not-taken',
          reason: `order book refused the write (${local.reason})`,
          overload: local.overload,
        };
      return { kind: 'unknown', id, reason: `local replica: ${local.reason}` };
    }
    // The peer holds the order (it is live and will replicate here), the local write did not
    // confirm: not a 503 (it is stored), not a 201 (GET here may not see it yet).
    return {
      kind: 'unknown',
      id,
      reason: `stored in ${this.deps.peer}; local replica: ${local.kind === 'unknown' || local.kind === 'refused' ? local.reason : local.kind}`,
    };
  }

  /**
   * Whether this region's replica answers (the API's health check): a bounded read of the writer
   * item, returned with it (undefined when none is set yet). Throws when the replica does not answer.
   */
  async ready(): Promise<{ readonly writer?: Writer }> {
    const writer = await bookWriter(this.deps.replicas).readWriter(this.deps.region, {
      abortSignal: AbortSignal.timeout(this.bounds.readWriterMs),
    });
    return { writer };
  }

  /** The client's own order, from the local replica (another client's order is "not found"). */
  async get(clientId: string, id: string, deadline: number): Promise<BookOrder | undefined> {
    const out = await this.deps.replicas.client(this.deps.region).send(
      new GetItemCommand({
        TableName: this.deps.replicas.tableName,
        Key: { [BOOK_KEY]: { S: orderPk(id) } },
        ConsistentRead: true,
      }),
      {
        abortSignal: AbortSignal.timeout(
          Math.max(0, Math.min(this.bounds.localWriteMs, deadline - this.bounds.marginMs - Date.now())),
        ),
      },
    );
    if (!out.Item) return undefined;
    const order = bookOrderFromItem(out.Item);
    return order.clientId === clientId ? order : undefined;
  }

  /** One fenced write: the writer item checked in `region`'s replica, the order put if absent. */
  private async write(
    region: string,
    writer: Writer,
    item: Record<string, AttributeValue>,
    ms: number,
  ): Promise<WriteResult> {
    if (ms <= 0) return { kind: 'refused', reason: 'no time left before the deadline', overload: false };
    const table = this.deps.replicas.tableName;
    try {
      await this.deps.replicas.client(region).send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: { TableName: table, Key: writerKey(), ...writerCondition(writer, this.now()) },
            },
            {
              Put: {
                TableName: table,
                Item: item,
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': BOOK_KEY },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
        { abortSignal: AbortSignal.timeout(ms) },
      );
      return { kind: 'written' };
    } catch (e) {
      return classifyWriteError(e);
    }
  }
}

/**
 * The acknowledging write's check of the writer item: the region and epoch it was read at, and,
 * for a writer under the keeper's lease (book-writer.ts regionalUntil), the lease's end against
 * this API's clock in the same transaction. Whether an item carries a lease is fixed per epoch
 * (only a move, which raises the epoch, adds or drops it; a renewal keeps the epoch and needs an
 * existing lease), so a writer read without one is pinned lease-free by its epoch.
 */
export function writerCondition(
  writer: Writer,
  now: Date,
): Pick<ConditionCheck, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const pinned = {
    ConditionExpression: '#region = :region AND #epoch = :epoch',
    ExpressionAttributeNames: { '#region': 'region', '#epoch': 'epoch' },
    ExpressionAttributeValues: { ':region': { S: writer.region }, ':epoch': { N: String(writer.epoch) } },
  };
  if (writer.regionalUntil === undefined) return pinned;
  return {
    ConditionExpression: `${pinned.ConditionExpression} AND #until > :now`,
    ExpressionAttributeNames: { ...pinned.ExpressionAttributeNames, '#until': 'regionalUntil' },
    ExpressionAttributeValues: { ...pinned.ExpressionAttributeValues, ':now': { N: String(now.getTime()) } },
  };
}
