/**
 * A drill run's timeline as data (issue 23 item 7, issue 27 item 2): orders acknowledged and
 * refused per second, each canary's probes by layer, and the failover's events under the names
 * the game day's timeline uses (lib/model/game-day-results.ts TIMELINE_EVENTS, shared with
 * scripts/gameday/timeline.ts), so a drill run and a game day read alike. Times are simulated
 * seconds from the run's start. Pure: built from a run's result.
 */
import type { TimelineEvent } from '../../lib/model/game-day-results';
import type { ScenarioResult } from './metrics';

export interface DrillTimelineEvent {
  readonly atSeconds: number;
  readonly event: TimelineEvent;
  readonly detail?: string;
}

export interface DrillTimeline {
  readonly scenario: string;
  readonly title: string;
  readonly seed: number;
  readonly faultAtSeconds: number;
  readonly durationSeconds: number;
  readonly passed: boolean;
  /** One entry per second of the run: answers received in that second. */
  readonly orders: readonly { second: number; acknowledged: number; refused: number }[];
  /** Every canary probe: vantage, target (primary, control, beacon) and the layer it read. */
  readonly votes: ScenarioResult['detail']['votes'];
  readonly events: readonly DrillTimelineEvent[];
}

/** The run's events in time order, each named as the game day names it. */
export function timelineEvents(result: ScenarioResult, faultAtSeconds: number): DrillTimelineEvent[] {
  const d = result.detail;
  const events: DrillTimelineEvent[] = [{ atSeconds: faultAtSeconds, event: 'fault-start' }];
  const failed = d.firstFailedSeconds;
  if (failed !== null) events.push({ atSeconds: failed, event: 'first-failed-order' });
  // A gate vote each time a canary's reading of the primary changes layer (every probe is in `votes`).
  const last = new Map<string, string>();
  for (const v of d.votes.filter((x) => x.target === 'primary')) {
    if (last.get(v.vantage) === v.layer) continue;
    last.set(v.vantage, v.layer);
    if (v.atSeconds >= faultAtSeconds || v.layer !== 'up')
      events.push({ atSeconds: v.atSeconds, event: 'gate-vote', detail: `${v.vantage}: ${v.layer}` });
  }
  for (const decision of d.decisions.filter((x) => x.action !== 'none' && x.action !== 'error'))
    events.push({
      atSeconds: decision.atSeconds,
      event: 'decision',
      detail: `${decision.action} (${decision.trigger})`,
    });
  for (const move of d.writerMoves)
    events.push({
      atSeconds: move.atSeconds,
      event: 'fence',
      detail: `book writer to ${move.region}, epoch ${move.epoch}`,
    });
  if (d.firstLiveSecondarySeconds !== null)
    events.push({ atSeconds: d.firstLiveSecondarySeconds, event: 'first-live-order-secondary' });
  for (const p of d.promotionStarts)
    events.push({ atSeconds: p.atSeconds, event: 'promotion-started', detail: p.kind });
  for (const p of d.promotions)
    events.push({ atSeconds: p.atSeconds, event: 'promotion-complete', detail: `${p.kind} to ${p.to}` });
  // The ledger caught up: the Aurora writer's applier with nothing left, after the last promotion.
  const since = d.promotions.at(-1)?.atSeconds ?? faultAtSeconds;
  const caughtUp = d.ledgerBehind.find((l) => l.atSeconds >= since && l.behind === 0);
  if (caughtUp) events.push({ atSeconds: caughtUp.atSeconds, event: 'ledger-caught-up', detail: caughtUp.region });
  return events.sort((a, b) => a.atSeconds - b.atSeconds);
}

export function drillTimeline(result: ScenarioResult, faultAtSeconds: number, durationSeconds: number): DrillTimeline {
  return {
    scenario: result.name,
    title: result.title,
    seed: result.seed,
    faultAtSeconds,
    durationSeconds,
    passed: result.passed,
    orders: result.detail.ordersPerSecond,
    votes: result.detail.votes,
    events: timelineEvents(result, faultAtSeconds),
  };
}
