/**
 * The game day's watchers: during a run the command reads the platform's own state at each poll,
 * exactly as `npm run status` reads it (scripts/status.ts readPlatform: the orchestrator's
 * readFailoverStatus and assessGate, and the book appliers' IteratorAge), and turns what changed
 * since the last poll into timeline events. Pure: a reading in, events out; the state between
 * polls is the watcher's.
 *
 * What each event means (stamped when a poll first sees it, so at the poll interval's resolution):
 * - `gate-vote`: a canary's vote changed (the first poll's votes are the baseline; one already
 *   down or gone is recorded then);
 * - `decision`: the gate's verdict, the same assessment the orchestrator acts on, says the region
 *   is gone (fast path) or the slow path is open;
 * - `fence`: the order book's writer item moved (its epoch rose above the first poll's): the
 *   book's fence, after which the old writer's writes are refused;
 * - `promotion-started` / `promotion-complete`: after the configured primary wrote, a failover or
 *   switchover is in flight between the members (the global cluster's FailoverState) / the
 *   secondary writes; a cluster that cannot be read or is not understood starts nothing;
 * - `ledger-caught-up`: after the promotion, the promoted region's book applier reports a minute
 *   that began after it with IteratorAge at most the platform's own lag alarm
 *   (`alarmBookApplyLagSeconds`): CloudWatch's one-minute resolution, not the poll's;
 * - `accelerator-unhealthy`, `accelerator-shifted`, `route53-unhealthy`, `dns-answers-secondary`:
 *   the traffic conditions of traffic-events.ts, each the first time it holds; one that already
 *   holds at the first poll is not recorded (it held before the fault: a span from the fault's
 *   start to it would measure nothing); one first seen after a poll that could not read it says
 *   so (Route 53's API is in us-east-1: after a regional outage it reads again late).
 */
import type { FailoverStatus } from '../../lambda/orchestrator/failover-status';
import type { TimelineEvent } from '../../lib/model/game-day-results';
import type { LagReading } from '../status/lag';
import { TRAFFIC_EVENTS, trafficConditions, type TrafficEvent, type TrafficReading } from './traffic-events';

export interface PlatformReading {
  readonly status: FailoverStatus;
  readonly lags: readonly LagReading[];
  /** Route 53's checkers and the failover record's answer (the dials are in `status`); absent: not read. */
  readonly traffic?: TrafficReading;
}

export interface WatchSetup {
  /** The region a promotion makes the writer (the stack's secondary). */
  readonly secondaryRegion: string;
  /** The book applier of each region by function name (the stack's bookApplierFunctionNames). */
  readonly appliers: Readonly<Record<string, string>>;
  /** The ledger counts as caught up at or under this IteratorAge (ms): the book-apply-lag alarm's threshold. */
  readonly caughtUpMs: number;
}

export interface WatchedEvent {
  readonly event: TimelineEvent;
  readonly detail?: string;
}

export class PlatformWatcher {
  private votes?: Map<string, string>;
  private baselineEpoch?: number;
  private primaryWrote = false;
  private promotionStarted = false;
  private promotedAt?: number;
  private caughtUp = false;
  /** Traffic conditions already seen (at the first poll: the baseline, never recorded). */
  private traffic?: Set<TrafficEvent>;
  /** Traffic conditions the previous poll could not judge. */
  private unknown = new Set<TrafficEvent>();

  constructor(private readonly setup: WatchSetup) {}

  /** The events one reading shows, against what the earlier ones showed. */
  observe({ status, lags, traffic }: PlatformReading): WatchedEvent[] {
    const events: WatchedEvent[] = [];
    const first = this.votes === undefined;
    const votes = (this.votes ??= new Map());

    if (status.gate.kind === 'verdict') {
      const gate = status.gate.gate;
      for (const v of gate.votes) {
        const vote = `${v.vote}${v.gone ? ', region gone' : ''}`;
        const before = votes.get(v.source);
        votes.set(v.source, vote);
        if (before === vote || (first && vote === 'up')) continue;
        events.push({ event: 'gate-vote', detail: `${v.source}: ${vote} (${v.reason})` });
      }
      if (gate.regionGone) events.push({ event: 'decision', detail: `region gone (fast path): ${gate.goneReason}` });
      else if (gate.open) events.push({ event: 'decision', detail: `gate open (slow path): ${gate.reason}` });
    }

    const writers = status.bookWriters.flatMap((b) => (b.writer.ok ? [b.writer.value] : []));
    const newest = writers.sort((a, b) => b.epoch - a.epoch)[0];
    if (newest) {
      this.baselineEpoch ??= newest.epoch;
      if (newest.epoch > this.baselineEpoch)
        events.push({
          event: 'fence',
          detail: `book writer to ${newest.region}, epoch ${newest.epoch}, ${newest.durability} durability`,
        });
    }

    const cluster = status.cluster;
    if (cluster.kind === 'primary-writer') this.primaryWrote = true;
    else if (cluster.kind === 'secondary-writer' || cluster.kind === 'in-flight') {
      if (this.primaryWrote && !this.promotionStarted) {
        this.promotionStarted = true;
        events.push({
          event: 'promotion-started',
          detail: cluster.kind === 'in-flight' ? cluster.reason : 'already complete when first seen',
        });
      }
      if (cluster.kind === 'secondary-writer' && this.promotedAt === undefined && this.promotionStarted) {
        this.promotedAt = status.at;
        events.push({ event: 'promotion-complete', detail: `${this.setup.secondaryRegion} writes` });
      }
    }

    if (this.promotedAt !== undefined && !this.caughtUp) {
      const applier = this.setup.appliers[this.setup.secondaryRegion];
      const lag = lags.find((l) => l.region === this.setup.secondaryRegion && applier && l.label.includes(applier));
      if (lag?.latest && lag.latest.at >= this.promotedAt && lag.latest.ms <= this.setup.caughtUpMs) {
        this.caughtUp = true;
        events.push({
          event: 'ledger-caught-up',
          detail: `${this.setup.secondaryRegion} applier IteratorAge ${Math.round(lag.latest.ms)} ms (minute from ${new Date(lag.latest.at).toISOString()})`,
        });
      }
    }

    const { holds, unknown } = trafficConditions(status.dials, traffic);
    const baseline = this.traffic === undefined;
    const seen = (this.traffic ??= new Set());
    for (const event of TRAFFIC_EVENTS) {
      const detail = holds[event];
      if (detail === undefined || seen.has(event)) continue;
      seen.add(event);
      if (baseline) continue;
      // Stamped at the first poll that could read it: it may have held since an earlier poll.
      const late = this.unknown.has(event) ? '; unreadable at the previous poll, so it may have held earlier' : '';
      events.push({ event, detail: `${detail}${late}` });
    }
    this.unknown = new Set(unknown);
    return events;
  }
}
