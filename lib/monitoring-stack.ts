import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { alarmTopic } from './alarm-topic';
import { ComputeStack } from './compute-stack';
import { RegionRole, RegionSettings, Settings } from './config';
import { dashboardBody, DashboardRegion } from './dashboard';
import { DatabaseStack } from './database-stack';
import { FAILOVER_METRIC_NAMESPACE, FailoverStack } from './failover-stack';
import { MANAGED_POLICY, serviceRole } from './iam';
import { BuiltFunction } from './lambda-function';
import { Namer } from './naming';
import { secureBucket } from './secure-bucket';

/** AWS Config managed rules for what this platform promises (identifier -> short name). */
export const CONFIG_RULES: readonly {
  id: string;
  short: string;
  globalOnly?: boolean;
  input?: Record<string, string>;
}[] = [
  { id: 'RDS_STORAGE_ENCRYPTED', short: 'rds-encrypted' },
  { id: 'RDS_INSTANCE_PUBLIC_ACCESS_CHECK', short: 'rds-not-public' },
  { id: 'ENCRYPTED_VOLUMES', short: 'ebs-encrypted' },
  { id: 'VPC_FLOW_LOGS_ENABLED', short: 'vpc-flow-logs' },
  { id: 'INCOMING_SSH_DISABLED', short: 'no-open-ssh' },
  { id: 'S3_BUCKET_SSL_REQUESTS_ONLY', short: 's3-tls-only' },
  { id: 'S3_BUCKET_PUBLIC_READ_PROHIBITED', short: 's3-no-public-read' },
  {
    id: 'SECRETSMANAGER_ROTATION_ENABLED_CHECK',
    short: 'secret-rotation-on',
    input: { maximumAllowedRotationFrequency: '30' },
  },
  { id: 'SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK', short: 'secret-rotation-ok' },
  { id: 'LAMBDA_INSIDE_VPC', short: 'lambda-in-vpc' },
  { id: 'ALB_HTTP_DROP_INVALID_HEADER_ENABLED', short: 'alb-drop-bad-headers' },
  {
    id: 'CLOUDWATCH_ALARM_ACTION_CHECK',
    short: 'alarms-have-actions',
    input: { alarmActionRequired: 'true', insufficientDataActionRequired: 'false', okActionRequired: 'false' },
  },
  // IAM is global: evaluated once, in the region that records global resource types.
  { id: 'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS', short: 'iam-no-admin', globalOnly: true },
];

export interface MonitoringStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly provider: aws.Provider;
  readonly name: Namer;
  readonly database: DatabaseStack;
  readonly compute: ComputeStack;
  /** Secondary only: the orchestrator whose activity is alarmed on. */
  readonly failover?: FailoverStack;
  /** Primary only: Route 53 health checks (their metrics exist only in us-east-1). */
  readonly healthChecks?: Record<RegionRole, aws.route53.HealthCheck>;
  /** Primary only: both regions, for the one cross-region dashboard. */
  readonly dashboard?: readonly {
    region: RegionSettings;
    database: DatabaseStack;
    compute: ComputeStack;
    name: Namer;
  }[];
}

type AlarmSpec = Omit<aws.cloudwatch.MetricAlarmArgs, 'name' | 'alarmActions' | 'okActions'>;

/**
 * What an operator watches and a compliance team audits in one region: an encrypted alarm
 * topic, alarms on every tier, AWS Config recording and managed rules, and (in the primary)
 * the dashboard that shows both regions side by side.
 */
export class MonitoringStack extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly dashboard?: aws.cloudwatch.Dashboard;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:MonitoringStack', name, {}, opts);
    const { settings, region, provider, name: n, database, compute } = args;
    const child = { parent: this, provider };

    this.topic = alarmTopic(
      { name: n, kind: 'alarmTopic', settings, description: `alarms of ${region.region}` },
      child,
    ).topic;
    const alarm = (qualifier: string, spec: AlarmSpec) => {
      const alarmName = n('alarm', qualifier);
      this.alarms.push(
        new aws.cloudwatch.MetricAlarm(
          alarmName,
          {
            name: alarmName,
            alarmActions: [this.topic.arn],
            okActions: [this.topic.arn],
            treatMissingData: 'notBreaching',
            ...spec,
          },
          child,
        ),
      );
    };

    // --- ALB and targets
    const lb = { LoadBalancer: compute.alb.arnSuffix };
    alarm('alb-5xx-rate', {
      alarmDescription: `5xx responses above ${settings.alarm5xxPercent}% of requests`,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: settings.alarm5xxPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      metricQueries: [
        { id: 'rate', expression: '100 * (elb + target) / MAX([requests, 1])', label: '5xx %', returnData: true },
        ...(
          [
            ['elb', 'HTTPCode_ELB_5XX_Count'],
            ['target', 'HTTPCode_Target_5XX_Count'],
            ['requests', 'RequestCount'],
          ] as const
        ).map(([id, metricName]) => ({
          id,
          metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions: lb, period: 60, stat: 'Sum' },
        })),
      ],
    });
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
      ['ec2', compute.instanceTargetGroup],
      ['fn', compute.lambdaTargetGroup],
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
      dimensions: { AutoScalingGroupName: compute.autoScalingGroup.name },
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 3,
      threshold: settings.asgMinSize,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });

    // --- Lambda functions
    const functions: [string, BuiltFunction][] = [
      ['trading', compute.trading],
      ['drain', compute.drainer],
      ['rotation', database.rotation],
      ...(args.failover ? ([['failover', args.failover.orchestrator]] as [string, BuiltFunction][]) : []),
    ];
    for (const [label, built] of functions) {
      const dims = { FunctionName: built.fn.name };
      const lambdaAlarm = (metric: string, spec: Partial<AlarmSpec>) =>
        alarm(`fn-${label}-${metric.toLowerCase()}`, {
          namespace: 'AWS/Lambda',
          metricName: metric,
          dimensions: dims,
          period: 60,
          evaluationPeriods: 1,
          comparisonOperator: 'GreaterThanThreshold',
          statistic: 'Sum',
          threshold: 0,
          ...spec,
        });
      lambdaAlarm('Errors', { alarmDescription: `${label} function errors` });
      lambdaAlarm('Throttles', { alarmDescription: `${label} function throttled` });
      lambdaAlarm('Duration', {
        alarmDescription: `${label} function duration p99 above ${settings.alarmLambdaDurationP99Ms} ms`,
        statistic: undefined,
        extendedStatistic: 'p99',
        evaluationPeriods: 3,
        threshold: settings.alarmLambdaDurationP99Ms,
      });
    }

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
    if (region.role === 'secondary') {
      rds('db-replication-lag', 'AuroraGlobalDBReplicationLag', {
        alarmDescription: `Global database replication lag above ${settings.alarmReplicationLagMs} ms`,
        threshold: settings.alarmReplicationLagMs,
        comparisonOperator: 'GreaterThanThreshold',
        statistic: 'Maximum',
      });
    }

    // --- order queue: anything dead-lettered is an order that never landed.
    alarm('orders-dead-lettered', {
      alarmDescription: 'Queued orders moved to the dead-letter queue',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: compute.orderDeadLetterQueue.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });

    // --- failover orchestrator activity (secondary) and Route 53 health checks (us-east-1 only)
    if (args.failover) {
      for (const [metricName, what] of [
        ['FailoverInitiated', 'The orchestrator promoted this region'],
        ['PermissionError', 'The orchestrator was denied an AWS call'],
      ] as const) {
        alarm(`failover-${metricName.toLowerCase()}`, {
          alarmDescription: what,
          namespace: FAILOVER_METRIC_NAMESPACE,
          metricName,
          dimensions: { Environment: settings.environmentSuffix },
          statistic: 'Sum',
          period: 60,
          evaluationPeriods: 1,
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
        });
      }
    }
    for (const [role, check] of Object.entries(args.healthChecks ?? {})) {
      alarm(`r53-${role}-unhealthy`, {
        alarmDescription: `Route 53 health check of the ${role} region failing`,
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensions: { HealthCheckId: check.id },
        statistic: 'Minimum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
      });
    }

    this.awsConfig(args);

    if (args.dashboard) {
      const regions = args.dashboard.map(({ region: r, database: db, compute: c, name: rn }) =>
        pulumi
          .output({
            albArnSuffix: c.alb.arnSuffix,
            instanceTargetGroupArnSuffix: c.instanceTargetGroup.arnSuffix,
            lambdaTargetGroupArnSuffix: c.lambdaTargetGroup.arnSuffix,
            autoScalingGroupName: c.autoScalingGroup.name,
            clusterIdentifier: db.cluster.clusterIdentifier,
            orderQueueName: c.orderQueue.name,
          })
          .apply((ids): DashboardRegion => ({
            ...ids,
            region: r.region,
            role: r.role,
            functionNames: [
              rn('tradingFunction'),
              rn('drainerFunction'),
              rn('rotationFunction'),
              ...(r.role === 'secondary' ? [rn('orchestratorFunction')] : []),
            ],
          })),
      );
      const checks = Object.entries(args.healthChecks ?? {}).map(([role, check]) =>
        check.id.apply((id) => ({ region: settings.regions.find((r) => r.role === role)!.region, id })),
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
                failoverRegion: settings.regions[1].region,
                environment: settings.environmentSuffix,
              }),
            ),
          ),
        },
        child,
      );
    }

    this.registerOutputs({
      alarmTopicArn: this.topic.arn,
      alarmCount: this.alarms.length,
      dashboardName: this.dashboard?.dashboardName,
    });
  }

  /** AWS Config: recorder and delivery (unless the account already has them), then the rules. */
  private awsConfig(args: MonitoringStackArgs): void {
    const { settings, region, provider, name: n } = args;
    const child = { parent: this, provider };
    const isPrimary = region.role === 'primary';
    let recording: pulumi.Resource[] = [];
    if (settings.awsConfigRecorder === 'create') {
      const account = aws.getCallerIdentityOutput({}, child);
      const bucket = secureBucket(
        n('configBucket'),
        {
          name: account.accountId.apply((id) => n('configBucket', id)),
          statements: (arn) => [
            {
              Sid: 'ConfigChecksAcl',
              Principal: { Service: 'config.amazonaws.com' },
              Action: ['s3:GetBucketAcl', 's3:ListBucket'],
              Resource: arn,
              Condition: { StringEquals: { 'AWS:SourceAccount': account.accountId } },
            },
            {
              Sid: 'ConfigDelivers',
              Principal: { Service: 'config.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: pulumi.interpolate`${arn}/AWSLogs/${account.accountId}/Config/*`,
              Condition: {
                StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceAccount': account.accountId },
              },
            },
          ],
        },
        child,
      );
      const role = serviceRole(
        {
          name: n('configRole'),
          service: 'config.amazonaws.com',
          managedPolicyArns: [MANAGED_POLICY.configRole],
          statements: [
            {
              Sid: 'DeliverSnapshots',
              Action: 's3:PutObject',
              Resource: pulumi.interpolate`${bucket.arn}/AWSLogs/*`,
              Condition: { StringLike: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
            },
            { Sid: 'CheckBucket', Action: 's3:GetBucketAcl', Resource: bucket.arn },
          ],
        },
        child,
      );
      const recorder = new aws.cfg.Recorder(
        n('configRecorder'),
        {
          name: n('configRecorder'),
          roleArn: role.arn,
          // Global resources (IAM) are recorded once, in the primary region.
          recordingGroup: { allSupported: true, includeGlobalResourceTypes: isPrimary },
        },
        child,
      );
      const channel = new aws.cfg.DeliveryChannel(
        n('configRecorder'),
        { name: n('configRecorder'), s3BucketName: bucket.bucket },
        { ...child, dependsOn: [recorder] },
      );
      // The recorder cannot start without a delivery channel.
      const status = new aws.cfg.RecorderStatus(
        n('configRecorder'),
        { name: recorder.name, isEnabled: true },
        { ...child, dependsOn: [channel] },
      );
      recording = [status];
    }
    for (const rule of CONFIG_RULES.filter((r) => isPrimary || !r.globalOnly)) {
      new aws.cfg.Rule(
        n('configRule', rule.short),
        {
          name: n('configRule', rule.short),
          source: { owner: 'AWS', sourceIdentifier: rule.id },
          inputParameters: rule.input ? JSON.stringify(rule.input) : undefined,
        },
        // Managed rules need a running recorder (ours, or the account's when reused).
        { ...child, dependsOn: recording },
      );
    }
  }
}
