// Over 320 lines for now: VPC endpoints and flow logs move to their own files (issue 21 item 4).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { planSubnets } from '../model/cidr';
import { RegionSettings, Settings } from '../config';
import { HTTPS_PORT } from './egress';
import { AURORA_ENGINE, AURORA_STORAGE_TYPE } from '../model/aurora-engine';
import { serviceRole, sourceConditions } from '../security/iam';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { chooseZones, Zone, zonesOffering } from './placement';
import { RegionKeys } from '../security/region-keys';
import { securityGroupName } from './security-group-name';

/** AWS APIs private workloads call, reached through interface endpoints instead of the internet. */
export const INTERFACE_ENDPOINT_SERVICES = [
  'secretsmanager',
  'rds',
  'logs',
  'monitoring',
  'ssm',
  'ssmmessages',
  'ec2messages',
  'sqs',
  'sns',
  'kms',
  'lambda',
] as const;

/** Services whose every call our workloads make names a resource of this account. */
const OWN_RESOURCE_SERVICES: readonly string[] = ['secretsmanager', 'kms', 'sqs', 'sns', 'logs'];

/**
 * An interface endpoint's policy: only principals of this account, and for the services that
 * hold our data, only resources of this account (no exfiltration to another account's queue,
 * secret or key through our endpoint). The other services' calls carry no resource account
 * (PutMetricData, Session Manager channels), where `aws:ResourceAccount` would refuse them.
 */
export function interfaceEndpointPolicy(service: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [thisAccountOnly(accountId, OWN_RESOURCE_SERVICES.includes(service))],
  };
}

/** Any call by this account's principals, and with `ownResources`, only on this account's resources. */
function thisAccountOnly(accountId: string, ownResources: boolean): Record<string, unknown> {
  const own = { 'aws:PrincipalAccount': accountId };
  return {
    Sid: 'ThisAccountOnly',
    Effect: 'Allow',
    Principal: '*',
    Action: '*',
    Resource: '*',
    Condition: { StringEquals: ownResources ? { ...own, 'aws:ResourceAccount': accountId } : own },
  };
}

/**
 * The S3 gateway endpoint's policy: this account's principals, plus the anonymous reads dnf
 * makes of Amazon Linux 2023's repository bucket in this region.
 */
export function s3EndpointPolicy(region: string, accountId: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      thisAccountOnly(accountId, false),
      {
        Sid: 'AmazonLinuxRepositories',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::al2023-repos-${region}-de612dc2/*`,
      },
    ],
  };
}

export interface NetworkStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  /** The region's keys: the flow-log group uses the logs key. */
  readonly keys: RegionKeys;
}

/**
 * One region's VPC: a public and a private subnet in each of `azCount` AZs, internet gateway
 * for the ALB, optional NAT, VPC endpoints for the AWS APIs the private tier calls, and flow
 * logs. The parent tree follows the topology: vpc -> subnets / route tables -> routes.
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class NetworkStack extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly vpcCidr: string;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** Subnet ARNs by zone (index = zone), for what targets subnets by ARN (FIS experiments). */
  readonly publicSubnetArns: pulumi.Output<string>[];
  readonly privateSubnetArns: pulumi.Output<string>[];
  /** CIDRs of the private subnets (what peering routes to). */
  readonly privateSubnetCidrs: readonly string[];
  /** Prefix list of the S3 gateway endpoint (for security-group egress). */
  readonly s3PrefixListId: pulumi.Output<string>;
  /** The DynamoDB gateway endpoint's prefix list: this region's order book replica. */
  readonly dynamodbPrefixListId: pulumi.Output<string>;
  readonly privateRouteTables: aws.ec2.RouteTable[];
  /** The chosen zones, by ID: each offers the instance type and the database class. */
  readonly zones: pulumi.Output<Zone[]>;
  /** Their names in this account (what RDS instance placement takes), in the same order. */
  readonly availabilityZones: pulumi.Output<string[]>;
  readonly endpointSecurityGroup: aws.ec2.SecurityGroup;

  constructor(name: string, args: NetworkStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:network:NetworkStack', name, {}, opts);
    const { settings, region, name: n } = args;
    const res = (parent: pulumi.Resource): pulumi.CustomResourceOptions => ({ parent });
    const plan = planSubnets(region.vpcCidr, settings.azCount);
    this.vpcCidr = region.vpcCidr;
    this.privateSubnetCidrs = plan.private;
    const account = aws.getCallerIdentityOutput({}, { parent: this });

    // Zones by ID, among those offering what the platform runs there (Local Zones excluded).
    const lookup = { parent: this };
    const available = aws.getAvailabilityZonesOutput(
      { state: 'available', filters: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }] },
      lookup,
    );
    const instanceZones = aws.ec2.getInstanceTypeOfferingsOutput(
      { locationType: 'availability-zone-id', filters: [{ name: 'instance-type', values: [settings.instanceType] }] },
      lookup,
    );
    const databaseZones = aws.rds.getOrderableDbInstanceOutput(
      {
        engine: AURORA_ENGINE,
        engineVersion: settings.dbEngineVersion,
        instanceClass: settings.dbInstanceClass,
        supportsGlobalDatabases: true,
        // Aurora lists each class once per storage type (standard `aurora`, I/O-Optimized
        // `aurora-iopt1`); two matches are an error of the data source. The clusters use standard.
        storageType: AURORA_STORAGE_TYPE,
      },
      lookup,
    );
    this.zones = pulumi
      .all([available.names, available.zoneIds, instanceZones.locations, databaseZones.availabilityZones])
      .apply(([names, ids, ec2ZoneIds, dbZoneNames]) => {
        const all = names.map((name, i) => ({ name, id: ids[i] }));
        const idOf = (name: string) => all.find((z) => z.name === name)?.id ?? name;
        return chooseZones(
          region.region,
          all,
          [
            { what: `EC2 ${settings.instanceType}`, zoneIds: ec2ZoneIds },
            { what: `Aurora ${settings.dbInstanceClass} (global database)`, zoneIds: dbZoneNames.map(idOf) },
          ],
          settings.azCount,
        );
      });
    this.availabilityZones = this.zones.apply((zones) => zones.map((z) => z.name));

    this.vpc = new aws.ec2.Vpc(
      n('vpc'),
      {
        cidrBlock: region.vpcCidr,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: { Name: n('vpc') },
      },
      res(this),
    );
    const vpc = this.vpc;

    // The IGW is always created: the ALBs are internet-facing, so public subnets need it.
    const igw = new aws.ec2.InternetGateway(
      n('internetGateway'),
      { vpcId: vpc.id, tags: { Name: n('internetGateway') } },
      res(vpc),
    );

    const azLetter = (i: number) => String.fromCharCode(97 + i);
    const subnet = (tier: 'public' | 'private', cidrBlock: string, i: number) => {
      const name = n(tier === 'public' ? 'subnetPublic' : 'subnetPrivate', azLetter(i));
      return new aws.ec2.Subnet(
        name,
        {
          vpcId: vpc.id,
          cidrBlock,
          availabilityZoneId: this.zones.apply((zones) => zones[i].id),
          // Nothing gets a public IP by accident: the ALB has its own, instances are private.
          mapPublicIpOnLaunch: false,
          tags: { Name: name, Tier: tier },
        },
        res(vpc),
      );
    };
    const publicSubnets = plan.public.map((cidrBlock, i) => subnet('public', cidrBlock, i));
    const privateSubnets = plan.private.map((cidrBlock, i) => subnet('private', cidrBlock, i));

    const publicRouteTable = new aws.ec2.RouteTable(
      n('routeTablePublic'),
      { vpcId: vpc.id, tags: { Name: n('routeTablePublic') } },
      res(vpc),
    );
    new aws.ec2.Route(
      n('routeTablePublic', 'igw'),
      { routeTableId: publicRouteTable.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id },
      res(publicRouteTable),
    );
    publicSubnets.forEach(
      (subnet, i) =>
        new aws.ec2.RouteTableAssociation(
          n('routeTablePublic', azLetter(i)),
          { routeTableId: publicRouteTable.id, subnetId: subnet.id },
          res(publicRouteTable),
        ),
    );

    // One private route table per AZ so perAz NAT keeps each AZ's egress in that AZ.
    this.privateRouteTables = privateSubnets.map((subnet, i) => {
      const table = new aws.ec2.RouteTable(
        n('routeTablePrivate', azLetter(i)),
        { vpcId: vpc.id, tags: { Name: n('routeTablePrivate', azLetter(i)) } },
        res(vpc),
      );
      new aws.ec2.RouteTableAssociation(
        n('routeTablePrivate', azLetter(i)),
        { routeTableId: table.id, subnetId: subnet.id },
        res(table),
      );
      return table;
    });

    const natCount = { none: 0, single: 1, perAz: settings.azCount }[settings.natStrategy];
    const nats = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(
        n('eip', azLetter(i)),
        { domain: 'vpc', tags: { Name: n('eip', azLetter(i)) } },
        res(vpc),
      );
      return new aws.ec2.NatGateway(
        n('natGateway', azLetter(i)),
        { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: n('natGateway', azLetter(i)) } },
        { ...res(vpc), dependsOn: [igw] },
      );
    });
    if (nats.length > 0) {
      this.privateRouteTables.forEach(
        (table, i) =>
          new aws.ec2.Route(
            n('routeTablePrivate', `${azLetter(i)}-nat`),
            { routeTableId: table.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nats[i % nats.length].id },
            res(table),
          ),
      );
    }

    // Interface endpoints: private workloads reach AWS APIs without NAT, and keep doing so
    // if a NAT gateway fails.
    this.endpointSecurityGroup = new aws.ec2.SecurityGroup(
      n('endpointSecurityGroup'),
      {
        ...securityGroupName(n('endpointSecurityGroup')),
        vpcId: vpc.id,
        description: 'HTTPS from inside the VPC to AWS API endpoints',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: HTTPS_PORT,
            toPort: HTTPS_PORT,
            cidrBlocks: [region.vpcCidr],
            description: 'HTTPS from the VPC',
          },
        ],
        egress: [],
        tags: { Name: n('endpointSecurityGroup') },
      },
      res(vpc),
    );
    const privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      // Only in the chosen zones that offer the service: AWS refuses a subnet elsewhere.
      const offered = aws.ec2.getVpcEndpointServiceOutput({ service, serviceType: 'Interface' }, lookup);
      new aws.ec2.VpcEndpoint(
        n('vpcEndpoint', service),
        {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${region.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: pulumi
            .all([this.zones, offered.availabilityZones, privateSubnetIds])
            .apply(([zones, names, ids]) => zonesOffering(`${service} endpoint`, zones, names).map((i) => ids[i])),
          securityGroupIds: [this.endpointSecurityGroup.id],
          policy: account.accountId.apply((id) => JSON.stringify(interfaceEndpointPolicy(service, id))),
          tags: { Name: n('vpcEndpoint', service) },
        },
        res(vpc),
      );
    }
    // The S3 gateway endpoint is free; dnf on Amazon Linux 2023 and artifact downloads use it.
    const s3Endpoint = new aws.ec2.VpcEndpoint(
      n('vpcEndpoint', 's3'),
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: this.privateRouteTables.map((t) => t.id),
        policy: account.accountId.apply((id) => JSON.stringify(s3EndpointPolicy(region.region, id))),
        tags: { Name: n('vpcEndpoint', 's3') },
      },
      res(vpc),
    );

    // The DynamoDB gateway endpoint is free too: the order API reads the orchestrator's fence
    // record (lib/data/order-journal.ts) through it where the table is local, and writes the
    // region's request ledger (lib/security/request-ledger-table.ts) and the order book's replica
    // here (TransactWriteItems is authorised as PutItem and ConditionCheckItem per item); only item
    // reads of this account's tables in this region, and those tables' writes, pass.
    const dynamodbEndpoint = new aws.ec2.VpcEndpoint(
      n('vpcEndpoint', 'dynamodb'),
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.region}.dynamodb`,
        vpcEndpointType: 'Gateway',
        routeTableIds: this.privateRouteTables.map((t) => t.id),
        policy: account.accountId.apply((id) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'ReadThisAccountsTables',
                Effect: 'Allow',
                Principal: '*',
                Action: 'dynamodb:GetItem',
                Resource: `arn:aws:dynamodb:${region.region}:${id}:table/*`,
                Condition: { StringEquals: { 'aws:PrincipalAccount': id, 'aws:ResourceAccount': id } },
              },
              {
                Sid: 'WriteTheRequestLedger',
                Effect: 'Allow',
                Principal: '*',
                Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
                Resource: `arn:aws:dynamodb:${region.region}:${id}:table/${n('authLedgerTable')}`,
                Condition: { StringEquals: { 'aws:PrincipalAccount': id, 'aws:ResourceAccount': id } },
              },
              {
                Sid: 'WriteTheOrderBook',
                Effect: 'Allow',
                Principal: '*',
                Action: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
                Resource: `arn:aws:dynamodb:${region.region}:${id}:table/${n('bookTable')}`,
                Condition: { StringEquals: { 'aws:PrincipalAccount': id, 'aws:ResourceAccount': id } },
              },
            ],
          }),
        ),
        tags: { Name: n('vpcEndpoint', 'dynamodb') },
      },
      res(vpc),
    );

    const flowLogGroup = new aws.cloudwatch.LogGroup(
      n('flowLogGroup'),
      {
        name: `/tap/${n('flowLogGroup')}`,
        retentionInDays: settings.logRetentionDays,
        kmsKeyId: args.keys.key('logs').arn,
      },
      { ...res(vpc), ...DELETE_BEFORE_REPLACE },
    );
    const flowLogRole = serviceRole(
      {
        name: n('flowLogRole'),
        service: 'vpc-flow-logs.amazonaws.com',
        // Only flow logs of this account, in this region, may act through the role.
        trustCondition: sourceConditions(
          account.accountId,
          pulumi.interpolate`arn:aws:ec2:${region.region}:${account.accountId}:vpc-flow-log/*`,
        ),
        statements: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [flowLogGroup.arn, pulumi.interpolate`${flowLogGroup.arn}:*`],
          },
        ],
      },
      res(vpc),
    );
    new aws.ec2.FlowLog(
      n('flowLog'),
      {
        vpcId: vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.ready.arn,
        maxAggregationInterval: 60,
        tags: { Name: n('flowLog') },
      },
      res(vpc),
    );

    this.s3PrefixListId = s3Endpoint.prefixListId;
    this.dynamodbPrefixListId = dynamodbEndpoint.prefixListId;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetArns = publicSubnets.map((s) => s.arn);
    this.privateSubnetArns = privateSubnets.map((s) => s.arn);
    this.registerOutputs({
      vpcId: vpc.id,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}
