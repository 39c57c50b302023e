import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { alarmTopic } from '../alarms/alarm-topic';
import { AlarmFactory, AlarmSpec, albErrorRate } from '../alarms/alarms';
import { AwsConfig, AwsConfigArgs } from './aws-config';
import { ComputeStack } from '../app/compute-stack';
import { RegionSettings, Settings } from '../config';
import { DashboardRegion } from './dashboard';
import { DatabaseStack } from '../data/database-stack';
import { BookApplier } from '../data/book-applier';
import { bookAlarms } from './book-alarms';
import { bookTableAlarms } from './book-table-alarms';
import { orderFlowMetrics } from './order-flow';
import { LogArchive } from '../security/log-archive';
import { Namer } from '../config/naming';

export interface MonitoringStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly database: DatabaseStack;
  readonly compute: ComputeStack;
  /** This region's book applier (its lag and refusals are alarmed here). */
  readonly bookApplier: BookApplier;
  /**
   * IAM is global: exactly one region's AWS Config records global resource types and
   * evaluates the IAM rule (the primary).
   */
  readonly recordsGlobalResources: boolean;
  /** Whether the platform's secrets are primaries in this region (see AwsConfig). */
  readonly rotatesSecrets: boolean;
  /** Receives the Config bucket's server access logs. */
  readonly logArchive: LogArchive;
  /** The region's AWS Config recorders as read at plan time (see AwsConfig). */
  readonly existingRecorders?: AwsConfigArgs['existingRecorders'];
}

/**
 * What an operator watches and a compliance team audits in one region, the same in both: an
 * encrypted alarm topic, alarms on every tier of the region, and AWS Config. What exists in
 * one region only has its own component: `HealthCheckAlarms` and `PlatformDashboard` (us-east-1),
 * `FailoverAlarms` (where the orchestrator runs).
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class MonitoringStack extends pulumi.ComponentResource {
  readonly region: RegionSettings;
  readonly topic: aws.sns.Topic;
  /** Admits EventBridge: a rule targeting the topic waits for it. */
  readonly topicPolicy: aws.sns.TopicPolicy;
  readonly alarms: aws.cloudwatch.MetricAlarm[];
  /** One of this region's alarms by its qualifier (`alb-5xx-rate`, `book-apply-lag`, ...). */
  readonly alarm: (qualifier: string) => aws.cloudwatch.MetricAlarm;
  readonly awsConfig: AwsConfig;
  /** This region as the cross-region dashboard shows it: the resources alarmed on here. */
  readonly dashboardRegion: pulumi.Output<DashboardRegion>;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:MonitoringStack', name, {}, opts);
    const { settings, region, name: n, database, compute } = args;
    const { loadBalancer, fleet } = compute;
    const child = { parent: this };
    this.region = region;

    const topic = alarmTopic(
      { name: n, kind: 'alarmTopic', settings, description: `alarms of ${region.region}` },
      child,
    );
    this.topic = topic.topic;
    this.topicPolicy = topic.policy;
    const alarms = new AlarmFactory(n, this.topic, child);
    const alarm = alarms.alarm.bind(alarms);
    this.alarms = alarms.alarms;
    this.alarm = (qualifier) => alarms.named(qualifier);

    // --- ALB and targets
    const lb = { LoadBalancer: loadBalancer.alb.arnSuffix };
    alarm('alb-5xx-rate', albErrorRate(lb.LoadBalancer, settings.alarm5xxPercent));
    alarm('alb-p99-latency', {
      alarmDescription: `Target response time p99 above ${settings.alarmP99LatencyMs} ms`,
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: lb,
      extendedStatistic: 'p99',
      period: 60,
      evaluationPeriods: 3,
      threshold: settings.alarmP99LatencyMs / 1000,
      comparisonOperator: 'GreaterThanThreshold',
    });
    for (const [label, tg] of [
      ['ec2', loadBalancer.instanceTargetGroup],
      ['fn', loadBalancer.lambdaTargetGroup],
    ] as const) {
      alarm(`alb-unhealthy-${label}`, {
        alarmDescription: `Unhealthy ${label} targets behind the ALB`,
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions: { ...lb, TargetGroup: tg.arnSuffix },
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 2,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
    alarm('ec2-capacity-low', {
      alarmDescription: `Fewer than ${settings.asgMinSize} in-service instances`,
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupInServiceInstances',
      dimensions: { AutoScalingGroupName: fleet.autoScalingGroup.name },
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 3,
      threshold: settings.asgMinSize,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });

    // --- Lambda functions of this region's tiers
    const functions = [
      ['trading', compute.trading],
      ['rotation', database.rotation],
      ['book-apply', args.bookApplier],
    ] as const;
    for (const [label, built] of functions) alarms.functionAlarms(label, built);
    bookAlarms(alarms, { settings, name: n, applier: args.bookApplier, trading: compute.trading });
    bookTableAlarms(alarms, args.bookApplier.bookTableName);
    orderFlowMetrics(n, compute.trading);

    // --- Aurora
    const cluster = { DBClusterIdentifier: database.cluster.clusterIdentifier };
    const rds = (qualifier: string, metricName: string, spec: Partial<AlarmSpec>) =>
      alarm(qualifier, {
        namespace: 'AWS/RDS',
        metricName,
        dimensions: cluster,
        period: 60,
        evaluationPeriods: 3,
        statistic: 'Average',
        ...spec,
      });
    rds('db-cpu', 'CPUUtilization', {
      alarmDescription: `Aurora CPU above ${settings.alarmDbCpuPercent}%`,
      threshold: settings.alarmDbCpuPercent,
      comparisonOperator: 'GreaterThanThreshold',
    });
    rds('db-freeable-memory', 'FreeableMemory', {
      alarmDescription: `Aurora freeable memory below ${settings.alarmDbFreeableMemoryMb} MiB`,
      threshold: settings.alarmDbFreeableMemoryMb * 1024 * 1024,
      comparisonOperator: 'LessThanThreshold',
      statistic: 'Minimum',
    });
    rds('db-connections', 'DatabaseConnections', {
      alarmDescription: `Aurora connections above ${settings.alarmDbConnections}`,
      threshold: settings.alarmDbConnections,
      comparisonOperator: 'GreaterThanThreshold',
      statistic: 'Maximum',
    });
    // Only the member that replicates reports the lag, and roles swap on a switchover or
    // failover: both members carry the alarm (the writer's has no data, which is fine).
    rds('db-replication-lag', 'AuroraGlobalDBReplicationLag', {
      alarmDescription: `Global database replication lag into ${region.region} above ${settings.alarmReplicationLagMs} ms`,
      threshold: settings.alarmReplicationLagMs,
      comparisonOperator: 'GreaterThanThreshold',
      statistic: 'Maximum',
    });

    this.awsConfig = new AwsConfig(
      n('awsConfig'),
      {
        settings,
        name: n,
        recordsGlobalResources: args.recordsGlobalResources,
        rotatesSecrets: args.rotatesSecrets,
        logArchive: args.logArchive,
        existingRecorders: args.existingRecorders,
      },
      child,
    );

    this.dashboardRegion = pulumi
      .output({
        albArnSuffix: loadBalancer.alb.arnSuffix,
        instanceTargetGroupArnSuffix: loadBalancer.instanceTargetGroup.arnSuffix,
        lambdaTargetGroupArnSuffix: loadBalancer.lambdaTargetGroup.arnSuffix,
        autoScalingGroupName: fleet.autoScalingGroup.name,
        clusterIdentifier: database.cluster.clusterIdentifier,
        bookApplierName: args.bookApplier.fn.name,
        functionNames: functions.map(([, built]) => built.fn.name),
      })
      .apply((ids): DashboardRegion => ({ ...ids, region: region.region, role: region.role }));

    this.registerOutputs({ alarmTopicArn: this.topic.arn, alarmCount: this.alarms.length });
  }
}
