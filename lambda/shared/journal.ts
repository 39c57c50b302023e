/**
 * The cross-region order journal. Aurora global replication is asynchronous: an unplanned
 * failover loses the writer's unreplicated tail. So before an order is acknowledged, a copy of
 * the stored order goes to a queue in the region that is NOT the writer's, inside the insert
 * transaction and before COMMIT. If that copy cannot be made, the transaction rolls back and
 * the client is told to retry (the order is never acknowledged without it).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { DEFAULT_JOURNAL_TIMEOUT_MS, JOURNAL_TIMEOUT_RANGE_MS } from '../facts/journal';
import { Order, orderSchema } from '../trading/order';

export type OrderDurability = 'cross-region' | 'regional';

export const JOURNAL_ENTRY_KIND = 'tap.order-journal.v1';

/** One journal message: the order exactly as stored (id and timestamp included) and where. */
export interface JournalEntry {
  readonly kind: typeof JOURNAL_ENTRY_KIND;
  /** Region of the writer that committed the order (the journal lives in the other one). */
  readonly writerRegion: string;
  readonly journaledAt: string;
  /** The authenticated client that owns the order (with clientOrderId, the order's key). */
  readonly clientId: string;
  readonly order: Order;
}

/** Thrown when the order must not be acknowledged: the client gets a retryable 503. */
export class JournalWriteError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'JournalWriteError';
  }
}

/** Delivers one journal message to a region's journal queue; rejects on any failure. */
export interface JournalSender {
  send(region: string, body: string, signal: AbortSignal): Promise<void>;
}

/**
 * Whether the orchestrator has fenced a region (moved traffic away from it before a failover or
 * switchover). Journaling to a fenced region becomes best effort: an order is still journaled
 * when that region's queue answers (a planned switchover, or an outage of the database alone),
 * and acknowledged with regional durability, counted, when it does not, so a dead peer cannot
 * stop all trading.
 */
export interface PeerFence {
  isFenced(region: string): Promise<boolean>;
}

/** Anything that runs SQL inside the insert transaction. */
export interface TxQueryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/** What the order store calls inside its insert transaction, after the INSERT, before COMMIT. */
export interface OrderJournal {
  record(clientId: string, order: Order, tx: TxQueryable): Promise<'journaled' | 'unjournaled'>;
}

export interface JournalSettings {
  /** Both regions of the platform; the journal of an order is the one that is not its writer's. */
  readonly regions: readonly [string, string];
  /** The region this process runs in (the writer's region where the database is not Aurora). */
  readonly localRegion: string;
  /** Budget for one journal write, retries included; the transaction stays open meanwhile. */
  readonly timeoutMs: number;
}

export interface JournalDeps {
  readonly sender: JournalSender;
  readonly fence?: PeerFence;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly now?: () => Date;
}

/** After a failed write to a fenced region, orders skip it for this long (no per-order timeout). */
export const FENCED_RETRY_MS = 30_000;

/** The region of the other member of the pair. */
export function peerRegion(regions: readonly [string, string], region: string): string {
  const [a, b] = regions;
  if (region === a) return b;
  if (region === b) return a;
  throw new JournalWriteError(`writer region ${region} is neither ${a} nor ${b}`);
}

/**
 * The writer's region, asked of the writer itself: API processes in either region write through
 * the global writer endpoint, so "the other region" is relative to the writer, not to the caller.
 * Aurora reports it in aurora_global_db_instance_status() (the writer's session is
 * MASTER_SESSION_ID); the function is looked up by name first, as the application's search_path
 * holds only its own schema. A plain PostgreSQL (tests, a local run) has no such function and is
 * taken to be in `localRegion`.
 */
const FIND_AURORA_STATUS =
  "SELECT quote_ident(n.nspname) AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'aurora_global_db_instance_status' ORDER BY n.nspname <> 'pg_catalog', n.nspname LIMIT 1";

export async function queryWriterRegion(db: TxQueryable, localRegion: string): Promise<string> {
  const found = (await db.query<{ schema: string }>(FIND_AURORA_STATUS)).rows[0];
  if (!found) return localRegion;
  const writers = (
    await db.query<{ aws_region: string }>(
      `SELECT aws_region FROM ${found.schema}.aurora_global_db_instance_status() WHERE session_id = 'MASTER_SESSION_ID'`,
    )
  ).rows;
  if (writers.length !== 1) throw new JournalWriteError(`the database reports ${writers.length} writers`);
  return writers[0].aws_region;
}

/**
 * The same, cached per connection, for the insert path: it asks only after its INSERT succeeded,
 * i.e. on a connection to the writer itself, whose region does not change (a demoted writer
 * refuses the INSERT before the cache is consulted).
 */
const writerRegions = new WeakMap<object, string>();

export async function writerRegionOf(tx: TxQueryable, localRegion: string): Promise<string> {
  let region = writerRegions.get(tx);
  if (!region) writerRegions.set(tx, (region = await queryWriterRegion(tx, localRegion)));
  return region;
}

/** Reject after `ms`, aborting the operation's signal, whatever the operation does with it. */
async function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([run(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function encodeJournalEntry(entry: JournalEntry): string {
  return JSON.stringify(entry);
}

const storedOrderSchema = z.object({
  id: z.uuid(),
  status: z.literal('accepted'),
  region: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
});

const entrySchema = z.object({
  kind: z.literal(JOURNAL_ENTRY_KIND),
  writerRegion: z.string().min(1),
  journaledAt: z.iso.datetime({ offset: true }),
  clientId: z.string().min(1).max(128),
  order: z.looseObject({}),
});

/** Parse a journal message; anything that is not one the writer produced is rejected. */
export function parseJournalEntry(body: string): { ok: true; entry: JournalEntry } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const envelope = entrySchema.safeParse(json);
  if (!envelope.success) return { ok: false, error: envelope.error.issues.map((i) => i.message).join('; ') };
  const { id, status, region, createdAt, ...input } = envelope.data.order;
  const stored = storedOrderSchema.safeParse({ id, status, region, createdAt });
  const order = orderSchema.safeParse(input);
  if (!stored.success || !order.success) {
    const issues = [...(stored.error?.issues ?? []), ...(order.error?.issues ?? [])];
    return { ok: false, error: `not a stored order: ${issues.map((i) => i.message).join('; ')}` };
  }
  return {
    ok: true,
    entry: { ...envelope.data, kind: JOURNAL_ENTRY_KIND, order: { ...order.data, ...stored.data } },
  };
}

/**
 * The journal for `cross-region` durability. `record` either returns once the message is in
 * the other region's queue, returns 'unjournaled' when that region is fenced (counted and
 * logged), or throws JournalWriteError: the caller rolls back and answers 503.
 */
export function createOrderJournal(settings: JournalSettings, deps: JournalDeps): OrderJournal {
  const now = deps.now ?? (() => new Date());
  /** Per fenced region: until when orders skip it after a failed write. */
  const skipUntil = new Map<string, number>();
  const unjournaled = (clientId: string, order: Order, reason: string) => {
    // Stable message: a log metric filter counts these (UnjournaledOrders).
    deps.logger.warn('order acknowledged without cross-region journal', {
      unjournaled: 1,
      reason,
      clientId,
      clientOrderId: order.clientOrderId,
      orderId: order.id,
    });
    return 'unjournaled' as const;
  };
  return {
    async record(clientId, order, tx) {
      const writerRegion = await writerRegionOf(tx, settings.localRegion);
      const target = peerRegion(settings.regions, writerRegion);
      const fenced = await isFenced(deps, target);
      if (fenced && now().getTime() < (skipUntil.get(target) ?? 0)) {
        return unjournaled(clientId, order, `journal region ${target} is fenced and did not answer recently`);
      }
      const body = encodeJournalEntry({
        kind: JOURNAL_ENTRY_KIND,
        writerRegion,
        journaledAt: now().toISOString(),
        clientId,
        order,
      });
      try {
        await withDeadline(settings.timeoutMs, (signal) => deps.sender.send(target, body, signal));
        skipUntil.delete(target);
        return 'journaled';
      } catch (e) {
        if (fenced) {
          skipUntil.set(target, now().getTime() + FENCED_RETRY_MS);
          return unjournaled(clientId, order, `journal region ${target} is fenced and did not answer: ${String(e)}`);
        }
        deps.logger.error('order journal write failed', {
          journalFailure: 1,
          journalRegion: target,
          clientId,
          clientOrderId: order.clientOrderId,
          error: String(e),
        });
        throw new JournalWriteError(`order journal in ${target} did not take the order: ${String(e)}`, e);
      }
    },
  };
}

/** A fence that cannot be read counts as "not fenced": the journal stays mandatory (fail safe). */
async function isFenced(deps: JournalDeps, region: string): Promise<boolean> {
  if (!deps.fence) return false;
  try {
    return await deps.fence.isFenced(region);
  } catch (e) {
    deps.logger.warn('fence record unreadable; journaling as usual', { region, error: String(e) });
    return false;
  }
}

export interface JournalConfig {
  readonly durability: OrderDurability;
  /** Journal queue URL per region (both regions), when durability is cross-region. */
  readonly queueUrls?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

const SQS_URL = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/\d{12}\/[A-Za-z0-9_-]{1,80}$/;

/** Read and check the journal settings from the environment; a wrong value fails the cold start. */
export function journalConfigFromEnv(env: Readonly<Record<string, string | undefined>>): JournalConfig {
  const durability = env.ORDER_DURABILITY ?? 'cross-region';
  if (durability !== 'cross-region' && durability !== 'regional') {
    throw new Error(`ORDER_DURABILITY must be cross-region or regional, got "${durability}"`);
  }
  const timeoutMs = Number(env.JOURNAL_TIMEOUT_MS ?? DEFAULT_JOURNAL_TIMEOUT_MS);
  const [min, max] = JOURNAL_TIMEOUT_RANGE_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < min || timeoutMs > max) {
    throw new Error(`JOURNAL_TIMEOUT_MS must be an integer from ${min} to ${max}, got "${env.JOURNAL_TIMEOUT_MS}"`);
  }
  if (durability === 'regional') return { durability, timeoutMs };
  if (!env.JOURNAL_QUEUE_URLS) {
    throw new Error(
      'ORDER_DURABILITY is cross-region (the default) but JOURNAL_QUEUE_URLS is not set; ' +
        'set ORDER_DURABILITY=regional to acknowledge orders without the cross-region journal',
    );
  }
  let urls: unknown;
  try {
    urls = JSON.parse(env.JOURNAL_QUEUE_URLS);
  } catch {
    throw new Error('JOURNAL_QUEUE_URLS must be a JSON object of region to SQS queue URL');
  }
  const entries = Object.entries(typeof urls === 'object' && urls !== null ? urls : {});
  if (entries.length !== 2) throw new Error('JOURNAL_QUEUE_URLS must name exactly two regions');
  for (const [region, url] of entries) {
    const match = typeof url === 'string' ? SQS_URL.exec(url) : null;
    if (!match || match[1] !== region) {
      throw new Error(`JOURNAL_QUEUE_URLS["${region}"] must be an SQS queue URL in ${region}, got "${url}"`);
    }
  }
  return { durability, timeoutMs, queueUrls: Object.fromEntries(entries) as Record<string, string> };
}
