/** Wiring from the environment: pools, cached credentials, the order book. Shared by every adapter. */
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseSigningKey } from '../shared/book-order';
import type { BookReplicas } from '../shared/book-writer';
import { OrderBook } from '../shared/order-book';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialedPool } from '../shared/credentialed-pool';
import { createOrderJournal, JournalSender, journalConfigFromEnv, PeerFence } from '../shared/journal';
import { dynamoPeerFence, sqsJournalSender } from '../shared/journal-sqs';
import { createLogger } from '../shared/logger';
import { boundedClientSettings, sslOptions } from '../shared/postgres';
import { SecretCache } from '../shared/secret-cache';
import type { ApiDeps } from './api';
import { Authenticate, AuthSettings, createAuthenticator, DEFAULT_WINDOWS } from './auth';
import { CachedKeyring, parseClientKeys } from './client-keys';
import { DynamoLedgerStore, LedgerStore, MemoryLedgerStore, RequestLedger } from './request-ledger';
import { OrderStore } from './store';
import { parseBookSettings } from './environment';

export interface RuntimeEnv {
  readonly REGION_NAME: string;
  readonly REGION_ROLE: string;
  readonly DB_SECRET_ARN: string;
  /**
   * Where writes go: the connection settings that follow the current writer. In AWS this is the
   * Aurora global writer endpoint, so after a switchover or failover the API writes to the new
   * writer without a redeploy.
   */
  readonly DB_HOST: string;
  /** The local cluster's reader endpoint (defaults to DB_HOST): tells "read-only" from "down". */
  readonly DB_READ_HOST?: string;
  readonly DB_PORT?: string;
  readonly DB_NAME: string;
  readonly DB_SSL?: string;
  /** Connections per pool (writer and reader each); a Lambda serves one request at a time. */
  readonly DB_POOL_MAX?: string;
  /** cross-region (default) or regional; see lambda/shared/journal.ts. */
  readonly ORDER_DURABILITY?: string;
  /** JSON object: region -> journal queue URL, both regions. */
  readonly JOURNAL_QUEUE_URLS?: string;
  readonly JOURNAL_TIMEOUT_MS?: string;
  /** The orchestrator's evidence table (fence records), its region, and the fence's name. */
  readonly FENCE_TABLE_NAME?: string;
  readonly FENCE_TABLE_REGION?: string;
  /** The global cluster id: the orchestrator names its fence record after it. */
  readonly FENCE_NAME?: string;
  /** The API clients' secret: JSON map of client id -> { key, limits } (client-keys.ts). API only. */
  readonly CLIENT_KEYS_SECRET_ARN?: string;
  /** The live order book: read only through parseBookSettings (environment.ts). */
  readonly BOOK_TABLE_NAME?: string;
  readonly BOOK_PEER_REGION?: string;
  readonly BOOK_SIGNING_SECRET_ARN?: string;
  readonly BOOK_PEER_ENDPOINT?: string;
  /** The host names clients sign for, comma-separated (api.<domain>, ...). API only. */
  readonly API_HOSTS?: string;
  /**
   * The region's request ledger table (rate windows and nonces shared by the fleet; see
   * request-ledger.ts). Without it the ledger is this process's own: `npm run serve` and tests.
   */
  readonly AUTH_TABLE_NAME?: string;
}

const REQUIRED = ['REGION_NAME', 'REGION_ROLE', 'DB_SECRET_ARN', 'DB_HOST', 'DB_NAME'];

/** The database side, which the journal auditor shares. */
export function requireEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  return env as unknown as RuntimeEnv;
}

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

/**
 * Client-side bounds on the database (see boundedClientSettings). A POST may wait on the writer
 * and then on the reader; both together stay well inside the API's request deadline.
 */
export const DB_WAIT_BOUNDS = { connectMs: 1_000, queryMs: 2_000 } as const;

export interface Runtime {
  readonly deps: ApiDeps;
  readonly store: OrderStore;
  readonly logger: Logger;
  /** Forget cached credentials (rotated under us). */
  readonly refreshCredentials: () => void;
  /** End every database connection (tests and the benchmark; Lambda just freezes). */
  close(): Promise<void>;
}

export interface RuntimeClients {
  readonly secrets: SecretsManagerClient;
  /** Replaces the SQS journal sender (tests, the benchmark). */
  readonly journalSender?: JournalSender;
  readonly fence?: PeerFence;
  /** The request ledger's DynamoDB client (default: one for REGION_NAME). */
  readonly dynamodb?: DynamoDBClient;
  /** Replaces the request ledger's store (the drill: one per region, shared by its instances). */
  readonly ledger?: LedgerStore;
  /** The clock that stamps orders (the book's createdAt) and the journal's entries (tests, the drill). */
  readonly now?: () => Date;
  /** The book's replicas as this region reaches them (tests, serve and the drill: the emulator). */
  readonly book?: BookReplicas;
}

/**
 * The book's replicas in AWS: one client per region, the SDK's own retries bounded by the book's
 * deadlines. A region in `endpoints` is reached at that URL (the peer's DynamoDB interface
 * endpoint, over the peering: no internet path); the others at the public Regional endpoint,
 * which inside the VPC is the gateway endpoint's route.
 */
export function awsBookReplicas(
  tableName: string,
  regions: readonly string[],
  endpoints: Readonly<Record<string, string>> = {},
): BookReplicas {
  const clients = new Map(
    regions.map((r) => [
      r,
      new DynamoDBClient({ region: r, maxAttempts: 2, ...(endpoints[r] ? { endpoint: endpoints[r] } : {}) }),
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

/** The live order book, when the environment names one (all three settings or none: environment.ts). */
function createBook(env: RuntimeEnv, clients: RuntimeClients): OrderBook | undefined {
  const book = parseBookSettings(env as unknown as Record<string, string | undefined>);
  if (!book) return undefined;
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
  const journalConfig = journalConfigFromEnv(env as unknown as Record<string, string | undefined>);
  const secret = new SecretCache(clients.secrets, env.DB_SECRET_ARN);
  const pool = (host: string) =>
    new CredentialedPool(secret, {
      host,
      port: Number(env.DB_PORT ?? 5432),
      database: env.DB_NAME,
      ssl: sslOptions(env.DB_SSL),
      max: Number(env.DB_POOL_MAX ?? 4),
      ...boundedClientSettings(DB_WAIT_BOUNDS),
      idleTimeoutMillis: 30_000,
      // Re-resolve the writer's name now and then: a connection opened before a failover keeps
      // reaching the old writer, now read-only, for as long as it lives.
      maxLifetimeSeconds: 60,
    });
  const writer = pool(env.DB_HOST);
  const reader = env.DB_READ_HOST && env.DB_READ_HOST !== env.DB_HOST ? pool(env.DB_READ_HOST) : writer;
  const logger = createLogger('trading');
  const journal =
    journalConfig.durability === 'cross-region' && journalConfig.queueUrls
      ? createOrderJournal(
          {
            regions: Object.keys(journalConfig.queueUrls) as [string, string],
            localRegion: env.REGION_NAME,
            timeoutMs: journalConfig.timeoutMs,
          },
          {
            sender: clients.journalSender ?? sqsJournalSender(journalConfig.queueUrls, journalConfig.timeoutMs),
            fence:
              clients.fence ??
              (env.FENCE_TABLE_NAME && env.FENCE_NAME
                ? dynamoPeerFence(
                    DynamoDBDocumentClient.from(new DynamoDBClient({ region: env.FENCE_TABLE_REGION })),
                    env.FENCE_TABLE_NAME,
                    env.FENCE_NAME,
                  )
                : undefined),
            logger,
            now: clients.now,
          },
        )
      : undefined;
  const store = new OrderStore(writer, env.REGION_NAME, reader, journal);
  const refreshCredentials = () => secret.invalidate();
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
  const book = createBook(env, clients);
  const deps: ApiDeps = {
    store,
    book,
    authenticate,
    region: env.REGION_NAME,
    role: env.REGION_ROLE,
    logger,
    refreshCredentials,
  };
  return {
    deps,
    store,
    logger,
    refreshCredentials,
    close: async () => void (await Promise.all([...new Set([writer, reader])].map((p) => p.end()))),
  };
}
