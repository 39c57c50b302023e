/**
 * What the primary's keeper does on one look, decided from what it saw (pure: the runner in
 * keeper.ts reads, decides and acts). The keeper keeps trading in the primary when its peer region
 * is lost: it switches the book's writer to regional durability under a lease it holds in the
 * arbiter (lambda/shared/arbiter.ts), renews that lease while the peer stays lost, and returns
 * to cross-region durability by itself once the peer replica answers again.
 *
 * Safety never rests on what the keeper sees: a region that moves to regional wrongly (the peer is
 * alive and the orchestrator there is taking over) still cannot acknowledge after the takeover,
 * because the takeover first takes the arbiter (only after the keeper's lease ended) and every
 * regional acknowledgement checks the lease's end. What the keeper sees decides only when.
 */
import { PEER_LOST_AFTER_MS } from '../facts/keeper';
import type { Writer } from '../shared/book-writer';

/** The writer item as this region's replica holds it (regionalUntil: set by the keeper only). */
export type KeeperWriter = Writer;

export interface KeeperView {
  /** This keeper's region (the primary). */
  readonly region: string;
  readonly now: number;
  /** The writer item in this region's replica; undefined when it could not be read. */
  readonly writer: KeeperWriter | undefined;
  /** Since when every read of the peer replica failed (undefined: its last read answered). */
  readonly peerLostSince: number | undefined;
  /** Whether this keeper believes it holds the arbiter (it took or renewed it last). */
  readonly holding: boolean;
}

export type KeeperAction =
  | { readonly kind: 'none'; readonly reason: string }
  /** Take the arbiter, then move the writer (in place, epoch + 1) to regional with the lease's end. */
  | { readonly kind: 'go-regional'; readonly reason: string; readonly from: KeeperWriter }
  /** Renew the arbiter, then carry its new end into the writer item (same epoch). */
  | { readonly kind: 'renew'; readonly reason: string; readonly writer: KeeperWriter }
  /** Renew the arbiter (the move must happen under it), move back to cross-region, release. */
  | { readonly kind: 'restore'; readonly reason: string; readonly writer: KeeperWriter }
  /** The writer is not the keeper's any more: give the arbiter back. */
  | { readonly kind: 'release'; readonly reason: string };

export function decideKeeper(view: KeeperView): KeeperAction {
  const { writer, region, now, peerLostSince, holding } = view;
  if (!writer) return { kind: 'none', reason: `${region}'s replica did not answer: nothing to decide` };
  const keepers = writer.region === region && writer.durability === 'regional' && writer.regionalUntil !== undefined;
  if (!keepers) {
    if (holding) return { kind: 'release', reason: `the writer is ${describe(writer)}: not the keeper's any more` };
    if (writer.region !== region) return { kind: 'none', reason: `${writer.region} writes the book` };
    if (writer.durability === 'regional') return { kind: 'none', reason: 'regional by configuration or a takeover' };
    if (peerLostSince === undefined) return { kind: 'none', reason: 'the peer replica answers' };
    if (now - peerLostSince < PEER_LOST_AFTER_MS)
      return { kind: 'none', reason: `the peer replica has not answered for ${now - peerLostSince} ms` };
    return {
      kind: 'go-regional',
      reason: `the peer replica has not answered for ${now - peerLostSince} ms: regional under the arbiter's lease`,
      from: writer,
    };
  }
  if (peerLostSince === undefined)
    return { kind: 'restore', reason: 'the peer replica answers again: back to cross-region', writer };
  return { kind: 'renew', reason: 'the peer replica is still lost', writer };
}

const describe = (w: KeeperWriter) => `${w.region} epoch ${w.epoch} ${w.durability}`;
