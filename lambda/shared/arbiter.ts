/**
 * The arbiter: one item in a small, plain (not global) DynamoDB table in a third region
 * (us-west-2), `{ pk: 'regional-durability', holder, until }`, that says which region may write the
 * order book with regional durability. The primary's keeper (lambda/keeper) takes it for a lease
 * before its writer goes regional and renews it while it stays so; the orchestrator's takeover
 * (a regional move to the secondary) takes it before moving, held until released (no `until`),
 * and refuses the takeover while it cannot. So two regions can never both acknowledge regionally:
 * the keeper's acknowledging writes stop at its lease's end by themselves (the writer item carries
 * it: lambda/shared/book-writer.ts `regionalUntil`), and the orchestrator takes over only after
 * that end plus ARBITER_SKEW_MARGIN_MS (lambda/facts/keeper.ts).
 *
 * Why a conditional put is enough: in one region a DynamoDB write with a condition expression
 * succeeds only if the condition holds for the item as stored at that moment ("Condition
 * expressions" and "Conditional writes", Amazon DynamoDB Developer Guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html#WorkingWithItems.ConditionalUpdate),
 * so two contenders cannot both succeed. That holds only for a single-region table: a global
 * table's replicas resolve concurrent writes by last writer wins ("How DynamoDB global tables
 * work", conflict resolution), which is why the arbiter is a plain table.
 */
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ARBITER_PK, ARBITER_SKEW_MARGIN_MS } from '../facts/keeper';

export interface ArbiterHold {
  /** The region allowed to write the book regionally. */
  readonly holder: string;
  /** The lease's end (epoch ms); absent: held until its holder releases it (a takeover). */
  readonly until?: number;
}

export interface Arbiter {
  /**
   * Take (or renew) the arbiter for `holder` until `until` (absent: until released), if it is free,
   * already `holder`'s, or its lease ended more than the skew margin before `now`. False when
   * another holder has it; throws when the table cannot be reached (the caller cannot take it).
   */
  take(hold: ArbiterHold, now: number): Promise<boolean>;
  /** Give it back, only if `holder` still has it. */
  release(holder: string): Promise<void>;
  read(): Promise<ArbiterHold | undefined>;
}

export interface ArbiterTable {
  readonly tableName: string;
  /** A client of the arbiter table's region. */
  readonly client: DynamoDBClient;
  /** Each call's bound (ms). */
  readonly timeoutMs?: number;
}

/** One second: the arbiter is one round trip from either region; a slower answer is no answer. */
export const ARBITER_TIMEOUT_MS = 1_000;

const key = { pk: { S: ARBITER_PK } };

/**
 * Whether `hold` may take the arbiter from `current` at `now`: what {@link TAKE_CONDITION} says
 * (free, its own, or a lease that ended more than the skew margin ago; a hold without an end never
 * ends), for the in-memory arbiter; test/lambda/arbiter.test.ts runs the same cases on both.
 */
export function mayTake(current: ArbiterHold | undefined, hold: ArbiterHold, now: number): boolean {
  return (
    !current ||
    current.holder === hold.holder ||
    (current.until !== undefined && current.until < now - ARBITER_SKEW_MARGIN_MS)
  );
}

/** The condition a taker's put carries: free, its own, or expired by more than the margin. */
export const TAKE_CONDITION = 'attribute_not_exists(#pk) OR #holder = :holder OR #until < :expired';

export function arbiter(table: ArbiterTable): Arbiter {
  const options = () => ({ abortSignal: AbortSignal.timeout(table.timeoutMs ?? ARBITER_TIMEOUT_MS) });
  return {
    async take({ holder, until }, now) {
      if (until !== undefined && !(until > now)) throw new Error(`arbiter: a lease must end after now (${until})`);
      try {
        await table.client.send(
          new PutItemCommand({
            TableName: table.tableName,
            Item: { ...key, holder: { S: holder }, ...(until === undefined ? {} : { until: { N: String(until) } }) },
            ConditionExpression: TAKE_CONDITION,
            ExpressionAttributeNames: { '#pk': 'pk', '#holder': 'holder', '#until': 'until' },
            ExpressionAttributeValues: {
              ':holder': { S: holder },
              ':expired': { N: String(now - ARBITER_SKEW_MARGIN_MS) },
            },
          }),
          options(),
        );
        return true;
      } catch (e) {
        if ((e as Error).name === 'ConditionalCheckFailedException') return false;
        throw e;
      }
    },
    async release(holder) {
      try {
        await table.client.send(
          new DeleteItemCommand({
            TableName: table.tableName,
            Key: key,
            ConditionExpression: '#holder = :holder',
            ExpressionAttributeNames: { '#holder': 'holder' },
            ExpressionAttributeValues: { ':holder': { S: holder } },
          }),
          options(),
        );
      } catch (e) {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      }
    },
    async read() {
      const out = await table.client.send(
        new GetItemCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
        options(),
      );
      if (!out.Item?.holder?.S) return undefined;
      const until = out.Item.until?.N;
      return { holder: out.Item.holder.S, ...(until === undefined ? {} : { until: Number(until) }) };
    },
  };
}

/** The arbiter in memory (tests, and the drill's us-west-2), deciding by {@link mayTake}. */
export class InMemoryArbiter implements Arbiter {
  private hold?: ArbiterHold;
  /** Set by a test or the drill: every call throws, as when us-west-2 is not reached. */
  unreachable = false;

  private reach(): void {
    if (this.unreachable) throw new Error('arbiter: us-west-2 not reached');
  }

  async take(hold: ArbiterHold, now: number): Promise<boolean> {
    this.reach();
    if (hold.until !== undefined && !(hold.until > now))
      throw new Error(`arbiter: a lease must end after now (${hold.until})`);
    if (!mayTake(this.hold, hold, now)) return false;
    this.hold = { ...hold };
    return true;
  }

  async release(holder: string): Promise<void> {
    this.reach();
    if (this.hold?.holder === holder) this.hold = undefined;
  }

  async read(): Promise<ArbiterHold | undefined> {
    this.reach();
    return this.hold && { ...this.hold };
  }
}
