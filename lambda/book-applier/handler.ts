/**
 * DynamoDB Streams -> Lambda adapter of the book applier: the stream records of this region's
 * replica applied to this region's cluster (ledger.ts decides insert or confirm; apply.ts
 * verifies and applies). Answers with a partial batch response: Lambda resumes from the first
 * record that could not be applied (ReportBatchItemFailures, on the event source mapping).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { parseSigningKey } from '../shared/book-order';
import { CredentialedPool } from '../shared/credentialed-pool';
import { createLogger } from '../shared/logger';
import { boundedClientSettings, sslOptions } from '../shared/postgres';
import { SecretCache } from '../shared/secret-cache';
import { BOOK_APPLIER_METRICS, METRIC_NAMESPACES, METRIC_SERVICES } from '../facts/metrics';
import { applyBookRecords, type ApplierDeps, type BookStreamRecord } from './apply';
import { parseBookApplierEnvironment } from './environment';
import { localLedger } from './ledger';
import { OrderLedger } from './order-ledger';

/** How long the signing keys read are reused: a rotation reaches the applier within this. */
const KEYS_MAX_AGE_MS = 60_000;

/**
 * The keys an item may be signed with: AWSCURRENT and, during a rotation, AWSPREVIOUS (orders
 * signed just before PutSecretValue are still in the stream).
 */
export function signingKeys(secrets: SecretsManagerClient, secretId: string, now: () => number = Date.now) {
  let cached: { keys: Promise<readonly Buffer[]>; at: number } | undefined;
  const read = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS') => {
    try {
      const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
      return parseSigningKey(out.SecretString);
    } catch (e) {
      // No previous version before the first rotation.
      if (stage === 'AWSPREVIOUS' && (e as Error).name === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  };
  return (): Promise<readonly Buffer[]> => {
    if (!cached || now() - cached.at > KEYS_MAX_AGE_MS) {
      const keys = Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')]).then((ks) =>
        ks.filter((k): k is Buffer => k !== undefined),
      );
      cached = { keys, at: now() };
      keys.catch(() => (cached = undefined));
    }
    return cached.keys;
  };
}

const logger = createLogger('book-applier');
const metrics = new Metrics({ namespace: METRIC_NAMESPACES.book, serviceName: METRIC_SERVICES.bookApplier });
let deps: ApplierDeps | undefined;

function createDeps(): ApplierDeps {
  const env = parseBookApplierEnvironment(process.env);
  const secrets = new SecretsManagerClient({});
  const pool = new CredentialedPool(new SecretCache(secrets, env.DB_SECRET_ARN), {
    host: env.DB_HOST,
    port: env.DB_PORT,
    database: env.DB_NAME,
    ssl: sslOptions(env.DB_SSL),
    // One batch at a time, one order at a time.
    max: 1,
    ...boundedClientSettings({ connectMs: 2_000, queryMs: 5_000 }),
    idleTimeoutMillis: 30_000,
  });
  const log =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, attributes: object = {}) =>
      logger[level](message, attributes as Record<string, unknown>);
  return {
    restore: localLedger(new OrderLedger(pool)),
    keys: signingKeys(secrets, env.BOOK_SIGNING_SECRET_ARN),
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
  };
}

export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  logger.addContext(context);
  deps ??= createDeps();
  try {
    const report = await applyBookRecords((event.Records ?? []) as BookStreamRecord[], deps);
    metrics.addMetric(BOOK_APPLIER_METRICS.applied, MetricUnit.Count, report.applied);
    metrics.addMetric(BOOK_APPLIER_METRICS.refused, MetricUnit.Count, report.refused.length);
    metrics.addMetric(BOOK_APPLIER_METRICS.mismatched, MetricUnit.Count, report.mismatched);
    return { batchItemFailures: report.failedFrom ? [{ itemIdentifier: report.failedFrom }] : [] };
  } finally {
    metrics.publishStoredMetrics();
  }
}
