/**
 * The primary's keeper: every KEEPER_INTERVAL_MS for one minute (scheduled once a minute, like the
 * canaries and the orchestrator), it reads the book's writer item in its own replica and the peer
 * replica (one bounded read each), decides (decide.ts) and acts:
 *
 * - go regional: take the arbiter's lease (lambda/shared/arbiter.ts), then move the writer in
 *   place to regional durability carrying the lease's end (book-moves.ts, the same move the
 *   orchestrator makes, under a guard that supplies the end);
 * - renew: renew the lease, then carry its new end into the writer item (same epoch);
 * - restore: renew the lease (the move happens under it), then the orchestrator's own return to
 *   cross-region after a takeover (BookMover.restoreCrossRegion: the item must reach the peer's
 *   replica, or the writer goes back to regional at once, again under the lease), then release;
 * - release: give the arbiter back once the writer is not the keeper's.
 *
 * A look that fails is logged and counted; the next look tries again. Nothing here can make two
 * regions acknowledge: that rests on the lease alone (decide.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { KEEPER_INTERVAL_MS, REGIONAL_LEASE_MS } from '../facts/keeper';
import { LOOP_WINDOW_SECONDS } from '../facts/timing';
import { BookMover } from '../orchestrator/book-moves';
import type { Clock } from '../orchestrator/clock';
import { replicaBookControl } from '../orchestrator/order-book';
import type { Arbiter } from '../shared/arbiter';
import type { BookWriter } from '../shared/book-writer';
import { decideKeeper, type KeeperAction } from './decide';

export interface KeeperDeps {
  /** This keeper's region (the primary) and its peer's. */
  readonly region: string;
  readonly peer: string;
  /** The book's writer item in both replicas, reached from this region. */
  readonly book: BookWriter;
  readonly arbiter: Arbiter;
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Between looks (default KEEPER_INTERVAL_MS). */
  readonly intervalMs?: number;
  /** How long to loop (default LOOP_WINDOW_SECONDS). */
  readonly windowMs?: number;
}

export interface KeeperLook {
  readonly at: number;
  readonly action: KeeperAction;
  /** What acting gave: 'done', or why not. */
  readonly result: string;
}

/** One invocation: looks every interval for the window; returns what each look decided and did. */
export async function runKeeper(deps: KeeperDeps): Promise<KeeperLook[]> {
  const { clock } = deps;
  const keeper = new Keeper(deps, await holds(deps));
  const interval = deps.intervalMs ?? KEEPER_INTERVAL_MS;
  const start = clock.now();
  const looks: KeeperLook[] = [];
  for (let n = 0; ; n++) {
    looks.push(await keeper.look());
    const next = start + (n + 1) * interval;
    if (next - start >= (deps.windowMs ?? LOOP_WINDOW_SECONDS * 1000)) break;
    await clock.sleep(Math.max(0, next - clock.now()));
  }
  return looks;
}

/** Whether this region holds the arbiter now (a new invocation does not remember the last one's). */
const holds = (deps: KeeperDeps) =>
  deps.arbiter.read().then(
    (h) => h?.holder === deps.region,
    () => false,
  );

/** The keeper's state across looks of one invocation. */
export class Keeper {
  private peerLostSince: number | undefined;
  /** The lease's end the arbiter last granted (what a regional move writes). */
  private leaseUntil: number | undefined;
  private readonly control;
  private readonly mover;

  constructor(
    private readonly deps: KeeperDeps,
    private holding = false,
  ) {
    this.control = replicaBookControl(deps.book);
    this.mover = new BookMover(this.control, deps.region, deps.peer, 'cross-region', {
      regionalUntil: () => this.leaseUntil,
    });
  }

  async look(): Promise<KeeperLook> {
    const { clock, logger, metrics, region, peer } = this.deps;
    const at = clock.now();
    const [writer, peerAnswers] = await Promise.all([
      this.control.findWriter!(region).catch(() => undefined),
      this.control.answers(peer),
    ]);
    if (peerAnswers) this.peerLostSince = undefined;
    else this.peerLostSince ??= at;
    const action = decideKeeper({ region, now: at, writer, peerLostSince: this.peerLostSince, holding: this.holding });
    let result: string;
    try {
      result = await this.act(action, at);
    } catch (e) {
      result = `failed: ${e instanceof Error ? e.message : String(e)}`;
      metrics.addMetric('KeeperActionFailed', MetricUnit.Count, 1);
      logger.error('keeper action failed', { action, error: result });
      return { at, action, result };
    }
    if (action.kind === 'none') logger.info('keeper', { action });
    else logger.warn('keeper', { action, result });
    return { at, action, result };
  }

  /** Take or renew the lease; false when another region holds the arbiter. */
  private async lease(at: number): Promise<boolean> {
    const until = at + REGIONAL_LEASE_MS;
    const taken = await this.deps.arbiter.take({ holder: this.deps.region, until }, at);
    this.holding = taken;
    this.leaseUntil = taken ? until : undefined;
    return taken;
  }

  private async act(action: KeeperAction, at: number): Promise<string> {
    const { metrics, region, book } = this.deps;
    switch (action.kind) {
      case 'none':
        return 'nothing to do';
      case 'go-regional': {
        if (!(await this.lease(at))) return 'the arbiter is held by another region: staying cross-region';
        const move = await this.mover.moveTo(region, { peerGone: true });
        if (move.kind !== 'moved') return `not moved: ${move.kind === 'skipped' ? move.reason : move.kind}`;
        metrics.addMetric('KeeperWentRegional', MetricUnit.Count, 1);
        return `regional at epoch ${move.to.epoch} until ${new Date(this.leaseUntil!).toISOString()}`;
      }
      case 'renew': {
        if (!(await this.lease(at))) {
          metrics.addMetric('KeeperLeaseLost', MetricUnit.Count, 1);
          return 'lease lost: acknowledgements stop at its end';
        }
        return (await book.extendRegional(action.writer, this.leaseUntil!))
          ? 'renewed'
          : 'the writer moved since it was read: not renewed';
      }
      case 'restore': {
        if (!(await this.lease(at))) return 'lease lost: not restoring (the acknowledgements stop at its end)';
        const move = await this.mover.restoreCrossRegion(action.writer);
        if (move.kind !== 'moved') return `not restored: ${move.kind === 'skipped' ? move.reason : move.kind}`;
        metrics.addMetric('BookDurabilityRestored', MetricUnit.Count, 1);
        await this.release();
        return `cross-region at epoch ${move.to.epoch}`;
      }
      case 'release':
        await this.release();
        return 'released';
    }
  }

  private async release(): Promise<void> {
    await this.deps.arbiter.release(this.deps.region);
    this.holding = false;
    this.leaseUntil = undefined;
  }
}
