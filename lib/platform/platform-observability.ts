/**
 * Phase 7 of the platform: observability that exists once, over both regions (each region's own
 * is its MonitoringStack, in its RegionBundle). The failover's alarms on the secondary's topic,
 * each canary's alarms in the canary's region, the Route 53 health alarms in us-east-1 (where
 * their metrics are), the API client keys' guard, the cross-region dashboard and its copy, and
 * the game days' experiments when enabled.
 */
import { ByRole } from '../config/by-role';
import { CanaryAlarms, FailoverAlarms } from '../failover/failover-alarms';
import { FailoverStack } from '../failover/failover-stack';
import { GameDays } from '../observe/game-days';
import { HealthCheckAlarms } from '../observe/health-check-alarms';
import { PlatformDashboard } from '../observe/platform-dashboard';
import { RegionBundle, RegionScope, SharedData } from './region-bundle';
import { ClientKeysGuard } from '../security/client-keys-guard';
import { GlobalStack } from '../traffic/global-stack';

export interface PlatformObservability {
  readonly failoverAlarms: FailoverAlarms;
  /** One per canary, in the canaries' order, each in its canary's region. */
  readonly canaryAlarms: readonly CanaryAlarms[];
  readonly healthCheckAlarms: HealthCheckAlarms;
  readonly clientKeysGuard: ClientKeysGuard;
  readonly dashboard: PlatformDashboard;
  /** The same dashboard in the secondary region: it survives the loss of us-east-1. */
  readonly dashboardCopy: PlatformDashboard;
  /** The game days' FIS experiment templates (config `gameDays: enabled`), in the primary. */
  readonly gameDays?: GameDays;
}

export function platformObservability(
  scope: RegionScope,
  regions: ByRole<RegionBundle>,
  shared: SharedData,
  global: GlobalStack,
  failover: FailoverStack,
): PlatformObservability {
  const { settings } = scope;
  const { primary, secondary } = regions;
  const failoverAlarms = new FailoverAlarms(
    secondary.name('failoverAlarms'),
    { settings, name: secondary.name, topic: secondary.monitoring.topic, failover },
    secondary.opts,
  );
  // Each canary is watched in its own region, on that region's topic where it has one.
  const topicOf = (region: string) => [primary, secondary].find((r) => r.region === region)?.monitoring.topic;
  const canaryAlarms = failover.canaries.map(
    (canary) =>
      new CanaryAlarms(
        canary.vantage.name('canaryAlarms'),
        { settings, canary, topic: topicOf(canary.region) },
        { parent: scope.parent, providers: { aws: canary.vantage.provider } },
      ),
  );
  // Route 53 publishes health-check metrics only in us-east-1, the primary region.
  const healthCheckAlarms = new HealthCheckAlarms(
    primary.name('healthCheckAlarms'),
    { name: primary.name, topic: primary.monitoring.topic, healthChecks: global.healthChecks },
    primary.opts,
  );
  // The API client keys: read only by the roles that verify requests, written only by the key
  // admins, every write reported on the primary's alarm topic (where the secret lives).
  const clientKeysGuard = new ClientKeysGuard(
    primary.name('clientKeysGuard'),
    {
      name: primary.name,
      secret: shared.credentials.clientKeys.secret,
      version: shared.credentials.clientKeys.version,
      readerRoleArns: [...primary.compute.verifierRoleArns, ...secondary.compute.verifierRoleArns],
      keyAdminRoleArns: settings.clientKeyAdminRoleArns,
      alarmTopicArn: primary.monitoring.topic.arn,
      alarmTopicPolicy: primary.monitoring.topicPolicy,
    },
    primary.opts,
  );
  // Every widget names its region, so the body works from either region: a copy in the
  // secondary stays readable when us-east-1 (and the first one) is lost.
  const dashboardIn = (r: RegionBundle) =>
    new PlatformDashboard(
      r.name('platformDashboard'),
      {
        settings,
        name: r.name,
        regions: [primary.monitoring, secondary.monitoring],
        global,
        failover,
      },
      r.opts,
    );
  const dashboard = dashboardIn(primary);
  const dashboardCopy = dashboardIn(secondary);

  // Game days: FIS experiments against the primary, stopped by its own alarms.
  const gameDays =
    settings.gameDays !== 'enabled'
      ? undefined
      : new GameDays(
          primary.name('gameDays'),
          {
            settings,
            region: primary.settings,
            name: primary.name,
            peerRegion: secondary.region,
            keys: primary.keys,
            network: primary.network,
            database: primary.database,
            compute: primary.compute,
            monitoring: primary.monitoring,
            book: shared.book,
          },
          primary.opts,
        );

  return { failoverAlarms, canaryAlarms, healthCheckAlarms, clientKeysGuard, dashboard, dashboardCopy, gameDays };
}
