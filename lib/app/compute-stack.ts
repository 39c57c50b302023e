import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { Fleet } from './fleet';
import { LoadBalancer } from './load-balancer';
import { LogArchive } from '../security/log-archive';
import { Namer } from '../config/naming';
import { NetworkStack } from '../network/network-stack';
import { SERVICE_PORT } from './order-api';
import { ServiceRuntime } from '../functions/service-runtime';
import { readSecretStatements } from '../data/credentials-stack';
import { egressRules } from '../network/egress';
import { OrderBook } from '../data/order-book';
import { functionEnvironment } from '../functions/function-environment';
import { tradingEnvironment } from '../../lambda/trading/environment';
import { RegionKeys } from '../security/region-keys';
import { TradingFunction } from './trading-function';
import { WebAcl } from '../security/web-acl';
import { namedSecurityGroup } from '../network/named-security-group';
import { RequestLedgerTable } from '../security/request-ledger-table';
import { apiHostNames } from '../config/api-hosts';
import type { CodeSigning } from '../functions/code-signing';

export interface ComputeStackArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /** The other region's network: its DynamoDB interface endpoint serves the peer replica. */
  readonly peerNetwork: NetworkStack;
  /** ARN of this region's copy of the API client keys. */
  readonly clientKeysSecretArn: pulumi.Input<string>;
  /** The live order book the order API acknowledges orders in, and its peer replica's region. */
  readonly book: OrderBook;
  readonly peerRegion: string;
  /** The peer replica's way in: its region's DynamoDB interface endpoint (lib/network/peer-dynamodb-endpoint.ts). */
  readonly peerBookEndpoint: pulumi.Input<string>;
  readonly keys: RegionKeys;
  /** The region's access-log bucket (ALB access logs, S3 server access logs). */
  readonly logArchive: LogArchive;
  /** The certificate its HTTPS listener serves; none with `tls: none`. */
  readonly certificateArn?: pulumi.Input<string>;
}

/**
 * One region's application tier, in the order it comes up: the load balancer; the security
 * group every order-API process shares; the trading Lambda and the EC2 fleet behind the load
 * balancer (same order API, one implementation).
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class ComputeStack extends pulumi.ComponentResource {
  readonly loadBalancer: LoadBalancer;
  readonly webAcl: WebAcl;
  /** The order API's Lambda function: no ingress; the order book and the endpoints only. */
  readonly appSecurityGroup: aws.ec2.SecurityGroup;
  /** The EC2 fleet: from the ALB; the order book, the endpoints and S3. */
  readonly fleetSecurityGroup: aws.ec2.SecurityGroup;
  readonly trading: TradingFunction;
  readonly fleet: Fleet;
  /** What every order API process runs with. */
  readonly service: ServiceRuntime;
  /** The region's request ledger: rate buckets and nonces shared by every instance (lambda/trading/request-ledger.ts). */
  readonly requestLedger: RequestLedgerTable;

  /** The roles that verify signed requests here (function and instances): the client keys' readers. */
  get verifierRoleArns(): pulumi.Output<string>[] {
    return [this.trading.role.resource.arn, this.fleet.instanceRole.resource.arn];
  }

  constructor(name: string, args: ComputeStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:ComputeStack', name, {}, opts);
    const { settings, region, name: n, network } = args;
    const child = { parent: this };

    this.loadBalancer = new LoadBalancer(
      n('loadBalancer'),
      { settings, region, name: n, network, logArchive: args.logArchive, certificateArn: args.certificateArn },
      child,
    );

    this.webAcl = new WebAcl(
      n('webAcl'),
      {
        settings,
        name: n,
        region: region.region,
        loadBalancerArn: this.loadBalancer.alb.arn,
        logsKeyArn: args.keys.key('logs').arn,
      },
      child,
    );

    // Egress of both groups comes from the one table in lib/network/egress.ts.
    // The ALB invokes the Lambda through the Lambda API: nothing connects to the functions.
    this.appSecurityGroup = namedSecurityGroup(
      n('appSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Trading Lambda function: to the order book and the AWS API endpoints only',
        egress: egressRules('functions', network, args.peerNetwork),
      },
      child,
    );
    this.fleetSecurityGroup = namedSecurityGroup(
      n('fleetSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Trading service on EC2: from the ALB; to the order book, AWS APIs, S3',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: SERVICE_PORT,
            toPort: SERVICE_PORT,
            securityGroups: [this.loadBalancer.securityGroup.id],
            description: 'from the ALB',
          },
        ],
        egress: egressRules('fleet', network, args.peerNetwork),
      },
      child,
    );
    this.requestLedger = new RequestLedgerTable(n('authLedger'), { name: n }, child);
    const service: ServiceRuntime = {
      // Through the order API's own contract (lambda/trading/environment.ts): checked at plan time.
      environment: {
        ...functionEnvironment('trading', tradingEnvironment, {
          REGION_NAME: region.region,
          REGION_ROLE: region.role,
          CLIENT_KEYS_SECRET_ARN: args.clientKeysSecretArn,
          // The live order book: the peer replica first with cross-region durability.
          BOOK_TABLE_NAME: args.book.table.name,
          BOOK_PEER_REGION: args.peerRegion,
          BOOK_PEER_ENDPOINT: args.peerBookEndpoint,
          BOOK_SIGNING_SECRET_ARN: args.book.signingSecretArnIn(region.region),
        }),
        // Set beside the contract; only their shape is checked there.
        API_HOSTS: apiHostNames(settings, region.region).join(','),
        AUTH_TABLE_NAME: this.requestLedger.table.name,
      },
      statements: [
        ...readSecretStatements('ClientKeys', args.clientKeysSecretArn, args.keys.key('clientKeys').arn, region.region),
        ...this.requestLedger.statements,
        ...args.book.writeStatements(region.region),
      ],
      vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.appSecurityGroup.id] },
    };

    this.service = service;
    this.trading = new TradingFunction(
      n('trading'),
      {
        settings,
        name: n,
        service,
        targetGroup: this.loadBalancer.lambdaTargetGroup,
        logsKeyArn: args.keys.key('logs').arn,
        codeSigning: args.codeSigning,
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
        service: { ...service, vpc: { ...service.vpc, securityGroupIds: [this.fleetSecurityGroup.id] } },
        loadBalancer: this.loadBalancer,
        logArchive: args.logArchive,
        logsKeyArn: args.keys.key('logs').arn,
      },
      child,
    );

    this.registerOutputs({
      albDnsName: this.loadBalancer.alb.dnsName,
      albArn: this.loadBalancer.alb.arn,
      tradingFunctionArn: this.trading.fn.arn,
    });
  }
}
