/**
 * Where each private workload may connect, in one table: every security group's egress comes
 * from here, so adding a destination (another VPC's database, say) is one entry, and a test
 * can read what each workload reaches. Destinations are symbolic; `egressRules` resolves them.
 */
import { Settings } from '../config';

export const HTTPS_PORT = 443;
export const POSTGRES_PORT = 5432;

/** Workloads with their own security group. */
export type Workload = 'functions' | 'fleet' | 'rotation';

/** What the table depends on: NAT for the internet, the journal for cross-region HTTPS. */
export type EgressSettings = Pick<Settings, 'natStrategy' | 'orderDurability'>;

export type Destination =
  /** This region's VPC CIDR: Aurora, the interface endpoints. */
  | 'vpc'
  /**
   * The other region's VPC CIDR, over the peering: Aurora when the writer is there (the global
   * writer endpoint follows it after a switchover or failover), and its DynamoDB interface
   * endpoint (the order book's replica there).
   */
  | 'peer'
  /** The S3 gateway endpoint's prefix list (artifacts, Amazon Linux repositories). */
  | 's3'
  /** The DynamoDB gateway endpoint's prefix list (this region's order book replica). */
  | 'dynamodb'
  /** Anywhere: only through NAT, only where a host outside AWS's APIs is needed. */
  | 'internet';

export interface EgressEntry {
  readonly port: number;
  readonly to: Destination;
  readonly description: string;
}

/**
 * The table. Lambda functions reach Aurora (in either region: the writer may be in the other
 * one) and the interface endpoints; order writers also reach both replicas of the order book
 * (the other one through its region's interface endpoint, over the peering). Only the
 * cross-region journal (orderDurability cross-region) still leaves through NAT: the other
 * region's journal queue and the fence record, which no endpoint here serves.
 */
export function egressEntries(workload: Workload, settings: EgressSettings): EgressEntry[] {
  const common: EgressEntry[] = [
    { port: POSTGRES_PORT, to: 'vpc', description: 'Aurora in this VPC' },
    {
      port: POSTGRES_PORT,
      to: 'peer',
      description: 'Aurora in the other region over the peering (the writer may be there)',
    },
    { port: HTTPS_PORT, to: 'vpc', description: 'AWS APIs through the interface endpoints' },
  ];
  const journal: EgressEntry[] =
    settings.orderDurability === 'cross-region' && settings.natStrategy !== 'none'
      ? [
          {
            port: HTTPS_PORT,
            to: 'internet',
            description: 'order journal of the other region and the fence record (SQS, DynamoDB; through NAT)',
          },
        ]
      : [];
  // The order book: this region's replica through the gateway endpoint, the other region's through
  // that region's DynamoDB interface endpoint over the peering (lib/network/peer-dynamodb-endpoint.ts).
  const book: EgressEntry[] = [
    {
      port: HTTPS_PORT,
      to: 'dynamodb',
      description: 'order book replica in this region (DynamoDB gateway endpoint)',
    },
    {
      port: HTTPS_PORT,
      to: 'peer',
      description: 'order book replica in the other region (its DynamoDB interface endpoint, over the peering)',
    },
  ];
  switch (workload) {
    case 'rotation':
      return common;
    case 'functions':
      return [...common, ...book, ...journal];
    case 'fleet':
      return [
        ...common,
        // The RDS CA bundle ships with the service bundle: nothing outside the VPC's endpoints.
        {
          port: HTTPS_PORT,
          to: 's3',
          description: 'service and RDS CA bundles, Amazon Linux repositories (S3 gateway)',
        },
        ...book,
        ...journal,
      ];
  }
}

export interface ResolvedEgress<P> {
  readonly protocol: 'tcp';
  readonly fromPort: number;
  readonly toPort: number;
  readonly description: string;
  readonly cidrBlocks?: string[];
  readonly prefixListIds?: P[];
}

/**
 * The table resolved for a security group's inline `egress`, for a workload in network `here`
 * (a NetworkStack) whose peer is `peer`.
 */
export function egressRules<P>(
  workload: Workload,
  settings: EgressSettings,
  here: { readonly vpcCidr: string; readonly s3PrefixListId: P; readonly dynamodbPrefixListId: P },
  peer: { readonly vpcCidr: string },
): ResolvedEgress<P>[] {
  return egressEntries(workload, settings).map((e) => ({
    protocol: 'tcp',
    fromPort: e.port,
    toPort: e.port,
    description: e.description,
    ...(e.to === 'vpc'
      ? { cidrBlocks: [here.vpcCidr] }
      : e.to === 'peer'
        ? { cidrBlocks: [peer.vpcCidr] }
        : e.to === 's3'
          ? { prefixListIds: [here.s3PrefixListId] }
          : e.to === 'dynamodb'
            ? { prefixListIds: [here.dynamodbPrefixListId] }
            : { cidrBlocks: ['0.0.0.0/0'] }),
  }));
}
