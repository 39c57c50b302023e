/**
 * Who is calling, and may they call now: signature, host and region, timestamp window, the
 * client's rate limit and the replay guard, decided before any order route runs, in that order.
 * Transport-agnostic: both adapters reach it through `handleRequest`.
 *
 * The rate limit and the replay guard live in the region's request ledger (request-ledger.ts),
 * shared by every Lambda execution environment and EC2 instance of the region: a client's limit
 * is its limit in the region, and a request is accepted once per region. The other region
 * refuses it anyway (the signature names the region). The rate limit is checked before the
 * nonce is recorded, so refused requests never fill the ledger: a client holds at most
 * `nonceQuota(limits)` live nonces.
 */
import { timingSafeEqual } from 'crypto';
import { CLIENT_HEADER, RETRY_AFTER_SECONDS } from '../facts/order-api';
import { activeKeys, Keyring, MAX_KEYS_PER_CLIENT } from './client-keys';
import { LedgerFullError, MemoryLedgerStore, RequestLedger } from './request-ledger';
import { parseAuthorization, SCHEME, signature, SignableRequest } from './signing';

/**
 * How far a client's clock may be ahead of the service's: 1 s. Clocks synchronised by NTP (EC2's
 * Amazon Time Sync, chrony, Windows time) agree to well under that; Binance refuses a timestamp
 * more than 1 s ahead of its server time on the same grounds.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 1_000;
/**
 * How old a signed request may be on arrival: 5 s, Binance's default `recvWindow` (SigV4 allows
 * 5 minutes, far longer than a trading client needs). It covers the skew in the other direction
 * plus the time on the wire and in the load balancer; a client whose request was refused as
 * expired signs it again (a new timestamp and nonce).
 */
export const REQUEST_WINDOW_MS = 5_000;

export interface AuthSettings {
  /** How old a signed timestamp may be. */
  readonly pastWindowMs: number;
  /** How far ahead of this server's clock a timestamp may be (client clock skew). */
  readonly futureWindowMs: number;
  /** The region this service runs in: a request signed for another is refused. */
  readonly region: string;
  /**
   * The host names this service answers to (without port, lower case): a request whose Host is
   * not one of them is refused, whatever its signature (it was signed for another service).
   */
  readonly hosts: readonly string[];
}

export const DEFAULT_WINDOWS = { pastWindowMs: REQUEST_WINDOW_MS, futureWindowMs: CLOCK_SKEW_TOLERANCE_MS } as const;

export type AuthOutcome =
  | { readonly ok: true; readonly clientId: string }
  | {
      readonly ok: false;
      readonly statusCode: 401 | 429 | 503;
      readonly error: string;
      readonly headers: Record<string, string>;
    };

const refuse = (error: string, headers: Record<string, string> = {}): AuthOutcome => ({
  ok: false,
  statusCode: 401,
  error,
  headers: { 'www-authenticate': SCHEME, ...headers },
});

/** The header that tells a client which region answered, once its signature proved who it is (as S3's x-amz-bucket-region). */
export const REGION_HEADER = 'x-tap-region';

/** `Host` without its port, lower case (`API.example.com:443` -> `api.example.com`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

/** A key that no client has: unknown clients cost the same HMAC as known ones. */
const UNKNOWN_CLIENT_KEY = 'unknown-client-'.padEnd(64, '0');

export interface AuthenticatorDeps {
  readonly keyring: Keyring;
  readonly settings: AuthSettings;
  /** The region's shared ledger (default: one in this process, for a single-process service). */
  readonly ledger?: RequestLedger;
  readonly now?: () => number;
}

export interface AuthRequest extends Omit<SignableRequest, 'host'> {
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export type Authenticate = (req: AuthRequest) => Promise<AuthOutcome>;

const unavailable = (error: string, retryAfter: number): AuthOutcome => ({
  ok: false,
  statusCode: 503,
  error,
  headers: { 'retry-after': String(retryAfter) },
});

export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  const { settings } = deps;
  const now = deps.now ?? Date.now;
  const ledger = deps.ledger ?? new RequestLedger(new MemoryLedgerStore());
  const hosts = new Set(settings.hosts.map(hostName));
  // Both window edges are inclusive: a nonce first seen `futureWindowMs` early must still be
  // remembered `pastWindowMs` after its timestamp, so it lives one millisecond longer than both.
  const nonceTtlMs = settings.pastWindowMs + settings.futureWindowMs + 1;

  return async (req) => {
    const parsed = parseAuthorization(req.headers.authorization);
    if (!parsed.ok) return refuse(parsed.reason);
    const credential = parsed.value;
    // The web ACL limits each client by this header: one that names another client is refused.
    if (req.headers[CLIENT_HEADER] !== credential.clientId) {
      return refuse(`${CLIENT_HEADER} must name the client of the Credential`);
    }
    const host = req.headers.host;
    if (!host) return refuse('missing Host header');
    const at = now();
    if (credential.timestamp < at - settings.pastWindowMs) return refuse('request expired: sign it again');
    if (credential.timestamp > at + settings.futureWindowMs) {
      return refuse('request timestamp is in the future: check the client clock');
    }

    let record;
    try {
      record = await deps.keyring.lookup(credential.clientId);
    } catch {
      return unavailable('authentication unavailable', RETRY_AFTER_SECONDS);
    }
    // Any key of the client active now (two during a rotation). Every request costs the same
    // HMACs, known client or not, one key or two, so timing tells a stranger nothing.
    const secrets = record ? activeKeys(record, at).map((k) => k.secret) : [];
    const given = Buffer.from(credential.signature, 'hex');
    let matched = false;
    for (let i = 0; i < MAX_KEYS_PER_CLIENT; i++) {
      const expected = signature(secrets[i] ?? UNKNOWN_CLIENT_KEY, { ...req, host }, credential);
      if (timingSafeEqual(Buffer.from(expected, 'hex'), given) && i < secrets.length) matched = true;
    }
    // Same message for an unknown client, an expired key and a wrong signature: a stranger learns no client ids.
    if (!matched || !record) return refuse('invalid credential or signature');
    // Signed, but for somewhere else: refused before it costs the ledger anything.
    if (!hosts.has(hostName(host))) return refuse('request signed for another host');
    if (credential.region !== settings.region) {
      return refuse(`request signed for ${credential.region}; this is ${settings.region}: sign it for that region`, {
        [REGION_HEADER]: settings.region,
      });
    }

    try {
      const waitSeconds = await ledger.take(credential.clientId, record.limits, at);
      if (waitSeconds > 0) {
        return {
          ok: false,
          statusCode: 429,
          error: 'rate limit exceeded',
          headers: { 'retry-after': String(waitSeconds) },
        };
      }
      const seen = await ledger.record(credential.clientId, credential.nonce, at, nonceTtlMs);
      if (seen === 'replayed') return refuse('nonce already used: sign each request with a new nonce');
    } catch (e) {
      // Never let a request through unchecked: without the ledger nothing is accepted.
      return e instanceof LedgerFullError
        ? unavailable('too many requests in flight', 1)
        : unavailable('authentication unavailable', RETRY_AFTER_SECONDS);
    }
    return { ok: true, clientId: credential.clientId };
  };
}
