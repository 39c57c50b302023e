import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ComputeStack } from '../app/compute-stack';
import { RegionSettings, Settings } from '../config';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { DatabaseStack } from '../data/database-stack';
import { NetworkStack } from '../network/network-stack';
import { ServiceRole, serviceRole, sourceConditions, Statement } from '../security/iam';
import { RegionKeys } from '../security/region-keys';
import { GAME_DAY_EXPERIMENTS, GAME_DAYS, GameDayExperiment, isoMinutes } from '../model/game-day-catalog';
import { MonitoringStack } from './monitoring-stack';
import { OrderBook } from '../data/order-book';

export interface GameDaysArgs {
  readonly settings: Settings;
  /** The region the experiments run in (the primary): its resources are the targets. */
  readonly region: RegionSettings;
  readonly name: Namer;
  /** The region cross-region connectivity is cut to (the secondary). */
  readonly peerRegion: string;
  readonly keys: RegionKeys;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  readonly compute: ComputeStack;
  readonly monitoring: MonitoringStack;
  /** The live order book (its replica in this region is paused on cross-region-lost). */
  readonly book: OrderBook;
}

/** One target of a template: up to 5 ARNs (provider: `resource_arns` MaxItems 5). */
export interface TargetSpec {
  readonly name: string;
  readonly resourceType: string;
  readonly resourceArns: pulumi.Input<string>[];
}

export interface ActionSpec {
  readonly name: string;
  readonly actionId: string;
  /** The action's target key (`Subnets`, `Clusters`, ...) and the template target it points at. */
  readonly target: { readonly key: string; readonly value: string };
  readonly parameters: Readonly<Record<string, pulumi.Input<string>>>;
}

export interface TemplateSpec {
  readonly id: GameDayExperiment;
  readonly targets: readonly TargetSpec[];
  readonly actions: readonly ActionSpec[];
  /** Qualifiers of this region's alarms that stop the experiment. */
  readonly stopOn: readonly string[];
}

/** The resources the experiments aim at, by ARN. */
export interface TemplateInputs {
  readonly publicSubnetArns: readonly pulumi.Input<string>[];
  readonly privateSubnetArns: readonly pulumi.Input<string>[];
  readonly clusterArn: pulumi.Input<string>;
  readonly autoScalingGroupArn: pulumi.Input<string>;
  /** The zone the AZ-loss experiment takes out (the first one), as FIS takes it: a name such as us-east-1a. */
  readonly lostZone: pulumi.Input<string>;
  readonly peerRegion: string;
  /** The order book's replica in this region (a global table). */
  readonly bookTableArn: pulumi.Input<string>;
}

/**
 * The experiment templates, as data: what the component registers and what the runbook
 * describes. Subnets are split by tier because a target holds at most 5 ARNs and a region has
 * 3 of each.
 */
export function templateSpecs(t: TemplateInputs): Record<GameDayExperiment, TemplateSpec> {
  const subnets = (name: string, arns: readonly pulumi.Input<string>[]): TargetSpec => ({
    name,
    resourceType: 'aws:ec2:subnet',
    resourceArns: [...arns],
  });
  const minutes = (id: GameDayExperiment) => isoMinutes(GAME_DAYS[id].minutes);
  const denyAll = (id: GameDayExperiment, name: string, target: string): ActionSpec => ({
    name,
    actionId: 'aws:network:disrupt-connectivity',
    target: { key: 'Subnets', value: target },
    parameters: { duration: minutes(id), scope: 'all' },
  });
  return {
    'app-unreachable': {
      id: 'app-unreachable',
      targets: [subnets('public-subnets', t.publicSubnetArns), subnets('private-subnets', t.privateSubnetArns)],
      actions: [
        denyAll('app-unreachable', 'deny-public', 'public-subnets'),
        denyAll('app-unreachable', 'deny-private', 'private-subnets'),
      ],
      // The ledger lagging behind the acknowledged orders, or orders acknowledged in one region only (RPO > 0): stop.
      stopOn: ['book-apply-lag', 'book-regional-durability'],
    },
    'db-failover-in-region': {
      id: 'db-failover-in-region',
      targets: [{ name: 'primary-cluster', resourceType: 'aws:rds:cluster', resourceArns: [t.clusterArn] }],
      actions: [
        {
          name: 'failover-cluster',
          actionId: 'aws:rds:failover-db-cluster',
          target: { key: 'Clusters', value: 'primary-cluster' },
          parameters: {},
        },
      ],
      stopOn: ['alb-5xx-rate', 'book-apply-lag'],
    },
    'cross-region-lost': {
      id: 'cross-region-lost',
      targets: [
        subnets('public-subnets', t.publicSubnetArns),
        subnets('private-subnets', t.privateSubnetArns),
        { name: 'book', resourceType: 'aws:dynamodb:global-table', resourceArns: [t.bookTableArn] },
      ],
      actions: [
        ...(['public', 'private'] as const).map((tier) => ({
          name: `cut-${tier}`,
          actionId: 'aws:network:route-table-disrupt-cross-region-connectivity',
          target: { key: 'Subnets', value: `${tier}-subnets` },
          parameters: { duration: minutes('cross-region-lost'), region: t.peerRegion },
        })),
        // The route tables carry our traffic to the peer region (the peer replica's endpoint over
        // the peering); the book's own replication runs inside DynamoDB and needs its own fault
        // (FIS actions reference, "Amazon DynamoDB actions": a time-bound Deny for the
        // replication service-linked role appended to the table's resource policy, removed at the end).
        {
          name: 'pause-book-replication',
          actionId: 'aws:dynamodb:global-table-pause-replication',
          target: { key: 'Tables', value: 'book' },
          parameters: { duration: minutes('cross-region-lost') },
        },
      ],
      stopOn: ['book-regional-durability', 'book-apply-lag', 'alb-5xx-rate'],
    },
    'az-lost': {
      id: 'az-lost',
      targets: [
        subnets('zone-subnets', [t.publicSubnetArns[0], t.privateSubnetArns[0]]),
        { name: 'fleet', resourceType: 'aws:ec2:autoscaling-group', resourceArns: [t.autoScalingGroupArn] },
      ],
      actions: [
        denyAll('az-lost', 'deny-zone', 'zone-subnets'),
        {
          name: 'no-capacity-in-zone',
          actionId: 'aws:ec2:asg-insufficient-instance-capacity-error',
          target: { key: 'AutoScalingGroups', value: 'fleet' },
          parameters: { duration: minutes('az-lost'), availabilityZoneIdentifiers: t.lostZone, percentage: '100' },
        },
      ],
      stopOn: ['alb-5xx-rate', 'book-apply-lag'],
    },
  };
}

/**
 * The platform's game days as AWS FIS experiment templates in the primary region (config
 * `gameDays: enabled`): their role, a log group and one template per experiment of the catalog
 * (game-day-catalog.ts). Templates cost nothing until started (`npm run gameday`).
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class GameDays extends pulumi.ComponentResource {
  readonly templates: Readonly<Record<GameDayExperiment, aws.fis.ExperimentTemplate>>;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly role: ServiceRole['ready'];

  constructor(name: string, args: GameDaysArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:observe:GameDays', name, {}, opts);
    const { settings, region, name: n, network, database, compute, monitoring } = args;
    const child = { parent: this };
    const account = aws.getCallerIdentityOutput({}, child);

    this.logGroup = new aws.cloudwatch.LogGroup(
      n('fisLogGroup'),
      {
        name: `/tap/${n('fisLogGroup')}`,
        retentionInDays: settings.logRetentionDays,
        kmsKeyId: args.keys.key('logs').arn,
      },
      { ...child, ...DELETE_BEFORE_REPLACE },
    );

    const clusterArn = database.cluster.arn;
    const statements: Statement[] = [
      // aws:rds:failover-db-cluster (FIS actions reference, "Amazon RDS actions": permissions
      // rds:FailoverDBCluster, rds:DescribeDBClusters): only this region's member.
      {
        Sid: 'FailoverPrimaryCluster',
        Action: ['rds:FailoverDBCluster', 'rds:DescribeDBClusters'],
        Resource: clusterArn,
      },
      // aws:ec2:asg-insufficient-instance-capacity-error: ec2:InjectApiError takes no resource but
      // `*`; the FIS user guide's policy examples scope it by the condition keys ec2:FisActionId
      // and ec2:FisTargetArns (both required here: this action, on this fleet only).
      // aws:dynamodb:global-table-pause-replication (FIS actions reference, "Amazon DynamoDB
      // actions": dynamodb:PutResourcePolicy, DeleteResourcePolicy, GetResourcePolicy,
      // DescribeTable, tag:GetResources): on this region's replica of the book only.
      {
        Sid: 'PauseBookReplication',
        Action: [
          'dynamodb:PutResourcePolicy',
          'dynamodb:DeleteResourcePolicy',
          'dynamodb:GetResourcePolicy',
          'dynamodb:DescribeTable',
        ],
        Resource: args.book.arnIn(region.region),
      },
      { Sid: 'ResolveTargets', Action: 'tag:GetResources', Resource: '*' },
      {
        Sid: 'InsufficientCapacityInZone',
        Action: 'ec2:InjectApiError',
        Resource: '*',
        Condition: {
          StringEquals: { 'ec2:FisActionId': 'aws:ec2:asg-insufficient-instance-capacity-error' },
          'ForAllValues:ArnLike': { 'ec2:FisTargetArns': [compute.fleet.autoScalingGroup.arn] },
        },
      },
      { Sid: 'ReadAutoScalingGroups', Action: 'autoscaling:DescribeAutoScalingGroups', Resource: '*' },
      // Experiment logs are vended logs: the role sets up the delivery to the log group
      // (CloudWatch Logs guide, "Logs sent to CloudWatch Logs": CreateLogDelivery on `*`, the
      // resource-policy actions on the region's log groups).
      { Sid: 'DeliverExperimentLogs', Action: 'logs:CreateLogDelivery', Resource: '*' },
      {
        Sid: 'LogGroupResourcePolicy',
        Action: ['logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
        Resource: pulumi.interpolate`arn:aws:logs:${region.region}:${account.accountId}:log-group:*`,
      },
    ];
    this.role = serviceRole(
      {
        name: n('fisRole'),
        service: 'fis.amazonaws.com',
        // Only this account's experiments in this region may act through the role.
        trustCondition: sourceConditions(
          account.accountId,
          pulumi.interpolate`arn:aws:fis:${region.region}:${account.accountId}:experiment/*`,
        ),
        // The network actions (NACL clones, route-table and prefix-list swaps, all tagged
        // managedByFIS) need some twenty EC2 permissions; AWS keeps this managed policy in step
        // with them ("AWS managed policies for AWS Fault Injection Service":
        // AWSFaultInjectionSimulatorNetworkAccess covers aws:network:disrupt-connectivity and,
        // since 25 January 2024, aws:network:route-table-disrupt-cross-region-connectivity).
        managedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSFaultInjectionSimulatorNetworkAccess'],
        statements,
      },
      child,
    ).ready;

    const specs = templateSpecs({
      publicSubnetArns: network.publicSubnetArns,
      privateSubnetArns: network.privateSubnetArns,
      clusterArn,
      autoScalingGroupArn: compute.fleet.autoScalingGroup.arn,
      lostZone: network.availabilityZones.apply((zones) => zones[0]),
      peerRegion: args.peerRegion,
      bookTableArn: args.book.arnIn(region.region),
    });
    const template = (id: GameDayExperiment) => {
      const spec = specs[id];
      return new aws.fis.ExperimentTemplate(
        n('experimentTemplate', id),
        {
          description: GAME_DAYS[id].description,
          roleArn: this.role.arn,
          targets: spec.targets.map((t) => ({ ...t, selectionMode: 'ALL' })),
          actions: spec.actions.map((a) => ({
            name: a.name,
            actionId: a.actionId,
            target: a.target,
            parameters: Object.entries(a.parameters).map(([key, value]) => ({ key, value })),
          })),
          stopConditions: spec.stopOn.map((qualifier) => ({
            source: 'aws:cloudwatch:alarm',
            value: monitoring.alarm(qualifier).arn,
          })),
          // FIS wants the log group's ARN with its `:*` suffix; the provider's `arn` has none.
          logConfiguration: {
            logSchemaVersion: 2,
            cloudwatchLogsConfiguration: { logGroupArn: pulumi.interpolate`${this.logGroup.arn}:*` },
          },
          experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
          tags: { Name: n('experimentTemplate', id) },
        },
        child,
      );
    };
    this.templates = Object.fromEntries(GAME_DAY_EXPERIMENTS.map((id) => [id, template(id)])) as Record<
      GameDayExperiment,
      aws.fis.ExperimentTemplate
    >;
    this.registerOutputs({
      templateIds: Object.fromEntries(GAME_DAY_EXPERIMENTS.map((id) => [id, this.templates[id].id])),
    });
  }
}
