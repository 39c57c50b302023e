/**
 * Where an applier puts an order: its own region's Aurora cluster, and only there.
 *
 * Every replica's stream carries every order (local and replicated writes alike), so each
 * region's applier sees each order once. The applier in the region whose cluster is the global
 * database's writer inserts it (OrderLedger.restore: INSERT ... ON CONFLICT DO NOTHING, read
 * back). The applier in the other region never writes (its cluster is a read-only secondary:
 * an INSERT there fails with SQLSTATE 25006); it only confirms that the order reached its own
 * cluster by Aurora replication, and until it has, it throws, so its stream position stays
 * before that record and Lambda retries it (ReportBatchItemFailures).
 *
 * Why this is safe:
 * - A record is passed (checkpointed) in a region only once the order is in that region's
 *   cluster. So when the writer's region is lost before applying an order, the other region
 *   still holds the record; after the promotion its cluster is the writer and the same record
 *   is inserted there. After FailoverGlobalCluster with AllowDataLoss, an order the old writer
 *   took but did not replicate was never confirmed here, so it is re-inserted too.
 * - Duplicates cannot arise: one cluster is writable at a time, and the insert is keyed by the
 *   order's id (ON CONFLICT DO NOTHING), so a replay or both regions inserting across a
 *   switchover store it once.
 * - The 24-hour stream retention bounds the wait: a record expires unapplied only if its order is
 *   absent from this region's cluster for a day (no writer applied it and this region was not
 *   promoted). The iterator-age alarm fires within minutes, and the book keeps every order (no
 *   TTL), so it can still be re-applied from the table.
 */
import type { Order } from '../trading/order';
import type { ApplierDeps } from './apply';

export interface LedgerStore {
  /** Whether this region's cluster takes writes (OrderLedger.probe on its own endpoint). */
  probe(): Promise<'writable' | 'read-only'>;
  restore(clientId: string, order: Order): Promise<{ readonly order: Order; readonly created: boolean }>;
  findById(clientId: string, id: string): Promise<Order | undefined>;
}

/** The order is not in this (read-only) region's cluster yet: retry the record later. */
export class NotInLedgerYet extends Error {
  constructor(id: string) {
    super(`order ${id} is not in this region's cluster yet, and this cluster is not the writer`);
    this.name = 'NotInLedgerYet';
  }
}

/** How long one probe of the cluster's role is reused (a wrong guess costs one retry, nothing more). */
export const ROLE_PROBE_REUSE_MS = 5_000;

/** `restore` for the applier: insert where this region writes, confirm where it replicates. */
export function localLedger(store: LedgerStore, now: () => number = Date.now): ApplierDeps['restore'] {
  let role: { readonly value: 'writable' | 'read-only'; readonly at: number } | undefined;
  const currentRole = async () => {
    if (!role || now() - role.at > ROLE_PROBE_REUSE_MS) role = { value: await store.probe(), at: now() };
    return role.value;
  };
  return async (clientId, order) => {
    if ((await currentRole()) === 'writable') {
      try {
        return await store.restore(clientId, order);
      } catch (e) {
        // Demoted since the probe (a switchover): ask again on the retry.
        role = undefined;
        throw e;
      }
    }
    const stored = await store.findById(clientId, order.id);
    if (stored) return { order: stored, created: false };
    role = undefined;
    throw new NotInLedgerYet(order.id);
  };
}
