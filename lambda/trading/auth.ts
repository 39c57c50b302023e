/**
 * Who is calling, and may they call now: signature, timestamp window, replay guard and the
 * client's rate limit, decided before any order route runs. Transport-agnostic: both adapters
 * reach it through `handleRequest`.
 *
 * The replay guard remembers each (client, nonce) for as long as its timestamp can pass the
 * window, in this process only. Another instance (EC2) or execution environment (Lambda) does not
 * see it, so a captured request could be replayed once per instance within the window. What
 * keeps that harmless: TLS keeps requests from being captured; a POST is idempotent by
 * (client, clientOrderId), so its replay places nothing and answers with the order the request
 * itself described; a GET replay re-reads an order the same client was already shown.
 */
import { timingSafeEqual } from 'crypto';
import { RETRY_AFTER_SECONDS } from '../facts/order-api';
import type { ClientLimits, Keyring } from './client-keys';
import { parseAuthorization, SCHEME, signature, SignableRequest } from './signing';

export interface AuthSettings {
  /** How old a signed timestamp may be. */
  readonly pastWindowMs: number;
  /** How far ahead of this server's clock a timestamp may be (client clock skew). */
  readonly futureWindowMs: number;
  /** Upper bound on remembered nonces; when full of live ones, requests are refused (503), never let through unchecked. */
  readonly maxNonces?: number;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = { pastWindowMs: 30_000, futureWindowMs: 5_000 };
const DEFAULT_MAX_NONCES = 200_000;

export type AuthOutcome =
  | { readonly ok: true; readonly clientId: string }
  | {
      readonly ok: false;
      readonly statusCode: 401 | 429 | 503;
      readonly error: string;
      readonly headers: Record<string, string>;
    };

const refuse = (error: string): AuthOutcome => ({
  ok: false,
  statusCode: 401,
  error,
  headers: { 'www-authenticate': SCHEME },
});

/**
 * Seen (client, nonce) pairs. Every entry lives the same time (past + future window) from when it
 * was recorded, so insertion order is expiry order and pruning only looks at the oldest entries.
 * An entry outlives the request's timestamp in the window: a replay is refused as expired or as replayed.
 */
export class NonceCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** 'fresh' and remembered, 'replayed', or 'full' (too many live nonces to remember one more). */
  record(clientId: string, nonce: string, now: number): 'fresh' | 'replayed' | 'full' {
    for (const [key, expiry] of this.expiries) {
      if (expiry > now) break;
      this.expiries.delete(key);
    }
    const key = `${clientId} ${nonce}`;
    if (this.expiries.has(key)) return 'replayed';
    if (this.expiries.size >= this.maxEntries) return 'full';
    this.expiries.set(key, now + this.ttlMs);
    return 'fresh';
  }

  get size(): number {
    return this.expiries.size;
  }
}

/** Token bucket per client: `burst` requests at once, refilled at `ratePerSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** 0 when the request may go ahead, otherwise the seconds until a token is available. */
  take(clientId: string, limits: ClientLimits, now: number): number {
    const bucket = this.buckets.get(clientId) ?? { tokens: limits.burst, at: now };
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    // Limits can change when the keys secret is re-read: never hold more than the current burst.
    bucket.tokens = Math.min(limits.burst, bucket.tokens + elapsedSeconds * limits.ratePerSecond);
    bucket.at = now;
    this.buckets.set(clientId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limits.ratePerSecond));
  }
}

/** A key that no client has: unknown clients cost the same HMAC as known ones. */
const UNKNOWN_CLIENT_KEY = 'unknown-client-'.padEnd(64, '0');

export interface AuthenticatorDeps {
  readonly keyring: Keyring;
  readonly settings?: AuthSettings;
  readonly now?: () => number;
}

export interface AuthRequest extends SignableRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export type Authenticate = (req: AuthRequest) => Promise<AuthOutcome>;

export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  const settings = deps.settings ?? DEFAULT_AUTH_SETTINGS;
  const now = deps.now ?? Date.now;
  // Both window edges are inclusive: a nonce first seen `futureWindowMs` early must still be
  // remembered `pastWindowMs` after its timestamp, so it lives one millisecond longer than both.
  const nonces = new NonceCache(
    settings.pastWindowMs + settings.futureWindowMs + 1,
    settings.maxNonces ?? DEFAULT_MAX_NONCES,
  );
  const limiter = new RateLimiter();

  return async (req) => {
    const parsed = parseAuthorization(req.headers.authorization);
    if (!parsed.ok) return refuse(parsed.reason);
    const credential = parsed.value;
    const at = now();
    if (credential.timestamp < at - settings.pastWindowMs) return refuse('request expired: sign it again');
    if (credential.timestamp > at + settings.futureWindowMs) {
      return refuse('request timestamp is in the future: check the client clock');
    }

    let record;
    try {
      record = await deps.keyring.lookup(credential.clientId);
    } catch {
      return {
        ok: false,
        statusCode: 503,
        error: 'authentication unavailable',
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      };
    }
    const expected = Buffer.from(signature(record?.key ?? UNKNOWN_CLIENT_KEY, req, credential), 'hex');
    // Same message for an unknown client and a wrong signature: a stranger learns no client ids.
    if (!timingSafeEqual(expected, Buffer.from(credential.signature, 'hex')) || !record) {
      return refuse('invalid credential or signature');
    }

    const seen = nonces.record(credential.clientId, credential.nonce, at);
    if (seen === 'replayed') return refuse('nonce already used: sign each request with a new nonce');
    if (seen === 'full') {
      return { ok: false, statusCode: 503, error: 'too many requests in flight', headers: { 'retry-after': '1' } };
    }

    const waitSeconds = limiter.take(credential.clientId, record.limits, at);
    if (waitSeconds > 0) {
      return {
        ok: false,
        statusCode: 429,
        error: 'rate limit exceeded',
        headers: { 'retry-after': String(waitSeconds) },
      };
    }
    return { ok: true, clientId: credential.clientId };
  };
}
