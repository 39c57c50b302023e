/**
 * CloudWatch metrics the functions emit and the alarms and dashboards read: one definition for
 * both sides. Imports nothing.
 */

/** Namespaces of the platform's custom metrics. */
export const METRIC_NAMESPACES = {
  /** The failover orchestrator's and the canaries' metrics (the orchestrator and canary functions). */
  failover: 'TAP/Failover',
  /** The live order book: its applier's counts and the order API's regional acknowledgements. */
  book: 'TAP/OrderBook',
} as const;

/** Book applier metric names (namespace `book`, dimension `service`). */
export const BOOK_APPLIER_METRICS = {
  applied: 'BookOrdersApplied',
  /** Items refused as not written by the API (a forged or tampered order): alarm on any. */
  refused: 'BookItemsRefused',
  /** Orders whose ledger row differs from the book's item: alarm on any. */
  mismatched: 'BookLedgerMismatches',
} as const;

/**
 * Orders acknowledged with regional durability (the peer replica was down and the writer item
 * said so): counted from the order API's own log line ("order accepted", durability) by a metric
 * filter on each trading log group.
 */
export const BOOK_REGIONAL_ACKS_METRIC = 'BookRegionalAcknowledgements';

/**
 * The order flow, counted from the order API's own log lines (one per answered order) by metric
 * filters on each trading log group (lib/observe/order-flow.ts), namespace `book`: live (201),
 * replayed (200), refused (503 "not taken", dimension `Reason`) and outcome unknown (504).
 */
export const ORDER_FLOW_METRICS = {
  live: 'OrdersLive',
  replayed: 'OrdersReplayed',
  refused: 'OrdersRefused',
  unknown: 'OrdersOutcomeUnknown',
} as const;

/**
 * Why an order was not taken, as the `refusal` field of the API's "order not taken" line and the
 * `Reason` dimension of OrdersRefused: a short fixed set (a dimension per free-text reason would
 * make a metric per error message): overload (the process had no capacity in time), fenced (this
 * region is no longer the writer), unavailable (no writer set, or a replica refused the write).
 */
export const ORDER_REFUSALS = ['overload', 'fenced', 'unavailable'] as const;
export type OrderRefusal = (typeof ORDER_REFUSALS)[number];
export const ORDER_REFUSAL_DIMENSION = 'Reason';

/** Powertools publishes its service name as the `service` dimension of every metric. */
export const METRIC_SERVICES = {
  orchestrator: 'orchestrator',
  canary: 'canary',
  bookApplier: 'book-applier',
  keeper: 'keeper',
} as const;
