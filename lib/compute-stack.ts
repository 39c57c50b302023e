import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from './config';
import { DatabaseStack, POSTGRES_PORT } from './database-stack';
import { Fleet } from './fleet';
import { LoadBalancer } from './load-balancer';
import { Namer } from './naming';
import { NetworkStack } from './network-stack';
import { SERVICE_PORT, ServiceRuntime } from './order-api';
import { OrderQueue } from './order-queue';
import { TradingFunction } from './trading-function';

export interface ComputeStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  /** ARN of this region's copy of the application credential. */
  readonly appSecretArn: pulumi.Input<string>;
  /** ARN of this region's copy of the order API's client keys (the API reads it; the drainer does not). */
  readonly clientKeysSecretArn: pulumi.Input<string>;
  /** The Aurora global writer endpoint: follows the writer across regions. */
  readonly globalWriterEndpoint: pulumi.Input<string>;
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
        description: 'Trading service (EC2, Lambda, drainer): from the ALB; to Aurora and AWS APIs',
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
          {
            protocol: 'tcp',
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            cidrBlocks: [region.vpcCidr],
            description: 'Aurora in this VPC',
          },
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

    const service: ServiceRuntime = {
      environment: {
        REGION_NAME: region.region,
        REGION_ROLE: region.role,
        DB_SECRET_ARN: args.appSecretArn,
        // The global writer endpoint: after a failover or switchover writes reach the new writer
        // without a redeploy (the local cluster endpoint stays read-only in a secondary).
        DB_HOST: args.globalWriterEndpoint,
        // Answers in the standby while its writer endpoint is inactive: tells read-only from down.
        DB_READ_HOST: database.cluster.readerEndpoint,
        DB_PORT: String(POSTGRES_PORT),
        DB_NAME: settings.dbName,
        DB_SSL: 'verify-full',
      },
      statements: [
        { Sid: 'ReadAppCredential', Action: 'secretsmanager:GetSecretValue', Resource: args.appSecretArn },
        { Sid: 'DecryptWithRegionKey', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: database.key.arn },
      ],
      vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.appSecurityGroup.id] },
    };

    this.orders = new OrderQueue(n('orders'), { settings, name: n, key: database.key, service }, child);
    // The processes that serve requests also read the clients' signing keys.
    const api: ServiceRuntime = {
      ...this.orders.service,
      environment: { ...this.orders.service.environment, CLIENT_KEYS_SECRET_ARN: args.clientKeysSecretArn },
      statements: [
        ...this.orders.service.statements,
        { Sid: 'ReadClientKeys', Action: 'secretsmanager:GetSecretValue', Resource: args.clientKeysSecretArn },
      ],
    };
    this.trading = new TradingFunction(
      n('trading'),
      {
        settings,
        name: n,
        service: api,
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
        service: api,
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
