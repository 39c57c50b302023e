/**
 * Who writes the live order book, as one control item in the book's DynamoDB global table:
 * `{ region, epoch, durability }`. Every acknowledging write checks this item in the same
 * transaction (lambda/shared/order-book.ts), so moving it is the fence: once the target replica
 * holds epoch N+1, no write that checked epoch N can succeed there again.
 *
 * Why the fence holds (DynamoDB Developer Guide, "Amazon DynamoDB Transactions: How it works",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html):
 * TransactWriteItems is all-or-nothing within one account and one Region, and "Transactions are
 * not supported across regions in global tables. Changes will eventually be replicated to other
 * regions once they have been committed in the source region" (section "Using transactional APIs
 * with global tables"). So a ConditionCheck on the writer item is exact within the replica it runs
 * in and says nothing about the other one: the acknowledging path checks the writer item in each
 * replica it writes, and a move is written in the replica whose refusals must start at once (the
 * target's). Items replicate one by one ("Best practices for global table design": items from one
 * transaction are not replicated together) and concurrent writes converge by last writer wins
 * ("How DynamoDB global tables work", conflict resolution), so a move and a stale write never
 * merge into a mixed item.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { BOOK_KEY, WRITER_PK } from '../facts/book';

export type Durability = 'cross-region' | 'regional';
export const DURABILITIES: readonly Durability[] = ['cross-region', 'regional'];

export interface Writer {
  /** The only region whose API may acknowledge orders. */
  readonly region: string;
  /** Raised by one on every move; writes check it, so a stale writer is refused. */
  readonly epoch: number;
  /** `regional`: acknowledged once durable in the writer's replica only (its peer is down). */
  readonly durability: Durability;
  /**
   * Set only while the primary's keeper holds the arbiter's lease (lambda/shared/arbiter.ts): the
   * lease's end (epoch ms). Every acknowledging write checks it against the API's clock, so a
   * region whose keeper cannot renew stops acknowledging by itself when the lease runs out.
   */
  readonly regionalUntil?: number;
}

/** The writer item's key: the book keys every item by `pk` alone. */
export { BOOK_KEY, WRITER_PK };

/** The book's replicas: one client per region, each reaching that region's replica. */
export interface BookReplicas {
  readonly tableName: string;
  /** Every region with a replica (the writer item is copied to the others on a move). */
  readonly regions?: readonly string[];
  /** The client that reaches `region`'s replica (from the calling region). */
  client(region: string): DynamoDBClient;
}

export const writerKey = (): Record<string, AttributeValue> => ({ [BOOK_KEY]: { S: WRITER_PK } });

export function writerToItem(w: Writer): Record<string, AttributeValue> {
  return {
    ...writerKey(),
    region: { S: w.region },
    epoch: { N: String(w.epoch) },
    durability: { S: w.durability },
    ...(w.regionalUntil === undefined ? {} : { regionalUntil: { N: String(w.regionalUntil) } }),
  };
}

/** The stored item as a Writer, or an error naming what is wrong with it (never a guess). */
export function writerFromItem(item: Record<string, AttributeValue>): Writer {
  const region = item.region?.S;
  const epoch = Number(item.epoch?.N);
  const durability = item.durability?.S as Durability | undefined;
  if (!region || !Number.isSafeInteger(epoch) || epoch < 1 || !durability || !DURABILITIES.includes(durability)) {
    throw new Error(`order book: malformed writer item ${JSON.stringify(item)}`);
  }
  const until = item.regionalUntil?.N;
  if (until !== undefined && (durability !== 'regional' || !Number.isSafeInteger(Number(until)))) {
    throw new Error(`order book: malformed writer item ${JSON.stringify(item)}`);
  }
  return { region, epoch, durability, ...(until === undefined ? {} : { regionalUntil: Number(until) }) };
}

export interface MoveWriter {
  /** The region that writes after the move. */
  readonly to: string;
  /** The epoch the caller saw in the target replica (0: the item does not exist yet). */
  readonly fromEpoch: number;
  readonly durability: Durability;
  /** Regional under the keeper's lease: its end (see Writer.regionalUntil). */
  readonly regionalUntil?: number;
}

export type MoveResult =
  | {
      readonly moved: true;
      readonly writer: Writer;
      /**
       * Regions whose replica holds the new writer item (or a newer one) when the move returns,
       * by a direct copy or because replication was first: the old writer is told at once, and a cross-region writer can write to them
       * at once. A region missing here learns the move by replication.
       */
      readonly copiedTo: readonly string[];
    }
  | { readonly moved: false; readonly current?: Writer };

export interface BookWriter {
  /** The writer item as `region`'s replica holds it (a strongly consistent read of that replica). */
  readWriter(region: string, options?: { abortSignal?: AbortSignal }): Promise<Writer | undefined>;
  /**
   * Make `to` the writer with epoch `fromEpoch + 1`, written in `to`'s replica and only if that
   * replica still holds `fromEpoch` (two deciders cannot both move it). From that write on, the
   * target replica refuses every write checked against an older epoch: the old writer's
   * cross-region writes are refused at once, and its regional writes cannot start (only this
   * item says regional). `{ moved: false, current }` when another move came first.
   */
  moveWriter(move: MoveWriter, options?: { copyTimeoutMs?: number }): Promise<MoveResult>;
  /**
   * Carry a renewed lease's end into `writer`'s item in its own replica, in place (same epoch),
   * only if that replica still holds exactly that writer with a lease: false otherwise.
   */
  extendRegional(writer: Writer, regionalUntil: number): Promise<boolean>;
}

/** How long a move waits for each other replica's copy (the move itself is already done). */
export const COPY_TIMEOUT_MS = 1_000;

export function bookWriter(book: BookReplicas): BookWriter {
  const readWriter = async (region: string, options: { abortSignal?: AbortSignal } = {}) => {
    const out = await book
      .client(region)
      .send(
        new GetItemCommand({ TableName: book.tableName, Key: writerKey(), ConsistentRead: true }),
        options.abortSignal ? { abortSignal: options.abortSignal } : undefined,
      );
    return out.Item ? writerFromItem(out.Item) : undefined;
  };
  return {
    readWriter,
    async extendRegional(writer, regionalUntil) {
      try {
        await book.client(writer.region).send(
          new UpdateItemCommand({
            TableName: book.tableName,
            Key: writerKey(),
            UpdateExpression: 'SET #until = :until',
            ConditionExpression:
              '#region = :region AND #epoch = :epoch AND #durability = :regional AND attribute_exists(#until)',
            ExpressionAttributeNames: {
              '#region': 'region',
              '#epoch': 'epoch',
              '#durability': 'durability',
              '#until': 'regionalUntil',
            },
            ExpressionAttributeValues: {
              ':region': { S: writer.region },
              ':epoch': { N: String(writer.epoch) },
              ':regional': { S: 'regional' },
              ':until': { N: String(regionalUntil) },
            },
          }),
        );
        return true;
      } catch (e) {
        if ((e as Error).name === 'ConditionalCheckFailedException') return false;
        throw e;
      }
    },
    async moveWriter({ to, fromEpoch, durability, regionalUntil }, options = {}) {
      if (!Number.isSafeInteger(fromEpoch) || fromEpoch < 0) {
        throw new Error(`moveWriter: fromEpoch must be a whole number >= 0, got ${fromEpoch}`);
      }
      if (!DURABILITIES.includes(durability)) throw new Error(`moveWriter: unknown durability "${durability}"`);
      if (regionalUntil !== undefined && (durability !== 'regional' || !Number.isSafeInteger(regionalUntil))) {
        throw new Error(
          `moveWriter: a lease's end goes only with regional durability, got ${durability} ${regionalUntil}`,
        );
      }
      const writer: Writer = {
        region: to,
        epoch: fromEpoch + 1,
        durability,
        ...(regionalUntil === undefined ? {} : { regionalUntil }),
      };
      try {
        await book.client(to).send(
          new PutItemCommand({
            TableName: book.tableName,
            Item: writerToItem(writer),
            ...(fromEpoch === 0
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': BOOK_KEY } }
              : {
                  ConditionExpression: '#epoch = :from',
                  ExpressionAttributeNames: { '#epoch': 'epoch' },
                  ExpressionAttributeValues: { ':from': { N: String(fromEpoch) } },
                }),
          }),
        );
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
          return { moved: false, current: await readWriter(to) };
        }
        throw e;
      }
      // The same item, straight to the other replicas, only over an older epoch (or none): the
      // old writer's replica refuses its next write at once instead of after replication, and a
      // new cross-region writer can write there at once. Best effort: replication brings it anyway.
      const others = (book.regions ?? []).filter((r) => r !== to);
      const copied = await Promise.all(
        others.map(async (region) => {
          try {
            await book.client(region).send(
              new PutItemCommand({
                TableName: book.tableName,
                Item: writerToItem(writer),
                ConditionExpression: 'attribute_not_exists(#pk) OR #epoch < :epoch',
                ExpressionAttributeNames: { '#pk': BOOK_KEY, '#epoch': 'epoch' },
                ExpressionAttributeValues: { ':epoch': { N: String(writer.epoch) } },
              }),
              { abortSignal: AbortSignal.timeout(options.copyTimeoutMs ?? COPY_TIMEOUT_MS) },
            );
            return region;
          } catch (e) {
            // Refused: that replica already holds this epoch or a newer one (replication was first).
            return (e as Error).name === 'ConditionalCheckFailedException' ? region : undefined;
          }
        }),
      );
      return { moved: true, writer, copiedTo: copied.filter((r): r is string => r !== undefined) };
    },
  };
}
