/** What the plan derives from the registered resources: RTO inputs, policy input, deploy critical path. */
import { parseOrchestratorEnvironment } from '../lambda/orchestrator/environment';
import { RtoBudget } from '../lib/model/rto';
import { AllRtoInputs, rtoInputsFromSettings, RtoSettings } from '../lib/model/rto-inputs';
import { PolicyResource } from '../policy/rules';
import { RecordedResource } from './offline';

/** Settings the resources do not show: the estimates and the target. */
export type Estimates = Pick<
  RtoSettings,
  'acceleratorReactionSeconds' | 'dbPromotionEstimateSeconds' | 'rtoTargetSeconds'
>;

function max(values: number[], what: string): number {
  if (values.length === 0) throw new Error(`the plan has no ${what}`);
  return Math.max(...values);
}

/**
 * RTO inputs read off the resources (worst region wins) under their settings' names, mapped by
 * the same function as the configured settings; estimates come from config.
 */
export function rtoInputsFromPlan(resources: readonly RecordedResource[], estimates: Estimates): AllRtoInputs {
  const of = (type: string) => resources.filter((r) => r.type === type);
  const albGroups = of('aws:lb/targetGroup:TargetGroup').filter((r) => r.inputs.healthCheck);
  const checks = of('aws:route53/healthCheck:HealthCheck');
  const failoverRecords = of('aws:route53/record:Record').filter((r) => r.inputs.failoverRoutingPolicies?.length);
  const orchestrator = of('aws:lambda/function:Function').find(
    (r) => r.inputs.environment?.variables?.RECOVERY_WINDOW_SECONDS,
  );
  if (!orchestrator) throw new Error('the plan has no failover orchestrator');
  // Read through the orchestrator's own contract: the names and ranges it is deployed with.
  const env = parseOrchestratorEnvironment(orchestrator.inputs.environment.variables);
  const albCheck = (field: string) =>
    max(
      albGroups.map((g) => g.inputs.healthCheck[field]),
      'ALB health checks',
    );
  return rtoInputsFromSettings({
    albHealthCheckIntervalSeconds: albCheck('interval'),
    albHealthCheckTimeoutSeconds: albCheck('timeout'),
    albUnhealthyThreshold: albCheck('unhealthyThreshold'),
    acceleratorReactionSeconds: estimates.acceleratorReactionSeconds,
    route53HealthCheckIntervalSeconds: max(
      checks.map((c) => c.inputs.requestInterval),
      'Route 53 health checks',
    ),
    route53FailureThreshold: max(
      checks.map((c) => c.inputs.failureThreshold),
      'Route 53 health checks',
    ),
    dnsTtlSeconds: max(
      failoverRecords.map((r) => r.inputs.ttl),
      'failover records',
    ),
    failoverProbeIntervalSeconds: env.PROBE_INTERVAL_SECONDS,
    failoverRecoveryWindowSeconds: env.RECOVERY_WINDOW_SECONDS,
    failoverFastWindowSeconds: env.FAST_WINDOW_SECONDS,
    dbPromotionEstimateSeconds: estimates.dbPromotionEstimateSeconds,
    rtoTargetSeconds: estimates.rtoTargetSeconds,
  });
}

export function policyResources(resources: readonly RecordedResource[]): PolicyResource[] {
  return resources.filter((r) => r.custom).map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs }));
}

/**
 * Typical AWS creation times (seconds) used for the deploy estimate. Aurora: AWS's guidance is
 * 20-30 minutes per region for a cluster and its instances; a secondary can attach only once the
 * primary is available. Anything not listed takes DEFAULT_SECONDS.
 */
export const CREATION_SECONDS: Record<string, number> = {
  'aws:rds/globalCluster:GlobalCluster': 60,
  'aws:rds/cluster:Cluster': 600,
  'aws:rds/clusterInstance:ClusterInstance': 900,
  'aws:ec2/vpcEndpoint:VpcEndpoint': 120,
  'aws:lb/loadBalancer:LoadBalancer': 180,
  'aws:autoscaling/group:Group': 300,
  'aws:globalaccelerator/accelerator:Accelerator': 180,
  'aws:globalaccelerator/endpointGroup:EndpointGroup': 120,
  'aws:lambda/function:Function': 60,
  'aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter': 30,
  'aws:secretsmanager/secret:Secret': 30,
  'aws:secretsmanager/secretRotation:SecretRotation': 60,
  'aws:route53/zone:Zone': 60,
  'aws:route53/record:Record': 60,
  'aws:cfg/recorderStatus:RecorderStatus': 30,
};
export const DEFAULT_SECONDS = 10;

export interface CriticalPath {
  readonly totalSeconds: number;
  readonly path: { name: string; type: string; seconds: number; finishSeconds: number }[];
  /** Creation time of the Aurora clusters and instances of both regions, back to back. */
  readonly auroraSeconds: number;
  readonly ratio: number;
}

/** Longest chain of waits in the dependency graph, each resource taking its typical time. */
export function criticalPath(
  resources: readonly RecordedResource[],
  seconds: (type: string) => number = (t) => CREATION_SECONDS[t] ?? DEFAULT_SECONDS,
): CriticalPath {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, RecordedResource[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  // Waiting on a component means waiting on everything inside it.
  const expand = (urn: string): RecordedResource[] => {
    const r = byUrn.get(urn);
    if (!r) return [];
    if (r.custom) return [r];
    return (children.get(urn) ?? []).flatMap((c) => expand(c.urn));
  };
  const finish = new Map<string, { at: number; via?: string }>();
  const visit = (r: RecordedResource, stack: Set<string>): number => {
    const known = finish.get(r.urn);
    if (known) return known.at;
    if (stack.has(r.urn)) throw new Error(`dependency cycle at ${r.urn}`);
    stack.add(r.urn);
    let start = 0;
    let via: string | undefined;
    for (const dep of r.dependsOn.flatMap(expand)) {
      const at = visit(dep, stack);
      if (at > start) [start, via] = [at, dep.urn];
    }
    stack.delete(r.urn);
    const at = start + (r.type.startsWith('pulumi:providers:') ? 0 : seconds(r.type));
    finish.set(r.urn, { at, via });
    return at;
  };
  const custom = resources.filter((r) => r.custom);
  let last: RecordedResource | undefined;
  for (const r of custom) if (!last || visit(r, new Set()) > visit(last, new Set())) last = r;
  const path: CriticalPath['path'] = [];
  for (let urn: string | undefined = last?.urn; urn; urn = finish.get(urn)?.via) {
    const r = byUrn.get(urn)!;
    path.unshift({
      name: r.name,
      type: r.type,
      seconds: r.type.startsWith('pulumi:providers:') ? 0 : seconds(r.type),
      finishSeconds: finish.get(urn)!.at,
    });
  }
  const auroraTypes = ['aws:rds/cluster:Cluster', 'aws:rds/clusterInstance:ClusterInstance'];
  // Instances of one cluster are created in parallel: count one instance per cluster.
  const clusters = custom.filter((r) => r.type === auroraTypes[0]).length;
  const auroraSeconds = clusters * (seconds(auroraTypes[0]) + seconds(auroraTypes[1]));
  const totalSeconds = last ? finish.get(last.urn)!.at : 0;
  return { totalSeconds, path, auroraSeconds, ratio: auroraSeconds ? totalSeconds / auroraSeconds : 0 };
}

export interface TimelineEvent {
  /** Seconds after the primary region stops answering (earliest; estimates marked). */
  readonly seconds: number;
  readonly region: string;
  readonly event: string;
  readonly estimate: boolean;
}

/**
 * What an alarm tells the on-call engineer in a regional outage, and which detection it waits
 * for. Alarms on other metrics (CPU, memory, latency...) are about other problems.
 */
const OUTAGE_SIGNALS: Record<string, { after: 'alb' | 'route53' | 'decision'; meaning: string }> = {
  HealthCheckStatus: { after: 'route53', meaning: 'Route 53 checkers see the region down' },
  UnHealthyHostCount: { after: 'alb', meaning: 'ALB targets unhealthy' },
  HTTPCode_ELB_5XX_Count: { after: 'alb', meaning: 'clients get 5xx from the ALB' },
  FailoverInitiated: { after: 'decision', meaning: 'the orchestrator called the database failover' },
};

/**
 * The failover timeline from the planned resources: each detection and reaction of the RTO
 * budget at the time it completes, then each outage alarm at the earliest minute it can fire
 * (its signal's detection time + period x datapoints; CloudWatch adds publication delay).
 */
export function failoverTimeline(
  resources: readonly RecordedResource[],
  budget: RtoBudget,
  primaryRegion: string,
): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const detected: Record<'alb' | 'route53' | 'decision', number> = { alb: 0, route53: 0, decision: 0 };
  // Which detection each path starts with: the accelerator follows ALB health, the failover
  // records Route 53's checks, the unbound (Aurora) path the orchestrator's decision. The first
  // live order starts with the gate's fast-path decision, which no alarm here follows.
  const signalOf = (path: RtoBudget['paths'][number]): 'alb' | 'route53' | 'decision' | undefined =>
    !path.bound
      ? 'decision'
      : /route 53/i.test(path.name)
        ? 'route53'
        : path.name.startsWith('traffic:')
          ? 'alb'
          : undefined;
  for (const path of budget.paths) {
    let t = 0;
    const signal = signalOf(path);
    path.terms.forEach((term, j) => {
      t += term.seconds;
      events.push({ seconds: t, region: path.name, event: term.label, estimate: term.estimate });
      if (j === 0 && signal) detected[signal] = t;
    });
  }
  for (const alarm of resources.filter((r) => r.type === 'aws:cloudwatch/metricAlarm:MetricAlarm')) {
    const metrics: { metricName?: string; period?: number }[] = alarm.inputs.metricQueries?.length
      ? alarm.inputs.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric)
      : [{ metricName: alarm.inputs.metricName, period: alarm.inputs.period }];
    const signal = metrics.map((m) => OUTAGE_SIGNALS[m.metricName ?? '']).find(Boolean);
    if (!signal || !watchesPrimary(alarm, resources, primaryRegion, signal.after)) continue;
    const period = Math.max(...metrics.map((m) => Number(m.period ?? 60)));
    const points = Number(alarm.inputs.datapointsToAlarm ?? alarm.inputs.evaluationPeriods ?? 1);
    events.push({
      seconds: detected[signal.after] + period * points,
      region: alarm.region ?? 'us-east-1',
      event: `alarm ${alarm.inputs.name}: ${signal.meaning}`,
      estimate: false,
    });
  }
  return events.sort((a, b) => a.seconds - b.seconds || a.region.localeCompare(b.region));
}

/** Whether an outage alarm is about the primary region (the secondary's own alarms stay quiet). */
function watchesPrimary(
  alarm: RecordedResource,
  resources: readonly RecordedResource[],
  primaryRegion: string,
  signal: 'alb' | 'route53' | 'decision',
): boolean {
  if (signal === 'decision') return true;
  if (signal === 'alb') return alarm.region === primaryRegion;
  // Route 53 metrics all live in us-east-1: follow the alarm to its health check and its target.
  const id = alarm.inputs.dimensions?.HealthCheckId;
  const check = resources.find((r) => r.type === 'aws:route53/healthCheck:HealthCheck' && `${r.name}-id` === id);
  return Boolean(check && String(check.inputs.fqdn ?? '').includes(`.${primaryRegion}.`));
}
