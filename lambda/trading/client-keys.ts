/**
 * The API clients: one Secrets Manager secret holding a JSON map of client id -> signing key and
 * limits. Read through the shared secret cache, re-read every few minutes (a revoked key stops
 * working within `maxAgeMs`) and when an unknown client id signs (a new client works at once),
 * at most once per `missRefreshMs` so strangers cannot make every request call Secrets Manager.
 *
 *   { "desk-a": { "key": "<at least 32 characters>", "limits": { "ratePerSecond": 20, "burst": 40 } } }
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { SecretCache } from '../shared/secret-cache';
import { CLIENT_ID_PATTERN } from './signing';

export const MIN_KEY_LENGTH = 32;

const clientSchema = z.strictObject({
  key: z
    .string({ message: 'key must be a string' })
    .min(MIN_KEY_LENGTH, { message: `key must have at least ${MIN_KEY_LENGTH} characters` })
    .max(256, { message: 'key must have at most 256 characters' }),
  limits: z.strictObject(
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
  ),
});

export type ClientRecord = z.output<typeof clientSchema>;
export type ClientLimits = ClientRecord['limits'];
export type ClientKeys = ReadonlyMap<string, ClientRecord>;

export class MalformedClientKeysError extends Error {
  constructor(detail: string) {
    super(`client keys secret is malformed: ${detail}`);
    this.name = 'MalformedClientKeysError';
  }
}

/** Parse the secret; errors name the client and field, never a key. */
export function parseClientKeys(secretString: string | undefined): ClientKeys {
  if (!secretString) throw new MalformedClientKeysError('it has no SecretString');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new MalformedClientKeysError('SecretString is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new MalformedClientKeysError('expected a JSON object of client id -> { key, limits }');
  }
  const clients = new Map<string, ClientRecord>();
  const problems: string[] = [];
  for (const [clientId, value] of Object.entries(json)) {
    if (!CLIENT_ID_PATTERN.test(clientId)) {
      problems.push(`client id "${clientId.slice(0, 40)}" must be 1-32 letters, digits, _ or -`);
      continue;
    }
    const parsed = clientSchema.safeParse(value);
    if (parsed.success) clients.set(clientId, parsed.data);
    else problems.push(...parsed.error.issues.map((i) => `${clientId}: ${i.message}`));
  }
  if (problems.length > 0) throw new MalformedClientKeysError(problems.join('; '));
  return clients;
}

export interface Keyring {
  /** The client's record, or undefined for an unknown client. Throws only when no keys were ever read. */
  lookup(clientId: string): Promise<ClientRecord | undefined>;
}

export interface KeyringOptions {
  /** Re-read the secret when the copy is older than this. */
  readonly maxAgeMs: number;
  /** At most one re-read per this interval for unknown client ids, and between failed re-reads. */
  readonly missRefreshMs: number;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'warn'>;
}

export class CachedKeyring implements Keyring {
  private keys?: ClientKeys;
  private nextRefreshAt = -Infinity;
  private lastMissRefreshAt = -Infinity;
  private refreshing?: Promise<void>;

  constructor(
    private readonly secret: Pick<SecretCache<ClientKeys>, 'get' | 'invalidate'>,
    private readonly options: KeyringOptions,
  ) {}

  async lookup(clientId: string): Promise<ClientRecord | undefined> {
    const now = (this.options.now ?? Date.now)();
    if (now >= this.nextRefreshAt) await this.refresh(now);
    let record = this.keys!.get(clientId);
    if (!record && now - this.lastMissRefreshAt >= this.options.missRefreshMs) {
      this.lastMissRefreshAt = now;
      await this.refresh(now);
      record = this.keys!.get(clientId);
    }
    return record;
  }

  /** One re-read at a time; when it fails, the last good keys stay in use until the next attempt. */
  private refresh(now: number): Promise<void> {
    this.refreshing ??= (async () => {
      this.secret.invalidate();
      try {
        this.keys = await this.secret.get();
        this.nextRefreshAt = now + this.options.maxAgeMs;
      } catch (e) {
        if (!this.keys) throw e;
        this.options.logger?.warn('client keys could not be re-read; using the last good copy', { error: String(e) });
        this.nextRefreshAt = now + this.options.missRefreshMs;
      }
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
