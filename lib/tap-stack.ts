import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ComputeStack } from './compute-stack';
import { RegionSettings, Settings } from './config';
import { CredentialsStack } from './credentials-stack';
import { DatabaseStack } from './database-stack';
import { FailoverStack } from './failover-stack';
import { GLOBAL_ACCELERATOR_API_REGION, GlobalStack } from './global-stack';
import { MonitoringStack } from './monitoring-stack';
import { Namer, namer } from './naming';
import { NetworkStack } from './network-stack';
import { VpcPeering } from './peering-stack';
import { requiredTags } from './tags';

export interface TapStackArgs {
  readonly settings: Settings;
}

/** One region's provider and components. */
export interface RegionStacks {
  readonly settings: RegionSettings;
  readonly name: Namer;
  readonly provider: aws.Provider;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  readonly compute: ComputeStack;
  readonly monitoring: MonitoringStack;
}

interface AlbEndpoint {
  arn: pulumi.Output<string>;
  dnsName: pulumi.Output<string>;
  resolve(compute: ComputeStack): void;
}

/** The ALB outputs the global layer needs, resolved once the region's ComputeStack exists. */
function deferredAlb(): AlbEndpoint {
  const [arn, resolveArn] = pulumi.deferredOutput<string>();
  const [dnsName, resolveDns] = pulumi.deferredOutput<string>();
  return {
    arn,
    dnsName,
    resolve: (compute) => {
      resolveArn(compute.alb.arn);
      resolveDns(compute.alb.dnsName);
    },
  };
}

/**
 * The whole platform: explicit providers (us-east-1, eu-west-1, and us-west-2 for the Global
 * Accelerator API), the per-region stacks bound to them, peering, credentials, the global
 * layer and the failover orchestrator.
 *
 * Order matters where AWS needs it: the global cluster exists before either member; the
 * secondary member waits for the primary's instances. The global layer is built before the
 * ALBs exist and receives their ARNs and DNS names through deferred outputs, which carry the
 * dependency on the ALBs like any other output.
 */
export class TapStack extends pulumi.ComponentResource {
  readonly primary: RegionStacks;
  readonly secondary: RegionStacks;
  readonly global: GlobalStack;
  readonly credentials: CredentialsStack;
  readonly failover: FailoverStack;
  readonly peering: VpcPeering;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:index:TapStack', name, {}, opts);
    const { settings } = args;
    const suffix = settings.environmentSuffix;
    const globalName = namer(suffix);
    const [primaryRegion, secondaryRegion] = settings.regions;

    const provider = (region: string) =>
      new aws.Provider(
        namer(suffix, region)('provider'),
        { region: region as aws.Region, defaultTags: { tags: requiredTags(suffix, settings.costCenter, region) } },
        { parent: this },
      );
    const providers = {
      primary: provider(primaryRegion.region),
      secondary: provider(secondaryRegion.region),
      accelerator: provider(GLOBAL_ACCELERATOR_API_REGION),
    };
    const names = { primary: namer(suffix, primaryRegion.region), secondary: namer(suffix, secondaryRegion.region) };

    const networks = {
      primary: new NetworkStack(
        names.primary('network'),
        { settings, region: primaryRegion, provider: providers.primary, name: names.primary },
        { parent: this },
      ),
      secondary: new NetworkStack(
        names.secondary('network'),
        { settings, region: secondaryRegion, provider: providers.secondary, name: names.secondary },
        { parent: this },
      ),
    };
    this.peering = new VpcPeering(
      globalName('peering'),
      {
        requester: { network: networks.primary, provider: providers.primary, region: primaryRegion.region },
        accepter: { network: networks.secondary, provider: providers.secondary, region: secondaryRegion.region },
        name: globalName,
      },
      { parent: this },
    );

    const albs = { primary: deferredAlb(), secondary: deferredAlb() };
    const https = {
      primary: primaryRegion.certificateArn !== undefined,
      secondary: secondaryRegion.certificateArn !== undefined,
    };
    this.global = new GlobalStack(
      globalName('global'),
      {
        settings,
        name: globalName,
        primaryProvider: providers.primary,
        acceleratorProvider: providers.accelerator,
        endpoints: [
          {
            role: 'primary',
            region: primaryRegion.region,
            albArn: albs.primary.arn,
            albDnsName: albs.primary.dnsName,
            https: https.primary,
          },
          {
            role: 'secondary',
            region: secondaryRegion.region,
            albArn: albs.secondary.arn,
            albDnsName: albs.secondary.dnsName,
            https: https.secondary,
          },
        ],
      },
      { parent: this },
    );

    const databaseArgs = (role: 'primary' | 'secondary', region: RegionSettings) => ({
      settings,
      region,
      provider: providers[role],
      name: names[role],
      network: networks[role],
      globalCluster: this.global.globalCluster,
    });
    const primaryDb = new DatabaseStack(names.primary('database'), databaseArgs('primary', primaryRegion), {
      parent: this,
    });
    const secondaryDb = new DatabaseStack(
      names.secondary('database'),
      { ...databaseArgs('secondary', secondaryRegion), primaryInstances: primaryDb.instances },
      { parent: this },
    );
    this.credentials = new CredentialsStack(
      globalName('credentials'),
      {
        settings,
        name: globalName,
        primary: {
          region: primaryRegion.region,
          name: names.primary,
          provider: providers.primary,
          database: primaryDb,
        },
        secondary: {
          region: secondaryRegion.region,
          name: names.secondary,
          provider: providers.secondary,
          database: secondaryDb,
        },
        globalCluster: this.global.globalCluster,
      },
      { parent: this },
    );

    const compute = (role: 'primary' | 'secondary', region: RegionSettings, database: DatabaseStack) => {
      const stack = new ComputeStack(
        names[role]('compute'),
        {
          settings,
          region,
          provider: providers[role],
          name: names[role],
          network: networks[role],
          database,
          appSecretArn: this.credentials.app.arnIn(region.region),
        },
        { parent: this },
      );
      albs[role].resolve(stack);
      return stack;
    };
    const computes = {
      primary: compute('primary', primaryRegion, primaryDb),
      secondary: compute('secondary', secondaryRegion, secondaryDb),
    };

    this.failover = new FailoverStack(
      names.secondary('failover'),
      {
        settings,
        name: names.secondary,
        primaryName: names.primary,
        secondaryProvider: providers.secondary,
        primaryProvider: providers.primary,
        globalCluster: this.global.globalCluster,
        primaryCluster: primaryDb.cluster,
        secondaryCluster: secondaryDb.cluster,
        primaryAlbDnsName: computes.primary.alb.dnsName,
        primaryHttps: https.primary,
        primaryHealthCheck: this.global.healthChecks.primary,
      },
      { parent: this },
    );

    const region = (
      role: 'primary' | 'secondary',
      regionSettings: RegionSettings,
      database: DatabaseStack,
    ): RegionStacks => ({
      settings: regionSettings,
      name: names[role],
      provider: providers[role],
      network: networks[role],
      database,
      compute: computes[role],
      monitoring: new MonitoringStack(
        names[role]('monitoring'),
        {
          settings,
          region: regionSettings,
          provider: providers[role],
          name: names[role],
          database,
          compute: computes[role],
          failover: role === 'secondary' ? this.failover : undefined,
          healthChecks: role === 'primary' ? this.global.healthChecks : undefined,
          dashboard:
            role === 'primary'
              ? [
                  { region: primaryRegion, database: primaryDb, compute: computes.primary, name: names.primary },
                  {
                    region: secondaryRegion,
                    database: secondaryDb,
                    compute: computes.secondary,
                    name: names.secondary,
                  },
                ]
              : undefined,
        },
        { parent: this },
      ),
    });
    this.primary = region('primary', primaryRegion, primaryDb);
    this.secondary = region('secondary', secondaryRegion, secondaryDb);

    this.registerOutputs(this.stackOutputs());
  }

  /** The stack outputs operators, runbooks and the CI workflow read. */
  stackOutputs(): Record<string, pulumi.Input<unknown>> {
    const regional = (prefix: string, r: RegionStacks) => ({
      [`${prefix}VpcId`]: r.network.vpc.id,
      [`${prefix}AlbDnsName`]: r.compute.alb.dnsName,
      [`${prefix}ClusterArn`]: r.database.cluster.arn,
      [`${prefix}ClusterEndpoint`]: r.database.cluster.endpoint,
      [`${prefix}ReaderEndpoint`]: r.database.cluster.readerEndpoint,
      [`${prefix}TradingFunctionArn`]: r.compute.trading.fn.arn,
      [`${prefix}OrderQueueUrl`]: r.compute.orderQueue.url,
      [`${prefix}AlarmTopicArn`]: r.monitoring.topic.arn,
    });
    return {
      ...regional('primary', this.primary),
      ...regional('secondary', this.secondary),
      vpcPeeringConnectionId: this.peering.connectionId,
      globalClusterId: this.global.globalCluster.id,
      globalClusterArn: this.global.globalCluster.arn,
      globalWriterEndpoint: this.global.globalCluster.endpoint,
      masterSecretArn: this.credentials.master.secret.arn,
      appSecretArn: this.credentials.app.secret.arn,
      acceleratorDnsName: this.global.accelerator.dnsName,
      acceleratorIpSets: this.global.accelerator.ipSets,
      hostedZoneId: this.global.zone.zoneId,
      hostedZoneNameServers: this.global.zone.nameServers,
      apiName: this.global.apiName,
      readName: this.global.readName,
      acceleratorName: this.global.acceleratorName,
      failoverOrchestratorArn: this.failover.orchestrator.fn.arn,
    };
  }
}
