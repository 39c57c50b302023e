/** Wiring from the environment: one pool, cached credentials, the order queue. Shared by both adapters. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CredentialedPool } from '../shared/credentialed-pool';
import { createOrderJournal, JournalSender, journalConfigFromEnv, PeerFence } from '../shared/journal';
import { dynamoPeerFence, sqsJournalSender } from '../shared/journal-sqs';
import { createLogger } from '../shared/logger';
import { sslOptions } from '../shared/postgres';
import { SecretCache } from '../shared/secret-cache';
import type { ApiDeps, OrderQueue } from './api';
import type { OrderInput } from './order';
import { OrderStore } from './store';

export interface RuntimeEnv {
  readonly REGION_NAME: string;
  readonly REGION_ROLE: string;
  readonly DB_SECRET_ARN: string;
  readonly DB_HOST: string;
  /** The local cluster's reader endpoint (defaults to DB_HOST). */
  readonly DB_READ_HOST?: string;
  readonly DB_PORT?: string;
  readonly DB_NAME: string;
  readonly DB_SSL?: string;
  readonly ORDER_QUEUE_URL?: string;
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
}

export function requireEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  const missing = ['REGION_NAME', 'REGION_ROLE', 'DB_SECRET_ARN', 'DB_HOST', 'DB_NAME'].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  return env as unknown as RuntimeEnv;
}

/** An SQS FIFO queue deduplicated by client order id (a replay within 5 minutes is dropped). */
export function sqsOrderQueue(client: SQSClient, queueUrl: string): OrderQueue {
  return {
    async enqueue(order: OrderInput) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(order),
          MessageGroupId: order.symbol,
          MessageDeduplicationId: order.clientOrderId,
        }),
      );
    },
  };
}

export interface Runtime {
  readonly deps: ApiDeps;
  readonly store: OrderStore;
  /** End every database connection (tests and the benchmark; Lambda just freezes). */
  close(): Promise<void>;
}

export interface RuntimeClients {
  readonly secrets: SecretsManagerClient;
  readonly sqs?: SQSClient;
  /** Replaces the SQS journal sender (tests, the benchmark). */
  readonly journalSender?: JournalSender;
  readonly fence?: PeerFence;
  /** The journal's clock (tests). */
  readonly now?: () => Date;
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
      max: 4,
      idleTimeoutMillis: 30_000,
      // Short: a POST may try the writer, then the reader, inside the Lambda timeout.
      connectionTimeoutMillis: 2_000,
      statement_timeout: 5_000,
      // A transaction left open (journal write hung, process stopped) is ended by the server,
      // so it can never commit long after its client gave up (the journal auditor relies on it).
      idle_in_transaction_session_timeout: 10_000,
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
  const deps: ApiDeps = {
    store,
    queue: env.ORDER_QUEUE_URL && clients.sqs ? sqsOrderQueue(clients.sqs, env.ORDER_QUEUE_URL) : undefined,
    region: env.REGION_NAME,
    role: env.REGION_ROLE,
    logger,
    refreshCredentials: () => secret.invalidate(),
  };
  return {
    deps,
    store,
    close: async () => void (await Promise.all([...new Set([writer, reader])].map((p) => p.end()))),
  };
}
