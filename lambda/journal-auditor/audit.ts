/**
 * The journal auditor: the one consumer of a region's order journal. For each journaled order
 * it asks the local cluster:
 *
 *   present (same order)          -> confirmed: replication delivered it; the message is deleted
 *   absent, local cluster writable -> recovered: the region was promoted and the order was lost
 *                                     with the old writer; it is applied now, exactly once
 *   absent, local cluster read-only -> waiting: not replicated yet; the message stays and is
 *                                     retried, its age is the real RPO exposure (a metric)
 *   absent here and on the writer, older than the orphan age -> voided: the writer rolled the
 *                                     order back after journaling it (never acknowledged)
 *   not a journal entry, or a different order stored under its key -> parked for an operator
 */
import { JournalEntry, parseJournalEntry } from '../shared/journal';
import { classifyDbError } from '../shared/postgres';
import { Order, sameOrder } from '../trading/order';
import type { OrderStore } from '../trading/store';

export type AuditOutcome = 'confirmed' | 'recovered' | 'voided' | 'waiting' | 'parked';

export interface AuditVerdict {
  readonly outcome: AuditOutcome;
  readonly reason: string;
  /** Seconds since the writer journaled the order (since SQS took the message if unparseable). */
  readonly ageSeconds: number;
  readonly entry?: JournalEntry;
  /** The order as stored locally afterwards (confirmed, recovered, or the conflicting one). */
  readonly stored?: Order;
}

export interface AuditStores {
  /**
   * The local cluster: its reader endpoint answers whether the order is here (a replica before
   * promotion); its own cluster endpoint whether it takes writes (only once promoted).
   */
  readonly local: Pick<OrderStore, 'findByClientOrderId' | 'probe' | 'restore' | 'globalWriterRegion'>;
  /**
   * The current writer (the global writer endpoint), consulted only for old messages, to tell an
   * order that is still unreplicated from one the writer rolled back. Absent: never voided.
   */
  readonly writer?: Pick<OrderStore, 'findByClientOrderId' | 'probe'>;
}

export interface AuditSettings {
  /** The auditor's own region: recovery happens only where the global writer is. */
  readonly region: string;
  /**
   * A message older than this whose order is on neither cluster is an orphan. Must exceed the
   * longest a writer transaction can stay open after its journal write (idle-in-transaction
   * and statement timeouts): after that it can never commit.
   */
  readonly orphanAfterSeconds: number;
}

export async function auditJournalMessage(
  body: string,
  sentAt: Date,
  stores: AuditStores,
  settings: AuditSettings,
  now: Date = new Date(),
): Promise<AuditVerdict> {
  const parsed = parseJournalEntry(body);
  if (!parsed.ok) {
    return {
      outcome: 'parked',
      reason: `not a journal entry: ${parsed.error}`,
      ageSeconds: seconds(now, sentAt),
    };
  }
  const entry = parsed.entry;
  const ageSeconds = seconds(now, new Date(entry.journaledAt));
  const verdict = (outcome: AuditOutcome, reason: string, stored?: Order): AuditVerdict => ({
    outcome,
    reason,
    ageSeconds,
    entry,
    stored,
  });
  const compare = (stored: Order, outcome: 'confirmed' | 'recovered', reason: string) =>
    sameOrder(stored, entry.order)
      ? verdict(outcome, reason, stored)
      : verdict('parked', 'a different order is stored under the same client order id', stored);

  try {
    const { clientId } = entry;
    const key = entry.order.clientOrderId;
    const local = await stores.local.findByClientOrderId(clientId, key, 'reader');
    if (local) return compare(local, 'confirmed', 'replicated to this region');
    // A secondary's cluster endpoint may refuse connections outright: that is "not writable" too.
    const writable = await stores.local.probe('writer').then(
      (state) => state === 'writable',
      () => false,
    );
    if (writable) {
      // Writable is not enough: a cluster detached from the global database (or an old primary
      // back on its own) is writable too, and recovering into it would lose the order again.
      const writerRegion = await stores.local.globalWriterRegion();
      if (writerRegion !== settings.region) {
        return verdict('waiting', `local cluster is writable but the global writer is in ${writerRegion}`);
      }
      const { order, created } = await stores.local.restore(clientId, entry.order);
      return created
        ? compare(order, 'recovered', 'missing after promotion: applied from the journal')
        : compare(order, 'confirmed', 'stored meanwhile (drain or client retry)');
    }
    if (ageSeconds < settings.orphanAfterSeconds || !stores.writer) {
      return verdict('waiting', 'not replicated to this region yet');
    }
    return await checkWriter(stores.writer, clientId, key, verdict);
  } catch (e) {
    return verdict('waiting', `database unavailable (${classifyDbError(e)}): ${String(e)}`);
  }
}

/** An old unreplicated message: still unreplicated (keep), or rolled back by the writer (void). */
async function checkWriter(
  writer: NonNullable<AuditStores['writer']>,
  clientId: string,
  key: string,
  verdict: (outcome: AuditOutcome, reason: string) => AuditVerdict,
): Promise<AuditVerdict> {
  try {
    // Only a writable server is authoritative: a replica that lacks the order proves nothing.
    if ((await writer.probe('writer')) !== 'writable')
      return verdict('waiting', 'no writer reachable to rule out an orphan');
    if (await writer.findByClientOrderId(clientId, key))
      return verdict('waiting', 'on the writer, not replicated here yet');
    return verdict('voided', 'on neither cluster: the writer rolled it back after journaling (never acknowledged)');
  } catch (e) {
    return verdict('waiting', `writer unreachable: ${String(e)}`);
  }
}

function seconds(now: Date, then: Date): number {
  return Math.max(0, (now.getTime() - then.getTime()) / 1000);
}
