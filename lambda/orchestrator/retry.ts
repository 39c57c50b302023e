/** Retry with exponential backoff and full jitter, for throttled AWS calls. */

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: { throttling?: boolean } };
  return THROTTLING.has(e?.name ?? '') || e?.$retryable?.throttling === true;
}

export interface RetryOptions {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isThrottling(e) || attempt >= options.attempts) throw e;
      options.onRetry?.(attempt, e);
      const cap = options.baseDelayMs * 2 ** (attempt - 1);
      await options.sleep(Math.floor((options.random ?? Math.random)() * cap));
    }
  }
}
