/**
 * SQS -> Lambda adapter of the journal auditor (Powertools batch, logger and metrics).
 * Environment: the trading runtime's database settings with DB_HOST = this region's own cluster
 * endpoint (not the global writer endpoint) and DB_READ_HOST = its reader endpoint; WRITER_DB_HOST (+ WRITER_DB_PORT) = the global
 * writer endpoint, to void orphans; JOURNAL_PARKED_QUEUE_URL; JOURNAL_ORPHAN_AFTER_SECONDS.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { createRuntime, requireEnv, Runtime } from '../trading/runtime';
import { DEFAULT_ORPHAN_AFTER_SECONDS } from '../facts/journal';
import { METRIC_NAMESPACES, METRIC_SERVICES } from '../facts/metrics';
import { auditRecord, AuditorDeps } from './auditor';

/** Check the auditor's own settings; the database settings are the trading runtime's. */
export function auditorSettingsFromEnv(env: Readonly<Record<string, string | undefined>>) {
  if (!env.JOURNAL_PARKED_QUEUE_URL) throw new Error('missing environment: JOURNAL_PARKED_QUEUE_URL');
  const orphanAfterSeconds = Number(env.JOURNAL_ORPHAN_AFTER_SECONDS ?? DEFAULT_ORPHAN_AFTER_SECONDS);
  if (!Number.isInteger(orphanAfterSeconds) || orphanAfterSeconds < 60 || orphanAfterSeconds > 86_400) {
    throw new Error(
      `JOURNAL_ORPHAN_AFTER_SECONDS must be an integer from 60 to 86400, got "${env.JOURNAL_ORPHAN_AFTER_SECONDS}"`,
    );
  }
  return { parkedQueueUrl: env.JOURNAL_PARKED_QUEUE_URL, orphanAfterSeconds };
}

export interface AuditorRuntime {
  readonly deps: AuditorDeps;
  close(): Promise<void>;
}

export function createAuditorRuntime(
  env: Readonly<Record<string, string | undefined>>,
  clients: { secrets: SecretsManagerClient; sqs: SQSClient },
  observability: Pick<AuditorDeps, 'logger' | 'metrics'>,
): AuditorRuntime {
  const settings = auditorSettingsFromEnv(env);
  // The auditor never journals (it is the journal's reader): its stores are regional.
  const local: Runtime = createRuntime(requireEnv({ ...env, ORDER_DURABILITY: 'regional' }), clients);
  const writer: Runtime | undefined = env.WRITER_DB_HOST
    ? createRuntime(
        requireEnv({
          ...env,
          ORDER_DURABILITY: 'regional',
          DB_HOST: env.WRITER_DB_HOST,
          DB_PORT: env.WRITER_DB_PORT ?? env.DB_PORT,
          DB_READ_HOST: undefined,
        }),
        clients,
      )
    : undefined;
  return {
    deps: {
      stores: { local: local.store, writer: writer?.store },
      settings: { region: local.deps.region, orphanAfterSeconds: settings.orphanAfterSeconds },
      ...observability,
      park: async (body, reason) => {
        await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: settings.parkedQueueUrl,
            MessageBody: body,
            MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 1000) } },
          }),
        );
      },
    },
    close: async () => void (await Promise.all([local.close(), writer?.close()])),
  };
}

const processor = new BatchProcessor(EventType.SQS);

/** One batch: each record audited; the ones still unconfirmed are reported as item failures. */
export function auditBatch(event: SQSEvent, deps: AuditorDeps, context?: Context): Promise<SQSBatchResponse> {
  // A batch where every order is still unreplicated is normal: report it item by item.
  return processPartialResponse(event, (record: SQSRecord) => auditRecord(record, deps), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
}

const metrics = new Metrics({ namespace: METRIC_NAMESPACES.journal, serviceName: METRIC_SERVICES.journalAuditor });
const logger = createLogger('journal-auditor');
let runtime: AuditorRuntime | undefined;

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  runtime ??= createAuditorRuntime(
    process.env,
    { secrets: new SecretsManagerClient({}), sqs: new SQSClient({}) },
    { logger, metrics },
  );
  logger.addContext(context);
  try {
    return await auditBatch(event, runtime.deps, context);
  } finally {
    metrics.publishStoredMetrics();
  }
}
