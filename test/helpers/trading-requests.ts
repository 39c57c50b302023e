/**
 * Requests to the order API as the tests send them: ALB events and adapter-neutral requests,
 * signed through the order client (scripts/order-client.ts) as desk A unless told otherwise.
 */
import type { ALBEvent } from 'aws-lambda';
import { ApiDeps, ApiRequest, handleRequest } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import { ClientCredentials, signedHeaders as authHeaders, SignOptions } from '../../scripts/order-client';
import { CLIENTS, LOCAL_HOSTS, LOCAL_REGION } from '../../scripts/local/trading-db';

export interface SendOptions extends SignOptions {
  /** Who signs: desk A by default; null sends the request unsigned. */
  readonly as?: ClientCredentials | null;
  readonly query?: [string, string][];
  /** Sign this path instead of the one sent (a tampered request). */
  readonly signedPath?: string;
  /** The Host header sent (and signed): the local API's by default. */
  readonly host?: string;
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

function bodyText(body: unknown): string | undefined {
  return body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
}

export function signedHeaders(
  method: string,
  path: string,
  text: string | undefined,
  headers: Record<string, string>,
  options: SendOptions,
): Record<string, string> {
  const as = options.as === undefined ? CLIENTS.deskA : options.as;
  const host = options.host ?? LOCAL_HOSTS[0];
  if (as === null) return { ...headers, Host: host };
  const req = { method, host, path: options.signedPath ?? path, query: options.query, body: text };
  return { ...headers, Host: host, ...authHeaders(as, req, { region: LOCAL_REGION, ...options }) };
}

export function albEvent(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = JSON_TYPE,
  options: SendOptions = {},
): ALBEvent {
  const text = bodyText(body);
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg-fn/1' },
    },
    httpMethod: method,
    path,
    queryStringParameters: Object.fromEntries(options.query ?? []),
    headers: signedHeaders(method, path, text, headers, options),
    // The ALB base64-encodes bodies it does not consider text.
    body: text === undefined ? null : Buffer.from(text).toString('base64'),
    isBase64Encoded: true,
  };
}

/** The same request, adapter-neutral (for `handleRequest` directly). */
export function apiRequest(method: string, path: string, body?: unknown, options: SendOptions = {}): ApiRequest {
  const text = bodyText(body);
  const headers = signedHeaders(method, path, text, { 'content-type': 'application/json' }, options);
  return {
    method,
    path,
    query: options.query,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    body: text === undefined ? undefined : Buffer.from(text),
  };
}

/** Through the ALB adapter: the status, headers and parsed body the ALB would return. */
export async function callAlb(deps: ApiDeps, event: ALBEvent) {
  const result = toAlbResult(await handleRequest(fromAlbEvent(event), deps));
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
}
