/** SQS -> Lambda adapter of the drainer. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime, requireEnv, Runtime } from '../trading/runtime';
import { sqsDeadLetterQueue } from './dead-letter';
import { DEFAULT_MARKET_ORDER_TTL_SECONDS, drain, DrainDeps } from './drain';

let runtime: Runtime | undefined;
let deps: DrainDeps | undefined;

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  if (!runtime || !deps) {
    runtime = createRuntime(requireEnv(process.env), { secrets: new SecretsManagerClient({}) });
    const deadLetterUrl = process.env.ORDER_DEAD_LETTER_QUEUE_URL;
    deps = {
      store: runtime.store,
      logger: runtime.logger,
      refreshCredentials: runtime.refreshCredentials,
      deadLetter: deadLetterUrl ? sqsDeadLetterQueue(new SQSClient({}), deadLetterUrl) : undefined,
      marketOrderTtlSeconds: Number(process.env.MARKET_ORDER_TTL_SECONDS ?? DEFAULT_MARKET_ORDER_TTL_SECONDS),
    };
  }
  runtime.logger.addContext(context);
  return drain(event, deps, context);
}
