/** Wiring from the environment: the order book, the client keys, the request ledger. Shared by every adapter. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseSigningKey } from '../shared/book-order';
import type { BookReplicas } from '../shared/book-writer';
import { OrderBook } from '../shared/order-book';
import { recordAttempts } from '../shared/write-errors';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger } from '../shared/logger';
import { SecretCache } from '../shared/secret-cache';
import type { ApiDeps } from './api';
import { Authenticate, AuthSettings, createAuthenticator, DEFAULT_WINDOWS } from './auth';
import { CachedKeyring, parseClientKeys } from './client-keys';
import { DynamoLedgerStore, LedgerStore, MemoryLedgerStore, RequestLedger } from './request-ledger';
import { BOOK_VARIABLES, parseBookSettings } from './environment';

export interface RuntimeEnv {
  readonly REGION_NAME: string;
  readonly REGION_ROLE: string;
  /** The API clients' secret: JSON map of client id -> { key, limits } (client-keys.ts). API only. */
  readonly CLIENT_KEYS_SECRET_ARN?: string;
  /** The live order book: read only through parseBookSettings (environment.ts). */
  readonly BOOK_TABLE_NAME: string;
  readonly BOOK_PEER_REGION: string;
  readonly BOOK_SIGNING_SECRET_ARN: string;
  readonly BOOK_PEER_ENDPOINT?: string;
  /** The host names clients sign for, comma-separated (api.<domain>, ...). API only. */
  readonly API_HOSTS?: string;
  /**
   * The region's request ledger table (rate windows and nonces shared by the fleet; see
   * request-ledger.ts). Without it the ledger is this process's own: `npm run serve` and tests.
   */
  readonly AUTH_TABLE_NAME?: string;
}

const REQUIRED = ['REGION_NAME', 'REGION_ROLE', ...BOOK_VARIABLES];

type ApiEnv = RuntimeEnv & { CLIENT_KEYS_SECRET_ARN: string; API_HOSTS: string };

/** What the order API needs on top: it does not start without its clients' keys and its names. */
export function requireApiEnv(env: NodeJS.ProcessEnv): ApiEnv {
  const missing = [...REQUIRED, 'CLIENT_KEYS_SECRET_ARN', 'API_HOSTS'].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  const checked = env as unknown as ApiEnv;
  authSettings(checked);
  return checked;
}

/** Host names: letters, digits, dots and hyphens (an IP literal included), comma-separated. */
const HOST_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export function authSettings(env: RuntimeEnv): AuthSettings {
  const hosts = (env.API_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase());
  const bad = hosts.filter((h) => !HOST_NAME.test(h));
  if (bad.length > 0) {
    throw new Error(`API_HOSTS must be comma-separated host names without ports, got "${env.API_HOSTS ?? ''}"`);
  }
  return { ...DEFAULT_WINDOWS, region: env.REGION_NAME, hosts };
}

/**
 * A revoked client key stops working within CLIENT_KEYS_MAX_AGE_MS while the secret can be read,
 * and within CLIENT_KEYS_MAX_STALE_MS when re-reads keep failing (access cut through IAM or KMS,
 * or Secrets Manager unavailable): one missed re-read is ridden out, a second refuses everyone
 * (503) rather than trust a copy that may hold revoked keys. An unknown client id re-reads at
 * most every CLIENT_KEYS_MISS_REFRESH_MS.
 */
export const CLIENT_KEYS_MAX_AGE_MS = 300_000;
export const CLIENT_KEYS_MAX_STALE_MS = 600_000;
const CLIENT_KEYS_MISS_REFRESH_MS = 30_000;

export interface Runtime {
  readonly deps: ApiDeps;
  readonly logger: Logger;
}

export interface RuntimeClients {
  readonly secrets: SecretsManagerClient;
  /** The request ledger's DynamoDB client (default: one for REGION_NAME). */
  readonly dynamodb?: DynamoDBClient;
  /** Replaces the request ledger's store (the drill: one per region, shared by its instances). */
  readonly ledger?: LedgerStore;
  /** The clock that stamps orders (the book's createdAt; tests, the drill). */
  readonly now?: () => Date;
  /** The book's replicas as this region reaches them (tests, serve and the drill: the emulator). */
  readonly book?: BookReplicas;
}

/**
 * The book's replicas in AWS: one client per region, the SDK's own retries bounded by the book's
 * deadlines. A region in `endpoints` is reached at that URL (the peer's DynamoDB interface
 * endpoint, over the peering: no internet path); the others at the public Regional endpoint,
 * which inside the VPC is the gateway endpoint's route. Each attempt's error is kept
 * (recordAttempts), so a retried write is "not taken" only if no attempt could have landed.
 */
export function awsBookReplicas(
  tableName: string,
  regions: readonly string[],
  endpoints: Readonly<Record<string, string>> = {},
): BookReplicas {
  const clients = new Map(
    regions.map((r) => [
      r,
      recordAttempts(
        new DynamoDBClient({ region: r, maxAttempts: 2, ...(endpoints[r] ? { endpoint: endpoints[r] } : {}) }),
      ),
    ]),
  );
  return {
    tableName,
    client: (region) => {
      const c = clients.get(region);
      if (!c) throw new Error(`order book: no replica client for ${region}`);
      return c;
    },
  };
}

/** The live order book the environment names (environment.ts). */
function createBook(env: RuntimeEnv, clients: RuntimeClients): OrderBook {
  const book = parseBookSettings(env as unknown as Record<string, string | undefined>);
  const signingKey = new SecretCache(clients.secrets, book.signingSecretArn, parseSigningKey);
  return new OrderBook({
    replicas:
      clients.book ??
      awsBookReplicas(
        book.tableName,
        [env.REGION_NAME, book.peerRegion],
        book.peerEndpoint ? { [book.peerRegion]: book.peerEndpoint } : {},
      ),
    region: env.REGION_NAME,
    peer: book.peerRegion,
    signingKey: () => signingKey.get(),
    now: clients.now,
  });
}

export function createRuntime(env: RuntimeEnv, clients: RuntimeClients): Runtime {
  const logger = createLogger('trading');
  const keysSecret = env.CLIENT_KEYS_SECRET_ARN;
  const authenticate: Authenticate = keysSecret
    ? createAuthenticator({
        keyring: new CachedKeyring(new SecretCache(clients.secrets, keysSecret, parseClientKeys), {
          maxAgeMs: CLIENT_KEYS_MAX_AGE_MS,
          missRefreshMs: CLIENT_KEYS_MISS_REFRESH_MS,
          maxStaleMs: CLIENT_KEYS_MAX_STALE_MS,
          logger,
        }),
        settings: authSettings(env),
        ledger: new RequestLedger(
          clients.ledger ??
            (env.AUTH_TABLE_NAME
              ? new DynamoLedgerStore(
                  DynamoDBDocumentClient.from(clients.dynamodb ?? new DynamoDBClient({ region: env.REGION_NAME })),
                  env.AUTH_TABLE_NAME,
                )
              : new MemoryLedgerStore()),
        ),
      })
    : // Without keys nobody is authenticated.
      async () => ({ ok: false, statusCode: 503, error: 'authentication not configured', headers: {} });
  const deps: ApiDeps = {
    book: createBook(env, clients),
    authenticate,
    region: env.REGION_NAME,
    role: env.REGION_ROLE,
    logger,
  };
  return { deps, logger };
}
