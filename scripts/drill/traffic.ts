/**
 * The two ways users reach a region: Global Accelerator (static IPs, endpoint groups with
 * traffic dials, health taken from the ALB's target groups) and Route 53 failover records
 * (health checks from checkers around the world, an answer cached by the user's resolver).
 */
import type { Handlers } from './aws';
import type { AppRegion, Network, Vantage } from './network';
import { APP_REGIONS } from './network';
import type { RegionApp } from './region';
import type { Simulation } from './sim';

/**
 * Global Accelerator. An ALB endpoint is healthy when every target group on it has a healthy
 * target; the accelerator notices a change `reactionMs` later (undocumented; AWS's workshop
 * says up to 30 s). Routing: the closest group with a dial above zero and a healthy endpoint;
 * failing that any healthy group, dial or not (failover ignores dials); failing that, it fails
 * open to the closest group with a dial. Existing connections are not moved.
 */
export class Accelerator {
  readonly dials: Record<AppRegion, number>;
  private readonly seen: Record<AppRegion, boolean> = { 'us-east-1': true, 'eu-west-1': true };
  private readonly since: Record<AppRegion, { state: boolean; at: number }>;
  /** Every change of the accelerator's view, for the timeline. */
  readonly changes: { at: number; region: AppRegion; healthy: boolean }[] = [];

  constructor(
    private readonly regions: Record<AppRegion, RegionApp>,
    private readonly network: Network,
    private readonly sim: Simulation,
    dials: Record<AppRegion, number>,
    private readonly reactionMs: number,
  ) {
    this.dials = { ...dials };
    this.since = {
      'us-east-1': { state: true, at: sim.now() },
      'eu-west-1': { state: true, at: sim.now() },
    };
  }

  /** What the accelerator's edge sees of a region's ALB right now. */
  private actual(region: AppRegion): boolean {
    return this.network.isUp(region) && this.regions[region].allTargetGroupsHealthy;
  }

  schedule(): void {
    this.sim.every('accelerator health', 1000, this.sim.now() + 1000, async () => {
      for (const region of APP_REGIONS) {
        const actual = this.actual(region);
        if (actual !== this.since[region].state) this.since[region] = { state: actual, at: this.sim.now() };
        if (this.seen[region] !== actual && this.sim.now() - this.since[region].at >= this.reactionMs) {
          this.seen[region] = actual;
          this.changes.push({ at: this.sim.now(), region, healthy: actual });
        }
      }
    });
  }

  healthy(region: AppRegion): boolean {
    return this.seen[region];
  }

  /** The endpoint group of each region, as the orchestrator is configured with them. */
  static endpointGroupArn(region: AppRegion): string {
    return `arn:aws:globalaccelerator::123456789012:accelerator/drill/listener/l1/endpoint-group/${region}`;
  }

  /** Global Accelerator's API (served from us-west-2): read and move the traffic dials. */
  handlers(): Handlers {
    const group = (arn: string | undefined): AppRegion => {
      const region = APP_REGIONS.find((r) => Accelerator.endpointGroupArn(r) === arn);
      if (!region)
        throw Object.assign(new Error(`endpoint group ${arn} not found`), { name: 'EndpointGroupNotFoundException' });
      return region;
    };
    // EndpointDescriptions as DescribeEndpointGroup returns them: the ALB's ARN and the health
    // the accelerator sees (HealthState INITIAL | HEALTHY | UNHEALTHY, HealthReason when not
    // healthy: Global Accelerator API reference, EndpointDescription).
    const describe = (region: AppRegion) => ({
      EndpointGroupArn: Accelerator.endpointGroupArn(region),
      EndpointGroupRegion: region,
      TrafficDialPercentage: this.dials[region],
      HealthCheckPath: '/health',
      EndpointDescriptions: [
        {
          EndpointId: `arn:aws:elasticloadbalancing:${region}:123456789012:loadbalancer/app/alb-drill/0123456789abcdef`,
          Weight: 128,
          HealthState: this.seen[region] ? 'HEALTHY' : 'UNHEALTHY',
          ...(this.seen[region] ? {} : { HealthReason: 'Timeout' }),
          ClientIPPreservationEnabled: true,
        },
      ],
    });
    return {
      DescribeEndpointGroupCommand: async (input) => ({ EndpointGroup: describe(group(input.EndpointGroupArn)) }),
      UpdateEndpointGroupCommand: async (input) => {
        const region = group(input.EndpointGroupArn);
        if (input.TrafficDialPercentage !== undefined) {
          const dial = Number(input.TrafficDialPercentage);
          if (!(dial >= 0 && dial <= 100)) throw new Error(`TrafficDialPercentage ${dial} is not 0-100`);
          this.dials[region] = dial;
          this.dialChanges.push({ at: this.sim.now(), region, dial });
        }
        return { EndpointGroup: describe(region) };
      },
    };
  }

  readonly dialChanges: { at: number; region: AppRegion; dial: number }[] = [];

  /** The endpoint group a new connection from `from` lands on. */
  route(from: Vantage): AppRegion {
    const byDistance = [...APP_REGIONS].sort((a, b) => distance(from, a) - distance(from, b));
    return (
      byDistance.find((r) => this.dials[r] > 0 && this.seen[r]) ??
      byDistance.find((r) => this.seen[r]) ??
      byDistance.find((r) => this.dials[r] > 0) ??
      byDistance[0]
    );
  }
}

function distance(from: Vantage, to: AppRegion): number {
  if (from === to) return 0;
  const europe = from.startsWith('eu-');
  return (to === 'eu-west-1') === europe ? 1 : 2;
}

/** Where Route 53's health checkers run (the default set of checker regions). */
export const CHECKER_REGIONS: readonly Vantage[] = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
];

export interface Route53Settings {
  readonly intervalSeconds: number;
  readonly failureThreshold: number;
  readonly ttlSeconds: number;
  /** Spread round-robin over the checker regions. */
  readonly checkers: number;
}

/** A Route 53 health check: uncoordinated checkers, each with its own failure threshold. */
interface Checker {
  readonly vantage: Vantage;
  healthy: boolean;
  streak: number;
  last?: { at: number; ok: boolean; detail: string };
}

class HealthCheck {
  readonly checkers: Checker[] = [];
  /** Status changes (healthy = more than 18 % of checkers say so). */
  readonly history: { at: number; healthy: boolean }[] = [];

  constructor(
    readonly target: RegionApp,
    private readonly settings: Route53Settings,
    private readonly sim: Simulation,
    random: () => number,
  ) {
    for (let i = 0; i < settings.checkers; i++)
      this.checkers.push({ vantage: CHECKER_REGIONS[i % CHECKER_REGIONS.length], healthy: true, streak: 0 });
    this.history.push({ at: sim.now(), healthy: true });
    const intervalMs = settings.intervalSeconds * 1000;
    // Phases are uncoordinated; whole seconds let checkers that coincide share one request.
    this.checkers.forEach((checker, i) =>
      sim.every(
        `route53 checker ${target.region} ${i}`,
        intervalMs,
        sim.now() + Math.floor(random() * settings.intervalSeconds) * 1000,
        () => this.probe(checker),
      ),
    );
  }

  get healthy(): boolean {
    return this.history[this.history.length - 1].healthy;
  }

  private async probe(checker: Checker): Promise<void> {
    let ok: boolean;
    let detail: string;
    try {
      const r = await this.target.healthSeenFrom(checker.vantage);
      ok = r.status >= 200 && r.status < 400;
      detail = ok ? `Success: HTTP Status Code ${r.status}, OK` : `Failure: HTTP Status Code ${r.status}`;
    } catch {
      ok = false;
      detail = 'Failure: Connection timed out. The endpoint or the internet connection is down.';
    }
    checker.last = { at: this.sim.now(), ok, detail };
    if (ok === checker.healthy) checker.streak = 0;
    else if (++checker.streak >= this.settings.failureThreshold) {
      checker.healthy = ok;
      checker.streak = 0;
    }
    const healthy = this.checkers.filter((c) => c.healthy).length / this.checkers.length > 0.18;
    if (healthy !== this.healthy) this.history.push({ at: this.sim.now(), healthy });
  }

  /** Whether the status was unhealthy at any moment in (from, to]: the alarm's Minimum. */
  unhealthyBetween(from: number, to: number): boolean {
    let state = true;
    for (const change of this.history) {
      if (change.at > to) break;
      if (change.at <= from) state = change.healthy;
      else if (!change.healthy) return true;
    }
    return !state;
  }
}

/** Route 53's failover pair (PRIMARY us-east-1, SECONDARY eu-west-1) and one user's resolver. */
export class Route53 {
  readonly checks: Record<AppRegion, HealthCheck>;

  constructor(
    regions: Record<AppRegion, RegionApp>,
    private readonly settings: Route53Settings,
    sim: Simulation,
    random: () => number,
  ) {
    this.checks = {
      'us-east-1': new HealthCheck(regions['us-east-1'], settings, sim, random),
      'eu-west-1': new HealthCheck(regions['eu-west-1'], settings, sim, random),
    };
  }

  static healthCheckId(region: AppRegion): string {
    return `hc-${region}-drill`;
  }

  /** Route 53's API (GetHealthCheckStatus): every checker's latest observation. */
  handlers(): Handlers {
    return {
      GetHealthCheckStatusCommand: async (input) => {
        const region = APP_REGIONS.find((r) => Route53.healthCheckId(r) === input.HealthCheckId);
        if (!region)
          throw Object.assign(new Error(`health check ${input.HealthCheckId} not found`), {
            name: 'NoSuchHealthCheck',
          });
        return {
          HealthCheckObservations: this.checks[region].checkers
            .filter((c) => c.last)
            .map((c) => ({
              Region: c.vantage,
              IPAddress: '15.177.0.1',
              StatusReport: { Status: c.last!.detail, CheckedTime: new Date(c.last!.at) },
            })),
        };
      },
    };
  }

  /** The failover record's answer: primary if healthy, else secondary if healthy, else primary. */
  answer(): AppRegion {
    if (this.checks['us-east-1'].healthy) return 'us-east-1';
    return this.checks['eu-west-1'].healthy ? 'eu-west-1' : 'us-east-1';
  }

  /** A resolver that caches an answer for the record's TTL (at least `minTtlSeconds`). */
  resolver(sim: Simulation, minTtlSeconds = 0): () => AppRegion {
    return this.cachedAnswer(sim, minTtlSeconds, () => true) as () => AppRegion;
  }

  /**
   * The failover record as a DNS client in `lookup.from` resolves it (`resolveCname`, what the
   * orchestrator's handler calls): the CNAME target of the answer, the answering region's ALB
   * name, from a resolver in the caller's region that caches it for the record's TTL.
   *
   * The answer comes from Route 53's data plane, not from us-east-1: its authoritative servers
   * answer from edge locations around the world (and in each Region), from the health checks'
   * verdicts, and keep answering while a Region's control plane is impaired (Route 53 Developer
   * Guide, accelerated recovery: "DNS query resolution from the Route 53 data plane continues to
   * work normally during Regional service impairment"; AWS Fault Isolation Boundaries whitepaper,
   * appendix B). The drill puts those edges where its checkers are, outside the caller's own
   * region (stricter than AWS: an isolated caller gets nothing): an expired answer is refreshed
   * while the caller reaches any of them; a caller cut from all of them waits out the query's
   * timeout and gets ETIMEOUT, as Node's resolver does (Route 53 Resolver may serve a stale answer
   * then; a stale answer names the primary and corroborates nothing). A name outside the zone is
   * ENOTFOUND.
   */
  cnameResolver(
    sim: Simulation,
    network: Network,
    lookup: {
      readonly from: Vantage;
      readonly name: string;
      readonly targets: Record<AppRegion, string>;
      readonly timeoutMs: number;
    },
  ): (name: string) => Promise<string[]> {
    const reachesAnEdge = () =>
      CHECKER_REGIONS.some((edge) => edge !== lookup.from && network.reachable(lookup.from, edge));
    const answer = this.cachedAnswer(sim, 0, reachesAnEdge);
    const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');
    const dnsError = (code: string, name: string) =>
      Object.assign(new Error(`queryCname ${code} ${name}`), { code, syscall: 'queryCname', hostname: name });
    return async (name) => {
      if (norm(name) !== norm(lookup.name)) throw dnsError('ENOTFOUND', name);
      const region = answer();
      if (region) return [lookup.targets[region]];
      await sim.sleep(lookup.timeoutMs);
      throw dnsError('ETIMEOUT', name);
    };
  }

  /** The record's answer, cached for its TTL (at least `minTtlSeconds`), refreshed only while `upstream()`. */
  private cachedAnswer(sim: Simulation, minTtlSeconds: number, upstream: () => boolean): () => AppRegion | undefined {
    let cached: { region: AppRegion; until: number } | undefined;
    return () => {
      if (!cached || sim.now() >= cached.until) {
        if (!upstream()) return undefined;
        cached = {
          region: this.answer(),
          until: sim.now() + Math.max(this.settings.ttlSeconds, minTtlSeconds) * 1000,
        };
      }
      return cached.region;
    };
  }
}
