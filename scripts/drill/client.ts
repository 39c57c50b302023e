/**
 * A trading client that sends an order every second (or at the run's cadence: cadence.ts) through one entry point (Global
 * Accelerator or the Route 53 name) and records every answer. It keeps its connection open
 * (keep-alive) and reconnects, landing wherever the entry point routes it then, after a failed
 * request or once the connection is a minute old (HTTP clients recycle connections). An order that was not acknowledged is sent again with the same client order
 * id until it is (the API is idempotent on it); only then does the next order go out. Requests
 * are signed by the platform's own client (scripts/order-client.ts), whose fetch goes to the
 * region its connection is pinned to. Signatures carry real timestamps: the API checks them,
 * and its rate limit, on the real clock.
 */
import { OrderClient as SigningClient } from '../order-client';
import type { AppRegion, Vantage } from './network';
import type { RegionApp } from './region';
import type { Simulation } from './sim';
import type { Cadence } from './cadence';

export interface Acknowledgement {
  readonly clientOrderId: string;
  /** 201 (created, live) or 200 (replay of a stored order); anything else is recorded as refused. */
  readonly status: number;
  readonly orderId?: string;
  readonly region: AppRegion;
  readonly firstSentAt: number;
  /** When the acknowledged attempt was sent (the last try). */
  readonly sentAt?: number;
  readonly at: number;
}

export interface Attempt {
  readonly at: number;
  readonly clientOrderId: string;
  readonly region?: AppRegion;
  readonly status?: number;
  readonly error?: string;
}

const SYMBOLS = ['AAPL', 'MSFT', 'NVDA'];
export const CONNECTION_LIFETIME_MS = 60_000;

export function orderBody(clientOrderId: string, n: number): Record<string, string> {
  const limit = n % 2 === 0;
  return {
    clientOrderId,
    symbol: SYMBOLS[n % SYMBOLS.length],
    side: n % 3 === 0 ? 'sell' : 'buy',
    type: limit ? 'limit' : 'market',
    quantity: String(1 + (n % 7)),
    ...(limit ? { limitPrice: `${100 + (n % 13)}.25` } : {}),
  };
}

export interface ClientCredentials {
  readonly clientId: string;
  readonly key: string;
}

/** A fetch whose requests go from `vantage` to `region`'s ALB (where a client's connection landed). */
export function fetchThrough(
  regions: Record<AppRegion, RegionApp>,
  vantage: Vantage,
  region: AppRegion,
): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const response = await regions[region].request(vantage, {
      method: init?.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      // What fetch sends on its own: the Host the request was signed for.
      headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), host: url.host },
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
}

export class OrderClient {
  readonly acks: Acknowledgement[] = [];
  readonly attempts: Attempt[] = [];
  private pinned?: { region: AppRegion; since: number };
  private next = 0;
  private pending?: { id: string; n: number; firstSentAt: number };
  private lastNewAt?: number;
  private readonly signing: SigningClient;

  constructor(
    readonly name: string,
    private readonly sim: Simulation,
    private readonly regions: Record<AppRegion, RegionApp>,
    /** Where a new connection lands. */
    private readonly connect: () => AppRegion,
    private readonly vantage: Vantage,
    private readonly idPrefix: string,
    credentials: ClientCredentials,
    baseUrl: string,
    /** When a new order is due (scripts/drill/cadence.ts); without one, every tick. */
    private readonly cadence?: Cadence,
  ) {
    this.signing = new SigningClient(baseUrl, credentials, (input, init) => this.send(input, init));
  }

  /** The signing client's fetch: to the ALB of the region this client's connection is on. */
  private send(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return fetchThrough(this.regions, this.vantage, this.pinned!.region)(input, init);
  }

  /** The client order id this client is still sending (sent, not acknowledged yet). */
  get pendingId(): string | undefined {
    return this.pending?.id;
  }

  start(intervalMs = 1000): void {
    this.sim.every(`client ${this.name}`, intervalMs, this.sim.now(), () => this.tick());
  }

  private async tick(): Promise<void> {
    if (!this.pending) {
      if (this.cadence && !this.cadence.due(this.lastNewAt)) return;
      this.lastNewAt = this.sim.now();
      const n = this.next++;
      this.pending = { id: `${this.idPrefix}-${this.name}-${n}`, n, firstSentAt: this.sim.now() };
    }
    const { id, n, firstSentAt } = this.pending;
    if (!this.pinned || this.sim.now() - this.pinned.since >= CONNECTION_LIFETIME_MS)
      this.pinned = { region: this.connect(), since: this.sim.now() };
    const { region } = this.pinned;
    let response: { status: number; body: unknown };
    const sentAt = this.sim.now();
    try {
      response = await this.signing.placeOrder(orderBody(id, n));
    } catch (e) {
      this.attempts.push({ at: this.sim.now(), clientOrderId: id, region, error: (e as Error).message });
      this.pinned = undefined;
      return;
    }
    this.attempts.push({ at: this.sim.now(), clientOrderId: id, region, status: response.status });
    if ([200, 201].includes(response.status)) {
      const orderId = (response.body as { id?: string } | undefined)?.id;
      this.acks.push({
        clientOrderId: id,
        status: response.status,
        orderId,
        region,
        firstSentAt,
        sentAt,
        at: this.sim.now(),
      });
      this.pending = undefined;
    } else if (response.status >= 500 || response.status === 429) {
      this.pinned = undefined;
    } else {
      // A 4xx for a well-formed order is a bug in the API, not an outage: recorded, not retried.
      this.acks.push({ clientOrderId: id, status: response.status, region, firstSentAt, at: this.sim.now() });
      this.pending = undefined;
    }
  }
}
