/**
 * Where each private workload may connect, in one table: every security group's egress comes
 * from here, so adding a destination (another VPC's database, say) is one entry, and a test
 * can read what each workload reaches. Destinations are symbolic; `egressRules` resolves them.
 */
export const HTTPS_PORT = 443;
export const POSTGRES_PORT = 5432;

/** Workloads with their own security group. */
export type Workload = 'functions' | 'fleet' | 'rotation' | 'applier';

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
  | 'dynamodb';

export interface EgressEntry {
  readonly port: number;
  readonly to: Destination;
  readonly description: string;
}

/**
 * The table. Nothing leaves for the internet: every AWS API a private workload calls is an
 * endpoint in this VPC (lib/network/vpc-endpoints.ts) or, for the peer replica of the order book,
 * the other region's DynamoDB interface endpoint over the peering. Only the database's own
 * functions reach Aurora: the rotation and schema functions the writer in either region, the book
 * applier its own region's cluster. The order API (Lambda and EC2) reaches no database: it takes
 * orders in the live order book, and the applier feeds Aurora from the book's stream.
 */
export function egressEntries(workload: Workload): EgressEntry[] {
  const endpoints: EgressEntry = {
    port: HTTPS_PORT,
    to: 'vpc',
    description: 'AWS APIs through the interface endpoints',
  };
  const localAurora: EgressEntry = { port: POSTGRES_PORT, to: 'vpc', description: 'Aurora in this VPC' };
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
      return [
        localAurora,
        {
          port: POSTGRES_PORT,
          to: 'peer',
          description: 'Aurora in the other region over the peering (the writer may be there)',
        },
        endpoints,
      ];
    case 'applier':
      // It inserts into its own region's cluster only (lambda/book-applier/ledger.ts).
      return [localAurora, endpoints];
    case 'functions':
      return [endpoints, ...book];
    case 'fleet':
      return [
        endpoints,
        {
          port: HTTPS_PORT,
          to: 's3',
          description: 'service bundle and Amazon Linux repositories (S3 gateway)',
        },
        ...book,
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
  here: { readonly vpcCidr: string; readonly s3PrefixListId: P; readonly dynamodbPrefixListId: P },
  peer: { readonly vpcCidr: string },
): ResolvedEgress<P>[] {
  return egressEntries(workload).map((e) => ({
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
          : { prefixListIds: [here.dynamodbPrefixListId] }),
  }));
}
