/**
 * A small client of the order API that signs its requests (TAP-HMAC-SHA256, see
 * lambda/trading/signing.ts). A library for tests, drills and the load script, and a CLI:
 *
 *   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... npx tsx scripts/order-client.ts place \
 *     --url https://api.example.com --client-order-id o-1 --symbol AAPL --side buy --quantity 100 --limit-price 187.25
 *   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... npx tsx scripts/order-client.ts get --url https://api.example.com <order id>
 *
 * The key is read from the environment only: command lines are visible to every local user.
 * docs/signing.md describes the signature; clients/python/tap_client.py is the same client in
 * Python (standard library only).
 */
import { randomBytes } from 'crypto';
import { isIP } from 'net';
import { parseArgs } from 'util';
import { wantsHelp } from './cli';
import { REGION_HEADER } from '../lambda/trading/auth';
import { CLIENT_HEADER } from '../lambda/facts/order-api';
import { encodeQueryComponent, formatAuthorization, SignableRequest, signature } from '../lambda/trading/signing';

/** The region a client signs for until the service names another: the primary. */
export const DEFAULT_REGION = 'us-east-1';

export interface ClientCredentials {
  readonly clientId: string;
  readonly key: string;
}

export interface SignOptions {
  /** Signing time in ms since the epoch (default: now). */
  readonly now?: number;
  /** Default: 18 random bytes, base64url (24 characters). */
  readonly nonce?: string;
  /** The region the request is for (default: DEFAULT_REGION). */
  readonly region?: string;
}

export const newNonce = (): string => randomBytes(18).toString('base64url');

/** The Authorization header for one request, signed now with a fresh nonce unless told otherwise. */
export function authorization(credentials: ClientCredentials, req: SignableRequest, options: SignOptions = {}): string {
  const credential = {
    clientId: credentials.clientId,
    region: options.region ?? DEFAULT_REGION,
    timestamp: options.now ?? Date.now(),
    nonce: options.nonce ?? newNonce(),
  };
  return formatAuthorization({ ...credential, signature: signature(credentials.key, req, credential) });
}

/** The headers that authenticate one request: the Authorization header and the client header the web ACL counts. */
export function signedHeaders(
  credentials: ClientCredentials,
  req: SignableRequest,
  options: SignOptions = {},
): { authorization: string; [CLIENT_HEADER]: string } {
  return { authorization: authorization(credentials, req, options), [CLIENT_HEADER]: credentials.clientId };
}

export interface RequestOptions extends SignOptions {
  /** Extra headers (a JSON content type is set for a body unless given here). */
  readonly headers?: Record<string, string>;
}

export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** Loopback: the only place a signed request may travel without TLS. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The base URL a client may sign for: https, or http to loopback only (a signed request in
 * clear text can be read and, within its window, replayed by anyone on the path).
 */
export function checkBaseUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url;
  throw new Error(`refusing to sign for ${url.protocol}//${url.host}: use https:// (http:// only to loopback)`);
}

export interface ClientOptions {
  /** The region to sign for first (default: DEFAULT_REGION); the service's answer corrects it. */
  readonly region?: string;
}

export class OrderClient {
  private region: string;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: ClientCredentials,
    private readonly fetchImpl: typeof fetch = fetch,
    options: ClientOptions = {},
  ) {
    checkBaseUrl(baseUrl);
    this.region = options.region ?? DEFAULT_REGION;
  }

  placeOrder(order: object): Promise<ClientResponse> {
    return this.request('POST', '/orders', JSON.stringify(order));
  }

  getOrder(orderId: string): Promise<ClientResponse> {
    return this.request('GET', `/orders/${encodeURIComponent(orderId)}`);
  }

  /**
   * Signs the host, path and query as they will be sent, so what is signed is what arrives. When
   * the service answers that it is another region (after a failover), signs again for that
   * region, once, and keeps signing for it.
   */
  async request(
    method: string,
    pathAndQuery: string,
    body?: string,
    options: RequestOptions = {},
  ): Promise<ClientResponse> {
    const url = new URL(pathAndQuery, this.baseUrl);
    const query = [...url.searchParams].map(([k, v]) => [encodeQueryComponent(k), encodeQueryComponent(v)] as const);
    url.search = query.map(([k, v]) => `${k}=${v}`).join('&');
    const send = (region: string) =>
      this.fetchImpl(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
          ...signedHeaders(
            this.credentials,
            { method, host: url.host, path: url.pathname, query, body },
            { ...options, region: options.region ?? region },
          ),
        },
        body,
        redirect: 'manual',
      });
    let response = await send(this.region);
    const named = response.headers.get(REGION_HEADER);
    if (response.status === 401 && named && named !== this.region && options.region === undefined) {
      await response.text();
      this.region = named;
      // A new nonce: the first one may have been recorded.
      response = await send(named);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }
}

const USAGE = `usage (TAP_CLIENT_ID and TAP_CLIENT_KEY in the environment):
  order-client.ts place --url URL [--region R] --client-order-id ID --symbol SYM --side buy|sell --quantity Q [--limit-price P]
  order-client.ts get --url URL [--region R] ORDER_ID
URL is https:// (http:// only to loopback); R is the region to sign for first (default ${DEFAULT_REGION}).`;

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean' },
      'client-order-id': { type: 'string' },
      symbol: { type: 'string' },
      side: { type: 'string' },
      quantity: { type: 'string' },
      'limit-price': { type: 'string' },
    },
  });
  const [command, orderId] = positionals;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (!env.TAP_CLIENT_ID || !env.TAP_CLIENT_KEY || !values.url) {
    out(USAGE);
    return 2;
  }
  const client = new OrderClient(values.url, { clientId: env.TAP_CLIENT_ID, key: env.TAP_CLIENT_KEY }, fetch, {
    region: values.region,
  });
  let response: ClientResponse;
  if (command === 'place') {
    const limitPrice = values['limit-price'];
    response = await client.placeOrder({
      clientOrderId: values['client-order-id'] ?? `cli-${newNonce().slice(0, 12)}`,
      symbol: values.symbol,
      side: values.side,
      type: limitPrice === undefined ? 'market' : 'limit',
      quantity: values.quantity,
      ...(limitPrice === undefined ? {} : { limitPrice }),
    });
  } else if (command === 'get' && orderId) {
    response = await client.getOrder(orderId);
  } else {
    out(USAGE);
    return 2;
  }
  out(`${response.status} ${JSON.stringify(response.body)}`);
  return response.status < 400 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, (line) => console.log(line)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(2);
    },
  );
}
