/**
 * The account preflight at plan time: while the program constructs the stack, a stack
 * transformation tallies what each region takes from the quotas in QUOTAS (reserved
 * concurrency of every function, Elastic IPs, VPCs, interface endpoints, accelerators), whichever component
 * made the resource; then each quota is read with `aws.servicequotas.getServiceQuota` through
 * the region's provider, and `verdicts` fails the program with every need that does not fit
 * (`pulumi preview` resolves data sources, so it refuses there, before `pulumi up`).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  checkPreflight,
  preflightVerdicts,
  QUOTAS,
  QuotaKind,
  quotaNeeds,
  QuotaSpec,
  QuotaVerdict,
  RegionDemand,
} from './quota-preflight';

interface Counted {
  readonly provider: pulumi.ProviderResource | undefined;
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/**
 * Sees every resource constructed after it (a stack transformation; construct it before the
 * component whose children it must see, as a component's children inherit the transformations
 * registered when the component was made) and counts, per aws provider, what takes from QUOTAS.
 */
export class QuotaLedger {
  private readonly counted: Counted[] = [];

  constructor() {
    pulumi.runtime.registerStackTransformation(({ type, name, props, opts }) => {
      if (
        type === 'aws:lambda/function:Function' ||
        type === 'aws:ec2/eip:Eip' ||
        type === 'aws:ec2/vpc:Vpc' ||
        type === 'aws:ec2/vpcEndpoint:VpcEndpoint' ||
        type === 'aws:globalaccelerator/accelerator:Accelerator'
      )
        // The provider it will use: its own, or the one its parents hand down (`providers`).
        this.counted.push({ provider: opts.provider ?? opts.parent?.getProvider(type), type, name, props });
      return undefined;
    });
  }

  /** What each region takes, `regionOf` naming the region of a provider (undefined: not counted). */
  demands(regionOf: (provider: pulumi.ProviderResource | undefined) => string | undefined): RegionDemand[] {
    const tallies = new Map<
      string,
      {
        reservations: Record<string, number>;
        elasticIps: number;
        vpcs: number;
        interfaceEndpoints: number;
        accelerators: number;
      }
    >();
    for (const { provider, type, name, props } of this.counted) {
      const region = regionOf(provider);
      if (!region) continue;
      if (!tallies.has(region))
        tallies.set(region, { reservations: {}, elasticIps: 0, vpcs: 0, interfaceEndpoints: 0, accelerators: 0 });
      const tally = tallies.get(region)!;
      if (type === 'aws:lambda/function:Function') {
        const reserved = props.reservedConcurrentExecutions;
        if (typeof reserved === 'number' && reserved > 0) tally.reservations[String(props.name ?? name)] = reserved;
      } else if (type === 'aws:ec2/eip:Eip') tally.elasticIps++;
      else if (type === 'aws:ec2/vpc:Vpc') tally.vpcs++;
      else if (type === 'aws:globalaccelerator/accelerator:Accelerator') tally.accelerators++;
      else if (props.vpcEndpointType === 'Interface') tally.interfaceEndpoints++;
    }
    return [...tallies].map(([region, t]) => ({ region, ...t }));
  }
}

/**
 * Reads every quota a need refers to, through that region's provider, and resolves to the
 * verdicts (fitting or not: enforcePreflight refuses).
 */
export function accountPreflight(
  demands: readonly RegionDemand[],
  providerOf: (region: string) => pulumi.ProviderResource,
  parent: pulumi.Resource,
): pulumi.Output<readonly QuotaVerdict[]> {
  const needs = quotaNeeds(demands);
  const reads = needs.map(({ kind, region }) => {
    const spec: QuotaSpec = QUOTAS[kind];
    return aws.servicequotas
      .getServiceQuotaOutput(
        { serviceCode: spec.serviceCode, quotaCode: spec.quotaCode, quotaName: spec.quotaName },
        { provider: providerOf(region), parent },
      )
      .value.apply((value) => ({ kind, region, value }));
  });
  return pulumi.all(reads).apply((read) => {
    const quotas: Partial<Record<QuotaKind, Record<string, number>>> = {};
    for (const { kind, region, value } of read) quotas[kind] = { ...quotas[kind], [region]: value };
    return preflightVerdicts(needs, quotas);
  });
}

/**
 * Waits for the verdicts and throws a PreflightError (naming each quota, the need and the fix)
 * when any need does not fit. The program awaits this before it hands over its outputs, so the
 * refusal is the program's error, not an output's.
 */
export function enforcePreflight(verdicts: pulumi.Output<readonly QuotaVerdict[]>): Promise<readonly QuotaVerdict[]> {
  return new Promise((resolve, reject) =>
    verdicts.apply((v) => {
      try {
        resolve(checkPreflight(v));
      } catch (e) {
        reject(e);
      }
    }),
  );
}
