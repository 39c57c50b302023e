/**
 * Account preflight: what a first deploy of this stack needs from the account's service quotas
 * in each region, and whether the quotas the program reads at plan time
 * (`aws.servicequotas.getServiceQuota`) hold it. Pure: the needs come from the planned
 * functions and settings, the quotas are handed in.
 *
 * A quota is the account's ceiling, not what is left of it: what other stacks in the account
 * already use is not visible here, so a verdict that fits says "fits in an empty account".
 */

export interface QuotaSpec {
  readonly serviceCode: string;
  /** The quota's code; where AWS documents none, `quotaName` names it (the data source takes either). */
  readonly quotaCode?: string;
  readonly quotaName?: string;
  readonly name: string;
  /**
   * A global quota: Service Quotas serves it only in this region, whatever region the resources
   * are created through (the need is counted there).
   */
  readonly quotaRegion?: string;
  /** Where the quota is documented. */
  readonly source: string;
}

/** How a quota is referred to: its code, or its name where no code is documented. */
export function quotaRef(spec: QuotaSpec): string {
  return spec.quotaCode ?? `"${spec.quotaName}"`;
}

/** The quotas a first deploy meets that Service Quotas can read, by the code AWS gives them. */
export const QUOTAS = {
  lambdaConcurrency: {
    serviceCode: 'lambda',
    quotaCode: 'L-B99A9384',
    name: 'Lambda concurrent executions',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
  },
  elasticIps: {
    serviceCode: 'ec2',
    quotaCode: 'L-0263D0A3',
    name: 'EC2-VPC Elastic IPs',
    source:
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html#using-instance-addressing-limit',
  },
  vpcs: {
    serviceCode: 'vpc',
    quotaCode: 'L-F678F1CE',
    name: 'VPCs per Region',
    source: 'https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html',
  },
  interfaceEndpoints: {
    serviceCode: 'vpc',
    quotaCode: 'L-29B6F2EB',
    name: 'Interface VPC endpoints per VPC',
    source: 'https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html',
  },
  /**
   * Global Accelerator's quotas are global: Service Quotas serves them in us-east-1 only ("Global
   * Accelerator service quotas are managed in the US East (N. Virginia) Region ... In any other
   * AWS Region, you won't see Global Accelerator quotas"), although the accelerator itself is
   * created through us-west-2 (https://docs.aws.amazon.com/global-accelerator/latest/dg/limits-global-accelerator.html;
   * the provider's data source docs: "Global quotas ... can only be accessed in us-east-1").
   * The guide names no quota code for it, so it is read by name (service code
   * `globalaccelerator`, the Service Quotas console's path for it).
   */
  accelerators: {
    serviceCode: 'globalaccelerator',
    quotaName: 'Standard accelerators per AWS account',
    name: 'Global Accelerator standard accelerators',
    quotaRegion: 'us-east-1',
    source: 'https://docs.aws.amazon.com/global-accelerator/latest/dg/limits-global-accelerator.html',
  },
} as const satisfies Record<string, QuotaSpec>;

export type QuotaKind = keyof typeof QUOTAS;

/**
 * Lambda always keeps 100 concurrent executions unreserved in each region: reservations must
 * fit in the quota minus these ("UnreservedConcurrentExecutions ... minimum 100",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/** The config keys that set reserved concurrency (Pulumi.yaml): what lowers the Lambda need. */
export const RESERVATION_KEYS = [
  'tradingReservedConcurrency',
  'orchestratorReservedConcurrency',
  'canaryReservedConcurrency',
] as const;

export interface QuotaNeed {
  readonly kind: QuotaKind;
  readonly region: string;
  readonly needed: number;
  /** What makes up the need, for the message. */
  readonly breakdown: string;
}

/** What the planned stack takes from each quota in one region. */
export interface RegionDemand {
  readonly region: string;
  /** Reserved concurrency per function, by a label the message shows. */
  readonly reservations: Readonly<Record<string, number>>;
  readonly elasticIps: number;
  readonly vpcs: number;
  /** Interface endpoints of the (one) VPC in the region. */
  readonly interfaceEndpoints: number;
  /** Global Accelerator standard accelerators created through this region's provider. */
  readonly accelerators?: number;
}

export function quotaNeeds(demands: readonly RegionDemand[]): QuotaNeed[] {
  const needs: QuotaNeed[] = [];
  for (const d of demands) {
    const reserved = Object.entries(d.reservations).filter(([, n]) => n > 0);
    if (reserved.length > 0) {
      const sum = reserved.reduce((n, [, r]) => n + r, 0);
      needs.push({
        kind: 'lambdaConcurrency',
        region: d.region,
        needed: sum + LAMBDA_UNRESERVED_MINIMUM,
        breakdown: `reserved ${reserved.map(([f, n]) => `${f} ${n}`).join(' + ')} + ${LAMBDA_UNRESERVED_MINIMUM} Lambda keeps unreserved`,
      });
    }
    if (d.elasticIps > 0)
      needs.push({
        kind: 'elasticIps',
        region: d.region,
        needed: d.elasticIps,
        breakdown: `${d.elasticIps} Elastic IP address(es)`,
      });
    if (d.vpcs > 0) needs.push({ kind: 'vpcs', region: d.region, needed: d.vpcs, breakdown: `${d.vpcs} VPC` });
    if (d.interfaceEndpoints > 0)
      needs.push({
        kind: 'interfaceEndpoints',
        region: d.region,
        needed: d.interfaceEndpoints,
        breakdown: `${d.interfaceEndpoints} interface endpoints in the VPC`,
      });
  }
  // Account-wide: every region's accelerators count against the one global quota.
  const accelerators = demands.reduce((n, d) => n + (d.accelerators ?? 0), 0);
  if (accelerators > 0)
    needs.push({
      kind: 'accelerators',
      region: QUOTAS.accelerators.quotaRegion,
      needed: accelerators,
      breakdown: `${accelerators} accelerator (its API is in us-west-2; the quota is global)`,
    });
  return needs;
}

export interface QuotaVerdict extends QuotaNeed {
  readonly quota: number;
  readonly fits: boolean;
  readonly message: string;
}

/** Each need against the quota read for it (`quotas[kind][region]`). */
export function preflightVerdicts(
  needs: readonly QuotaNeed[],
  quotas: Readonly<Partial<Record<QuotaKind, Readonly<Record<string, number>>>>>,
): QuotaVerdict[] {
  return needs.map((need) => {
    const spec: QuotaSpec = QUOTAS[need.kind];
    const quota = quotas[need.kind]?.[need.region];
    if (quota === undefined) throw new Error(`no ${spec.name} quota was read for ${need.region}`);
    const fits = need.needed <= quota;
    const message = fits
      ? `${need.region} ${spec.name}: needs ${need.needed} (${need.breakdown}), quota ${quota}`
      : `${need.region} ${spec.name}: needs ${need.needed} (${need.breakdown}) but the account's quota is ${quota}. ` +
        `Request an increase of ${spec.serviceCode} ${quotaRef(spec)} to at least ${need.needed} in ${need.region} ` +
        (spec.quotaCode
          ? `(aws service-quotas request-service-quota-increase --region ${need.region} --service-code ${spec.serviceCode} --quota-code ${spec.quotaCode} --desired-value ${need.needed})`
          : `(Service Quotas console, ${need.region})`) +
        (need.kind === 'lambdaConcurrency' ? `, or lower ${RESERVATION_KEYS.join(' / ')}` : '');
    return { ...need, quota, fits, message };
  });
}

/** Thrown when a need does not fit: the message lists every one that does not. */
export class PreflightError extends Error {
  constructor(readonly verdicts: readonly QuotaVerdict[]) {
    super(
      `Account preflight: the account's service quotas do not fit this stack:\n  - ${verdicts
        .filter((v) => !v.fits)
        .map((v) => v.message)
        .join('\n  - ')}`,
    );
    this.name = 'PreflightError';
  }
}

/** The verdicts, or a PreflightError when any need does not fit. */
export function checkPreflight(verdicts: readonly QuotaVerdict[]): readonly QuotaVerdict[] {
  if (verdicts.some((v) => !v.fits)) throw new PreflightError(verdicts);
  return verdicts;
}
