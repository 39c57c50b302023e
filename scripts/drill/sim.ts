/**
 * A simulated clock over real I/O. Simulated time stands still while any real work is in
 * flight (a PostgreSQL query, an HTTP request) and jumps to the next timer once everything is
 * idle, so a ten-minute failover runs in seconds and every run sees the same timeline.
 *
 * Idle means: no tracked I/O in flight and nothing left in the microtask or immediate queues.
 * Every pg query and connect is tracked by patching pg's Client (the Lambda code opens its own
 * connections); the harness tracks its own HTTP calls with `track`.
 */
import { Client } from 'pg';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

/** A binary min-heap of timers, ordered by time and then by creation (FIFO at equal times). */
class TimerQueue {
  private readonly heap: Timer[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  push(timer: Timer): void {
    const h = this.heap;
    h.push(timer);
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Real time one piece of work may hold the simulated clock before the drill gives up. */
const WATCHDOG_MS = 30_000;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Simulation implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new TimerQueue();
  private inflight = 0;
  private onIdle?: () => void;
  private onStuck?: (error: Error) => void;
  private stopped = false;
  /** Errors thrown by background processes: a drill with any of these is broken, not failed. */
  readonly errors: unknown[] = [];
  /**
   * Errors that would have crashed the process running the code (an 'error' event nobody
   * listens to): a Lambda execution environment or the EC2 service dies on these.
   */
  readonly crashes: { at: number; error: string }[] = [];

  constructor(readonly epochMs: number) {
    this.t = epochMs;
  }

  now = (): number => this.t;

  /** Seconds since the simulation's epoch. */
  seconds(): number {
    return (this.t - this.epochMs) / 1000;
  }

  sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => this.at(this.t + Math.max(0, ms), resolve));

  /** Run `fire` at simulated time `at` (never in the past). */
  at(at: number, fire: () => void): void {
    if (this.stopped) return;
    this.timers.push({ at: Math.max(at, this.t), seq: this.seq++, fire });
  }

  /** Start a background process; its failure is recorded, never thrown into the scheduler. */
  spawn(name: string, fn: () => Promise<void>): void {
    void fn().catch((e) => {
      if (!this.stopped) this.errors.push(new Error(`${name}: ${e instanceof Error ? (e.stack ?? e.message) : e}`));
    });
  }

  /** `fn` every `intervalMs` from `firstAt`, each run awaited before the next is scheduled. */
  every(name: string, intervalMs: number, firstAt: number, fn: () => Promise<void>): void {
    const tick = () =>
      this.spawn(name, async () => {
        const started = this.t;
        try {
          await fn();
        } finally {
          this.at(started + intervalMs, tick);
        }
      });
    this.at(firstAt, tick);
  }

  /** Hold simulated time until `work` settles (real I/O the harness starts itself). */
  track<T>(work: Promise<T>, label = 'harness work'): Promise<T> {
    this.inflight++;
    const entry = { label, since: Date.now() };
    this.pending.add(entry);
    return work.finally(() => {
      this.pending.delete(entry);
      this.release();
    });
  }

  private readonly pending = new Set<{ label: string; since: number }>();

  private release(): void {
    this.inflight--;
    if (this.inflight === 0) this.onIdle?.();
  }

  /** Work that has held the clock for more than `ms` of real time (a leak or a hang). */
  stuck(ms: number): string[] {
    const now = Date.now();
    return [...this.pending].filter((p) => now - p.since > ms).map((p) => `${p.label} (${now - p.since} ms)`);
  }

  /** Wait until no real work is in flight and the event loop has nothing queued for us. */
  private async idle(): Promise<void> {
    for (let quiet = 0; quiet < 3;) {
      if (this.inflight > 0) {
        quiet = 0;
        // A watchdog: real work that never settles would freeze the clock (and, with no open
        // handle left, end the process without a word).
        const watchdog = setInterval(() => {
          const stuck = this.stuck(WATCHDOG_MS);
          if (stuck.length > 0) this.onStuck?.(new Error(`simulated time held for good by: ${stuck.join('; ')}`));
        }, 1000);
        try {
          await new Promise<void>((resolve, reject) => {
            this.onIdle = resolve;
            this.onStuck = reject;
          });
        } finally {
          clearInterval(watchdog);
          this.onIdle = undefined;
          this.onStuck = undefined;
        }
      }
      await immediate();
      quiet = this.inflight === 0 ? quiet + 1 : 0;
    }
  }

  /**
   * Advance through every timer due until `endMs` (absolute), then stop there. Timers due at
   * the same instant fire together, so their real work overlaps.
   */
  async runUntil(endMs: number): Promise<void> {
    for (;;) {
      await this.idle();
      const next = this.timers.peek();
      if (!next || next.at > endMs) break;
      this.t = next.at;
      while (this.timers.peek()?.at === this.t) this.timers.pop()!.fire();
    }
    this.t = Math.max(this.t, endMs);
  }

  /** Drop every timer: background processes sleeping on this clock never wake. */
  stop(): void {
    this.stopped = true;
    this.timers.clear();
  }

  /** The simulation whose clock pg work holds while it is in flight (one at a time per process). */
  static active?: Simulation;

  activate(): void {
    Simulation.active = this;
  }

  static deactivate(): void {
    Simulation.active = undefined;
  }
}

type Callback = (...args: unknown[]) => void;

/**
 * Count every pg query and connect as in-flight work of the active simulation. Callback and
 * promise forms are both used (pg's Pool calls the callback form).
 */
function instrument(method: 'query' | 'connect'): void {
  const proto = Client.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = proto[method];
  if ((original as { drillTracked?: boolean }).drillTracked) return;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const sim = Simulation.active;
    if (!sim) return original.apply(this, args);
    const client = this as { host?: string; port?: number };
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
    const label = `pg ${method} ${client.host}:${client.port} ${text.replace(/\s+/g, ' ').slice(0, 60)}`;
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      let release: () => void = () => undefined;
      void sim.track(new Promise<void>((resolve) => (release = resolve)), label);
      const callback = args[last] as Callback;
      args[last] = (...results: unknown[]) => {
        release();
        callback(...results);
      };
      try {
        return original.apply(this, args);
      } catch (e) {
        release();
        throw e;
      }
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      void sim.track(
        Promise.resolve(result as Promise<unknown>).then(
          () => undefined,
          () => undefined,
        ),
        label,
      );
    }
    return result;
  };
  (wrapped as { drillTracked?: boolean }).drillTracked = true;
  proto[method] = wrapped;
}

instrument('query');
instrument('connect');

/**
 * A pg client that emits 'error' with no listener throws, and the process dies. Inside a
 * simulation that is recorded as a crash of the code's process instead of ending the drill.
 */
const clientProto = Client.prototype as unknown as {
  emit(this: Client, event: string, ...args: unknown[]): boolean;
  drillGuarded?: boolean;
};
if (!clientProto.drillGuarded) {
  const emit = clientProto.emit;
  clientProto.emit = function (this: Client, event: string, ...args: unknown[]): boolean {
    const sim = Simulation.active;
    if (event === 'error' && sim && this.listenerCount('error') === 0) {
      const { user, host } = this as unknown as { user?: string; host?: string };
      sim.crashes.push({
        at: sim.now(),
        error: `${String((args[0] as Error)?.message ?? args[0])} on a client of ${user}@${host} with no error listener`,
      });
      return true;
    }
    return emit.call(this, event, ...args);
  };
  clientProto.drillGuarded = true;
}
