/**
 * A small client of the order API that signs its requests (TAP-HMAC-SHA256, see
 * lambda/trading/signing.ts). A library for tests, drills and the load script, and a CLI:
 *
 *   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... npx tsx scripts/order-client.ts place \
 *     --url https://api.example.com --client-order-id o-1 --symbol AAPL --side buy --quantity 100 --limit-price 187.25
 *   TAP_CLIENT_ID=desk-a TAP_CLIENT_KEY=... npx tsx scripts/order-client.ts get --url https://api.example.com <order id>
 *
 * The key is read from the environment only: command lines are visible to every local user.
 */
import { randomBytes } from 'crypto';
import { parseArgs } from 'util';
import { wantsHelp } from './cli';
import { formatAuthorization, SignableRequest, signature } from '../lambda/trading/signing';

export interface ClientCredentials {
  readonly clientId: string;
  readonly key: string;
}

export interface SignOptions {
  /** Signing time in ms since the epoch (default: now). */
  readonly now?: number;
  /** Default: 18 random bytes, base64url (24 characters). */
  readonly nonce?: string;
}

export const newNonce = (): string => randomBytes(18).toString('base64url');

/** The Authorization header for one request, signed now with a fresh nonce unless told otherwise. */
export function authorization(credentials: ClientCredentials, req: SignableRequest, options: SignOptions = {}): string {
  const credential = {
    clientId: credentials.clientId,
    timestamp: options.now ?? Date.now(),
    nonce: options.nonce ?? newNonce(),
  };
  return formatAuthorization({ ...credential, signature: signature(credentials.key, req, credential) });
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

export class OrderClient {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials: ClientCredentials,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  placeOrder(order: object): Promise<ClientResponse> {
    return this.request('POST', '/orders', JSON.stringify(order));
  }

  getOrder(orderId: string): Promise<ClientResponse> {
    return this.request('GET', `/orders/${encodeURIComponent(orderId)}`);
  }

  /** Signs the path and query as the URL parser will send them, so what is signed is what arrives. */
  async request(
    method: string,
    pathAndQuery: string,
    body?: string,
    options: RequestOptions = {},
  ): Promise<ClientResponse> {
    const url = new URL(pathAndQuery, this.baseUrl);
    const query = [...url.searchParams].map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)] as const);
    url.search = query.map(([k, v]) => `${k}=${v}`).join('&');
    const headers: Record<string, string> = {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
      authorization: authorization(this.credentials, { method, path: url.pathname, query, body }, options),
    };
    const response = await this.fetchImpl(url, { method, headers, body, redirect: 'manual' });
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
  order-client.ts place --url URL --client-order-id ID --symbol SYM --side buy|sell --quantity Q [--limit-price P]
  order-client.ts get --url URL ORDER_ID`;

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
      'client-order-id': { type: 'string' },
      symbol: { type: 'string' },
      side: { type: 'string' },
      quantity: { type: 'string' },
      'limit-price': { type: 'string' },
    },
  });
  const [command, orderId] = positionals;
  if (!env.TAP_CLIENT_ID || !env.TAP_CLIENT_KEY || !values.url) {
    out(USAGE);
    return 2;
  }
  const client = new OrderClient(values.url, { clientId: env.TAP_CLIENT_ID, key: env.TAP_CLIENT_KEY });
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
