import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings } from '../config';
import { Namer } from '../config/naming';
import { HTTPS_PORT } from './egress';
import { Zone, zonesOffering } from './placement';
import { namedSecurityGroup } from './named-security-group';

/** AWS APIs private workloads call, reached through interface endpoints instead of the internet. */
export const INTERFACE_ENDPOINT_SERVICES = [
  'secretsmanager',
  'rds',
  'logs',
  'monitoring',
  'ssm',
  'ssmmessages',
  'ec2messages',
  'sns',
  'kms',
  'lambda',
] as const;

/** Services whose every call our workloads make names a resource of this account. */
const OWN_RESOURCE_SERVICES: readonly string[] = ['secretsmanager', 'kms', 'sns', 'logs'];

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

/**
 * The DynamoDB gateway endpoint's policy: the order API writes the region's request ledger
 * (lib/security/request-ledger-table.ts) and the order book's replica here (TransactWriteItems is
 * authorised as PutItem and ConditionCheckItem per item); only item reads of this account's
 * tables in this region, and those two tables' writes, pass.
 */
export function dynamodbEndpointPolicy(
  region: string,
  accountId: string,
  tables: { readonly requestLedger: string; readonly book: string },
): object {
  const ownAccount = { StringEquals: { 'aws:PrincipalAccount': accountId, 'aws:ResourceAccount': accountId } };
  const table = (name: string) => `arn:aws:dynamodb:${region}:${accountId}:table/${name}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadThisAccountsTables',
        Effect: 'Allow',
        Principal: '*',
        Action: 'dynamodb:GetItem',
        Resource: table('*'),
        Condition: ownAccount,
      },
      {
        Sid: 'WriteTheRequestLedger',
        Effect: 'Allow',
        Principal: '*',
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: table(tables.requestLedger),
        Condition: ownAccount,
      },
      {
        Sid: 'WriteTheOrderBook',
        Effect: 'Allow',
        Principal: '*',
        Action: ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        Resource: table(tables.book),
        Condition: ownAccount,
      },
    ],
  };
}

export interface VpcEndpointsArgs {
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly vpc: aws.ec2.Vpc;
  /** The VPC's chosen zones (NetworkStack.zones): an interface endpoint goes only where its service is offered. */
  readonly zones: pulumi.Output<Zone[]>;
  readonly privateSubnets: readonly aws.ec2.Subnet[];
  /** The gateway endpoints (S3, DynamoDB) route from these. */
  readonly privateRouteTables: readonly aws.ec2.RouteTable[];
  readonly account: pulumi.Output<aws.GetCallerIdentityResult>;
}

export interface VpcEndpoints {
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** Prefix list of the S3 gateway endpoint (for security-group egress). */
  readonly s3PrefixListId: pulumi.Output<string>;
  /** The DynamoDB gateway endpoint's prefix list: this region's order book replica. */
  readonly dynamodbPrefixListId: pulumi.Output<string>;
}

/**
 * The VPC's endpoints, children of the VPC: an interface endpoint for each of
 * INTERFACE_ENDPOINT_SERVICES behind one security group, and the S3 and DynamoDB gateway
 * endpoints on the private route tables, each with a policy that admits only this account.
 * `lookup` carries the options of the data-source calls (NetworkStack's).
 */
export function vpcEndpoints(args: VpcEndpointsArgs, lookup: pulumi.InvokeOptions): VpcEndpoints {
  const { region, name: n, vpc, zones, privateSubnets, privateRouteTables, account } = args;
  // Interface endpoints: private workloads reach AWS APIs without any path to the internet.
  const securityGroup = namedSecurityGroup(
    n('endpointSecurityGroup'),
    {
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
    },
    { parent: vpc },
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
          .all([zones, offered.availabilityZones, privateSubnetIds])
          .apply(([zones, names, ids]) => zonesOffering(`${service} endpoint`, zones, names).map((i) => ids[i])),
        securityGroupIds: [securityGroup.id],
        policy: account.accountId.apply((id) => JSON.stringify(interfaceEndpointPolicy(service, id))),
        tags: { Name: n('vpcEndpoint', service) },
      },
      { parent: vpc },
    );
  }
  // Gateway endpoints are free: routes on the private tables, each with its own policy.
  const gatewayEndpoint = (service: 's3' | 'dynamodb', policy: (accountId: string) => object) =>
    new aws.ec2.VpcEndpoint(
      n('vpcEndpoint', service),
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.region}.${service}`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((t) => t.id),
        policy: account.accountId.apply((id) => JSON.stringify(policy(id))),
        tags: { Name: n('vpcEndpoint', service) },
      },
      { parent: vpc },
    );
  // dnf on Amazon Linux 2023 and artifact downloads use S3.
  const s3Endpoint = gatewayEndpoint('s3', (id) => s3EndpointPolicy(region.region, id));
  const dynamodbEndpoint = gatewayEndpoint('dynamodb', (id) =>
    dynamodbEndpointPolicy(region.region, id, { requestLedger: n('authLedgerTable'), book: n('bookTable') }),
  );

  return {
    securityGroup,
    s3PrefixListId: s3Endpoint.prefixListId,
    dynamodbPrefixListId: dynamodbEndpoint.prefixListId,
  };
}
