/**
 * The API clients: one Secrets Manager secret holding a JSON map of client id -> signing keys and
 * limits. Read through the shared secret cache, re-read every few minutes (a revoked key stops
 * working within `maxAgeMs`) and when an unknown client id signs (a new client works at once),
 * at most once per `missRefreshMs` so strangers cannot make every request call Secrets Manager.
 *
 *   { "desk-a": { "keys": [{ "id": "2026-01", "secret": "<32-256 characters>",
 *                            "notBefore": "2026-01-01T00:00:00Z", "notAfter": "2026-07-01T00:00:00Z" }],
 *                 "limits": { "ratePerSecond": 20, "burst": 40 } } }
 *
 * Each client has one or two keys (`npm run keys` manages them): during a rotation both are
 * active, so no request fails while clients move to the new key; a key signs only inside its
 * validity window (`notBefore` inclusive, `notAfter` exclusive, both optional). `"key": "<secret>"`
 * is shorthand for one key with id `default` and no window.
 *
 * One malformed client entry refuses that client only (503, the problem logged); the others keep
 * working. A secret that is not a JSON object refuses every client once the last good copy is
 * older than `maxStaleMs`: a key revoked, or access to the secret cut (IAM, KMS), stops working
 * within that bound even when re-reads keep failing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { SecretCache } from '../shared/secret-cache';
import { CLIENT_ID_PATTERN } from './signing';

export const MIN_KEY_LENGTH = 32;
/** Keys per client: the current one and, during a rotation, its successor. */
export const MAX_KEYS_PER_CLIENT = 2;
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** An instant in UTC, ISO 8601 as `Date.toISOString` writes it (seconds and fraction optional). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;

const secretSchema = z
  .string({ message: 'key must be a string' })
  .min(MIN_KEY_LENGTH, { message: `key must have at least ${MIN_KEY_LENGTH} characters` })
  .max(256, { message: 'key must have at most 256 characters' });

const instant = (field: string) =>
  z
    .string({ message: `${field} must be a string` })
    .regex(INSTANT, { message: `${field} must be an ISO 8601 UTC time (2026-01-01T00:00:00Z)` })
    .transform((text) => Date.parse(text));

const keySchema = z
  .strictObject(
    {
      id: z.string({ message: 'keys[].id must be a string' }).regex(KEY_ID_PATTERN, {
        message: 'keys[].id must be 1-64 letters, digits, . _ or -',
      }),
      secret: secretSchema,
      notBefore: instant('keys[].notBefore').optional(),
      notAfter: instant('keys[].notAfter').optional(),
    },
    { message: 'keys[] must be objects with id, secret, notBefore?, notAfter?' },
  )
  .refine((k) => k.notBefore === undefined || k.notAfter === undefined || k.notBefore < k.notAfter, {
    message: 'keys[].notBefore must be before keys[].notAfter',
  });

const limitsSchema = z.strictObject(
  {
    ratePerSecond: z
      .number({ message: 'limits.ratePerSecond must be a number' })
      .positive({ message: 'limits.ratePerSecond must be greater than 0' })
      .max(10_000, { message: 'limits.ratePerSecond must be at most 10000' }),
    burst: z
      .number({ message: 'limits.burst must be a number' })
      .int({ message: 'limits.burst must be an integer' })
      .min(1, { message: 'limits.burst must be at least 1' })
      .max(100_000, { message: 'limits.burst must be at most 100000' }),
  },
  { message: 'limits must be an object with ratePerSecond and burst' },
);

const clientSchema = z.union(
  [
    z
      .strictObject({
        keys: z
          .array(keySchema, { message: 'keys must be an array' })
          .min(1, { message: 'keys must hold at least one key' })
          .max(MAX_KEYS_PER_CLIENT, { message: `keys must hold at most ${MAX_KEYS_PER_CLIENT} keys` })
          .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, {
            message: 'keys[].id must be unique',
          }),
        limits: limitsSchema,
      })
      .transform((c) => ({ keys: c.keys, limits: c.limits })),
    z
      .strictObject({ key: secretSchema, limits: limitsSchema })
      .transform((c) => ({ keys: [{ id: 'default', secret: c.key }], limits: c.limits })),
  ],
  { message: 'expected { keys, limits } (or { key, limits })' },
);

export interface ClientKey {
  readonly id: string;
  readonly secret: string;
  /** Epoch ms: the key signs from then (inclusive). */
  readonly notBefore?: number;
  /** Epoch ms: the key signs until then (exclusive). */
  readonly notAfter?: number;
}

export interface ClientRecord {
  readonly keys: readonly ClientKey[];
  readonly limits: z.output<typeof limitsSchema>;
}
export type ClientLimits = ClientRecord['limits'];

/** The secret, parsed: the usable clients, and the entries refused with their problem. */
export interface ClientKeys {
  readonly clients: ReadonlyMap<string, ClientRecord>;
  /** Client id (or its first 40 characters) -> what is wrong with its entry. */
  readonly problems: ReadonlyMap<string, string>;
}

/** The keys that sign at `nowMs`. */
export function activeKeys(record: ClientRecord, nowMs: number): ClientKey[] {
  return record.keys.filter((k) => (k.notBefore ?? -Infinity) <= nowMs && nowMs < (k.notAfter ?? Infinity));
}

export class MalformedClientKeysError extends Error {
  constructor(detail: string) {
    super(`client keys secret is malformed: ${detail}`);
    this.name = 'MalformedClientKeysError';
  }
}

/** This client's entry cannot be used (its problem named, never a key): that client is refused. */
export class UnusableClientError extends Error {
  constructor(clientId: string, problem: string) {
    super(`client ${clientId}: ${problem}`);
    this.name = 'UnusableClientError';
  }
}

/** The keyring's copy is older than its stale limit and could not be re-read: nobody is verified. */
export class StaleClientKeysError extends Error {
  constructor(ageMs: number) {
    super(`client keys last read ${Math.round(ageMs / 1000)} s ago and could not be re-read`);
    this.name = 'StaleClientKeysError';
  }
}

/**
 * Parse the secret. Throws only when it is not a JSON object; a bad entry becomes a problem of
 * that client alone. Messages name the client and field, never a key.
 */
export function parseClientKeys(secretString: string | undefined): ClientKeys {
  if (!secretString) throw new MalformedClientKeysError('it has no SecretString');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new MalformedClientKeysError('SecretString is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MalformedClientKeysError('expected a JSON object of client id -> { keys, limits }');
  }
  const clients = new Map<string, ClientRecord>();
  const problems = new Map<string, string>();
  for (const [clientId, value] of Object.entries(json)) {
    if (!CLIENT_ID_PATTERN.test(clientId)) {
      problems.set(clientId.slice(0, 40), `client id "${clientId.slice(0, 40)}" must be 1-32 letters, digits, _ or -`);
      continue;
    }
    const parsed = clientSchema.safeParse(value);
    if (parsed.success) clients.set(clientId, parsed.data);
    else problems.set(clientId, describe(parsed.error));
  }
  return { clients, problems };
}

/** The most specific messages of a failed parse (a union reports each branch: keep the one that matched the shape). */
function describe(error: z.ZodError): string {
  const messages = error.issues.flatMap((issue) =>
    issue.code === 'invalid_union'
      ? (issue.errors
          .filter((branch) => !branch.some((i) => i.code === 'unrecognized_keys'))
          .flat()
          .map((i) => i.message) ?? [])
      : [issue.message],
  );
  return [...new Set(messages.length > 0 ? messages : error.issues.map((i) => i.message))].join('; ');
}

export interface Keyring {
  /**
   * The client's record, or undefined for an unknown client. Throws when no usable copy of the
   * keys exists (never read, or older than the stale limit) and, for that client only, when its
   * entry is malformed.
   */
  lookup(clientId: string): Promise<ClientRecord | undefined>;
}

export interface KeyringOptions {
  /** Re-read the secret when the copy is older than this. */
  readonly maxAgeMs: number;
  /** At most one re-read per this interval for unknown client ids, and between failed re-reads. */
  readonly missRefreshMs: number;
  /**
   * When re-reads keep failing, the last good copy serves until it is this old, then nobody is
   * verified: the bound on how long a revoked key (or a process cut off from the secret) works.
   */
  readonly maxStaleMs: number;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'warn'>;
}

export class CachedKeyring implements Keyring {
  private keys?: ClientKeys;
  private readAt = -Infinity;
  private nextRefreshAt = -Infinity;
  private lastMissRefreshAt = -Infinity;
  private refreshing?: Promise<void>;

  constructor(
    private readonly secret: Pick<SecretCache<ClientKeys>, 'get' | 'invalidate'>,
    private readonly options: KeyringOptions,
  ) {
    if (options.maxStaleMs < options.maxAgeMs) throw new Error('maxStaleMs must be at least maxAgeMs');
  }

  async lookup(clientId: string): Promise<ClientRecord | undefined> {
    const now = (this.options.now ?? Date.now)();
    if (now >= this.nextRefreshAt) await this.refresh(now);
    let keys = this.usable(now);
    if (!keys.clients.has(clientId) && !keys.problems.has(clientId)) {
      if (now - this.lastMissRefreshAt >= this.options.missRefreshMs) {
        this.lastMissRefreshAt = now;
        await this.refresh(now);
        keys = this.usable(now);
      }
    }
    const problem = keys.problems.get(clientId);
    if (problem !== undefined) throw new UnusableClientError(clientId, problem);
    return keys.clients.get(clientId);
  }

  private usable(now: number): ClientKeys {
    if (!this.keys) throw new Error('client keys were never read');
    if (now - this.readAt > this.options.maxStaleMs) throw new StaleClientKeysError(now - this.readAt);
    return this.keys;
  }

  /** One re-read at a time; when it fails, the last good keys stay in use until the next attempt. */
  private refresh(now: number): Promise<void> {
    this.refreshing ??= (async () => {
      this.secret.invalidate();
      try {
        this.keys = await this.secret.get();
        this.readAt = now;
        this.nextRefreshAt = now + this.options.maxAgeMs;
        if (this.keys.problems.size > 0) {
          this.options.logger?.warn('client keys: entries refused (those clients get 503)', {
            problems: Object.fromEntries(this.keys.problems),
          });
        }
      } catch (e) {
        if (!this.keys) throw e;
        this.options.logger?.warn('client keys could not be re-read; using the last good copy', {
          error: String(e),
          ageMs: now - this.readAt,
        });
        this.nextRefreshAt = now + this.options.missRefreshMs;
      }
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
