/** ALB -> Lambda adapter for the order API. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import { ApiRequest, ApiResponse, handleRequest } from './api';
import { withSecurityHeaders } from './security-headers';
import { createRuntime, requireApiEnv, Runtime } from './runtime';

export function fromAlbEvent(event: ALBEvent): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(event.headers ?? {})) headers[key.toLowerCase()] = value;
  // Target groups with multi-value headers enabled send only these.
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values) headers[key.toLowerCase()] = values.join(', ');
  }
  const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  // The ALB passes the path and query as the client sent them (not decoded): what was signed.
  const query: [string, string][] = event.multiValueQueryStringParameters
    ? Object.entries(event.multiValueQueryStringParameters).flatMap(([k, vs]) =>
        (vs ?? []).map((v): [string, string] => [k, v]),
      )
    : Object.entries(event.queryStringParameters ?? {}).map(([k, v]): [string, string] => [k, v ?? '']);
  return { method: event.httpMethod, path: event.path, query, headers, body };
}

export function toAlbResult(response: ApiResponse): ALBResult {
  return {
    statusCode: response.statusCode,
    statusDescription: String(response.statusCode),
    headers: withSecurityHeaders(response.headers),
    body: response.body,
    isBase64Encoded: false,
  };
}

let runtime: Runtime | undefined;

/** Built on the first invocation and reused while the execution environment is warm. */
function getRuntime(): Runtime {
  runtime ??= createRuntime(requireApiEnv(process.env), {
    secrets: new SecretsManagerClient({}),
    sqs: new SQSClient({}),
  });
  return runtime;
}

export async function handler(event: ALBEvent): Promise<ALBResult> {
  return toAlbResult(await handleRequest(fromAlbEvent(event), getRuntime().deps));
}
