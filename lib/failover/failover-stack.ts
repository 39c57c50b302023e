import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { METRIC_NAMESPACES } from '../../lambda/facts/metrics';
import { leaseSeconds, ORCHESTRATOR_TIMEOUT_SECONDS } from '../../lambda/facts/timing';
import { alarmTopic } from '../alarms/alarm-topic';
import { healthCheckFailing } from '../alarms/alarms';
import { Canary, Vantage } from './canary';
import { FailoverEvidence } from './failover-evidence';
import { Keeper } from './keeper';
import { RegionRole, RegionSettings, Settings } from '../config';
import { GlobalDatabase } from '../data/global-database';
import { resolvedAfter } from '../security/iam';
import { buildFunction, BuiltFunction, everyMinute } from '../functions/lambda-function';
import { LoadBalancer } from '../app/load-balancer';
import { OrderBook } from '../data/order-book';
import { functionEnvironment } from '../functions/function-environment';
import { orchestratorEnvironment } from '../../lambda/orchestrator/environment';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import type { CodeSigning } from '../functions/code-signing';

export interface FailoverStackArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  /** The region the orchestrator runs in (the secondary): the component's own provider. */
  readonly region: RegionSettings;
  /** Namer of that region. */
  readonly name: Namer;
  /** The region probed and fenced (the primary's). */
  readonly primaryRegion: string;
  /** Namer of the primary region (the Route 53 alarm must live in us-east-1). */
  readonly primaryName: Namer;
  /** Provider of us-east-1, for the Route 53 health alarm and its topic. */
  readonly primaryProvider: aws.Provider;
  readonly globalDatabase: GlobalDatabase;
  readonly primaryCluster: aws.rds.Cluster;
  readonly secondaryCluster: aws.rds.Cluster;
  /** The primary's public entry, probed the way users reach it. */
  readonly primaryLoadBalancer: LoadBalancer;
  /**
   * The primary's regional name (`use1.<domain>`): on its certificate and resolving to it alone,
   * what the canaries send as SNI and Host and verify TLS against.
   */
  readonly probeHostname: string;
  readonly primaryHealthCheck: aws.route53.HealthCheck;
  /** The Route 53 failover record (api.<domain>): answering the secondary corroborates a lost region. */
  readonly failoverRecordName: string;
  /** The secondary's load balancer: the name that record answers once it has failed over. */
  readonly secondaryLoadBalancer: LoadBalancer;
  /** The Global Accelerator traffic dials the orchestrator fences with. */
  readonly endpointGroups: Readonly<Record<RegionRole, aws.globalaccelerator.EndpointGroup>>;
  /** Where the canaries vote from: at least two regions, none of them the primary's. */
  readonly vantages: readonly Vantage[];
  /** The shared evidence table (probes, lease, fence record), in this component's region. */
  readonly evidence: FailoverEvidence;
  /** The live order book: the fast path moves its writer item. */
  readonly book: OrderBook;
  /** The primary's keeper: its arbiter, which a takeover takes first. */
  readonly keeper: Keeper;
}

/**
 * Automatic promotion of the secondary database, behind a gate a blip, a partition or a
 * misconfiguration cannot open. Aurora never fails over across regions by itself, so:
 *
 * - canaries in several regions outside the primary (`vantages`) probe what users reach and
 *   write every result to an evidence table here;
 * - the orchestrator runs every minute (and on the us-east-1 Route 53 alarm, an early nudge),
 *   weighs every canary's evidence, and only when all of them saw the primary down for longer
 *   than the recovery window, fences traffic through Global Accelerator (us-west-2 API) and
 *   calls FailoverGlobalCluster, once, under a lease in the same table.
 *
 * Orchestrator and canaries run outside any VPC on purpose: a NAT or VPC problem in their own
 * region must not look like a primary outage.
 */
export class FailoverStack extends pulumi.ComponentResource {
  /** Where the orchestrator runs. */
  readonly region: string;
  readonly orchestrator: BuiltFunction;
  /** The orchestrator's environment (a stack output: `npm run status` reads the failover state as it does). */
  readonly orchestratorEnvironment: Record<string, pulumi.Input<string>>;
  readonly canaries: readonly Canary[];
  readonly evidenceTable: aws.dynamodb.Table;
  readonly topic: aws.sns.Topic;
  /** us-east-1: the primary health alarm's topic, which invokes the orchestrator. */
  readonly triggerTopic: aws.sns.Topic;
  readonly primaryHealthAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: FailoverStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:failover:FailoverStack', name, {}, opts);
    const { settings, name: n, endpointGroups } = args;
    const child = { parent: this };
    this.region = args.region.region;
    const vantageRegions = args.vantages.map((v) => v.region);
    if (new Set(vantageRegions).size < 2 || vantageRegions.includes(args.primaryRegion)) {
      throw new Error(
        `the promotion gate needs canaries in at least two regions other than ${args.primaryRegion}; got ${vantageRegions.join(', ')}`,
      );
    }

    const notifications = alarmTopic(
      { name: n, kind: 'failoverTopic', settings, description: 'failover decisions' },
      child,
    );
    this.topic = notifications.topic;

    this.evidenceTable = args.evidence.table;
    const table = this.evidenceTable;

    this.canaries = args.vantages.map(
      (vantage) =>
        new Canary(
          vantage.name('canary'),
          {
            settings,
            vantage,
            targetRegion: args.primaryRegion,
            target: args.primaryLoadBalancer,
            hostname: args.probeHostname,
            evidenceTable: table,
            evidenceTableRegion: this.region,
            metricNamespace: METRIC_NAMESPACES.failover,
          },
          { parent: this, providers: { aws: vantage.provider } },
        ),
    );

    const groupArns = [endpointGroups.primary.arn, endpointGroups.secondary.arn];
    this.orchestrator = buildFunction(
      {
        name: n('orchestratorFunction'),
        roleName: n('orchestratorRole'),
        codeSigning: args.codeSigning,
        code: 'orchestrator',
        description: 'Fences traffic and promotes the eu-west-1 Aurora cluster once the gate confirms the primary down',
        settings,
        statements: [
          {
            Sid: 'PromoteThisGlobalCluster',
            Action: ['rds:DescribeGlobalClusters', 'rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
            Resource: [args.globalDatabase.cluster.arn, args.secondaryCluster.arn, args.primaryCluster.arn],
          },
          {
            // The primary's own report before any AllowDataLoss promotion (through the us-east-1 API).
            // Read-only. DescribeEvents is granted on "*": whether it accepts a cluster ARN as its
            // resource was not verified offline (check the Service Authorization Reference for RDS).
            Sid: 'ReadPrimaryClusterStatus',
            Action: 'rds:DescribeDBClusters',
            Resource: args.primaryCluster.arn,
          },
          { Sid: 'ReadPrimaryClusterEvents', Action: 'rds:DescribeEvents', Resource: '*' },
          {
            // Both actions accept the endpoint-group resource type (Service Authorization Reference).
            Sid: 'MoveTheseTrafficDials',
            Action: ['globalaccelerator:DescribeEndpointGroup', 'globalaccelerator:UpdateEndpointGroup'],
            Resource: groupArns,
          },
          {
            Sid: 'ReadPrimaryHealthCheck',
            Action: 'route53:GetHealthCheckStatus',
            Resource: pulumi.interpolate`arn:aws:route53:::healthcheck/${args.primaryHealthCheck.id}`,
          },
          {
            Sid: 'EvidenceLeaseAndFence',
            Action: [
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
              'dynamodb:DeleteItem',
              'dynamodb:Query',
            ],
            Resource: table.arn,
          },
          ...args.book.controlStatements(),
          ...args.keeper.takeoverStatements(),
          { Sid: 'NotifyOperators', Action: 'sns:Publish', Resource: this.topic.arn },
          {
            Sid: 'EncryptNotifications',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: notifications.key.arn,
          },
        ],
        environment: (this.orchestratorEnvironment = functionEnvironment('orchestrator', orchestratorEnvironment, {
          GLOBAL_CLUSTER_ID: args.globalDatabase.cluster.id,
          PRIMARY_CLUSTER_ARN: args.primaryCluster.arn,
          SECONDARY_CLUSTER_ARN: args.secondaryCluster.arn,
          PRIMARY_REGION: args.primaryRegion,
          CANARY_VANTAGES: vantageRegions,
          PROBE_INTERVAL_SECONDS: settings.failoverProbeIntervalSeconds,
          RECOVERY_WINDOW_SECONDS: settings.failoverRecoveryWindowSeconds,
          FAST_WINDOW_SECONDS: settings.failoverFastWindowSeconds,
          PROMOTION_MODE: settings.failoverPromotionMode,
          LEASE_SECONDS: leaseSeconds(ORCHESTRATOR_TIMEOUT_SECONDS),
          PRIMARY_ENDPOINT_GROUP_ARN: endpointGroups.primary.arn,
          SECONDARY_ENDPOINT_GROUP_ARN: endpointGroups.secondary.arn,
          ROUTE53_HEALTH_CHECK_ID: args.primaryHealthCheck.id,
          FAILOVER_RECORD_NAME: args.failoverRecordName,
          SECONDARY_RECORD_TARGET: args.secondaryLoadBalancer.alb.dnsName,
          TOPIC_ARN: this.topic.arn,
          ENVIRONMENT: settings.environmentSuffix,
          EVIDENCE_TABLE: table.name,
          BOOK_TABLE_NAME: args.book.table.name,
          BOOK_REGIONS: [...args.book.regions],
          ARBITER_TABLE: args.keeper.arbiterTable.name,
          ARBITER_TABLE_REGION: args.keeper.arbiterRegion,
          ORDER_DURABILITY: settings.orderDurability,
          METRIC_NAMESPACE: METRIC_NAMESPACES.failover,
        })),
        timeoutSeconds: ORCHESTRATOR_TIMEOUT_SECONDS,
        memoryMb: 256,
        // Schedule, alarm and operator may overlap; the lease makes the action happen once.
        reservedConcurrency: settings.orchestratorReservedConcurrency,
        // A healthy run is the minute's evaluation loop plus, when acting, the action budget.
        durationAlarmMs: (ORCHESTRATOR_TIMEOUT_SECONDS - 5) * 1000,
      },
      child,
    );
    const fn = this.orchestrator.fn;
    everyMinute(
      this.orchestrator,
      {
        name: n('orchestratorFunction', 'schedule'),
        description: 'Failover orchestrator: weigh the canaries evidence every minute',
        input: { source: 'schedule' },
      },
      child,
    );

    // The Route 53 health-check metric exists only in us-east-1, so this alarm and its topic
    // live there; the subscription crosses to the orchestrator in eu-west-1. It only nudges an
    // evaluation: the gate decides on the canaries' evidence either way.
    const pn = args.primaryName;
    const primary = { parent: this, provider: args.primaryProvider };
    const trigger = (this.triggerTopic = alarmTopic(
      { name: pn, kind: 'failoverTopic', settings, description: 'primary health alarm' },
      primary,
    ).topic);
    this.primaryHealthAlarm = new aws.cloudwatch.MetricAlarm(
      pn('alarm', 'primary-down'),
      {
        name: pn('alarm', 'primary-down'),
        alarmDescription: 'Route 53 sees the primary region unhealthy: nudges the failover orchestrator',
        ...healthCheckFailing(args.primaryHealthCheck.id),
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
      canaryArns: this.canaries.map((c) => c.fn.fn.arn),
      evidenceTableName: table.name,
      failoverTopicArn: this.topic.arn,
      primaryHealthAlarm: this.primaryHealthAlarm.name,
    });
  }
}
