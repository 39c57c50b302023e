/**
 * What the whole fleet of a region knows about recent signed requests: each client's request
 * count in the current rate window and every nonce still inside the signing window. One table
 * per region (DynamoDB, conditional writes, TTL) shared by every Lambda execution environment
 * and EC2 instance of that region, so a limit or a replay guard holds for the region, not per
 * process. Regions do not share it and need not: a signature names its region (signing.ts) and
 * the other region refuses it before looking here.
 *
 * Why conditional writes on one regional table: a DynamoDB condition expression is evaluated
 * atomically against the item's current state in that region ("Condition expressions",
 * DynamoDB developer guide); a global table would not do, since conditions are not checked
 * across replicas (/work/shared/aws-facts.md, DynamoDB).
 *
 * Why expired items are checked by time as well as by TTL: TTL deletes expired items "within a
 * few days" (DynamoDB developer guide, "Using time to live"), so an item past `expiresAt` is
 * treated as absent by the conditions themselves.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClientLimits } from './client-keys';

/** The two conditional writes the ledger needs. */
export interface LedgerStore {
  /**
   * One request against the token bucket `key` (GCRA: the bucket is its theoretical arrival
   * time, see `gcra`): 0 when admitted, otherwise the milliseconds until it would be.
   */
  admit(key: string, rate: Gcra, nowMs: number): Promise<number>;
  /** Create `key` unless a live one exists: true when created. */
  insertIfAbsent(key: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

/** The in-memory store is bounded: when full of live entries it refuses (503), never forgets. */
export class LedgerFullError extends Error {
  constructor() {
    super('request ledger is full');
    this.name = 'LedgerFullError';
  }
}

/**
 * One process's ledger (`npm run serve`, tests): the same semantics as the table, for a
 * single-process deployment only. Bounded by `maxEntries`; expired entries are swept when full.
 */
export class MemoryLedgerStore implements LedgerStore {
  private readonly items = new Map<string, { n: number; expiresAtMs: number }>();

  constructor(private readonly maxEntries = 200_000) {}

  private live(key: string, nowMs: number) {
    const item = this.items.get(key);
    return item && item.expiresAtMs > nowMs ? item : undefined;
  }

  private room(nowMs: number): void {
    if (this.items.size < this.maxEntries) return;
    for (const [key, item] of this.items) if (item.expiresAtMs <= nowMs) this.items.delete(key);
    if (this.items.size >= this.maxEntries) throw new LedgerFullError();
  }

  async admit(key: string, rate: Gcra, nowMs: number): Promise<number> {
    const item = this.live(key, nowMs);
    const decision = gcra(rate, item?.n, nowMs);
    if (decision.waitMs > 0) return decision.waitMs;
    if (item) {
      item.n = decision.tat;
      item.expiresAtMs = decision.expiresAtMs;
    } else {
      this.room(nowMs);
      this.items.set(key, { n: decision.tat, expiresAtMs: decision.expiresAtMs });
    }
    return 0;
  }

  async insertIfAbsent(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    if (this.live(key, nowMs)) return false;
    this.room(nowMs);
    this.items.set(key, { n: 1, expiresAtMs });
    return true;
  }

  get size(): number {
    return this.items.size;
  }
}

/** The table's attribute holding expiry in epoch seconds: the table's TTL attribute. */
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The regional table (`pk` string hash key, TTL on `expiresAt`, lib/security/request-ledger-table.ts).
 * Each request costs one conditional UpdateItem (rate) and, if within its limit, one conditional
 * PutItem (nonce).
 */
export class DynamoLedgerStore implements LedgerStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
        return false;
      }
      throw e;
    }
  }

  /**
   * GCRA as two conditional updates, since an update expression has no max(): an idle bucket
   * (no item, or its arrival time passed) restarts at now + interval; a busy one moves on by one
   * interval if that stays within the burst; busy is tried again when another instance restarted
   * the bucket in between. None matching is a refusal. Each write is atomic, so concurrent
   * requests from the whole fleet are counted exactly. An admitted request costs one or two
   * writes, a refused one three.
   */
  async admit(key: string, rate: Gcra, nowMs: number): Promise<number> {
    const expiresAt = Math.ceil(gcraExpiryMs(rate, nowMs) / 1000);
    const names = { '#t': 'tat', '#e': LEDGER_TTL_ATTRIBUTE };
    const busy = () =>
      this.conditional(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: key },
            UpdateExpression: 'SET #t = #t + :i, #e = :e',
            ConditionExpression: '#t > :now AND #t <= :limit',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {
              ':i': rate.intervalMs,
              ':now': nowMs,
              ':limit': nowMs + rate.toleranceMs,
              ':e': expiresAt,
            },
          }),
        ),
      );
    if (await busy()) return 0;
    const idle = await this.conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: 'SET #t = :next, #e = :e',
          ConditionExpression: 'attribute_not_exists(#t) OR #t <= :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':next': nowMs + rate.intervalMs, ':now': nowMs, ':e': expiresAt },
        }),
      ),
    );
    if (idle) return 0;
    // Another instance restarted the bucket between the two: it is busy now.
    if (await busy()) return 0;
    // Refused: the bucket's arrival time is beyond the burst; one interval is a safe wait hint.
    return rate.intervalMs;
  }

  insertIfAbsent(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: key, [LEDGER_TTL_ATTRIBUTE]: Math.ceil(expiresAtMs / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR #e <= :now',
          ExpressionAttributeNames: { '#e': LEDGER_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
        }),
      ),
    );
  }
}

/** A client's limits as GCRA parameters: one request per `intervalMs`, `toleranceMs` of burst. */
export interface Gcra {
  readonly intervalMs: number;
  readonly toleranceMs: number;
}

export function gcraOf(limits: ClientLimits): Gcra {
  const intervalMs = 1000 / limits.ratePerSecond;
  return { intervalMs, toleranceMs: (limits.burst - 1) * intervalMs };
}

/** When a bucket updated now holds nothing worth keeping: its arrival time is at most this. */
const gcraExpiryMs = (rate: Gcra, nowMs: number) => nowMs + rate.toleranceMs + rate.intervalMs;

/**
 * The generic cell rate algorithm (ITU-T I.371; the token bucket in one number): a bucket is
 * its theoretical arrival time `tat`. A request at `now` is admitted when
 * `max(tat, now) - now <= tolerance`, and moves `tat` to `max(tat, now) + interval`; otherwise it
 * waits `max(tat, now) - now - tolerance`. `burst` requests pass at once, then `ratePerSecond`.
 */
export function gcra(
  rate: Gcra,
  tat: number | undefined,
  nowMs: number,
): { waitMs: number; tat: number; expiresAtMs: number } {
  const start = Math.max(tat ?? nowMs, nowMs);
  const over = start - nowMs - rate.toleranceMs;
  if (over > 0) return { waitMs: over, tat: start, expiresAtMs: gcraExpiryMs(rate, nowMs) };
  return { waitMs: 0, tat: start + rate.intervalMs, expiresAtMs: gcraExpiryMs(rate, nowMs) };
}

/**
 * The most nonces one client can hold in the ledger at once: a nonce is recorded only for a
 * request its rate limit admitted and lives `nonceTtlMs`, so at most a burst plus what the rate
 * admits in that time. This is the per-client quota of the nonce store.
 */
export function nonceQuota(limits: ClientLimits, nonceTtlMs: number): number {
  return limits.burst + Math.ceil((nonceTtlMs * limits.ratePerSecond) / 1000);
}

export class RequestLedger {
  constructor(private readonly store: LedgerStore) {}

  /** 0 when the client may make this request now, otherwise the whole seconds to wait (at least 1). */
  async take(clientId: string, limits: ClientLimits, nowMs: number): Promise<number> {
    const waitMs = await this.store.admit(`rate#${clientId}`, gcraOf(limits), nowMs);
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  /** 'fresh' (now remembered until `nowMs + ttlMs`) or 'replayed'. */
  async record(clientId: string, nonce: string, nowMs: number, ttlMs: number): Promise<'fresh' | 'replayed'> {
    return (await this.store.insertIfAbsent(`nonce#${clientId}#${nonce}`, nowMs + ttlMs, nowMs)) ? 'fresh' : 'replayed';
  }
}
