/** Wiring from the environment: one pool, cached credentials, the order queue. Shared by both adapters. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CredentialedPool } from '../shared/credentialed-pool';
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

export function createRuntime(env: RuntimeEnv, clients: { secrets: SecretsManagerClient; sqs?: SQSClient }): Runtime {
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
    });
  const writer = pool(env.DB_HOST);
  const reader = env.DB_READ_HOST && env.DB_READ_HOST !== env.DB_HOST ? pool(env.DB_READ_HOST) : writer;
  const store = new OrderStore(writer, env.REGION_NAME, reader);
  const deps: ApiDeps = {
    store,
    queue: env.ORDER_QUEUE_URL && clients.sqs ? sqsOrderQueue(clients.sqs, env.ORDER_QUEUE_URL) : undefined,
    region: env.REGION_NAME,
    role: env.REGION_ROLE,
    logger: createLogger('trading'),
    refreshCredentials: () => secret.invalidate(),
  };
  // The reader may be the writer (one host): end each pool once.
  const pools = [...new Set([writer, reader])];
  return { deps, store, close: async () => void (await Promise.all(pools.map((p) => p.end()))) };
}
