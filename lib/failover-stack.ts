import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { alarmTopic } from './alarm-topic';
import { RegionSettings, Settings } from './config';
import { GlobalDatabase } from './global-database';
import { resolvedAfter } from './iam';
import { buildFunction, BuiltFunction } from './lambda-function';
import { LoadBalancer } from './load-balancer';
import { DELETE_BEFORE_REPLACE, Namer } from './naming';

/** How often the canary schedule invokes the orchestrator; one invocation probes for this long. */
export const CANARY_PERIOD_MINUTES = 1;
const CANARY_PERIOD = CANARY_PERIOD_MINUTES === 1 ? '1 minute' : `${CANARY_PERIOD_MINUTES} minutes`;

/** CloudWatch namespace of the orchestrator's metrics (decisions, actions, errors). */
export const FAILOVER_METRIC_NAMESPACE = 'TAP/Failover';

export interface FailoverStackArgs {
  readonly settings: Settings;
  /** The region the orchestrator runs in (the secondary): the component's own provider. */
  readonly region: RegionSettings;
  /** Namer of that region. */
  readonly name: Namer;
  /** Namer of the primary region (the Route 53 alarm must live in us-east-1). */
  readonly primaryName: Namer;
  /** Provider of us-east-1, for the Route 53 health alarm and its topic. */
  readonly primaryProvider: aws.Provider;
  readonly globalDatabase: GlobalDatabase;
  readonly primaryCluster: aws.rds.Cluster;
  readonly secondaryCluster: aws.rds.Cluster;
  /** The primary's public entry, probed the way users reach it. */
  readonly primaryLoadBalancer: LoadBalancer;
  readonly primaryHealthCheck: aws.route53.HealthCheck;
}

/**
 * Automatic promotion of the secondary database. Aurora never fails over across regions by
 * itself, so an orchestrator in eu-west-1 decides. Two triggers: a canary that probes the
 * primary every minute and needs nothing from us-east-1 (the main path), and the Route 53
 * health-check alarm, which can only live in us-east-1 and so is only an early nudge. Either
 * way the orchestrator promotes only after its own consecutive failed probes confirm the outage.
 *
 * It runs outside the VPC on purpose: it probes the public path users take, and a NAT or VPC
 * problem in eu-west-1 must not look like a primary outage.
 */
export class FailoverStack extends pulumi.ComponentResource {
  /** Where the orchestrator runs. */
  readonly region: string;
  readonly orchestrator: BuiltFunction;
  readonly topic: aws.sns.Topic;
  readonly primaryHealthAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: FailoverStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:failover:FailoverStack', name, {}, opts);
    const { settings, name: n } = args;
    const child = { parent: this };
    this.region = args.region.region;

    const notifications = alarmTopic(
      { name: n, kind: 'failoverTopic', settings, description: 'failover decisions' },
      child,
    );
    this.topic = notifications.topic;

    this.orchestrator = buildFunction(
      {
        name: n('orchestratorFunction'),
        roleName: n('orchestratorRole'),
        code: 'orchestrator',
        description: 'Promotes the eu-west-1 Aurora cluster when the primary region is confirmed down',
        settings,
        statements: [
          {
            Sid: 'PromoteThisGlobalCluster',
            Action: ['rds:DescribeGlobalClusters', 'rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
            Resource: [args.globalDatabase.cluster.arn, args.secondaryCluster.arn, args.primaryCluster.arn],
          },
          {
            Sid: 'PublishDecisionMetrics',
            Action: 'cloudwatch:PutMetricData',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': FAILOVER_METRIC_NAMESPACE } },
          },
          { Sid: 'NotifyOperators', Action: 'sns:Publish', Resource: this.topic.arn },
          {
            Sid: 'EncryptNotifications',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: notifications.key.arn,
          },
        ],
        environment: {
          GLOBAL_CLUSTER_ID: args.globalDatabase.cluster.id,
          SECONDARY_CLUSTER_ARN: args.secondaryCluster.arn,
          PROBE_URL: args.primaryLoadBalancer.health.url,
          PROBE_INTERVAL_SECONDS: String(settings.failoverProbeIntervalSeconds),
          PROBE_FAILURES: String(settings.failoverProbeFailures),
          // A probe must answer well inside its interval, or probes would overlap.
          PROBE_TIMEOUT_MS: String(Math.min(4000, settings.failoverProbeIntervalSeconds * 500)),
          CANARY_WINDOW_SECONDS: String(CANARY_PERIOD_MINUTES * 60),
          TOPIC_ARN: this.topic.arn,
          METRIC_NAMESPACE: FAILOVER_METRIC_NAMESPACE,
          ENVIRONMENT: settings.environmentSuffix,
        },
        timeoutSeconds: 90,
        memoryMb: 256,
      },
      child,
    );
    const fn = this.orchestrator.fn;
    // Schedule and alarm may fire together; two is enough, and the decision is idempotent.
    new aws.lambda.FunctionEventInvokeConfig(
      n('orchestratorFunction', 'async'),
      { functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 120 },
      { parent: fn },
    );

    const schedule = new aws.cloudwatch.EventRule(
      n('orchestratorFunction', 'canary'),
      {
        name: n('orchestratorFunction', 'canary'),
        description: `Canary: probe the primary region every ${CANARY_PERIOD === '1 minute' ? 'minute' : CANARY_PERIOD}`,
        scheduleExpression: `rate(${CANARY_PERIOD})`,
      },
      { parent: fn, ...DELETE_BEFORE_REPLACE },
    );
    const allowSchedule = new aws.lambda.Permission(
      n('orchestratorFunction', 'canary'),
      {
        action: 'lambda:InvokeFunction',
        function: fn.name,
        principal: 'events.amazonaws.com',
        sourceArn: schedule.arn,
      },
      { parent: fn },
    );
    new aws.cloudwatch.EventTarget(
      n('orchestratorFunction', 'canary'),
      {
        rule: schedule.name,
        // Targeted only once the schedule may invoke it.
        arn: resolvedAfter(fn.arn, [allowSchedule]),
        input: JSON.stringify({ source: 'canary' }),
      },
      { parent: schedule },
    );

    // The Route 53 health-check metric exists only in us-east-1, so this alarm and its topic
    // live there; the subscription crosses to the orchestrator in eu-west-1.
    const pn = args.primaryName;
    const primary = { parent: this, provider: args.primaryProvider };
    const trigger = alarmTopic(
      { name: pn, kind: 'failoverTopic', settings, description: 'primary health alarm' },
      primary,
    ).topic;
    this.primaryHealthAlarm = new aws.cloudwatch.MetricAlarm(
      pn('alarm', 'primary-down'),
      {
        name: pn('alarm', 'primary-down'),
        alarmDescription: 'Route 53 sees the primary region unhealthy: nudges the failover orchestrator',
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensions: { HealthCheckId: args.primaryHealthCheck.id },
        statistic: 'Minimum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'LessThanThreshold',
        treatMissingData: 'breaching',
        alarmActions: [trigger.arn],
        okActions: [trigger.arn],
      },
      { ...primary, ...DELETE_BEFORE_REPLACE },
    );
    const allowAlarm = new aws.lambda.Permission(
      n('orchestratorFunction', 'alarm'),
      { action: 'lambda:InvokeFunction', function: fn.name, principal: 'sns.amazonaws.com', sourceArn: trigger.arn },
      { parent: fn },
    );
    new aws.sns.TopicSubscription(
      pn('failoverTopic', 'fn'),
      // Subscribed only once the topic may invoke it.
      { topic: trigger.arn, protocol: 'lambda', endpoint: resolvedAfter(fn.arn, [allowAlarm]) },
      { parent: trigger, provider: args.primaryProvider },
    );
    this.registerOutputs({
      orchestratorArn: fn.arn,
      failoverTopicArn: this.topic.arn,
      primaryHealthAlarm: this.primaryHealthAlarm.name,
    });
  }
}
