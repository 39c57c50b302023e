/**
 * The game day's timeline: each event stamped when the gameday command sees it. Pure: the clock
 * comes in, so tests drive it. Every event but a gate vote is kept once (its first sighting is
 * what the spans measure); gate votes are kept each time.
 */
import type { TimelineEvent } from '../../lib/model/game-day-results';

export interface TimelineEntry {
  readonly at: string;
  readonly event: TimelineEvent;
  readonly detail?: string;
}

export class TimelineRecorder {
  private readonly recorded: TimelineEntry[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Records `event` now; a repeated event (other than a gate vote) is ignored. Returns whether it was kept. */
  record(event: TimelineEvent, detail?: string): boolean {
    if (event !== 'gate-vote' && this.has(event)) return false;
    this.recorded.push({ at: this.now().toISOString(), event, ...(detail === undefined ? {} : { detail }) });
    return true;
  }

  has(event: TimelineEvent): boolean {
    return this.recorded.some((e) => e.event === event);
  }

  entries(): readonly TimelineEntry[] {
    return [...this.recorded];
  }
}

/**
 * What one signed order's outcome says about the failover, once the fault has started;
 * `clientOrderId`, when the order was sent, tells its ledger row from the others.
 */
export type OrderOutcome = { readonly clientOrderId?: string } & (
  | { readonly kind: 'answered'; readonly status: number; readonly region?: string }
  | { readonly kind: 'unreachable'; readonly error: string }
);

/**
 * `failedBefore`: an order has failed since the fault started; the first live order after that is
 * the recovery (in whichever region: after a takeover it is also the first in the secondary).
 */
export function orderEvents(outcome: OrderOutcome, secondaryRegion: string, failedBefore = false): TimelineEvent[] {
  if (outcome.kind === 'unreachable' || outcome.status >= 500) return ['first-failed-order'];
  if (outcome.status >= 300) return [];
  return [
    ...(outcome.region === secondaryRegion ? (['first-live-order-secondary'] as const) : []),
    ...(failedBefore ? (['recovery'] as const) : []),
  ];
}
