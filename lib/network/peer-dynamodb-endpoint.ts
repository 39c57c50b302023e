/**
 * The order book's cross-region path without the internet: a DynamoDB interface endpoint in this
 * region's VPC that serves the OTHER region's order API over the VPC peering.
 *
 * Why an interface endpoint: a gateway endpoint serves only its own VPC and region ("gateway
 * endpoints do not allow access from on-premises networks, from peered VPCs in other AWS Regions,
 * or through a transit gateway": AWS PrivateLink guide, "Gateway endpoints for Amazon DynamoDB"),
 * while a DynamoDB interface endpoint is "directly accessible ... in a different AWS Region over
 * Amazon VPC peering" (DynamoDB developer guide, "AWS PrivateLink for DynamoDB").
 *
 * DNS: DynamoDB interface endpoints support no private DNS, and AWS warns against private hosted
 * zones overriding `dynamodb.<region>.amazonaws.com`; clients are pointed at the endpoint's
 * Regional endpoint-specific name (`vpce-<id>-<suffix>.dynamodb.<region>.vpce.amazonaws.com`),
 * which public DNS resolves to the endpoint's private addresses (same guide, "Considerations" and
 * "Updating an on-premises DNS configuration"). So `privateDnsEnabled` stays false, nothing is
 * associated with the peer VPC, and this region's own processes keep reaching their replica
 * through the free gateway endpoint. The peer's order API gets the URL (`BOOK_PEER_ENDPOINT`,
 * lambda/trading/environment.ts) and its SDK client targets it (`endpoint`).
 *
 * Cost: one ENI per zone it is placed in, priced per AZ-hour plus data processed (lib/model/cost.ts
 * counts it with the other interface endpoints; the preflight counts it against the
 * interface-endpoints-per-VPC quota). 50,000 requests per second per endpoint (same guide).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Namer } from '../config/naming';
import { HTTPS_PORT } from './egress';
import { NetworkStack } from './network-stack';
import { zonesOffering } from './placement';
import { namedSecurityGroup } from './named-security-group';

/** What the other region's order API does on this replica (lambda/shared/book-writer.ts). */
export const PEER_BOOK_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'] as const;

/**
 * The endpoint's policy: this account's principals, the book's item reads and acknowledging
 * writes (TransactWriteItems is authorised per item as PutItem and ConditionCheckItem), on this
 * region's replica of this account's book only. Nothing else crosses the peering to DynamoDB.
 */
export function peerBookEndpointPolicy(region: string, accountId: string, tableName: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TheOtherRegionsOrderApiOnThisReplica',
        Effect: 'Allow',
        Principal: '*',
        Action: [...PEER_BOOK_ACTIONS],
        Resource: `arn:aws:dynamodb:${region}:${accountId}:table/${tableName}`,
        Condition: { StringEquals: { 'aws:PrincipalAccount': accountId, 'aws:ResourceAccount': accountId } },
      },
    ],
  };
}

/**
 * The Regional endpoint-specific DNS name among an interface endpoint's `dnsEntries` (the
 * provider's `dns_entry` list holds the Regional name and one Zonal name per zone,
 * `vpce-<id>-<suffix>-<zone>.<service>...`): a Zonal name would tie the path to one zone.
 */
export function regionalDnsName(entries: readonly { dnsName?: string }[], service: string, region: string): string {
  const suffix = `.${service}.${region}.vpce.amazonaws.com`;
  const regional = entries
    .map((e) => e.dnsName ?? '')
    .find((name) => name.endsWith(suffix) && /^vpce-[0-9a-z]+-[0-9a-z]+$/.test(name.slice(0, -suffix.length)));
  if (!regional) {
    throw new Error(`no Regional DNS name for the ${service} endpoint in ${region} among ${JSON.stringify(entries)}`);
  }
  return regional;
}

export interface PeerDynamodbEndpointArgs {
  /** The VPC the endpoint lives in (its region holds the replica it serves). */
  readonly network: NetworkStack;
  /** The other region's network: its private subnets (where the order API runs) are admitted. */
  readonly peerNetwork: NetworkStack;
  readonly region: string;
  readonly name: Namer;
  /** The book's table name (a global table's replicas share it). */
  readonly tableName: pulumi.Input<string>;
}

/** One region's DynamoDB interface endpoint for the other region's order API. */
export class PeerDynamodbEndpoint extends pulumi.ComponentResource {
  readonly endpoint: aws.ec2.VpcEndpoint;
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** `https://<Regional DNS name>`: what the other region's order API sets as BOOK_PEER_ENDPOINT. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: PeerDynamodbEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:network:PeerDynamodbEndpoint', name, {}, opts);
    const { network, peerNetwork, region, name: n } = args;
    const child = { parent: this };
    const account = aws.getCallerIdentityOutput({}, child);

    // Peering routes cover the peer's private subnets only (lib/network/vpc-peering.ts): admit those.
    this.securityGroup = namedSecurityGroup(
      n('peerEndpointSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'HTTPS from the other regions private subnets (over the peering) to DynamoDB',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: HTTPS_PORT,
            toPort: HTTPS_PORT,
            cidrBlocks: [...peerNetwork.privateSubnetCidrs],
            description: 'order API of the other region over the peering',
          },
        ],
        egress: [],
      },
      child,
    );
    // Only in the chosen zones that offer the service: AWS refuses a subnet elsewhere.
    const offered = aws.ec2.getVpcEndpointServiceOutput({ service: 'dynamodb', serviceType: 'Interface' }, child);
    const privateSubnetIds = pulumi.all(network.privateSubnetIds);
    this.endpoint = new aws.ec2.VpcEndpoint(
      n('vpcEndpoint', 'dynamodb-peer'),
      {
        vpcId: network.vpc.id,
        serviceName: `com.amazonaws.${region}.dynamodb`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: false,
        subnetIds: pulumi
          .all([network.zones, offered.availabilityZones, privateSubnetIds])
          .apply(([zones, names, ids]) =>
            zonesOffering('dynamodb interface endpoint', zones, names).map((i) => ids[i]),
          ),
        securityGroupIds: [this.securityGroup.id],
        policy: pulumi
          .all([account.accountId, args.tableName])
          .apply(([id, table]) => JSON.stringify(peerBookEndpointPolicy(region, id, table))),
        tags: { Name: n('vpcEndpoint', 'dynamodb-peer') },
      },
      child,
    );
    this.url = this.endpoint.dnsEntries.apply((entries) => `https://${regionalDnsName(entries, 'dynamodb', region)}`);
    this.registerOutputs({ endpointId: this.endpoint.id, url: this.url });
  }
}
