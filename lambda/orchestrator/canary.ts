/** The canary: probe the primary's public health path at a fixed interval within a bounded window. */

export interface ProbeResult {
  readonly at: number;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ProbeLoopArgs {
  readonly probe: () => Promise<ProbeResult>;
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly threshold: number;
  /** Stop probing after this long (the canary runs once a minute). */
  readonly windowMs: number;
  /** Consecutive failures carried over from the previous window (warm execution environment). */
  readonly carriedFailures?: number;
  /** Stop as soon as a probe succeeds (confirming an alarm needs no more). */
  readonly stopOnSuccess?: boolean;
}

export interface ProbeLoopResult {
  readonly results: ProbeResult[];
  readonly consecutiveFailures: number;
  readonly confirmed: boolean;
}

export async function probeLoop(args: ProbeLoopArgs): Promise<ProbeLoopResult> {
  const start = args.clock.now();
  const results: ProbeResult[] = [];
  let consecutive = args.carriedFailures ?? 0;
  for (let n = 0; ; n++) {
    const result = await args.probe();
    results.push(result);
    consecutive = result.ok ? 0 : consecutive + 1;
    if (consecutive >= args.threshold) return { results, consecutiveFailures: consecutive, confirmed: true };
    if (result.ok && args.stopOnSuccess) break;
    const next = start + (n + 1) * args.intervalMs;
    if (next - start >= args.windowMs) break;
    await args.clock.sleep(Math.max(0, next - args.clock.now()));
  }
  return { results, consecutiveFailures: consecutive, confirmed: false };
}

/** One HTTP probe: healthy means 200 within the timeout, the way the ALB health check sees it. */
export function httpProbe(url: string, timeoutMs: number, clock: Clock = systemClock): () => Promise<ProbeResult> {
  return async () => {
    const at = clock.now();
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      await response.arrayBuffer().catch(() => undefined);
      return { at, ok: response.status === 200, status: response.status };
    } catch (e) {
      return { at, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  };
}
