/**
 * The cross-region CloudWatch dashboard, as a pure function of resource identifiers: each
 * widget is pinned to a region and says so in its title, so one dashboard in the primary
 * region shows both side by side.
 */
import {
  METRIC_NAMESPACES,
  ORDER_FLOW_METRICS,
  ORDER_REFUSAL_DIMENSION,
  ORDER_REFUSALS,
} from '../../lambda/facts/metrics';

export interface DashboardRegion {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
  readonly albArnSuffix: string;
  readonly instanceTargetGroupArnSuffix: string;
  readonly lambdaTargetGroupArnSuffix: string;
  readonly autoScalingGroupName: string;
  readonly clusterIdentifier: string;
  readonly functionNames: readonly string[];
  /** The book applier: its iterator age is the ledger's lag behind the book. */
  readonly bookApplierName: string;
}

/** Global Accelerator as its CloudWatch metrics name it (published in us-west-2 only). */
export interface DashboardAccelerator {
  /** Region whose CloudWatch holds AWS/GlobalAccelerator metrics. */
  readonly metricsRegion: string;
  /** Accelerator ID: the last segment of its ARN (the `Accelerator` dimension). */
  readonly acceleratorId: string;
  /** Listener ID: the last segment of its ARN (the `Listener` dimension). */
  readonly listenerId: string;
  /** One per endpoint group: the `EndpointGroup` dimension is the group's region. */
  readonly endpointGroups: readonly { readonly region: string; readonly role: 'primary' | 'secondary' }[];
}

/** The failover path's Powertools metrics: namespace, `service` and `Environment` dimensions. */
export interface DashboardFailover {
  readonly namespace: string;
  readonly environment: string;
  /** Where the orchestrator runs (its metrics live there). */
  readonly orchestratorRegion: string;
  readonly orchestratorService: string;
  /** Canary regions (each publishes its metrics in its own region, with a `Vantage` dimension). */
  readonly vantages: readonly string[];
  readonly canaryService: string;
}

export interface DashboardInput {
  readonly title: string;
  readonly regions: readonly DashboardRegion[];
  /** Route 53 health checks by the region they watch (their metrics live in us-east-1). */
  readonly healthChecks: readonly { readonly region: string; readonly id: string }[];
  readonly accelerator: DashboardAccelerator;
  readonly failover: DashboardFailover;
}

/** The orchestrator's decision metrics (lambda/orchestrator/orchestrator.ts), in reading order. */
export const ORCHESTRATOR_DECISION_METRICS = [
  'GateOpen',
  'ApprovalRequested',
  'TrafficFenced',
  'FailoverInitiated',
  'SwitchoverInitiated',
  'TrafficRestored',
  'FailoverSkipped',
  'EvidenceUnreadable',
  'PermissionError',
] as const;

/** The canary's probe metrics (lambda/canary/canary.ts). */
export const CANARY_PROBE_METRICS = ['ProbeFailed', 'ProbeInconclusive', 'ProbeNotRecorded'] as const;

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
    // What the order API answered (lib/observe/order-flow.ts): live, replayed, refused by reason, unknown.
    widget(`Order flow: live, replayed, refused by reason, outcome unknown - ${label}`, r.region, [
      [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.live],
      [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.replayed],
      ...ORDER_REFUSALS.map((reason): Metric => [
        METRIC_NAMESPACES.book,
        ORDER_FLOW_METRICS.refused,
        ORDER_REFUSAL_DIMENSION,
        reason,
      ]),
      [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.unknown],
    ]),
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
      `Ledger lag behind the order book (applier iterator age, ms) - ${label}`,
      r.region,
      [['AWS/Lambda', 'IteratorAge', 'FunctionName', r.bookApplierName]],
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
  const shared = [
    acceleratorTraffic(input.accelerator),
    replicationLag(input.regions),
    healthChecks(input.healthChecks),
    orchestratorDecisions(input.failover),
    ...input.failover.vantages.map((vantage) => canaryProbes(input.failover, vantage)),
  ];
  shared.forEach((w, i) => widgets.push({ ...w, x: (i % 2) * WIDTH, y: bottom + Math.floor(i / 2) * HEIGHT }));
  return { widgets };
}

/** Traffic Global Accelerator sends to each region's endpoint group: where users really land. */
function acceleratorTraffic(a: DashboardAccelerator): Omit<MetricWidget, 'x' | 'y'> {
  const group = (region: string) => ['Accelerator', a.acceleratorId, 'Listener', a.listenerId, 'EndpointGroup', region];
  return widget(
    `Global Accelerator: new flows per endpoint group (${a.metricsRegion} metrics)`,
    a.metricsRegion,
    a.endpointGroups.flatMap((g): Metric[] => [
      ['AWS/GlobalAccelerator', 'NewFlowCount', ...group(g.region), { label: `flows to ${g.region} (${g.role})` }],
      [
        'AWS/GlobalAccelerator',
        'ProcessedBytesIn',
        ...group(g.region),
        { label: `bytes in to ${g.region} (${g.role})`, yAxis: 'right' },
      ],
    ]),
  );
}

/**
 * Replication lag of whichever cluster is the secondary. Only a replicating member reports
 * AuroraGlobalDBReplicationLag, and roles swap on a switchover or failover, so both members are
 * plotted, each from its own region, labelled by cluster and region, not by role.
 */
function replicationLag(regions: readonly DashboardRegion[]): Omit<MetricWidget, 'x' | 'y'> {
  const home = regions.find((r) => r.role === 'secondary') ?? regions[0];
  return widget(
    `Replication lag into the current secondary (AuroraGlobalDBReplicationLag, ms; ${home.region} home)`,
    home.region,
    regions.map((r): Metric => [
      'AWS/RDS',
      'AuroraGlobalDBReplicationLag',
      'DBClusterIdentifier',
      r.clusterIdentifier,
      { region: r.region, label: `${r.clusterIdentifier} in ${r.region} (reports only while it replicates)` },
    ]),
    'Maximum',
  );
}

function healthChecks(checks: DashboardInput['healthChecks']): Omit<MetricWidget, 'x' | 'y'> {
  return widget(
    'Route 53 health-check status per region (us-east-1 metrics)',
    'us-east-1',
    checks.map((hc): Metric => ['AWS/Route53', 'HealthCheckStatus', 'HealthCheckId', hc.id, { label: hc.region }]),
    'Minimum',
  );
}

function orchestratorDecisions(f: DashboardFailover): Omit<MetricWidget, 'x' | 'y'> {
  return widget(
    `Failover orchestrator decisions - ${f.orchestratorRegion}`,
    f.orchestratorRegion,
    ORCHESTRATOR_DECISION_METRICS.map((metric): Metric => [
      f.namespace,
      metric,
      'service',
      f.orchestratorService,
      'Environment',
      f.environment,
    ]),
  );
}

function canaryProbes(f: DashboardFailover, vantage: string): Omit<MetricWidget, 'x' | 'y'> {
  return widget(
    `Canary probes of the primary from ${vantage} - ${vantage}`,
    vantage,
    CANARY_PROBE_METRICS.map((metric): Metric => [
      f.namespace,
      metric,
      'service',
      f.canaryService,
      'Environment',
      f.environment,
      'Vantage',
      vantage,
    ]),
  );
}
