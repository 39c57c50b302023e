/**
 * The test vectors of docs/signing.md, computed by the service's own signing code
 * (lambda/trading/signing.ts) from fixed inputs, so no expected signature is ever typed by hand.
 * `npm run docs` writes them into docs/signing.md (the `signing-vectors` block) and
 * `npm run docs -- --check` fails when they drift; test/signing-spec.test.ts verifies each one
 * with the service's verifier and signs each one again with the Python and curl clients.
 */
import { REQUEST_WINDOW_MS, CLOCK_SKEW_TOLERANCE_MS } from '../lambda/trading/auth';
import {
  bodyHash,
  canonicalRequest,
  encodeQueryComponent,
  formatAuthorization,
  signature,
} from '../lambda/trading/signing';

/** One vector's inputs: what a client has before it signs (the query still decoded). */
export interface VectorInput {
  readonly name: string;
  readonly key: string;
  readonly clientId: string;
  readonly region: string;
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Decoded name/value pairs, in the order the client holds them. */
  readonly query: readonly (readonly [string, string])[];
  readonly timestamp: number;
  readonly nonce: string;
  readonly body: string;
}

export interface SigningVector extends VectorInput {
  /** The query as the client sends it: encoded, in its own order (the signature sorts it). */
  readonly encodedQuery: string;
  readonly bodySha256: string;
  readonly canonicalRequest: string;
  readonly signature: string;
  readonly authorization: string;
}

/** The key of `desk-a` in `npm run serve` (scripts/local/trading-db.ts): never a real key. */
const KEY = 'desk-a-test-signing-key-0123456789abcdef';
/** 2026-01-02T03:04:05.678Z */
const TIMESTAMP = 1767323045678;

export const VECTOR_INPUTS: readonly VectorInput[] = [
  {
    name: 'place an order (POST with a JSON body)',
    key: KEY,
    clientId: 'desk-a',
    region: 'us-east-1',
    method: 'POST',
    host: 'api.dev.trading.example.com',
    path: '/orders',
    query: [],
    timestamp: TIMESTAMP,
    nonce: 'bm9uY2UtdmVjdG9yLTAwMDE',
    body: '{"clientOrderId":"o-1","symbol":"ACME","side":"buy","type":"limit","quantity":"10","limitPrice":"101.25"}',
  },
  {
    name: 'read an order (GET, empty body, a port in the Host header)',
    key: KEY,
    clientId: 'desk-a',
    region: 'us-east-1',
    method: 'GET',
    host: '127.0.0.1:8080',
    path: '/orders/0b4c9c7e-3f1a-5d2e-9a8b-7c6d5e4f3a2b',
    query: [],
    timestamp: TIMESTAMP,
    nonce: 'bm9uY2UtdmVjdG9yLTAwMDI',
    body: '',
  },
  {
    name: 'a query: encoded, sorted by name then value, an empty value kept as name=',
    key: KEY,
    clientId: 'desk-a',
    region: 'eu-west-1',
    method: 'GET',
    host: 'euw1.dev.trading.example.com',
    path: '/orders',
    query: [
      ['symbol', 'BRK.B'],
      ['note', 'a b/c*(é)~'],
      ['after', ''],
      ['symbol', 'ACME'],
    ],
    timestamp: TIMESTAMP + 1,
    nonce: 'bm9uY2UtdmVjdG9yLTAwMDMtd2l0aC1xdWVyeQ',
    body: '',
  },
];

export function signingVector(input: VectorInput): SigningVector {
  const query = input.query.map(([k, v]) => [encodeQueryComponent(k), encodeQueryComponent(v)] as const);
  const req = { method: input.method, host: input.host, path: input.path, query, body: input.body };
  const credential = {
    clientId: input.clientId,
    region: input.region,
    timestamp: input.timestamp,
    nonce: input.nonce,
  };
  const sig = signature(input.key, req, credential);
  return {
    ...input,
    encodedQuery: query.map(([k, v]) => `${k}=${v}`).join('&'),
    bodySha256: bodyHash(input.body),
    canonicalRequest: canonicalRequest(req, credential),
    signature: sig,
    authorization: formatAuthorization({ ...credential, signature: sig }),
  };
}

export function signingVectors(): SigningVector[] {
  return VECTOR_INPUTS.map(signingVector);
}

/** The `signing-vectors` block of docs/signing.md: each vector readable, then all as JSON. */
export function signingVectorsMarkdown(): string {
  const vectors = signingVectors();
  const readable = vectors.map((v, i) =>
    [
      `**Vector ${i + 1}: ${v.name}.** Key \`${v.key}\`; the request as sent:`,
      '',
      '```http',
      `${v.method} ${v.path}${v.encodedQuery ? `?${v.encodedQuery}` : ''} HTTP/1.1`,
      `Host: ${v.host}`,
      `Authorization: ${v.authorization}`,
      `X-Tap-Client: ${v.clientId}`,
      ...(v.body ? ['Content-Type: application/json', '', v.body] : []),
      '```',
      '',
      'Canonical request (lines joined by `\\n`, no final newline):',
      '',
      '```text',
      v.canonicalRequest,
      '```',
    ].join('\n'),
  );
  const json = JSON.stringify(vectors, null, 2);
  return [
    ...readable,
    'All vectors, machine-readable (`query` decoded, `encodedQuery` as sent):',
    '',
    '```json',
    json,
    '```',
  ].join('\n\n');
}

/** Inline facts of docs/signing.md: the window, from the verifier's own constants. */
export function signingFacts(): Record<string, string> {
  return {
    'signing-past-window-ms': String(REQUEST_WINDOW_MS),
    'signing-skew-ms': String(CLOCK_SKEW_TOLERANCE_MS),
  };
}
