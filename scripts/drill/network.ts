/**
 * The network between regions: which region can reach which, and TCP proxies that stand for
 * DNS names such as a cluster endpoint or the global writer endpoint. A caller in region R
 * reaches endpoint E at its own loopback address (127.0.<R>.<E>), so one proxy knows where a
 * connection comes from; whenever the network or an endpoint's target changes, connections
 * that would no longer be routed the same way are cut, as a failover or an outage cuts them.
 */
import * as net from 'net';
import { freePort as loopbackPort } from '../local/free-port';

export const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2'] as const;
export type Region = (typeof REGIONS)[number];
/** The two regions that run the platform. */
export type AppRegion = 'us-east-1' | 'eu-west-1';
export const APP_REGIONS: readonly AppRegion[] = ['us-east-1', 'eu-west-1'];

/** Route 53 checkers and other vantage points live in regions we do not otherwise model. */
export type Vantage = Region | 'us-west-1' | 'sa-east-1' | 'ap-southeast-1' | 'ap-southeast-2' | 'ap-northeast-1';

export type NetworkListener = () => void;

export class Network {
  private readonly down = new Set<string>();
  private readonly cuts = new Set<string>();
  private readonly listeners: NetworkListener[] = [];

  /** Whether traffic from `from` reaches `to` (a region down is reachable from nowhere). */
  reachable(from: Vantage, to: Vantage): boolean {
    if (this.down.has(from) || this.down.has(to)) return false;
    return from === to || !this.cuts.has(pairKey(from, to));
  }

  isUp(region: Vantage): boolean {
    return !this.down.has(region);
  }

  setRegionDown(region: Vantage, isDown: boolean): void {
    if (isDown) this.down.add(region);
    else this.down.delete(region);
    this.changed();
  }

  setPartition(a: Vantage, b: Vantage, cut: boolean): void {
    if (cut) this.cuts.add(pairKey(a, b));
    else this.cuts.delete(pairKey(a, b));
    this.changed();
  }

  onChange(listener: NetworkListener): void {
    this.listeners.push(listener);
  }

  /** Bumped by every change: anything cached about reachability is stale after it. */
  version = 0;

  /** Tell every proxy to re-check its connections (also after an endpoint's target moves). */
  changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  reset(): void {
    this.down.clear();
    this.cuts.clear();
    this.changed();
  }
}

const pairKey = (a: string, b: string) => [a, b].sort().join('|');

/** Where a connection to an endpoint goes right now, or undefined to refuse it. */
export interface Route {
  readonly region: Region;
  readonly port: number;
  /** Identifies the target: a connection whose target changes is cut. */
  readonly key: string;
}

export interface Endpoint {
  readonly name: string;
  /** Index in the address (127.0.<region>.<index>). */
  readonly index: number;
  /** The target for a caller in `from`, or undefined when the endpoint refuses connections. */
  route(from: Region): Route | undefined;
}

export function addressOf(from: Region, endpoint: Pick<Endpoint, 'index'>): string {
  return `127.0.${REGIONS.indexOf(from) + 1}.${endpoint.index}`;
}

interface Link {
  readonly from: Region;
  readonly endpoint: Endpoint;
  readonly key: string;
  readonly client: net.Socket;
  readonly server: net.Socket;
}

/** Listens on 127.0.<r>.<e>:port for every calling region r and endpoint e. */
export class ProxyFabric {
  private readonly servers: net.Server[] = [];
  private readonly links = new Set<Link>();

  constructor(
    private readonly network: Network,
    readonly port: number,
  ) {
    network.onChange(() => this.recheck());
  }

  async listen(endpoint: Endpoint): Promise<void> {
    for (const from of REGIONS) {
      const server = net.createServer((socket) => this.accept(from, endpoint, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, addressOf(from, endpoint), () => resolve());
      });
      this.servers.push(server);
    }
  }

  private accept(from: Region, endpoint: Endpoint, client: net.Socket): void {
    client.on('error', () => undefined);
    const route = this.usable(from, endpoint);
    if (!route) {
      client.destroy();
      return;
    }
    const server = net.connect(route.port, '127.0.0.1');
    server.on('error', () => undefined);
    const link: Link = { from, endpoint, key: route.key, client, server };
    this.links.add(link);
    const close = () => {
      this.links.delete(link);
      client.destroy();
      server.destroy();
    };
    client.once('close', close);
    server.once('close', close);
    client.pipe(server);
    server.pipe(client);
  }

  private usable(from: Region, endpoint: Endpoint): Route | undefined {
    const route = endpoint.route(from);
    return route && this.network.reachable(from, route.region) ? route : undefined;
  }

  /** Reset every connection to the target `key` (a server dropping its sessions). */
  resetTarget(key: string): void {
    for (const link of [...this.links]) {
      if (link.key !== key) continue;
      link.client.destroy();
      link.server.destroy();
    }
  }

  /** Cut every connection whose route changed or broke. */
  recheck(): void {
    for (const link of [...this.links]) {
      const route = this.usable(link.from, link.endpoint);
      if (!route || route.key !== link.key) {
        link.client.destroy();
        link.server.destroy();
      }
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.server.destroy();
    }
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** A TCP port free on every loopback address the fabric uses. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await loopbackPort();
    if (await freeOnAll(port)) return port;
  }
}

async function freeOnAll(port: number): Promise<boolean> {
  for (let r = 1; r <= REGIONS.length; r++) {
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, `127.0.${r}.1`, () => server.close(() => resolve(true)));
    });
    if (!ok) return false;
  }
  return true;
}
