import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from './config';
import { namer } from './naming';
import { NetworkStack } from './network-stack';
import { VpcPeering } from './peering-stack';
import { requiredTags } from './tags';

export interface TapStackArgs {
  readonly settings: Settings;
}

/** What one region contributes: its provider and components, for the global layer to use. */
export interface RegionStacks {
  readonly settings: RegionSettings;
  readonly provider: aws.Provider;
  readonly network: NetworkStack;
}

/**
 * The whole platform: two explicit regional providers, the per-region stacks bound to them,
 * the peering between the VPCs, and the global layer.
 */
export class TapStack extends pulumi.ComponentResource {
  readonly primary: RegionStacks;
  readonly secondary: RegionStacks;
  readonly peering: VpcPeering;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:index:TapStack', name, {}, opts);
    const { settings } = args;
    const suffix = settings.environmentSuffix;

    const regionStacks = (region: RegionSettings): RegionStacks => {
      const n = namer(suffix, region.region);
      const provider = new aws.Provider(
        n('provider'),
        {
          region: region.region as aws.Region,
          defaultTags: { tags: requiredTags(suffix, settings.costCenter, region.region) },
        },
        { parent: this },
      );
      const network = new NetworkStack(n('network'), { settings, region, provider, name: n }, { parent: this });
      return { settings: region, provider, network };
    };
    const [primaryRegion, secondaryRegion] = settings.regions;
    this.primary = regionStacks(primaryRegion);
    this.secondary = regionStacks(secondaryRegion);

    this.peering = new VpcPeering(
      namer(suffix)('peering'),
      {
        requester: { network: this.primary.network, provider: this.primary.provider, region: primaryRegion.region },
        accepter: {
          network: this.secondary.network,
          provider: this.secondary.provider,
          region: secondaryRegion.region,
        },
        name: namer(suffix),
      },
      { parent: this },
    );

    this.registerOutputs(this.stackOutputs());
  }

  /** The stack outputs operators and the CI workflow read. */
  stackOutputs(): Record<string, pulumi.Input<unknown>> {
    return {
      primaryVpcId: this.primary.network.vpc.id,
      secondaryVpcId: this.secondary.network.vpc.id,
      vpcPeeringConnectionId: this.peering.connectionId,
    };
  }
}
