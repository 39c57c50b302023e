/** ALB -> Lambda adapter for the order API. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ALBEvent, ALBResult, Context } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { ApiRequest, ApiResponse, handleRequest, unavailable } from './api';
import { createRuntime, requireApiEnv, Runtime } from './runtime';
import { withSecurityHeaders } from './security-headers';

/**
 * The ALB event as an API request. Nothing here throws: a field that is missing or of the wrong
 * type becomes an empty method or path, which the API answers 400.
 */
export function fromAlbEvent(event: ALBEvent): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  // Multi-value headers are on when the target group enables them; either form may arrive.
  for (const [key, value] of Object.entries(event?.multiValueHeaders ?? {})) {
    if (Array.isArray(value)) headers[key.toLowerCase()] = value.filter((v) => typeof v === 'string').join(', ');
  }
  for (const [key, value] of Object.entries(event?.headers ?? {})) {
    if (typeof value === 'string') headers[key.toLowerCase()] = value;
  }
  const text = typeof event?.body === 'string' ? event.body : '';
  const body = text ? Buffer.from(text, event.isBase64Encoded === true ? 'base64' : 'utf8') : undefined;
  // The ALB passes the path and query as the client sent them (not decoded): what was signed.
  const query: [string, string][] = [];
  const multi = event?.multiValueQueryStringParameters;
  for (const [key, values] of Object.entries(multi ?? event?.queryStringParameters ?? {})) {
    for (const value of Array.isArray(values) ? values : [values]) {
      if (typeof value === 'string') query.push([key, value]);
    }
  }
  return {
    method: typeof event?.httpMethod === 'string' ? event.httpMethod : '',
    path: typeof event?.path === 'string' ? event.path : '',
    query,
    headers,
    body,
  };
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

/** Time kept back from the invocation's remaining time to return the answer to the ALB. */
const RETURN_MARGIN_MS = 500;

let runtime: Runtime | undefined;

export async function handler(event: ALBEvent, context: Context): Promise<ALBResult> {
  try {
    // Built on the first invocation and reused while the execution environment is warm.
    runtime ??= createRuntime(requireApiEnv(process.env), {
      secrets: new SecretsManagerClient({}),
    });
  } catch (e) {
    createLogger('trading').error('trading function misconfigured', { error: String(e) });
    return toAlbResult(unavailable('service misconfigured'));
  }
  runtime.logger.addContext(context);
  const deadlineMs = context.getRemainingTimeInMillis() - RETURN_MARGIN_MS;
  return toAlbResult(await handleRequest(fromAlbEvent(event), runtime.deps, { deadlineMs }));
}
