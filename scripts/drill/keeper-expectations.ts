/**
 * What a scenario in which us-east-1 loses its peer replica while it writes must show (the
 * primary's keeper, lambda/keeper): the writer goes regional in us-east-1 within the keeper's
 * window and comes back to cross-region there once the peer answers again, and never moves
 * anywhere else. Used by `secondary-lost` (eu-west-1 down) and `partition` (eu-west-1 cut off).
 */
import { KEEPER_INTERVAL_MS, PEER_LOST_AFTER_MS } from '../../lambda/facts/keeper';
import type { WriterMove } from './world';

/** What these checks read of a run (scenarios.ts MeasureInput has it). */
interface Moves {
  readonly epoch: number;
  readonly writerMoves: readonly WriterMove[];
}

/**
 * From the fault to the keeper's regional writer: the window the peer must fail every read, the
 * look that sees it (one interval), and one more interval's slack for the invocation boundary.
 */
export const keeperWindowSeconds = (PEER_LOST_AFTER_MS + 2 * KEEPER_INTERVAL_MS) / 1000;

/** The writer regional in us-east-1 within the window after `faultSeconds`, cross-region again only after `peerBackSeconds`. */
export const primaryKeptTrading = (faultSeconds: number, peerBackSeconds: number) => (i: Moves) => {
  const moves = i.writerMoves.map((m) => `${m.region} ${m.durability}`);
  const want = ['us-east-1 regional', 'us-east-1 cross-region'];
  if (moves.join(', ') !== want.join(', '))
    return `the book's writer moved ${moves.join(', ') || 'never'} (want ${want.join(', ')})`;
  const [regional, back] = i.writerMoves;
  const afterFault = (regional.at - (i.epoch + faultSeconds * 1000)) / 1000;
  if (afterFault > keeperWindowSeconds)
    return `regional ${afterFault.toFixed(1)} s after the fault (want at most ${keeperWindowSeconds} s)`;
  return back.at < i.epoch + peerBackSeconds * 1000 ? 'back to cross-region before the peer answered again' : undefined;
};
