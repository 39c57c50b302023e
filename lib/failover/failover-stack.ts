import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { METRIC_NAMESPACES } from '../../lambda/facts/metrics';
import { leaseSeconds, ORCHESTRATOR_TIMEOUT_SECONDS } from '../../lambda/facts/timing';
import { alarmTopic } from '../alarms/alarm-topic';
import { healthCheckFailing } from '../alarms/alarms';
import { Canary, Vantage } from './canary';
import { FailoverEvidence } from './failover-evidence';
import { Keeper } from './keeper';
import { Settings } from '../config';
import type { ByRole } from '../config/by-role';
import { GlobalDatabase } from '../data/global-database';
import { resolvedAfter } from '../security/iam';
import { buildFunction, BuiltFunction, everyMinute } from '../functions/lambda-function';
import { LoadBalancer } from '../app/load-balancer';
import { OrderBook } from '../data/order-book';
import { functionEnvironment } from '../functions/function-environment';
import { orchestratorEnvironment } from '../../lambda/orchestrator/environment';
import { DELETE_BEFORE_REPLACE, Namer, regionalName } from '../config/naming';
import type { GlobalStack } from '../traffic/global-stack';
import type { CodeSigning } from '../functions/code-signing';

/** What the failover needs of each region (a RegionBundle has it). */
export interface FailoverRegion {
  readonly region: string;
  readonly name: Namer;
  readonly provider: aws.Provider;
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly database: { readonly cluster: aws.rds.Cluster };
  /** The region's public entry: the primary's is probed the way users reach it; the secondary's
   * is the name the failover record answers once it has failed over. */
  readonly compute: { readonly loadBalancer: LoadBalancer };
}

export interface FailoverStackArgs {
  readonly settings: Settings;
  /**
   * Both regions. The orchestrator runs in the secondary (the component's own provider); the
   * primary is probed and fenced, and its provider (us-east-1) holds the Route 53 health alarm
   * and its topic.
   */
  readonly regions: ByRole<FailoverRegion>;
  readonly globalDatabase: GlobalDatabase;
  /**
   * Route 53 and Global Accelerator: the primary's health check, the failover record
   * (api.<domain>: answering the secondary corroborates a lost region) and the traffic dials the
   * orchestrator fences with.
   */
  readonly traffic: Pick<GlobalStack, 'healthChecks' | 'apiName' | 'endpointGroups'>;
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
    const { settings, regions, traffic } = args;
    const { primary, secondary } = regions;
    const { endpointGroups } = traffic;
    const primaryHealthCheck = traffic.healthChecks.primary;
    const n = secondary.name;
    const child = { parent: this };
    this.region = secondary.region;
    const vantageRegions = args.vantages.map((v) => v.region);
    if (new Set(vantageRegions).size < 2 || vantageRegions.includes(primary.region)) {
      throw new Error(
        `the promotion gate needs canaries in at least two regions other than ${primary.region}; got ${vantageRegions.join(', ')}`,
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
            targetRegion: primary.region,
            target: primary.compute.loadBalancer,
            // The primary's regional name (`use1.<domain>`): on its certificate and resolving to
            // it alone, what the canaries send as SNI and Host and verify TLS against.
            hostname: regionalName(settings, primary.region),
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
        codeSigning: secondary.codeSigning,
        code: 'orchestrator',
        description: 'Fences traffic and promotes the eu-west-1 Aurora cluster once the gate confirms the primary down',
        settings,
        statements: [
          {
            Sid: 'PromoteThisGlobalCluster',
            Action: ['rds:DescribeGlobalClusters', 'rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
            Resource: [args.globalDatabase.cluster.arn, secondary.database.cluster.arn, primary.database.cluster.arn],
          },
          {
            // The primary's own report before any AllowDataLoss promotion (through the us-east-1 API).
            // Read-only. DescribeEvents is granted on "*": whether it accepts a cluster ARN as its
            // resource was not verified offline (check the Service Authorization Reference for RDS).
            Sid: 'ReadPrimaryClusterStatus',
            Action: 'rds:DescribeDBClusters',
            Resource: primary.database.cluster.arn,
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
            Resource: pulumi.interpolate`arn:aws:route53:::healthcheck/${primaryHealthCheck.id}`,
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
          PRIMARY_CLUSTER_ARN: primary.database.cluster.arn,
          SECONDARY_CLUSTER_ARN: secondary.database.cluster.arn,
          PRIMARY_REGION: primary.region,
          CANARY_VANTAGES: vantageRegions,
          PROBE_INTERVAL_SECONDS: settings.failoverProbeIntervalSeconds,
          RECOVERY_WINDOW_SECONDS: settings.failoverRecoveryWindowSeconds,
          FAST_WINDOW_SECONDS: settings.failoverFastWindowSeconds,
          PROMOTION_MODE: settings.failoverPromotionMode,
          LEASE_SECONDS: leaseSeconds(ORCHESTRATOR_TIMEOUT_SECONDS),
          PRIMARY_ENDPOINT_GROUP_ARN: endpointGroups.primary.arn,
          SECONDARY_ENDPOINT_GROUP_ARN: endpointGroups.secondary.arn,
          ROUTE53_HEALTH_CHECK_ID: primaryHealthCheck.id,
          FAILOVER_RECORD_NAME: traffic.apiName,
          SECONDARY_RECORD_TARGET: secondary.compute.loadBalancer.alb.dnsName,
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
    const pn = primary.name;
    const inPrimary = { parent: this, provider: primary.provider };
    const trigger = (this.triggerTopic = alarmTopic(
      { name: pn, kind: 'failoverTopic', settings, description: 'primary health alarm' },
      inPrimary,
    ).topic);
    this.primaryHealthAlarm = new aws.cloudwatch.MetricAlarm(
      pn('alarm', 'primary-down'),
      {
        name: pn('alarm', 'primary-down'),
        alarmDescription: 'Route 53 sees the primary region unhealthy: nudges the failover orchestrator',
        ...healthCheckFailing(primaryHealthCheck.id),
        alarmActions: [trigger.arn],
        okActions: [trigger.arn],
      },
      { ...inPrimary, ...DELETE_BEFORE_REPLACE },
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
      { parent: trigger, provider: primary.provider },
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
