import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { planSubnets } from '../model/cidr';
import { RegionSettings, Settings } from '../config';
import { AURORA_ENGINE, AURORA_STORAGE_TYPE } from '../model/aurora-engine';
import { Namer } from '../config/naming';
import { chooseZones, Zone } from './placement';
import { flowLogs } from './flow-logs';
import { vpcEndpoints } from './vpc-endpoints';
import { RegionKeys } from '../security/region-keys';

export interface NetworkStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  /** The region's keys: the flow-log group uses the logs key. */
  readonly keys: RegionKeys;
}

/**
 * One region's VPC: a public and a private subnet in each of `azCount` AZs, internet gateway
 * for the ALB (no NAT: nothing private goes to the internet), VPC endpoints for the AWS APIs the
 * private tier calls, and flow
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

    // One private route table per AZ (the gateway endpoints' routes go into each); no route to the
    // internet: private workloads reach AWS through the VPC endpoints and the peer over the peering.
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

    const endpoints = vpcEndpoints(
      {
        region,
        name: n,
        vpc,
        zones: this.zones,
        privateSubnets,
        privateRouteTables: this.privateRouteTables,
        account,
      },
      lookup,
    );
    this.endpointSecurityGroup = endpoints.securityGroup;
    flowLogs({ settings, region, name: n, vpc, keys: args.keys, account });

    this.s3PrefixListId = endpoints.s3PrefixListId;
    this.dynamodbPrefixListId = endpoints.dynamodbPrefixListId;
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
