/**
 * Where the order book's writer goes and with which durability, decided once for every path that
 * moves it (lambda/shared/book-writer.ts holds the fenced write itself):
 *
 * - a takeover (the primary region gone, or promoted away from): the secondary, `regional`: its
 *   peer is the region that was lost, and a cross-region writer whose peer does not answer takes
 *   no order at all;
 * - a planned move (switchover, failback: both regions healthy): the target region, and
 *   `cross-region` whenever the other replica answers, so a planned move never gives up RPO 0;
 * - after a takeover, once the lost region's replica answers again and the gate no longer sees it
 *   gone: the same writer, `cross-region` again (a move in place, epoch + 1), by itself.
 *
 * Every move is epoch + 1, conditional on the epoch read (two deciders cannot both move it). A
 * planned move reads the writer item in both replicas first and moves only when they agree: a
 * move made from a replica that had not yet received the latest item would replicate over the
 * newer one (last writer wins) and hand the fence back to a stale epoch.
 */
import type { BookDurability, BookWriter, OrderBookControl } from './order-book';

export interface BookTarget {
  readonly region: string;
  readonly durability: BookDurability;
  /** A regional writer under the keeper's lease: its end (book-writer.ts regionalUntil). */
  readonly regionalUntil?: number;
}

/**
 * Cross-region durability needs the other replica to take every acknowledging write: only when it
 * answers and the gate does not hold its region for gone, and only when it is the configured
 * durability (orderDurability `regional` is a choice, not a degraded state).
 */
export function durabilityFor(
  peerAnswers: boolean,
  peerGone: boolean,
  configured: BookDurability = 'cross-region',
): BookDurability {
  return configured === 'cross-region' && peerAnswers && !peerGone ? 'cross-region' : 'regional';
}

/**
 * After a takeover: the writer stays where it is and returns to cross-region durability once its
 * peer answers and is not held for gone. Undefined: nothing to change.
 */
export function restoredDurability(
  writer: BookWriter | undefined,
  peerAnswers: boolean,
  peerGone: boolean,
  configured: BookDurability = 'cross-region',
): BookTarget | undefined {
  if (!writer || writer.durability === 'cross-region') return undefined;
  return durabilityFor(peerAnswers, peerGone, configured) === 'cross-region'
    ? { region: writer.region, durability: 'cross-region' }
    : undefined;
}

export type BookMove =
  | { readonly kind: 'moved'; readonly from: BookWriter; readonly to: BookWriter }
  | { readonly kind: 'unchanged'; readonly writer: BookWriter }
  | { readonly kind: 'skipped'; readonly reason: string };

/**
 * Move the writer to `target.region`, from the epoch the target replica holds. With `compareWith`
 * (a planned move), the other replica must hold the same writer item, or nothing moves.
 */
export async function moveBookWriter(
  book: OrderBookControl,
  target: BookTarget,
  options: { readonly compareWith?: string } = {},
): Promise<BookMove> {
  const current = await book.readWriter(target.region);
  if (options.compareWith) {
    const other = await book.readWriter(options.compareWith).catch(() => undefined);
    if (other && (other.epoch !== current.epoch || other.region !== current.region)) {
      return {
        kind: 'skipped',
        reason: `the replicas disagree (${target.region}: ${describe(current)}; ${options.compareWith}: ${describe(other)}): not moving until replication converges`,
      };
    }
  }
  if (current.region === target.region && current.durability === target.durability) {
    return { kind: 'unchanged', writer: current };
  }
  const move = await book.moveWriter({
    to: target.region,
    fromEpoch: current.epoch,
    durability: target.durability,
    ...(target.regionalUntil === undefined ? {} : { regionalUntil: target.regionalUntil }),
  });
  if (!move.moved) return { kind: 'skipped', reason: `another move came first (now ${describe(move.writer)})` };
  return { kind: 'moved', from: current, to: move.writer };
}

const describe = (w: BookWriter) => `${w.region} epoch ${w.epoch} ${w.durability}`;

/**
 * What a mover must do before it makes a writer regional (lambda/shared/arbiter.ts): the
 * orchestrator takes the arbiter (refused while the primary's keeper holds a lease that has not
 * ended by more than the skew margin); the keeper, which already holds it, writes its lease's end.
 */
export interface RegionalGuard {
  /** Undefined: go ahead; otherwise why the regional move must not be made now. */
  readonly allow?: (region: string) => Promise<string | undefined>;
  /** The lease's end a regional writer carries (the keeper's), if any. */
  readonly regionalUntil?: () => number | undefined;
}

/** The book's moves between the two regions of one deployment, as the orchestrator makes them. */
export class BookMover {
  constructor(
    private readonly book: OrderBookControl,
    private readonly primary: string,
    private readonly secondary: string,
    /** orderDurability: the most a move or a restore aims for. */
    readonly configured: BookDurability = 'cross-region',
    private readonly guard: RegionalGuard = {},
  ) {}

  /** A regional move to `region` only once the guard allows it, carrying the lease's end if any. */
  private async regional(region: string, options: { readonly compareWith?: string } = {}): Promise<BookMove> {
    const refused = await this.guard.allow?.(region);
    if (refused) return { kind: 'skipped', reason: refused };
    const until = this.guard.regionalUntil?.();
    return moveBookWriter(
      this.book,
      { region, durability: 'regional', ...(until === undefined ? {} : { regionalUntil: until }) },
      options,
    );
  }

  peerOf(region: string): string {
    return region === this.primary ? this.secondary : this.primary;
  }

  /**
   * The writer to `to`: cross-region durability when the other replica answers and the gate does
   * not hold it for gone (`peerGone`), regional otherwise. `planned`: both replicas must agree on
   * the writer item first.
   */
  async moveTo(to: string, options: { readonly peerGone: boolean; readonly planned?: boolean }): Promise<BookMove> {
    const peer = this.peerOf(to);
    const answers = !options.peerGone && (await this.book.answers(peer));
    const durability = durabilityFor(answers, options.peerGone, this.configured);
    const compare = options.planned ? { compareWith: peer } : {};
    if (durability === 'regional') return this.regional(to, compare);
    return moveBookWriter(this.book, { region: to, durability }, compare);
  }

  /**
   * After a takeover: the writer, still where it is, back to cross-region durability when its peer
   * answers. The new item must then be in the peer's replica (the move copies it there): if it is
   * not, cross-region writes would all be refused, so the writer goes back to regional at once.
   */
  async restoreCrossRegion(writer: BookWriter): Promise<BookMove> {
    const peer = this.peerOf(writer.region);
    if (this.configured === 'regional') return { kind: 'skipped', reason: 'orderDurability is regional' };
    if (!(await this.book.answers(peer))) return { kind: 'skipped', reason: `${peer}'s replica does not answer` };
    const move = await moveBookWriter(this.book, { region: writer.region, durability: 'cross-region' });
    if (move.kind !== 'moved') return move;
    const atPeer = await this.book.readWriter(peer).catch(() => undefined);
    if (atPeer && atPeer.epoch >= move.to.epoch) return move;
    const undone = await this.regional(writer.region);
    return {
      kind: 'skipped',
      reason: `${peer}'s replica did not take the cross-region writer item; back to regional (${undone.kind === 'moved' ? `epoch ${undone.to.epoch}` : undone.kind})`,
    };
  }
}
