/**
 * Where each private workload may connect, in one table: every security group's egress comes
 * from here, so adding a destination (another VPC's database, say) is one entry, and a test
 * can read what each workload reaches. Destinations are symbolic; `egressRules` resolves them.
 */
import { Settings } from './config';

export const HTTPS_PORT = 443;
export const POSTGRES_PORT = 5432;

/** Workloads with their own security group. */
export type Workload = 'functions' | 'fleet' | 'rotation';

export type Destination =
  /** This region's VPC CIDR: Aurora, the interface endpoints. */
  | 'vpc'
  /** The S3 gateway endpoint's prefix list (artifacts, Amazon Linux repositories). */
  | 's3'
  /** Anywhere: only through NAT, only where a host outside AWS's APIs is needed. */
  | 'internet';

export interface EgressEntry {
  readonly port: number;
  readonly to: Destination;
  readonly description: string;
}

/** The table (the same whatever the NAT strategy: nothing needs the internet). Lambda functions reach only Aurora and the interface endpoints. */
export function egressEntries(workload: Workload, _settings: Pick<Settings, 'natStrategy'>): EgressEntry[] {
  const common: EgressEntry[] = [
    { port: POSTGRES_PORT, to: 'vpc', description: 'Aurora in this VPC' },
    { port: HTTPS_PORT, to: 'vpc', description: 'AWS APIs through the interface endpoints' },
  ];
  switch (workload) {
    case 'functions':
    case 'rotation':
      return common;
    case 'fleet':
      return [
        ...common,
        // The RDS CA bundle ships with the service bundle: nothing outside the VPC's endpoints.
        {
          port: HTTPS_PORT,
          to: 's3',
          description: 'service and RDS CA bundles, Amazon Linux repositories (S3 gateway)',
        },
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

/** The table resolved for a security group's inline `egress`. */
export function egressRules<P>(
  workload: Workload,
  settings: Pick<Settings, 'natStrategy'>,
  where: { vpcCidr: string; s3PrefixListId: P },
): ResolvedEgress<P>[] {
  return egressEntries(workload, settings).map((e) => ({
    protocol: 'tcp',
    fromPort: e.port,
    toPort: e.port,
    description: e.description,
    ...(e.to === 'vpc'
      ? { cidrBlocks: [where.vpcCidr] }
      : e.to === 's3'
        ? { prefixListIds: [where.s3PrefixListId] }
        : { cidrBlocks: ['0.0.0.0/0'] }),
  }));
}
