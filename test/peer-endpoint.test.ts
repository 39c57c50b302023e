/**
 * docs/security.md's egress claim, kept true on the planned graph: the processes that hold the
 * client keys (the trading Lambda and the EC2 fleet) reach the other region's order book replica
 * without the internet, through that region's DynamoDB interface endpoint over the peering, and
 * have no tcp/443 to 0.0.0.0/0.
 */
import { parseBookSettings } from '../lambda/trading/environment';
import { awsBookReplicas } from '../lambda/trading/runtime';
import { PEER_BOOK_ACTIONS, regionalDnsName } from '../lib/network/peer-dynamodb-endpoint';
import type { OfflineRun, RecordedResource } from '../scripts/offline';
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const SIDES = [
  ['use1', PRIMARY, 'euw1', SECONDARY],
  ['euw1', SECONDARY, 'use1', PRIMARY],
] as const;

/** The systemd environment the EC2 fleet's user data writes. */
function fleetEnv(run: OfflineRun, code: string): Record<string, string> {
  const script = Buffer.from(
    named(run, 'aws:ec2/launchTemplate:LaunchTemplate', `lt-trading-${code}-dev`).inputs.userData,
    'base64',
  ).toString();
  const decode = (v: string) => v.replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Object.fromEntries(
    [...script.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map(([, k, v]) => [k, decode(v)]),
  );
}

/** The security groups of the processes that hold the client keys, by region code. */
function keyHolders(run: OfflineRun, code: string): RecordedResource[] {
  const fn = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`);
  const lt = named(run, 'aws:ec2/launchTemplate:LaunchTemplate', `lt-trading-${code}-dev`);
  const ids = [...fn.inputs.vpcConfig.securityGroupIds, ...lt.inputs.vpcSecurityGroupIds] as string[];
  return ofType(run, 'aws:ec2/securityGroup:SecurityGroup').filter((g) => ids.includes(`${g.name}-id`));
}

/** Whether `ip` (a.b.c.d) lies in `cidr`. */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

describe('the other region’s book replica is reached over the peering, never the internet', () => {
  it.each(SIDES)(
    '%s: the order API (Lambda and EC2) targets the peer’s DynamoDB interface endpoint, which admits it',
    async (code, region, peerCode, peer) => {
      const run = await plan();
      const endpoint = named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-dynamodb-peer-${peerCode}-dev`);
      expect(endpoint.region).toBe(peer);
      expect(endpoint.inputs).toMatchObject({
        serviceName: `com.amazonaws.${peer}.dynamodb`,
        vpcEndpointType: 'Interface',
        // DynamoDB interface endpoints support no private DNS: clients name the endpoint.
        privateDnsEnabled: false,
      });
      // The one DynamoDB interface endpoint of the peer's VPC, by its Regional name.
      expect(
        ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', peer).filter(
          (e) => e.inputs.vpcEndpointType === 'Interface' && e.inputs.serviceName.endsWith('.dynamodb'),
        ),
      ).toEqual([endpoint]);
      const lambdaEnv = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`).inputs.environment
        .variables;
      for (const env of [lambdaEnv, fleetEnv(run, code)]) {
        const settings = parseBookSettings(env)!;
        expect(settings.peerRegion).toBe(peer);
        const host = new URL(settings.peerEndpoint!).hostname;
        expect(regionalDnsName([{ dnsName: host }], 'dynamodb', peer)).toBe(host);
      }

      // The endpoint's group admits 443 from every subnet this region's order API runs in.
      const subnets = ofType(run, 'aws:ec2/subnet:Subnet', region);
      const apiSubnets = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`).inputs.vpcConfig
        .subnetIds as string[];
      const apiCidrs = subnets.filter((s) => apiSubnets.includes(`${s.name}-id`)).map((s) => s.inputs.cidrBlock);
      expect(apiCidrs.length).toBeGreaterThan(0);
      const endpointGroups = ofType(run, 'aws:ec2/securityGroup:SecurityGroup', peer).filter((g) =>
        (endpoint.inputs.securityGroupIds as string[]).includes(`${g.name}-id`),
      );
      const admitted = endpointGroups.flatMap((g) =>
        (g.inputs.ingress ?? [])
          .filter((r: any) => r.fromPort <= 443 && r.toPort >= 443)
          .flatMap((r: any) => r.cidrBlocks),
      );
      for (const cidr of apiCidrs) expect(admitted).toContain(cidr);

      // Both key holders may send 443 to where the endpoint's interfaces are, and a peering route leads there.
      const endpointCidrs = ofType(run, 'aws:ec2/subnet:Subnet', peer)
        .filter((s) => (endpoint.inputs.subnetIds as string[]).includes(`${s.name}-id`))
        .map((s) => s.inputs.cidrBlock as string);
      expect(endpointCidrs.length).toBeGreaterThan(0);
      for (const group of keyHolders(run, code)) {
        const https = (group.inputs.egress ?? []).filter((r: any) => r.fromPort <= 443 && r.toPort >= 443);
        for (const cidr of endpointCidrs) {
          const first = cidr.split('/')[0];
          expect(
            https.some((r: any) => (r.cidrBlocks ?? []).some((c: string) => c !== '0.0.0.0/0' && inCidr(first, c))),
          ).toBe(true);
        }
      }
      const peeringRoutes = ofType(run, 'aws:ec2/route:Route', region).filter((r) => r.inputs.vpcPeeringConnectionId);
      for (const cidr of endpointCidrs) expect(peeringRoutes.map((r) => r.inputs.destinationCidrBlock)).toContain(cidr);
    },
  );

  it.each(SIDES)(
    '%s: the peer endpoint’s policy admits exactly what the book writer does there, on the book, for this account',
    async (code, _region, peerCode, peer) => {
      const run = await plan();
      const endpoint = named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-dynamodb-peer-${peerCode}-dev`);
      const [statement, ...others] = JSON.parse(endpoint.inputs.policy).Statement;
      expect(others).toEqual([]);
      expect(statement.Resource).toBe(`arn:aws:dynamodb:${peer}:123456789012:table/ddb-order-book-dev`);
      expect(statement.Condition.StringEquals).toEqual({
        'aws:PrincipalAccount': '123456789012',
        'aws:ResourceAccount': '123456789012',
      });
      // What IAM grants the order API on the book is what crosses: no more, no less.
      const granted = JSON.parse(
        named(run, 'aws:iam/rolePolicy:RolePolicy', `role-fn-trading-${code}-dev`).inputs.policy,
      ).Statement.find((s: any) => s.Sid === 'AcknowledgeOrdersInTheBook').Action;
      expect([...statement.Action].sort()).toEqual([...granted].sort());
      expect([...PEER_BOOK_ACTIONS].sort()).toEqual([...granted].sort());
    },
  );

  it.each(SIDES)(
    '%s: with either durability, no process holding client keys has tcp/443 to the internet',
    async (code) => {
      // Issue 22: the cross-region journal was the one reason for an internet rule; it is gone.
      for (const orderDurability of ['regional', 'cross-region']) {
        const holders = keyHolders(await plan({ orderDurability }), code);
        expect(holders.length).toBe(2);
        for (const group of holders)
          expect((group.inputs.egress ?? []).filter((r: any) => (r.cidrBlocks ?? []).includes('0.0.0.0/0'))).toEqual(
            [],
          );
      }
    },
  );

  it('the SDK client of the peer replica targets the endpoint; the local replica keeps the gateway route', async () => {
    const replicas = awsBookReplicas('ddb-order-book-dev', [SECONDARY, PRIMARY], {
      [PRIMARY]: 'https://vpce-0abc-12345678.dynamodb.us-east-1.vpce.amazonaws.com',
    });
    const endpointOf = async (region: string) => {
      const config = replicas.client(region).config;
      return config.endpoint ? await config.endpoint() : undefined;
    };
    expect(await endpointOf(PRIMARY)).toMatchObject({
      hostname: 'vpce-0abc-12345678.dynamodb.us-east-1.vpce.amazonaws.com',
      protocol: 'https:',
    });
    expect(await endpointOf(SECONDARY)).toBeUndefined();
  });

  it('BOOK_PEER_ENDPOINT must be a Regional endpoint name in the peer region', () => {
    const base = {
      REGION_NAME: SECONDARY,
      BOOK_TABLE_NAME: 'ddb-order-book-dev',
      BOOK_PEER_REGION: PRIMARY,
      BOOK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:secret-book-signing-dev-AbCdEf',
    };
    const regional = 'https://vpce-0abc-12345678.dynamodb.us-east-1.vpce.amazonaws.com';
    expect(parseBookSettings({ ...base, BOOK_PEER_ENDPOINT: regional })?.peerEndpoint).toBe(regional);
    expect(parseBookSettings(base)?.peerEndpoint).toBeUndefined();
    for (const bad of [
      'https://vpce-0abc-12345678-us-east-1a.dynamodb.us-east-1.vpce.amazonaws.com', // Zonal: one zone
      'http://vpce-0abc-12345678.dynamodb.us-east-1.vpce.amazonaws.com',
      'https://dynamodb.us-east-1.amazonaws.com',
    ])
      expect(() => parseBookSettings({ ...base, BOOK_PEER_ENDPOINT: bad })).toThrow(/BOOK_PEER_ENDPOINT must be/);
    expect(() =>
      parseBookSettings({
        ...base,
        BOOK_PEER_ENDPOINT: 'https://vpce-0abc-12345678.dynamodb.eu-west-1.vpce.amazonaws.com',
      }),
    ).toThrow(/BOOK_PEER_ENDPOINT must be an endpoint in BOOK_PEER_REGION \(us-east-1\)/);
  });
});
