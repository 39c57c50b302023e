/**
 * The primary region's book applier as `npm run serve` and `npm run load` run it: every order in
 * the primary replica's stream into the ledger, polled on an interval as the stream's event
 * source mapping would (one poll at a time; a failed poll is logged and tried again next tick).
 */
import { applyBookRecords, type ApplierDeps } from '../../lambda/book-applier/apply';
import type { OrderLedger } from '../../lambda/book-applier/order-ledger';
import { PRIMARY_REGION } from '../../lib/config/config-schema';
import type { LocalBook } from './local-book';
import { StreamPosition } from './stream-position';

export interface LedgerPump {
  readonly applier: StreamPosition;
  /** Stop polling, then apply what is left of the stream (retrying a failed batch). */
  drain(): Promise<void>;
  /** Stop polling once the poll under way has finished. */
  stop(): Promise<void>;
}

export function startLedgerPump(
  book: LocalBook,
  ledger: OrderLedger,
  logger: ApplierDeps['logger'],
  intervalMs: number,
): LedgerPump {
  const applier = new StreamPosition(
    PRIMARY_REGION,
    () => book.replicas.stream(PRIMARY_REGION),
    (records) =>
      applyBookRecords(records, {
        restore: (clientId, order) => ledger.restore(clientId, order),
        keys: async () => [book.signingKey],
        logger,
      }),
  );
  let applying = Promise.resolve(true);
  const timer = setInterval(() => {
    applying = applying
      .then(() => applier.poll())
      .catch((e: unknown) => {
        logger.error('ledger pump: poll failed', { error: String(e) });
        return false;
      });
  }, intervalMs);
  const stop = async () => {
    clearInterval(timer);
    await applying;
  };
  return {
    applier,
    stop,
    async drain() {
      await stop();
      while (applier.behind > 0) if (!(await applier.poll())) await new Promise((r) => setTimeout(r, 100));
    },
  };
}
