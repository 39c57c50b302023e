/**
 * One application region: the trading Lambda behind an ALB (ALB adapter), an EC2 instance
 * running the HTTP server adapter, the ALB's two target groups with their health checks, an
 * HTTPS listener with the platform's certificate. Everything answers only while the region is
 * up and reachable.
 */
import type { ALBEvent } from 'aws-lambda';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import {
  ec2Server,
  Logger,
  RegionEndpoints,
  TradingClients,
  tradingEnv,
  TradingRuntime,
  tradingRuntime,
} from './adapters';
import type { AppRegion, Network, Vantage } from './network';
import type { Simulation } from './sim';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The caller could not reach the region (refused, reset or timed out). */
export class UnreachableError extends Error {
  constructor(what: string) {
    super(`${what}: connection failed`);
    this.name = 'UnreachableError';
  }
}

export interface AlbHealthSettings {
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** One target's health as the ALB sees it: thresholds of consecutive results. */
class TargetHealth {
  healthy = true;
  private streak = 0;

  constructor(private readonly settings: AlbHealthSettings) {}

  record(ok: boolean): boolean {
    const before = this.healthy;
    if (ok === this.healthy) {
      this.streak = 0;
    } else {
      this.streak++;
      const needed = ok ? this.settings.healthyThreshold : this.settings.unhealthyThreshold;
      if (this.streak >= needed) {
        this.healthy = ok;
        this.streak = 0;
      }
    }
    return before !== this.healthy;
  }
}

export interface RegionOptions {
  readonly region: AppRegion;
  readonly endpoints: RegionEndpoints;
  readonly albDnsName: string;
  readonly alb: AlbHealthSettings;
  readonly tls: { key: string; cert: string };
}

const LAMBDA_PATH = /^\/orders(\/|$)/;

/**
 * How long a health answer may be reused in a quiet stretch (RegionApp.quiet); outside one, the
 * ALB checks every target each interval and Route 53's checkers share one request per 5 s.
 */
export const QUIET_HEALTH_REUSE_MS = 30_000;
/** How long Route 53's checkers share one real request to a region outside a quiet stretch. */
const SHARED_HEALTH_MS = 5_000;

/** What a sick target answers (see RegionApp.answers503). */
const SERVICE_UNAVAILABLE: HttpResponse = {
  status: 503,
  headers: { 'content-type': 'application/json' },
  body: '{"message":"Service Unavailable"}',
};

export class RegionApp {
  readonly targets = { lambda: undefined as unknown as TargetHealth, ec2: undefined as unknown as TargetHealth };
  /** When each target group's health last changed (Global Accelerator reacts to this). */
  readonly healthChanges: { at: number; allHealthy: boolean }[] = [];
  private lambda!: TradingRuntime;
  private instance!: TradingRuntime;
  private server!: http.Server;
  private httpsListener!: https.Server;
  private instancePort = 0;
  private agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  httpsPort = 0;
  httpPort = 0;
  private httpListener!: http.Server;
  private handling = 0;
  /**
   * Every target answers 503 while set (overload, a bad deploy): the region answers, sick, not
   * gone. The ALB's health checks, the canaries' probes and the clients' orders all see it.
   */
  answers503 = false;
  /**
   * Whether the run is in a quiet stretch (Cadence.quiet: no fault, change, decision or move of
   * the book's writer for a while). A health answer depends only on the network, the databases
   * and the book's writer item, which stand still there, so while the network is as it was
   * (Network.version) a check reuses the target's last real answer for up to
   * QUIET_HEALTH_REUSE_MS: the cost of a simulated second is mostly health checks (each a
   * request and a read of the writer item), and most seconds are quiet. Unset: never reused.
   */
  quiet?: () => boolean;
  private readonly lastHealth: Partial<Record<'lambda' | 'ec2', { at: number; version: number; ok: boolean }>> = {};

  constructor(
    readonly options: RegionOptions,
    private readonly network: Network,
    private readonly sim: Simulation,
  ) {}

  get region(): AppRegion {
    return this.options.region;
  }

  get up(): boolean {
    return this.network.isUp(this.region);
  }

  /** Both target groups have a healthy target: what Global Accelerator requires of an ALB. */
  get allTargetGroupsHealthy(): boolean {
    return this.targets.lambda.healthy && this.targets.ec2.healthy;
  }

  async start(clients: TradingClients, logger: Logger): Promise<void> {
    const { endpoints } = this.options;
    // Separate execution environments, as in AWS: the Lambda, the instance.
    this.lambda = tradingRuntime(tradingEnv(endpoints), clients, logger, this.sim);
    this.instance = tradingRuntime(tradingEnv(endpoints), clients, logger, this.sim);
    this.server = ec2Server(this.instance);
    // Handlers still running when the region is torn down would open new connections.
    this.server.on('request', (_req, res: http.ServerResponse) => {
      this.handling++;
      res.once('close', () => this.handling--);
    });
    this.instancePort = await listen(this.server);
    // The ALB's listeners, for callers that speak HTTP(S) to it (the canaries).
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.routeInside({ method: req.method ?? 'GET', path: req.url ?? '/', body })
          .then((r) => res.writeHead(r.status, r.headers).end(r.body))
          .catch(() => res.writeHead(502).end());
      });
    };
    this.httpsListener = https.createServer({ ...this.options.tls }, listener);
    this.httpsPort = await listen(this.httpsListener);
    this.httpListener = http.createServer(listener);
    this.httpPort = await listen(this.httpListener);
    this.targets.lambda = new TargetHealth(this.options.alb);
    this.targets.ec2 = new TargetHealth(this.options.alb);
  }

  /** Health checks, on the simulation's clock. */
  schedule(): void {
    const { alb } = this.options;
    const intervalMs = alb.intervalSeconds * 1000;
    const check = async (group: 'lambda' | 'ec2') => {
      if (!this.up) return;
      const at = this.sim.now();
      const version = this.network.version;
      const last = this.lastHealth[group];
      let ok: boolean;
      if (last && last.version === version && at - last.at < QUIET_HEALTH_REUSE_MS && this.quiet?.()) {
        ok = last.ok;
      } else {
        try {
          const r =
            group === 'lambda'
              ? await this.invokeLambda({ method: 'GET', path: '/health' })
              : await this.callInstance({ method: 'GET', path: '/health' });
          ok = r.status === 200;
        } catch {
          ok = false;
        }
        this.lastHealth[group] = { at, version, ok };
      }
      if (this.targets[group].record(ok)) {
        this.healthChanges.push({ at: this.sim.now(), allHealthy: this.allTargetGroupsHealthy });
      }
    };
    this.sim.every(
      `${this.region} alb health lambda`,
      intervalMs,
      this.sim.now() + Math.floor(intervalMs / 2000) * 1000,
      () => check('lambda'),
    );
    this.sim.every(`${this.region} alb health ec2`, intervalMs, this.sim.now() + intervalMs, () => check('ec2'));
  }

  /** A request from `from` to this region's ALB. */
  async request(from: Vantage, req: HttpRequest): Promise<HttpResponse> {
    if (!this.network.reachable(from, this.region)) throw new UnreachableError(this.options.albDnsName);
    return this.routeInside(req);
  }

  /**
   * GET /health from outside (Route 53's checkers). Its answer depends only on what the
   * network and the databases look like, so one real request is shared until either changes
   * (every fault and promotion announces itself through Network.changed) or 5 s have passed
   * (QUIET_HEALTH_REUSE_MS in a quiet stretch).
   */
  healthSeenFrom(from: Vantage): Promise<HttpResponse> {
    if (!this.network.reachable(from, this.region))
      return Promise.reject(new UnreachableError(this.options.albDnsName));
    const now = this.sim.now();
    const shared = this.sharedHealth;
    const maxAge = this.quiet?.() ? QUIET_HEALTH_REUSE_MS : SHARED_HEALTH_MS;
    if (!shared || shared.version !== this.network.version || now - shared.at >= maxAge) {
      const response = this.routeInside({ method: 'GET', path: '/health' });
      response.catch(() => undefined);
      this.sharedHealth = { at: now, version: this.network.version, response };
    }
    return this.sharedHealth!.response;
  }

  private sharedHealth?: { at: number; version: number; response: Promise<HttpResponse> };

  /** The ALB's routing: /orders to the Lambda target group, the rest to the instances (fail-open). */
  private routeInside(req: HttpRequest): Promise<HttpResponse> {
    const path = req.path.split('?')[0];
    return LAMBDA_PATH.test(path) ? this.invokeLambda(req) : this.callInstance(req);
  }

  private async invokeLambda(req: HttpRequest): Promise<HttpResponse> {
    if (this.answers503) return SERVICE_UNAVAILABLE;
    const event = {
      requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:drill:targetgroup/tg-fn' } },
      httpMethod: req.method,
      path: req.path,
      queryStringParameters: {},
      headers: { host: this.options.albDnsName, ...(req.headers ?? {}) },
      body: req.body ?? '',
      isBase64Encoded: false,
    } as ALBEvent;
    const result = await this.lambda.invokeAlb(event);
    return {
      status: result.statusCode,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
      body: result.body ?? '',
    };
  }

  private callInstance(req: HttpRequest): Promise<HttpResponse> {
    if (this.answers503) return Promise.resolve(SERVICE_UNAVAILABLE);
    return this.sim.track(
      new Promise<HttpResponse>((resolve, reject) => {
        const outgoing = http.request(
          {
            host: '127.0.0.1',
            port: this.instancePort,
            method: req.method,
            path: req.path,
            headers: req.headers,
            agent: this.agent,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c) => (body += c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
                body,
              }),
            );
            res.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(req.body);
      }),
      `http ${this.region} instance ${req.method} ${req.path}`,
    );
  }

  /** Stop serving, let running handlers finish, then end every database connection. */
  async close(): Promise<void> {
    const closed = Promise.all(
      [this.server, this.httpsListener, this.httpListener].map((s) => new Promise((resolve) => s.close(resolve))),
    );
    this.agent.destroy();
    for (let waited = 0; this.handling > 0 && waited < 5000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    this.server.closeAllConnections();
    this.httpsListener.closeAllConnections();
    this.httpListener.closeAllConnections();
    await closed;
  }
}

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
