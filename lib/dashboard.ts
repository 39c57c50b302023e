/**
 * The cross-region CloudWatch dashboard, as a pure function of resource identifiers: each
 * widget is pinned to a region and says so in its title, so one dashboard in the primary
 * region shows both side by side.
 */

export interface DashboardRegion {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
  readonly albArnSuffix: string;
  readonly instanceTargetGroupArnSuffix: string;
  readonly lambdaTargetGroupArnSuffix: string;
  readonly autoScalingGroupName: string;
  readonly clusterIdentifier: string;
  readonly functionNames: readonly string[];
  readonly orderQueueName: string;
}

export interface DashboardInput {
  readonly title: string;
  readonly regions: readonly DashboardRegion[];
  /** Route 53 health checks by the region they watch (their metrics live in us-east-1). */
  readonly healthChecks: readonly { readonly region: string; readonly id: string }[];
  readonly failoverNamespace: string;
  readonly failoverRegion: string;
  readonly environment: string;
}

/** A CloudWatch metric array: namespace, metric name, then dimension name/value pairs. */
export type Metric = [string, string, ...string[]] | [string, string, ...(string | Record<string, unknown>)[]];

export interface MetricWidget {
  type: 'metric';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; region: string; metrics: Metric[]; stat: string; period: number; view: 'timeSeries' };
}

const WIDTH = 12;
const HEIGHT = 6;

function widget(title: string, region: string, metrics: Metric[], stat = 'Sum'): Omit<MetricWidget, 'x' | 'y'> {
  return {
    type: 'metric',
    width: WIDTH,
    height: HEIGHT,
    properties: { title, region, metrics, stat, period: 60, view: 'timeSeries' },
  };
}

function regionWidgets(r: DashboardRegion): Omit<MetricWidget, 'x' | 'y'>[] {
  const label = `${r.region} (${r.role})`;
  const lb = ['LoadBalancer', r.albArnSuffix];
  return [
    widget(`Traffic: ALB requests - ${label}`, r.region, [['AWS/ApplicationELB', 'RequestCount', ...lb]]),
    widget(`Errors: ALB 5xx - ${label}`, r.region, [
      ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', ...lb],
      ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', ...lb],
    ]),
    widget(
      `Latency: target response time p99 - ${label}`,
      r.region,
      [['AWS/ApplicationELB', 'TargetResponseTime', ...lb]],
      'p99',
    ),
    widget(
      `Healthy targets (EC2, Lambda) - ${label}`,
      r.region,
      [
        ['AWS/ApplicationELB', 'HealthyHostCount', 'TargetGroup', r.instanceTargetGroupArnSuffix, ...lb],
        ['AWS/ApplicationELB', 'HealthyHostCount', 'TargetGroup', r.lambdaTargetGroupArnSuffix, ...lb],
      ],
      'Minimum',
    ),
    widget(
      `Lambda errors and throttles - ${label}`,
      r.region,
      r.functionNames.flatMap((fn): Metric[] => [
        ['AWS/Lambda', 'Errors', 'FunctionName', fn],
        ['AWS/Lambda', 'Throttles', 'FunctionName', fn],
      ]),
    ),
    widget(
      `ASG in-service instances - ${label}`,
      r.region,
      [['AWS/AutoScaling', 'GroupInServiceInstances', 'AutoScalingGroupName', r.autoScalingGroupName]],
      'Minimum',
    ),
    widget(
      `Aurora CPU and connections - ${label}`,
      r.region,
      [
        ['AWS/RDS', 'CPUUtilization', 'DBClusterIdentifier', r.clusterIdentifier],
        ['AWS/RDS', 'DatabaseConnections', 'DBClusterIdentifier', r.clusterIdentifier],
      ],
      'Maximum',
    ),
    widget(
      `Orders queued while read-only - ${label}`,
      r.region,
      [['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', r.orderQueueName]],
      'Maximum',
    ),
  ];
}

export function dashboardBody(input: DashboardInput): { widgets: MetricWidget[] } {
  const [primary, secondary] = input.regions;
  // Regions side by side: primary in the left column, secondary in the right.
  const left = regionWidgets(primary);
  const right = regionWidgets(secondary);
  const widgets: MetricWidget[] = [];
  left.forEach((w, row) => widgets.push({ ...w, x: 0, y: row * HEIGHT }));
  right.forEach((w, row) => widgets.push({ ...w, x: WIDTH, y: row * HEIGHT }));
  const bottom = Math.max(left.length, right.length) * HEIGHT;
  const secondaryCluster = secondary.clusterIdentifier;
  widgets.push(
    {
      ...widget(
        `Replication lag to ${secondary.region} (AuroraGlobalDBReplicationLag, ms)`,
        secondary.region,
        [['AWS/RDS', 'AuroraGlobalDBReplicationLag', 'DBClusterIdentifier', secondaryCluster]],
        'Maximum',
      ),
      x: 0,
      y: bottom,
    },
    {
      ...widget(
        'Route 53 health-check status per region (us-east-1 metrics)',
        'us-east-1',
        input.healthChecks.map((hc): Metric => [
          'AWS/Route53',
          'HealthCheckStatus',
          'HealthCheckId',
          hc.id,
          { label: hc.region },
        ]),
        'Minimum',
      ),
      x: WIDTH,
      y: bottom,
    },
    {
      ...widget(`Failover orchestrator decisions - ${input.failoverRegion}`, input.failoverRegion, [
        [input.failoverNamespace, 'ProbeFailed', 'Environment', input.environment],
        [input.failoverNamespace, 'FailoverInitiated', 'Environment', input.environment],
        [input.failoverNamespace, 'FailoverSkipped', 'Environment', input.environment],
        [input.failoverNamespace, 'PermissionError', 'Environment', input.environment],
      ]),
      x: 0,
      y: bottom + HEIGHT,
    },
  );
  return { widgets };
}
