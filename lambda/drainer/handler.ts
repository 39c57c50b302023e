/** SQS -> Lambda adapter of the drainer. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuntime, requireEnv, Runtime } from '../trading/runtime';
import { drain } from './drain';

let runtime: Runtime | undefined;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  runtime ??= createRuntime(requireEnv(process.env), { secrets: new SecretsManagerClient({}) });
  return drain(
    event.Records.map((r) => ({ messageId: r.messageId, body: r.body })),
    runtime.store,
    runtime.deps.logger,
    runtime.deps.refreshCredentials,
  );
}
