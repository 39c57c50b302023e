import { ConfigError } from '../lib/config';
import { INTERFACE_ENDPOINT_SERVICES } from '../lib/network/vpc-endpoints';
import { RecordedResource, runOffline, stackConfig } from '../scripts/offline';
import { ancestors, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const REGIONS = [PRIMARY, SECONDARY] as const;
const code = { [PRIMARY]: 'use1', [SECONDARY]: 'euw1' } as const;

describe('providers and tags', () => {
  it('has exactly the two regional providers (plus the Global Accelerator API region), each with the required default tags', async () => {
    const run = await plan();
    const providers = ofType(run, 'pulumi:providers:aws');
    const regional = providers.filter((p) => REGIONS.includes(p.inputs.region));
    expect(regional.map((p) => p.inputs.region).sort()).toEqual([SECONDARY, PRIMARY]);
    for (const p of providers) {
      expect(JSON.parse(p.inputs.defaultTags).tags).toEqual({
        Environment: 'dev',
        Region: p.inputs.region,
        CostCenter: 'trading-platform',
      });
    }
  });

  it('binds every AWS resource to one of our explicit providers (no default provider)', async () => {
    const run = await plan();
    const ours = new Set(ofType(run, 'pulumi:providers:aws').map((p) => p.urn));
    const aws = run.resources.filter((r) => r.custom && r.type.startsWith('aws:'));
    const unbound = aws.filter((r) => !r.provider || !ours.has(r.provider.split('::').slice(0, -1).join('::')));
    expect(unbound.map((r) => r.name)).toEqual([]);
  });
});

describe.each(REGIONS)('NetworkStack in %s', (region) => {
  const c = code[region];

  it('creates a DNS-enabled VPC with the configured CIDR', async () => {
    const run = await plan();
    const vpc = named(run, 'aws:ec2/vpc:Vpc', `vpc-${c}-dev`);
    expect(vpc.region).toBe(region);
    expect(vpc.inputs).toMatchObject({
      cidrBlock: region === PRIMARY ? '10.0.0.0/16' : '10.1.0.0/16',
      enableDnsSupport: true,
      enableDnsHostnames: true,
    });
    expect(ancestors(run, vpc).map((a) => a.type)).toEqual([
      'tap:network:NetworkStack',
      'tap:index:TapStack',
      'pulumi:pulumi:Stack',
    ]);
  });

  it('spreads 3 public and 3 private subnets over 3 distinct AZs with planned CIDRs', async () => {
    const run = await plan();
    const subnets = ofType(run, 'aws:ec2/subnet:Subnet', region);
    const pub = subnets.filter((s) => s.inputs.tags.Tier === 'public');
    const priv = subnets.filter((s) => s.inputs.tags.Tier === 'private');
    expect(pub).toHaveLength(3);
    expect(priv).toHaveLength(3);
    expect(new Set(pub.map((s) => s.inputs.availabilityZoneId)).size).toBe(3);
    expect(new Set(priv.map((s) => s.inputs.availabilityZoneId)).size).toBe(3);
    expect(priv.every((s) => s.inputs.availabilityZoneId.startsWith(c))).toBe(true);
    expect(pub.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
    const second = region === PRIMARY ? '0' : '1';
    expect(priv.map((s) => s.inputs.cidrBlock).sort()).toEqual([
      `10.${second}.128.0/19`,
      `10.${second}.160.0/19`,
      `10.${second}.96.0/19`,
    ]);
  });

  it('routes public subnets to the internet gateway, and private subnets nowhere outside the VPC (no NAT)', async () => {
    const run = await plan();
    const routes = ofType(run, 'aws:ec2/route:Route', region);
    const igwRoutes = routes.filter((r) => r.inputs.gatewayId);
    expect(igwRoutes).toHaveLength(1);
    expect(igwRoutes[0].inputs).toMatchObject({ destinationCidrBlock: '0.0.0.0/0', gatewayId: `igw-${c}-dev-id` });
    // The only route to 0.0.0.0/0 is the public tables' internet gateway; no NAT exists at all.
    expect(routes.filter((r) => r.inputs.destinationCidrBlock === '0.0.0.0/0')).toEqual(igwRoutes);
    expect(ofType(run, 'aws:ec2/natGateway:NatGateway', region)).toEqual([]);
    expect(ofType(run, 'aws:ec2/eip:Eip', region)).toEqual([]);
    expect(ofType(run, 'aws:ec2/routeTableAssociation:RouteTableAssociation', region)).toHaveLength(6);
  });

  it('reaches the AWS APIs of the private tier through VPC endpoints, S3 through the free gateway', async () => {
    const run = await plan();
    const endpoints = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region);
    const services = endpoints.map((e) => e.inputs.serviceName.replace(`com.amazonaws.${region}.`, ''));
    // Gateways (free): S3, and DynamoDB for the fence record the order API reads. A DynamoDB
    // interface endpoint too: the other region's order API reaches this book replica through it.
    expect(services.sort()).toEqual([...INTERFACE_ENDPOINT_SERVICES, 's3', 'dynamodb', 'dynamodb'].sort());
    for (const service of ['secretsmanager', 'rds', 'logs', 'monitoring', 'ssm']) expect(services).toContain(service);
    const s3 = endpoints.find((e) => e.inputs.serviceName.endsWith('.s3'))!;
    expect(s3.inputs.vpcEndpointType).toBe('Gateway');
    expect(s3.inputs.routeTableIds).toHaveLength(3);
    const interfaces = endpoints.filter((e) => e.inputs.vpcEndpointType === 'Interface');
    // In every chosen zone that offers the service (the mock account lacks a few), never fewer than two.
    for (const e of interfaces) {
      // DynamoDB's interface endpoint has no private DNS (lib/network/peer-dynamodb-endpoint.ts).
      expect(e.inputs.privateDnsEnabled).toBe(!e.inputs.serviceName.endsWith('.dynamodb'));
      expect(e.inputs.subnetIds.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('ships VPC flow logs to CloudWatch Logs with the configured retention', async () => {
    const run = await plan();
    const flow = named(run, 'aws:ec2/flowLog:FlowLog', `vpc-flow-log-${c}-dev`);
    expect(flow.inputs).toMatchObject({
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      vpcId: `vpc-${c}-dev-id`,
    });
    const group = named(run, 'aws:cloudwatch/logGroup:LogGroup', `log-group-vpc-flow-${c}-dev`);
    expect(group.inputs.retentionInDays).toBe(30);
    const policy = named(run, 'aws:iam/rolePolicy:RolePolicy', `role-vpc-flow-logs-${c}-dev`);
    const statement = JSON.parse(policy.inputs.policy).Statement[0];
    expect(statement.Resource.every((r: string) => r.includes(`log-group-vpc-flow-${c}-dev`))).toBe(true);
  });
});

describe('cross-region VPC peering', () => {
  it('is requested from us-east-1 and accepted in eu-west-1 with DNS resolution both ways', async () => {
    const run = await plan();
    const request = named(run, 'aws:ec2/vpcPeeringConnection:VpcPeeringConnection', 'pcx-dev');
    expect(request.region).toBe(PRIMARY);
    expect(request.inputs).toMatchObject({
      vpcId: 'vpc-use1-dev-id',
      peerVpcId: 'vpc-euw1-dev-id',
      peerRegion: SECONDARY,
      autoAccept: false,
    });
    const accept = named(run, 'aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter', 'pcx-dev');
    expect(accept.region).toBe(SECONDARY);
    expect(accept.inputs).toMatchObject({ vpcPeeringConnectionId: 'pcx-dev-id', autoAccept: true });
    const options = ofType(run, 'aws:ec2/peeringConnectionOptions:PeeringConnectionOptions');
    expect(
      options.map((o) => [o.region, Object.keys(o.inputs).filter((k) => k !== 'vpcPeeringConnectionId')[0]]).sort(),
    ).toEqual([
      [SECONDARY, 'accepter'],
      [PRIMARY, 'requester'],
    ]);
    expect(
      options.every((o) => Object.values(o.inputs).some((v: any) => v?.allowRemoteVpcDnsResolution === true)),
    ).toBe(true);
  });

  it("routes every private route table of each VPC to the peer's private subnets only, never its whole CIDR", async () => {
    const run = await plan();
    const peerRoutes = ofType(run, 'aws:ec2/route:Route').filter((r) => r.inputs.vpcPeeringConnectionId);
    const tablesOf = (region: string) =>
      ofType(run, 'aws:ec2/routeTable:RouteTable', region)
        .filter((t) => t.name.startsWith('rt-private'))
        .map((t) => `${t.name}-id`);
    const privateCidrsOf = (region: string) =>
      ofType(run, 'aws:ec2/subnet:Subnet', region)
        .filter((s) => s.inputs.tags.Tier === 'private')
        .map((s) => s.inputs.cidrBlock)
        .sort();
    for (const [here, peer] of [
      [PRIMARY, SECONDARY],
      [SECONDARY, PRIMARY],
    ]) {
      const routes = peerRoutes.filter((r) => r.region === here);
      for (const table of tablesOf(here)) {
        expect(
          routes
            .filter((r) => r.inputs.routeTableId === table)
            .map((r) => r.inputs.destinationCidrBlock)
            .sort(),
        ).toEqual(privateCidrsOf(peer));
      }
      expect(routes.map((r) => r.inputs.destinationCidrBlock)).not.toContain(
        here === PRIMARY ? '10.1.0.0/16' : '10.0.0.0/16',
      );
    }
  });
});

describe('bad config', () => {
  it('fails before any resource is registered', async () => {
    const registered: RecordedResource[] = [];
    await expect(
      runOffline(stackConfig('dev', { environmentSuffix: 'Bad_Suffix', azCount: '2' }), 'dev', registered),
    ).rejects.toThrow(ConfigError);
    expect(registered).toEqual([]);
  });
});

describe('least privilege in the network', () => {
  it.each([
    [PRIMARY, 'use1'],
    [SECONDARY, 'euw1'],
  ])('every VPC endpoint in %s admits only this account; data services only its resources', async (region, code) => {
    const run = await plan();
    const endpoints = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region);
    expect(endpoints.map((e) => e.inputs.serviceName.split('.').pop()).sort()).toEqual(
      [...INTERFACE_ENDPOINT_SERVICES, 's3', 'dynamodb', 'dynamodb'].sort(),
    );
    for (const endpoint of endpoints) {
      expect(endpoint.inputs.policy).toBeDefined();
      const policy = JSON.parse(endpoint.inputs.policy);
      const first = policy.Statement[0];
      expect(first.Condition.StringEquals['aws:PrincipalAccount']).toBe('123456789012');
    }
    for (const service of ['secretsmanager', 'kms', 'sns', 'logs', 'dynamodb']) {
      const policy = JSON.parse(
        named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-${service}-${code}-dev`).inputs.policy,
      );
      // DynamoDB: item reads, the request ledger's writes (test/request-custody.test.ts) and the
      // order book's (test/order-book.test.ts).
      expect(policy.Statement).toHaveLength(service === 'dynamodb' ? 3 : 1);
      for (const s of policy.Statement) expect(s.Condition.StringEquals['aws:ResourceAccount']).toBe('123456789012');
    }
    const dynamodb = JSON.parse(
      named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-dynamodb-${code}-dev`).inputs.policy,
    );
    expect(dynamodb.Statement.find((s: any) => s.Sid === 'WriteTheOrderBook')).toMatchObject({
      Action: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
      Resource: `arn:aws:dynamodb:${region}:123456789012:table/ddb-order-book-dev`,
    });
    // S3: our principals, plus anonymous reads of the Amazon Linux repositories only.
    const s3 = JSON.parse(named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-s3-${code}-dev`).inputs.policy);
    const anonymous = s3.Statement.filter((s: any) => !s.Condition);
    expect(anonymous).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: `arn:aws:s3:::al2023-repos-${region}-de612dc2/*` }),
    ]);
  });

  it('the flow-log role trusts only flow logs of this account and region; its log group is KMS-encrypted', async () => {
    const run = await plan();
    const role = named(run, 'aws:iam/role:Role', 'role-vpc-flow-logs-use1-dev');
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*' },
    });
    expect(named(run, 'aws:cloudwatch/logGroup:LogGroup', 'log-group-vpc-flow-use1-dev').inputs.kmsKeyId).toBe(
      'arn:aws:kms:us-east-1:123456789012:key/kms-logs-use1-dev',
    );
  });
});
