import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Settings } from './config';
import { ByRole, byRole } from './config/by-role';
import { CredentialsStack } from './data/credentials-stack';
import { DatabaseSchema } from './data/database-schema';
import { DatabaseBackup } from './data/database-backup';
import { FailoverEvidence } from './failover/failover-evidence';
import { Domain } from './traffic/domain';
import { FailoverStack } from './failover/failover-stack';
import { Keeper } from './failover/keeper';
import { GlobalDatabase } from './data/global-database';
import { GLOBAL_ACCELERATOR_API_REGION, GlobalStack } from './traffic/global-stack';
import { namer } from './config/naming';
import { VpcPeering } from './network/vpc-peering';
import { OrderBook } from './data/order-book';
import { accountPreflight, QuotaLedger } from './preflight/account-preflight';
import { QuotaVerdict } from './preflight/quota-preflight';
import { ExistingRecorder } from './preflight/config-recorder-choice';
import {
  RegionBundle,
  regionApplications,
  regionBase,
  regionBundles,
  regionCodeSigning,
  regionDatabases,
  regionProvider,
  RegionScope,
} from './platform/region-bundle';
import { PlatformObservability, platformObservability } from './platform/platform-observability';
import { sharedData } from './platform/shared-data';

export interface TapStackArgs {
  readonly settings: Settings;
  /** What the program read from the account while planning (lib/program.ts readAccount). */
  readonly account?: AccountState;
}

/** The account as read at plan time, before any resource is constructed. */
export interface AccountState {
  /** Each region's AWS Config recorders (`awsConfigRecorder: auto`; undefined otherwise). */
  readonly configRecorders?: Readonly<Record<string, readonly ExistingRecorder[]>>;
}

/**
 * The whole platform, built in the order it comes up, top to bottom:
 *
 * 1. the Aurora global database (both regional clusters join it);
 * 2. per region, the network and the database member (the secondary joins once the primary's
 *    instances are available), and the peering between the two networks;
 * 3. the credentials (secrets replicated to both regions, rotated in the primary), the live
 *    order book (a DynamoDB global table), then the schema, migrated at deploy time through the
 *    writer, and the failover evidence table;
 * 4. per region, the application (load balancer, trading Lambda, EC2 fleet: they take orders in
 *    the book only) and the book applier that feeds the region's cluster from the book's stream;
 * 5. global traffic: Global Accelerator and Route 53 in front of both load balancers;
 * 6. the failover orchestrator in the secondary;
 * 7. observability: per-region monitoring, then what exists once (failover alarms, Route 53
 *    health alarms, the cross-region dashboard).
 *
 * Each region is one `RegionBundle` (platform/region-bundle.ts), built in phases 2, 4 and 7; components
 * spanning both regions take the bundles. Every component gets only what already exists, so
 * nothing waits for a value from later. Single-region components receive their region's provider
 * through the `providers` option and their children inherit it; the few components that span
 * regions (peering, credentials, global traffic, failover) inherit their home region's and name
 * the other one where used.
 */
export class TapStack extends pulumi.ComponentResource {
  readonly globalDatabase: GlobalDatabase;
  /** Each region's provider and components. */
  readonly regions: ByRole<RegionBundle>;
  readonly peering: VpcPeering;
  readonly credentials: CredentialsStack;
  readonly schema: DatabaseSchema;
  /** The live order book (a DynamoDB global table) and its signing key. */
  readonly book: OrderBook;
  /** The primary's keeper (regional durability while the secondary is lost) and its arbiter. */
  readonly keeper: Keeper;
  readonly evidence: FailoverEvidence;
  readonly domain: Domain;
  readonly global: GlobalStack;
  readonly failover: FailoverStack;
  /** Failover, canary and Route 53 alarms, the client keys' guard, the dashboards, game days. */
  readonly observability: PlatformObservability;
  /** The account's quotas against what this stack needs in each region (read at plan time). */
  readonly preflight: pulumi.Output<readonly QuotaVerdict[]>;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super: the stack's children inherit the transformations registered when it is made.
    const ledger = new QuotaLedger();
    super('tap:index:TapStack', name, {}, opts);
    const { settings } = args;
    const globalName = namer(settings.environmentSuffix);
    const [primaryRegion, secondaryRegion] = settings.regions;

    const providerRegions = new Map<pulumi.ProviderResource, string>();
    const provider = (region: string) => {
      const made = regionProvider({ parent: this, settings }, region);
      providerRegions.set(made, region);
      return made;
    };
    const providers = {
      primary: provider(primaryRegion.region),
      secondary: provider(secondaryRegion.region),
      accelerator: provider(GLOBAL_ACCELERATOR_API_REGION),
    };
    // Default providers are disabled for every package (Pulumi.<stack>.yaml), random included:
    // the generated passwords need an explicit one too.
    const randomProvider = new random.Provider(globalName('randomProvider'), {}, { parent: this });
    const scope: RegionScope = { parent: this, settings, randomProvider };

    // 1. The global database: the global cluster is created through the primary region's API.
    this.globalDatabase = new GlobalDatabase(
      globalName('globalDatabase'),
      { settings, name: namer(settings.environmentSuffix, primaryRegion.region) },
      { parent: this, providers: { aws: providers.primary, random: randomProvider } },
    );

    // 2. Per region: keys, code signing, network, log archive; the peering between the networks;
    //    each region's database member.
    const base = byRole((role) => regionBase(scope, role, providers[role]));
    this.peering = new VpcPeering(
      globalName('peering'),
      { requester: base.primary, accepter: base.secondary, name: globalName },
      { parent: this },
    );
    const data = regionDatabases(scope, base, this.globalDatabase);
    // Protected stacks: a daily backup of the primary, copied to the secondary region.
    if (settings.dataProtection === 'protected') {
      new DatabaseBackup(
        globalName('databaseBackup'),
        { settings, source: data.primary, copyTo: data.secondary },
        { parent: this },
      );
    }

    // 3. What exists once and the application reads: credentials, order book, schema, domain.
    const shared = sharedData(scope, data, this.globalDatabase);
    this.credentials = shared.credentials;
    this.book = shared.book;
    this.schema = shared.schema;
    this.domain = shared.domain;
    // The orchestrator's evidence (probes, lease, the fence record of the traffic dials it moved,
    // its action journal), in the secondary, where the orchestrator runs.
    const s = data.secondary;
    this.evidence = new FailoverEvidence(s.name('failoverEvidence'), { region: s.region, name: s.name }, s.opts);

    // 4. Per region: the application and the applier of the book's stream.
    const apps = regionApplications(scope, data, shared);
    const { primary, secondary } = apps;

    // 5. Global traffic in front of both load balancers (Route 53 through the primary's provider).
    this.global = new GlobalStack(
      globalName('global'),
      {
        settings,
        name: globalName,
        database: this.globalDatabase,
        domain: this.domain,
        acceleratorProvider: providers.accelerator,
        endpoints: [primary, secondary],
      },
      primary.opts,
    );

    // 6. The primary keeps trading while the secondary is lost: its keeper, the arbiter in us-west-2.
    const arbiterName = namer(settings.environmentSuffix, GLOBAL_ACCELERATOR_API_REGION);
    const arbiter = { region: GLOBAL_ACCELERATOR_API_REGION, name: arbiterName, provider: providers.accelerator };
    const keeperArgs = { settings, name: primary.name, peerRegion: secondary.region, book: this.book, arbiter };
    this.keeper = new Keeper(primary.name('keeper'), { ...keeperArgs, codeSigning: primary.codeSigning }, primary.opts);
    //    Failover: the orchestrator and its evidence in the secondary; canaries voting from the
    //    secondary and from us-west-2 (which also serves the Global Accelerator API the fence
    //    uses); the Route 53 trigger in us-east-1.
    const canaryName = namer(settings.environmentSuffix, GLOBAL_ACCELERATOR_API_REGION);
    const canaryOpts = { parent: this, providers: { aws: providers.accelerator } };
    this.failover = new FailoverStack(
      secondary.name('failover'),
      {
        settings,
        regions: apps,
        globalDatabase: this.globalDatabase,
        traffic: this.global,
        vantages: [
          secondary,
          {
            region: GLOBAL_ACCELERATOR_API_REGION,
            name: canaryName,
            provider: providers.accelerator,
            codeSigning: regionCodeSigning(settings, canaryName, canaryOpts),
          },
        ],
        evidence: this.evidence,
        book: this.book,
        keeper: this.keeper,
      },
      secondary.opts,
    );

    // 7. Observability: per region, then what exists once.
    const regions = (this.regions = regionBundles(scope, apps, args.account?.configRecorders));
    this.observability = platformObservability(scope, regions, shared, this.global, this.failover);
    this.keeper.watch(regions.primary.monitoring.topic);

    // Last: the ledger has seen every resource. A stack the account cannot hold fails here.
    const providerOf = (region: string) => [...providerRegions].find(([, r]) => r === region)![0];
    this.preflight = accountPreflight(
      ledger.demands((p) => (p ? providerRegions.get(p) : undefined)),
      providerOf,
      this,
    );
    this.registerOutputs(this.stackOutputs());
  }

  /** The stack outputs operators, runbooks and the CI workflow read. */
  stackOutputs(): Record<string, pulumi.Input<unknown>> {
    const regional = (r: RegionBundle) => ({
      [`${r.role}VpcId`]: r.network.vpc.id,
      [`${r.role}AlbDnsName`]: r.compute.loadBalancer.alb.dnsName,
      [`${r.role}ClusterArn`]: r.database.cluster.arn,
      [`${r.role}ClusterEndpoint`]: r.database.cluster.endpoint,
      [`${r.role}ReaderEndpoint`]: r.database.cluster.readerEndpoint,
      [`${r.role}TradingFunctionArn`]: r.compute.trading.fn.arn,
    });
    const { primary, secondary } = this.regions;
    const globalCluster = this.globalDatabase.cluster;
    return {
      ...regional(primary),
      ...regional(secondary),
      vpcPeeringConnectionId: this.peering.connectionId,
      globalClusterId: globalCluster.id,
      globalClusterArn: globalCluster.arn,
      globalWriterEndpoint: globalCluster.endpoint,
      masterSecretArn: this.credentials.master.secret.arn,
      appSecretArn: this.credentials.app.secret.arn,
      clientKeysSecretArn: this.credentials.clientKeys.secret.arn,
      orderBookTableName: this.book.table.name,
      bookSigningSecretArn: this.book.signingSecret.arn,
      acceleratorDnsName: this.global.accelerator.dnsName,
      acceleratorIpSets: this.global.accelerator.ipSets,
      hostedZoneId: this.global.zone.zoneId,
      hostedZoneNameServers: this.global.zone.nameServers,
      apiName: this.global.apiName,
      readName: this.global.readName,
      acceleratorName: this.global.acceleratorName,
      failoverOrchestratorArn: this.failover.orchestrator.fn.arn,
      preflight: this.preflight,
      awsConfigRecorders: Object.fromEntries(
        [primary, secondary].map((r) => [r.region, r.monitoring.awsConfig.recorder]),
      ),
    };
  }
}
