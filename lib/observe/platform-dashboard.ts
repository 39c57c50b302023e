import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { dashboardBody } from './dashboard';
import { FAILOVER_METRIC_NAMESPACE, FailoverStack, METRIC_SERVICE } from '../failover/failover-stack';
import { GLOBAL_ACCELERATOR_API_REGION, GlobalStack } from '../traffic/global-stack';
import { MonitoringStack } from './monitoring-stack';
import { Namer, DELETE_BEFORE_REPLACE } from '../config/naming';

export interface PlatformDashboardArgs {
  readonly settings: Settings;
  /** Namer of the region the dashboard lives in (us-east-1, next to the Route 53 metrics). */
  readonly name: Namer;
  /** Both regions, primary first: each shows what its MonitoringStack alarms on. */
  readonly regions: readonly [MonitoringStack, MonitoringStack];
  /** Route 53 health checks and the accelerator (whose metrics live in us-west-2). */
  readonly global: GlobalStack;
  readonly failover: FailoverStack;
}

/**
 * The one CloudWatch dashboard that shows both regions side by side, then what spans them:
 * Global Accelerator traffic per region (us-west-2 metrics), the replication lag of whichever
 * member is the secondary, the Route 53 health checks, the orchestrator's decisions and each
 * canary's probes. Every widget names its region, so one dashboard in us-east-1 covers the platform.
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
    const { global } = args;
    const checks = args.regions.map((m) =>
      global.healthChecks[m.region.role].id.apply((id) => ({ region: m.region.region, id })),
    );
    /** CloudWatch names an accelerator and a listener by their IDs, the last segment of their ARNs. */
    const idOf = (arn: pulumi.Output<string>) => arn.apply((a) => a.split('/').pop()!);
    const accelerator = pulumi
      .all([idOf(global.accelerator.arn), idOf(global.listener.arn)])
      .apply(([acceleratorId, listenerId]) => ({
        metricsRegion: GLOBAL_ACCELERATOR_API_REGION,
        acceleratorId,
        listenerId,
        endpointGroups: args.regions.map((m) => ({ region: m.region.region, role: m.region.role })),
      }));
    this.dashboard = new aws.cloudwatch.Dashboard(
      n('dashboard'),
      {
        dashboardName: n('dashboard'),
        dashboardBody: pulumi.all([pulumi.all(regions), pulumi.all(checks), accelerator]).apply(([rs, hcs, ga]) =>
          JSON.stringify(
            dashboardBody({
              title: `Trading platform ${settings.environmentSuffix}`,
              regions: rs,
              healthChecks: hcs,
              accelerator: ga,
              failover: {
                namespace: FAILOVER_METRIC_NAMESPACE,
                environment: settings.environmentSuffix,
                orchestratorRegion: failover.region,
                orchestratorService: METRIC_SERVICE.orchestrator,
                vantages: failover.canaries.map((c) => c.region),
                canaryService: METRIC_SERVICE.canary,
              },
            }),
          ),
        ),
      },
      { parent: this, ...DELETE_BEFORE_REPLACE },
    );
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}
