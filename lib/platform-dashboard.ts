import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionRole, Settings } from './config';
import { dashboardBody } from './dashboard';
import { FAILOVER_METRIC_NAMESPACE, FailoverStack } from './failover-stack';
import { MonitoringStack } from './monitoring-stack';
import { Namer, DELETE_BEFORE_REPLACE } from './naming';

export interface PlatformDashboardArgs {
  readonly settings: Settings;
  /** Namer of the region the dashboard lives in (us-east-1, next to the Route 53 metrics). */
  readonly name: Namer;
  /** Both regions, primary first: each shows what its MonitoringStack alarms on. */
  readonly regions: readonly [MonitoringStack, MonitoringStack];
  readonly healthChecks: Readonly<Record<RegionRole, aws.route53.HealthCheck>>;
  readonly failover: FailoverStack;
}

/**
 * The one CloudWatch dashboard that shows both regions side by side, the Route 53 health
 * checks and the failover orchestrator's decisions. Every widget names its region, so one
 * dashboard in us-east-1 covers the platform.
 */
export class PlatformDashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: PlatformDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:PlatformDashboard', name, {}, opts);
    const { settings, name: n, failover } = args;
    const regions = args.regions.map((m) =>
      m.region.region === failover.region
        ? pulumi
            .all([m.dashboardRegion, failover.orchestrator.fn.name])
            .apply(([region, orchestrator]) => ({ ...region, functionNames: [...region.functionNames, orchestrator] }))
        : m.dashboardRegion,
    );
    const checks = args.regions.map((m) =>
      args.healthChecks[m.region.role].id.apply((id) => ({ region: m.region.region, id })),
    );
    this.dashboard = new aws.cloudwatch.Dashboard(
      n('dashboard'),
      {
        dashboardName: n('dashboard'),
        dashboardBody: pulumi.all([pulumi.all(regions), pulumi.all(checks)]).apply(([rs, hcs]) =>
          JSON.stringify(
            dashboardBody({
              title: `Trading platform ${settings.environmentSuffix}`,
              regions: rs,
              healthChecks: hcs,
              failoverNamespace: FAILOVER_METRIC_NAMESPACE,
              failoverRegion: failover.region,
              environment: settings.environmentSuffix,
            }),
          ),
        ),
      },
      { parent: this, ...DELETE_BEFORE_REPLACE },
    );
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}
