/**
 * When the drill's clients place a new order. Every second around anything that happens (a
 * fault, a change of the network or of a database, a decision, a move of the book's writer),
 * every few seconds in the quiet stretches between, where one more acknowledged order measures
 * nothing: the cost of a drill run is its orders (each one signed, written to both book replicas,
 * replicated and applied to Aurora), and most of a scenario's minutes are quiet.
 *
 * What stays at full resolution: a client retries an order that was not acknowledged every
 * second whatever the cadence (an outage, a refusal, a fence), so every first live order after a
 * fault is measured to the second; a window opens `LEAD_MS` before each scheduled fault, so the
 * last order before it is too. A quiet stretch has gaps of `QUIET_INTERVAL_MS` between orders,
 * far inside every bound the scenarios assert (the RTO target is 60 s).
 */
export const QUIET_INTERVAL_MS = 10_000;
/** Full resolution from this long before a scheduled event ... */
export const LEAD_MS = 5_000;
/** ... until this long after any event (what a client sees later, a refusal or an outage, it retries every second). */
export const WINDOW_MS = 20_000;

/** Something that happened at `at`; `action` 'none' (a closed gate, as every minute) is not an event. */
export interface Happening {
  readonly at: number;
  readonly action?: string;
}

export class Cadence {
  private readonly windows: { from: number; to: number }[] = [];
  private readonly seen = new Map<() => readonly Happening[], number>();
  private version?: number;

  /**
   * @param now the simulated clock
   * @param sources lists the run appends to (decisions, writer moves): each new entry opens a window
   * @param version bumped by every change of the network or a database (Network.version): a change opens a window
   */
  constructor(
    private readonly now: () => number,
    private readonly sources: readonly (() => readonly Happening[])[] = [],
    private readonly changes: () => number = () => 0,
  ) {}

  /** Full resolution from `LEAD_MS` before `at` to `WINDOW_MS` after it. */
  around(at: number): void {
    this.windows.push({ from: at - LEAD_MS, to: at + WINDOW_MS });
  }

  /** Whether a new order is due now, the last one having gone out at `lastSentAt` (asked every tick). */
  due(lastSentAt: number | undefined): boolean {
    const quiet = this.quiet();
    return lastSentAt === undefined || this.now() - lastSentAt >= QUIET_INTERVAL_MS || !quiet;
  }

  /**
   * Whether now is in a quiet stretch: outside every window (new happenings and changes seen
   * first). What the run measures stands still there, so health checks may reuse an answer
   * (RegionApp.quiet).
   */
  quiet(): boolean {
    const now = this.now();
    const version = this.changes();
    if (this.version !== undefined && version !== this.version) this.around(now);
    this.version = version;
    for (const source of this.sources) {
      const list = source();
      for (let i = this.seen.get(source) ?? 0; i < list.length; i++)
        if (list[i].action !== 'none') this.around(list[i].at);
      this.seen.set(source, list.length);
    }
    return !this.windows.some((w) => now >= w.from && now <= w.to);
  }
}
