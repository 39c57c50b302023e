/**
 * The keeper's clock arithmetic (lambda/keeper): when the primary gives up cross-region durability
 * because its peer replica is lost, and the lease in the third region (us-west-2) that lets it.
 * Shared by the keeper, the orchestrator (whose takeover waits for the keeper's lease), the accept
 * path (which checks the lease's end in every regional write) and the program (lib/failover/keeper.ts).
 * Imports nothing.
 */

/** The arbiter item's key in the arbiter table (one item: who may write the book regionally). */
export const ARBITER_PK = 'regional-durability';

/**
 * How often the keeper looks (reads the peer replica, renews its lease), inside its one-minute
 * invocation: the canary's cadence (probeIntervalSeconds' default), so a lease of
 * {@link REGIONAL_LEASE_MS} survives two missed renewals.
 */
export const KEEPER_INTERVAL_MS = 5_000;

/**
 * How long the peer replica must have failed every read from the primary before the primary goes
 * regional: three looks in a row (one slow read is not a lost region), and well inside the
 * 60 s trading RTO once the next order comes.
 */
export const PEER_LOST_AFTER_MS = 15_000;

/**
 * The keeper's lease: four renew intervals. Short, because the orchestrator's takeover waits for
 * it (plus {@link ARBITER_SKEW_MARGIN_MS}) when the keeper held it and then went silent; long
 * enough that one slow or failed renewal does not stop trading.
 */
export const REGIONAL_LEASE_MS = 4 * KEEPER_INTERVAL_MS;

/**
 * What a taker adds to an expired lease before it treats it as free. It covers (1) the skew
 * between the API's clock (which checks the lease's end in its acknowledging write) and the
 * taker's: EC2 and Lambda clocks follow the Amazon Time Sync Service, accurate to well under a
 * millisecond ("Set the time for your Linux instance", Amazon EC2 User Guide,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/set-time.html), and (2) an acknowledging
 * write sent just before the lease's end and applied up to its bound later
 * (DEFAULT_BOOK_BOUNDS.localWriteMs, 1 s). 5 s is the same skew the book's timestamp check allows
 * (lambda/shared/book-order.ts DEFAULT_TIMESTAMP_BOUNDS); test/lambda/keeper-decide.test.ts
 * checks it covers the write bound.
 */
export const ARBITER_SKEW_MARGIN_MS = 5_000;

/** The keeper's Lambda timeout: its one-minute loop of looks plus one slow look's worth. */
export const KEEPER_TIMEOUT_SECONDS = 75;

/**
 * Where the arbiter may be: it decides between the two trading regions, so in either of them it
 * would be lost with the region it must decide about. The rule's words (after the name of what
 * sets the arbiter's region) when `arbiterRegion` breaks it, else undefined. The keeper's and the
 * orchestrator's environments and the program (lib/failover/keeper.ts) all check it.
 */
export function arbiterRegionProblem(arbiterRegion: string, tradingRegions: readonly string[]): string | undefined {
  return tradingRegions.includes(arbiterRegion)
    ? `must be a third region, not ${arbiterRegion} (${tradingRegions.join(' and ')} trade)`
    : undefined;
}
