/**
 * What the game day's watchers read offline (drill-driver.ts): the platform as `npm run status`
 * reads it, through the orchestrator's own clients on the drill's fake AWS, plus a CloudWatch fake
 * with each book applier's IteratorAge from the drill's book, and the failover record as the
 * zone's name servers would answer it (the drill's Route 53, uncached).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { OrchestratorConfig } from '../../lambda/orchestrator/config';
import type { OrchestratorDeps } from '../../lambda/orchestrator/orchestrator-deps';
import { fake } from '../drill/aws';
import { APP_REGIONS, type AppRegion, type Region } from '../drill/network';
import { USER_VANTAGE } from '../drill/run';
import type { ScenarioWorld } from '../drill/world';
import type { PlatformSource } from '../gameday';
import { readPlatform, type StatusIo } from '../status';
import { readTraffic } from './traffic-reads';
import type { PlatformReading } from './watch';

/** The book appliers' function names in the drill (what bookApplierFunctionNames holds in a stack). */
export const DRILL_APPLIERS: Readonly<Record<AppRegion, string>> = {
  'us-east-1': 'fn-book-applier-use1-drill',
  'eu-west-1': 'fn-book-applier-euw1-drill',
};

/**
 * CloudWatch on the drill, for what the watchers read: each applier's IteratorAge, sampled every
 * simulated second while its region is up (the age of the oldest record its applier has not
 * applied, 0 when none), as one-minute maxima newest first. Every other metric has no data.
 */
export function drillCloudWatch(world: ScenarioWorld): (region: string) => Pick<CloudWatchClient, 'send'> {
  const samples: Record<AppRegion, { at: number; ms: number }[]> = { 'us-east-1': [], 'eu-west-1': [] };
  world.sim.every('cloudwatch IteratorAge', 1000, world.sim.now() + 1000, async () => {
    for (const region of APP_REGIONS) {
      if (!world.network.isUp(region)) continue;
      const behind = world.book.behind(region);
      const stream = world.book.replicas.stream(region);
      const oldest = behind > 0 ? stream[stream.length - behind]?.writtenAt : undefined;
      samples[region].push({ at: world.sim.now(), ms: oldest === undefined ? 0 : world.sim.now() - oldest });
    }
  });
  const regionOfApplier = (name: unknown) =>
    APP_REGIONS.find((r) => DRILL_APPLIERS[r] === name) as AppRegion | undefined;
  const clients = new Map<string, Pick<CloudWatchClient, 'send'>>();
  const client = (region: string) =>
    fake(
      new CloudWatchClient({ region }),
      'monitoring',
      region as Region,
      {
        GetMetricDataCommand: async (input) => {
          const query = input.MetricDataQueries[0];
          const metric = query.MetricStat.Metric;
          const applier =
            metric.Namespace === 'AWS/Lambda' && metric.MetricName === 'IteratorAge'
              ? regionOfApplier(metric.Dimensions?.[0]?.Value)
              : undefined;
          const minutes = new Map<number, number>();
          const from = Math.floor(input.StartTime.getTime() / 60_000) * 60_000;
          for (const s of applier && applier === region ? samples[applier] : []) {
            if (s.at < from || s.at >= input.EndTime.getTime()) continue;
            const minute = Math.floor(s.at / 60_000) * 60_000;
            minutes.set(minute, Math.max(minutes.get(minute) ?? 0, s.ms));
          }
          const newestFirst = [...minutes].sort(([a], [b]) => b - a);
          return {
            MetricDataResults: [
              {
                Id: query.Id,
                Timestamps: newestFirst.map(([at]) => new Date(at)),
                Values: newestFirst.map(([, ms]) => ms),
              },
            ],
          };
        },
      },
      world.fakeContext(USER_VANTAGE),
    );
  // One client a region, as the watchers keep theirs for the run.
  return (region) => clients.get(region) ?? clients.set(region, client(region)).get(region)!;
}

/** What answers the failover record offline: the drill's Route 53, uncached (its authoritative answer). */
export const DRILL_RESOLVER = "the drill's Route 53 answer (uncached, as the zone's name servers)";

/**
 * The drill orchestrator's failover record as the zone's name servers answer it: Route 53's
 * answer now (the load balancer of the region it names), where the orchestrator's own resolver
 * keeps a cached answer.
 */
function authoritativeRecord(world: ScenarioWorld, config: OrchestratorConfig): Pick<OrchestratorDeps, 'resolveCname'> {
  const record = config.failoverRecord;
  if (!record) return {};
  return {
    resolveCname: async (name) => {
      if (name !== record.name) throw Object.assign(new Error(`queryCname ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return [world.regions[world.route53.answer()].options.albDnsName];
    },
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The watchers' source in `world`; each reading is also appended to `readings`. One set of clients
 * for the run, made at the first reading, as the watchers make theirs in AWS (scripts/gameday.ts).
 */
export function drillPlatform(world: ScenarioWorld, readings: PlatformReading[]): PlatformSource {
  let deps: OrchestratorDeps | undefined;
  const status: StatusIo = {
    deps: () => {
      if (deps) return deps;
      const view = world.orchestrator;
      if (!view) throw new Error('the drill has not scheduled the orchestrator yet');
      deps = {
        config: view.config,
        clock: { now: () => world.sim.now(), sleep: (ms) => world.sim.sleep(ms) },
        ...view.clients(),
        metrics: { addMetric: () => undefined } as unknown as OrchestratorDeps['metrics'],
        logger: quiet,
      };
      return deps;
    },
    cloudwatch: drillCloudWatch(world),
  };
  return {
    appliers: DRILL_APPLIERS,
    read: async () => {
      const config = world.orchestrator!.config;
      const platform = await readPlatform({ config, appliers: DRILL_APPLIERS }, status);
      const deps = { ...status.deps(config), ...authoritativeRecord(world, config) };
      const reading = { ...platform, traffic: await readTraffic(deps, platform.status.at, DRILL_RESOLVER) };
      readings.push(reading);
      return reading;
    },
  };
}
