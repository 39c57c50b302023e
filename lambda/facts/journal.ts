/**
 * Order journal defaults and limits that the configuration (lib/config) checks and the journal
 * code applies: one definition for both sides. Imports nothing.
 */

/** How long an order waits for its journal write (JOURNAL_TIMEOUT_MS) when none is set. */
export const DEFAULT_JOURNAL_TIMEOUT_MS = 1000;
/** The upper bound stays under the service's idle-in-transaction timeout (lambda/trading/runtime.ts). */
export const JOURNAL_TIMEOUT_RANGE_MS = [100, 3000] as const;

/** The journal auditor calls a message an orphan after this long (JOURNAL_ORPHAN_AFTER_SECONDS) when none is set. */
export const DEFAULT_ORPHAN_AFTER_SECONDS = 300;
