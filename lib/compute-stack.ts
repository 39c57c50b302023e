import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from './config';
import { DatabaseStack, POSTGRES_PORT, postgresEgress } from './database-stack';
import { Fleet } from './fleet';
import { Statement } from './iam';
import { LoadBalancer } from './load-balancer';
import { Namer } from './naming';
import { NetworkStack } from './network-stack';
import { SERVICE_PORT, ServiceRuntime } from './order-api';
import { journalEnvironment, JournalAccess, journalStatements } from './order-journal';
import { OrderQueue } from './order-queue';
import { TradingFunction } from './trading-function';

export interface ComputeStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /** The other region's network: the writer is there after a switchover or failover. */
  readonly peerNetwork: NetworkStack;
  readonly database: DatabaseStack;
  /** The Aurora global writer endpoint: it follows the writer to whichever region holds it. */
  readonly writerEndpoint: pulumi.Input<string>;
  /** ARN of this region's copy of the application credential. */
  readonly appSecretArn: pulumi.Input<string>;
  /** The deploy-time schema migration: nothing serves or drains orders before it. */
  readonly schema: pulumi.Resource;
  /** Both regions' order journals and the fence record: every order writer journals. */
  readonly journal: JournalAccess;
}

/**
 * One region's application tier, in the order it comes up: the load balancer; the security
 * group every order-API process shares; the order queue and its drainer; the trading Lambda
 * and the EC2 fleet behind the load balancer (same order API, one implementation).
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class ComputeStack extends pulumi.ComponentResource {
  readonly loadBalancer: LoadBalancer;
  readonly appSecurityGroup: aws.ec2.SecurityGroup;
  readonly orders: OrderQueue;
  readonly trading: TradingFunction;
  readonly fleet: Fleet;
  /** What every order API process runs with (the journal auditor reuses its database settings). */
  readonly service: ServiceRuntime;
  /** The grants to log in to the database (the app credential and this region's key). */
  readonly databaseAccess: readonly Statement[];

  constructor(name: string, args: ComputeStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:ComputeStack', name, {}, opts);
    const { settings, region, name: n, network, database } = args;
    const child = { parent: this };

    this.loadBalancer = new LoadBalancer(n('loadBalancer'), { settings, region, name: n, network }, child);

    // The app reaches only Aurora and the AWS APIs; only the ALB reaches the app.
    this.appSecurityGroup = new aws.ec2.SecurityGroup(
      n('appSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Trading service (EC2, Lambda, drainer): from the ALB; to Aurora (both regions) and AWS APIs',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: SERVICE_PORT,
            toPort: SERVICE_PORT,
            securityGroups: [this.loadBalancer.securityGroup.id],
            description: 'from the ALB',
          },
        ],
        egress: [
          ...postgresEgress(region.vpcCidr, args.peerNetwork.vpcCidr),
          {
            protocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ['0.0.0.0/0'],
            description: 'AWS APIs (endpoints, S3 gateway) and package repositories',
          },
        ],
        tags: { Name: n('appSecurityGroup') },
      },
      child,
    );
    database.allowClient('app', this.appSecurityGroup.id);

    this.databaseAccess = [
      { Sid: 'ReadAppCredential', Action: 'secretsmanager:GetSecretValue', Resource: args.appSecretArn },
      { Sid: 'DecryptWithRegionKey', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: database.key.arn },
    ];
    const service: ServiceRuntime = {
      environment: {
        REGION_NAME: region.region,
        REGION_ROLE: region.role,
        DB_SECRET_ARN: args.appSecretArn,
        // Writes follow the writer: the global writer endpoint resolves to whichever region's
        // cluster writes, so after a switchover or failover both regions write there (over the
        // peering) without a redeploy, and queued orders drain to it.
        DB_HOST: args.writerEndpoint,
        // The local reader: answers while no writer is reachable, telling "queue it" from "down".
        DB_READ_HOST: database.cluster.readerEndpoint,
        DB_PORT: String(POSTGRES_PORT),
        DB_NAME: settings.dbName,
        DB_SSL: 'verify-full',
        ...journalEnvironment(args.journal, settings),
      },
      statements: [...this.databaseAccess, ...journalStatements(args.journal)],
      vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.appSecurityGroup.id] },
      ready: [args.schema],
    };

    this.service = service;
    this.orders = new OrderQueue(n('orders'), { settings, name: n, key: database.key, service }, child);
    this.trading = new TradingFunction(
      n('trading'),
      {
        settings,
        name: n,
        service: this.orders.service,
        enqueue: this.orders.sendStatement,
        targetGroup: this.loadBalancer.lambdaTargetGroup,
      },
      child,
    );
    this.fleet = new Fleet(
      n('fleet'),
      {
        settings,
        region,
        name: n,
        network,
        service: this.orders.service,
        enqueue: this.orders.sendStatement,
        loadBalancer: this.loadBalancer,
      },
      child,
    );

    this.registerOutputs({
      albDnsName: this.loadBalancer.alb.dnsName,
      albArn: this.loadBalancer.alb.arn,
      tradingFunctionArn: this.trading.fn.arn,
      orderQueueUrl: this.orders.queue.url,
    });
  }
}
