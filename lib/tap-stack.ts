// Over 320 lines for now: per-region bundles replace the primary/secondary pairs (issue 21 item 4).
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ComputeStack } from './app/compute-stack';
import { RegionRole, RegionSettings, Settings } from './config';
import { CredentialsStack } from './data/credentials-stack';
import { DatabaseSchema } from './data/database-schema';
import { DatabaseBackup } from './data/database-backup';
import { DatabaseStack } from './data/database-stack';
import { CanaryAlarms, FailoverAlarms } from './failover/failover-alarms';
import { FailoverEvidence } from './failover/failover-evidence';
import { Domain } from './traffic/domain';
import { FailoverStack } from './failover/failover-stack';
import { GlobalDatabase } from './data/global-database';
import { GLOBAL_ACCELERATOR_API_REGION, GlobalStack } from './traffic/global-stack';
import { GameDays } from './observe/game-days';
import { HealthCheckAlarms } from './observe/health-check-alarms';
import { MonitoringStack } from './observe/monitoring-stack';
import { Namer, namer, regionalName } from './config/naming';
import { CodeSigning } from './functions/code-signing';
import { LogArchive } from './security/log-archive';
import { NetworkStack } from './network/network-stack';
import { OrderBook } from './data/order-book';
import { BookApplier } from './data/book-applier';
import { Keeper } from './failover/keeper';
import { VpcPeering } from './network/vpc-peering';
import { PeerDynamodbEndpoint } from './network/peer-dynamodb-endpoint';
import { PlatformDashboard } from './observe/platform-dashboard';
import { RegionKeys } from './security/region-keys';
import { ClientKeysGuard } from './security/client-keys-guard';
import { requiredTags } from './config/tags';
import { accountPreflight, QuotaLedger } from './preflight/account-preflight';
import { QuotaVerdict } from './preflight/quota-preflight';
import { ExistingRecorder } from './preflight/config-recorder-choice';

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

/** One region's provider and components. */
export interface RegionStacks {
  readonly settings: RegionSettings;
  readonly name: Namer;
  readonly provider: aws.Provider;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  readonly compute: ComputeStack;
  /** Applies this region's replica stream of the order book to its cluster. */
  readonly bookApplier: BookApplier;
  readonly monitoring: MonitoringStack;
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
 * Every component gets only what already exists, so nothing waits for a value from later.
 * Single-region components receive their region's provider through the `providers` option
 * and their children inherit it; the few components that span regions (peering, credentials,
 * global traffic, failover) inherit their home region's and name the other one where used.
 */
export class TapStack extends pulumi.ComponentResource {
  readonly globalDatabase: GlobalDatabase;
  readonly primary: RegionStacks;
  readonly secondary: RegionStacks;
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
  readonly failoverAlarms: FailoverAlarms;
  readonly canaryAlarms: readonly CanaryAlarms[];
  readonly healthCheckAlarms: HealthCheckAlarms;
  readonly clientKeysGuard: ClientKeysGuard;
  readonly dashboard: PlatformDashboard;
  /** The same dashboard in the secondary region: it survives the loss of us-east-1. */
  readonly dashboardCopy: PlatformDashboard;
  /** The game days' FIS experiment templates (config `gameDays: enabled`), in the primary. */
  readonly gameDays?: GameDays;
  /** The account's quotas against what this stack needs in each region (read at plan time). */
  readonly preflight: pulumi.Output<readonly QuotaVerdict[]>;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super: the stack's children inherit the transformations registered when it is made.
    const ledger = new QuotaLedger();
    super('tap:index:TapStack', name, {}, opts);
    const { settings } = args;
    const suffix = settings.environmentSuffix;
    const globalName = namer(suffix);
    const [primaryRegion, secondaryRegion] = settings.regions;
    const regions: Record<RegionRole, RegionSettings> = { primary: primaryRegion, secondary: secondaryRegion };

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
    const providerRegions = new Map<pulumi.ProviderResource, string>([
      [providers.primary, primaryRegion.region],
      [providers.secondary, secondaryRegion.region],
      [providers.accelerator, GLOBAL_ACCELERATOR_API_REGION],
    ]);
    // Default providers are disabled for every package (Pulumi.<stack>.yaml), random included:
    // the generated passwords need an explicit one too.
    const randomProvider = new random.Provider(globalName('randomProvider'), {}, { parent: this });
    const names = {
      primary: namer(suffix, primaryRegion.region),
      secondary: namer(suffix, secondaryRegion.region),
      accelerator: namer(suffix, GLOBAL_ACCELERATOR_API_REGION),
    };
    /** Options of a component living in one region: its children inherit that region's providers. */
    const inRegion = (role: RegionRole): pulumi.ComponentResourceOptions => ({
      parent: this,
      providers: { aws: providers[role], random: randomProvider },
    });

    // 1. The global database: the global cluster is created through the primary region's API.
    this.globalDatabase = new GlobalDatabase(
      globalName('globalDatabase'),
      { settings, name: names.primary },
      inRegion('primary'),
    );

    // 2. Per region: keys (one per use), network and database member; the peering between the networks.
    const regionKeys = (role: RegionRole) =>
      new RegionKeys(names[role]('regionKeys'), { settings, region: regions[role], name: names[role] }, inRegion(role));
    const keys = { primary: regionKeys('primary'), secondary: regionKeys('secondary') };
    // Lambda code signing (off by default): one profile, configuration and package bucket per
    // region that runs functions, the canaries' us-west-2 included.
    const signing = (name: Namer, opts: pulumi.ComponentResourceOptions) =>
      settings.lambdaCodeSigning === 'off' ? undefined : new CodeSigning(name('codeSigning'), { settings, name }, opts);
    const codeSigning = {
      primary: signing(names.primary, inRegion('primary')),
      secondary: signing(names.secondary, inRegion('secondary')),
      accelerator: signing(names.accelerator, { parent: this, providers: { aws: providers.accelerator } }),
    };
    const network = (role: RegionRole) =>
      new NetworkStack(
        names[role]('network'),
        { settings, region: regions[role], name: names[role], keys: keys[role] },
        inRegion(role),
      );
    const networks = { primary: network('primary'), secondary: network('secondary') };
    // Where each region's access logs land (ALB, S3): needed by the application and monitoring.
    const logArchive = (role: RegionRole) =>
      new LogArchive(
        names[role]('logArchive'),
        { settings, region: regions[role].region, name: names[role] },
        inRegion(role),
      );
    const logArchives = { primary: logArchive('primary'), secondary: logArchive('secondary') };
    this.peering = new VpcPeering(
      globalName('peering'),
      {
        requester: { network: networks.primary, provider: providers.primary, region: primaryRegion.region },
        accepter: { network: networks.secondary, provider: providers.secondary, region: secondaryRegion.region },
        name: globalName,
      },
      { parent: this },
    );
    const other = (role: RegionRole): RegionRole => (role === 'primary' ? 'secondary' : 'primary');
    const databaseArgs = (role: RegionRole) => ({
      settings,
      name: names[role],
      network: networks[role],
      peerNetwork: networks[other(role)],
      globalDatabase: this.globalDatabase,
      keys: keys[role],
      codeSigning: codeSigning[role],
    });
    const primaryDatabase = new DatabaseStack(
      names.primary('database'),
      { ...databaseArgs('primary'), membership: { as: 'writer' } },
      inRegion('primary'),
    );
    const databases = {
      primary: primaryDatabase,
      secondary: new DatabaseStack(
        names.secondary('database'),
        { ...databaseArgs('secondary'), membership: { as: 'replica', of: primaryDatabase } },
        inRegion('secondary'),
      ),
    };

    // Protected stacks: a daily backup of the primary, copied to the secondary region.
    if (settings.dataProtection === 'protected') {
      const side = (role: RegionRole) => ({
        name: names[role],
        region: regions[role].region,
        provider: providers[role],
        key: keys[role].key('backup'),
      });
      new DatabaseBackup(
        globalName('databaseBackup'),
        {
          settings,
          source: { ...side('primary'), clusterArn: databases.primary.cluster.arn },
          copyTo: side('secondary'),
        },
        { parent: this },
      );
    }

    // 3. Credentials: secrets in the primary, replicated to the secondary.
    this.credentials = new CredentialsStack(
      globalName('credentials'),
      {
        settings,
        name: globalName,
        globalDatabase: this.globalDatabase,
        primary: { region: primaryRegion.region, name: names.primary, database: databases.primary, keys: keys.primary },
        secondary: {
          region: secondaryRegion.region,
          name: names.secondary,
          database: databases.secondary,
          keys: keys.secondary,
          provider: providers.secondary,
        },
      },
      inRegion('primary'),
    );

    // The live order book: a global table created through the primary with a replica in the
    // secondary, beside the credentials because it spans both regions as they do (it is no part
    // of a region's DatabaseStack), and before the application that writes it.
    this.book = new OrderBook(
      globalName('orderBook'),
      {
        settings,
        name: globalName,
        regions: [
          { region: primaryRegion.region, name: names.primary, keys: keys.primary, provider: providers.primary },
          {
            region: secondaryRegion.region,
            name: names.secondary,
            keys: keys.secondary,
            provider: providers.secondary,
          },
        ],
      },
      inRegion('primary'),
    );

    // The schema, migrated at deploy time through the primary's writer.
    this.schema = new DatabaseSchema(
      names.primary('databaseSchema'),
      {
        settings,
        region: primaryRegion,
        name: names.primary,
        codeSigning: codeSigning.primary,
        network: networks.primary,
        peerNetwork: networks.secondary,
        database: databases.primary,
        master: this.credentials.master,
        keys: keys.primary,
      },
      inRegion('primary'),
    );

    // The zone and, with TLS, each region's validated certificate: the listeners need them.
    this.domain = new Domain(
      globalName('domain'),
      {
        settings,
        name: globalName,
        regions: (['primary', 'secondary'] as const).map((role) => ({
          role,
          region: regions[role].region,
          provider: providers[role],
          certificateArn: regions[role].certificateArn,
        })),
      },
      inRegion('primary'),
    );

    // The orchestrator's evidence (probes, lease, the fence record of the traffic dials it moved,
    // its action journal), in the secondary, where the orchestrator runs.
    this.evidence = new FailoverEvidence(
      names.secondary('failoverEvidence'),
      { region: secondaryRegion.region, name: names.secondary },
      inRegion('secondary'),
    );

    // The book's cross-region path: each region's DynamoDB interface endpoint serves the other
    // region's order API over the peering (no internet path to the peer replica).
    const peerBookEndpoint = (role: RegionRole) =>
      new PeerDynamodbEndpoint(
        names[role]('peerEndpoint'),
        {
          network: networks[role],
          peerNetwork: networks[other(role)],
          region: regions[role].region,
          name: names[role],
          tableName: this.book.table.name,
        },
        inRegion(role),
      );
    const peerBookEndpoints = { primary: peerBookEndpoint('primary'), secondary: peerBookEndpoint('secondary') };

    // 4. Per region: the application, then the applier of the book's stream into the region's cluster.
    const compute = (role: RegionRole) =>
      new ComputeStack(
        names[role]('compute'),
        {
          settings,
          region: regions[role],
          name: names[role],
          codeSigning: codeSigning[role],
          network: networks[role],
          peerNetwork: networks[other(role)],
          clientKeysSecretArn: this.credentials.clientKeys.arnIn(regions[role].region),
          book: this.book,
          peerRegion: regions[other(role)].region,
          peerBookEndpoint: peerBookEndpoints[other(role)].url,
          keys: keys[role],
          logArchive: logArchives[role],
          certificateArn: this.domain.certificates[role],
        },
        inRegion(role),
      );
    const computes = { primary: compute('primary'), secondary: compute('secondary') };
    // Each region applies its replica's stream to its own cluster (inserting only while that
    // cluster is the writer).
    const applier = (role: RegionRole) =>
      new BookApplier(
        names[role]('bookApplier'),
        {
          settings,
          name: names[role],
          codeSigning: codeSigning[role],
          region: regions[role].region,
          book: this.book,
          database: databases[role],
          appSecretArn: this.credentials.app.arnIn(regions[role].region),
          network: networks[role],
          peerNetwork: networks[other(role)],
          ready: [this.schema.migrated],
          keys: keys[role],
        },
        inRegion(role),
      );
    const appliers = { primary: applier('primary'), secondary: applier('secondary') };

    // 5. Global traffic in front of both load balancers (Route 53 through the primary's provider).
    this.global = new GlobalStack(
      globalName('global'),
      {
        settings,
        name: globalName,
        database: this.globalDatabase,
        domain: this.domain,
        acceleratorProvider: providers.accelerator,
        endpoints: [
          {
            role: 'primary',
            region: primaryRegion.region,
            loadBalancer: computes.primary.loadBalancer,
            network: networks.primary,
          },
          {
            role: 'secondary',
            region: secondaryRegion.region,
            loadBalancer: computes.secondary.loadBalancer,
            network: networks.secondary,
          },
        ],
      },
      inRegion('primary'),
    );

    // 6. The primary keeps trading while the secondary is lost: its keeper, the arbiter in us-west-2.
    this.keeper = new Keeper(
      names.primary('keeper'),
      {
        settings,
        name: names.primary,
        peerRegion: secondaryRegion.region,
        book: this.book,
        arbiter: { region: GLOBAL_ACCELERATOR_API_REGION, name: names.accelerator, provider: providers.accelerator },
        codeSigning: codeSigning.primary,
      },
      inRegion('primary'),
    );
    //    Failover: the orchestrator and its evidence in the secondary; canaries voting from the
    //    secondary and from us-west-2 (which also serves the Global Accelerator API the fence
    //    uses); the Route 53 trigger in us-east-1.
    this.failover = new FailoverStack(
      names.secondary('failover'),
      {
        settings,
        region: secondaryRegion,
        name: names.secondary,
        primaryRegion: primaryRegion.region,
        primaryName: names.primary,
        primaryProvider: providers.primary,
        globalDatabase: this.globalDatabase,
        primaryCluster: databases.primary.cluster,
        secondaryCluster: databases.secondary.cluster,
        primaryLoadBalancer: computes.primary.loadBalancer,
        probeHostname: regionalName(settings, primaryRegion.region),
        primaryHealthCheck: this.global.healthChecks.primary,
        failoverRecordName: this.global.apiName,
        secondaryLoadBalancer: computes.secondary.loadBalancer,
        endpointGroups: this.global.endpointGroups,
        vantages: [
          {
            region: secondaryRegion.region,
            name: names.secondary,
            provider: providers.secondary,
            codeSigning: codeSigning.secondary,
          },
          {
            region: GLOBAL_ACCELERATOR_API_REGION,
            name: names.accelerator,
            provider: providers.accelerator,
            codeSigning: codeSigning.accelerator,
          },
        ],
        evidence: this.evidence,
        book: this.book,
        keeper: this.keeper,
        codeSigning: codeSigning.secondary,
      },
      inRegion('secondary'),
    );

    // 7. Observability: the same in each region, then what exists once.
    const monitoring = (role: RegionRole, recordsGlobalResources: boolean) =>
      new MonitoringStack(
        names[role]('monitoring'),
        {
          settings,
          region: regions[role],
          name: names[role],
          database: databases[role],
          compute: computes[role],
          bookApplier: appliers[role],
          recordsGlobalResources,
          // The secrets are created (and rotate) in the primary; the secondary holds replicas.
          rotatesSecrets: role === 'primary',
          logArchive: logArchives[role],
          existingRecorders: args.account?.configRecorders?.[regions[role].region],
        },
        inRegion(role),
      );
    const monitors = { primary: monitoring('primary', true), secondary: monitoring('secondary', false) };
    this.keeper.watch(monitors.primary.topic);
    this.failoverAlarms = new FailoverAlarms(
      names.secondary('failoverAlarms'),
      { settings, name: names.secondary, topic: monitors.secondary.topic, failover: this.failover },
      inRegion('secondary'),
    );
    // Each canary is watched in its own region, on that region's topic where it has one.
    const topicOf = (region: string) =>
      [monitors.primary, monitors.secondary].find((m) => m.region.region === region)?.topic;
    this.canaryAlarms = this.failover.canaries.map(
      (canary) =>
        new CanaryAlarms(
          canary.vantage.name('canaryAlarms'),
          { settings, canary, topic: topicOf(canary.region) },
          { parent: this, providers: { aws: canary.vantage.provider } },
        ),
    );
    // Route 53 publishes health-check metrics only in us-east-1, the primary region.
    this.healthCheckAlarms = new HealthCheckAlarms(
      names.primary('healthCheckAlarms'),
      { name: names.primary, topic: monitors.primary.topic, healthChecks: this.global.healthChecks },
      inRegion('primary'),
    );
    // The API client keys: read only by the roles that verify requests, written only by the key
    // admins, every write reported on the primary's alarm topic (where the secret lives).
    this.clientKeysGuard = new ClientKeysGuard(
      names.primary('clientKeysGuard'),
      {
        name: names.primary,
        secret: this.credentials.clientKeys.secret,
        version: this.credentials.clientKeys.version,
        readerRoleArns: [...computes.primary.verifierRoleArns, ...computes.secondary.verifierRoleArns],
        keyAdminRoleArns: settings.clientKeyAdminRoleArns,
        alarmTopicArn: monitors.primary.topic.arn,
        alarmTopicPolicy: monitors.primary.topicPolicy,
      },
      inRegion('primary'),
    );
    // Every widget names its region, so the body works from either region: a copy in the
    // secondary stays readable when us-east-1 (and the first one) is lost.
    const dashboard = (role: RegionRole) =>
      new PlatformDashboard(
        names[role]('platformDashboard'),
        {
          settings,
          name: names[role],
          regions: [monitors.primary, monitors.secondary],
          global: this.global,
          failover: this.failover,
        },
        inRegion(role),
      );
    this.dashboard = dashboard('primary');
    this.dashboardCopy = dashboard('secondary');

    // Game days: FIS experiments against the primary, stopped by its own alarms.
    if (settings.gameDays === 'enabled') {
      this.gameDays = new GameDays(
        names.primary('gameDays'),
        {
          settings,
          region: primaryRegion,
          name: names.primary,
          peerRegion: secondaryRegion.region,
          keys: keys.primary,
          network: networks.primary,
          database: databases.primary,
          compute: computes.primary,
          monitoring: monitors.primary,
          book: this.book,
        },
        inRegion('primary'),
      );
    }

    const region = (role: RegionRole): RegionStacks => ({
      settings: regions[role],
      name: names[role],
      provider: providers[role],
      network: networks[role],
      database: databases[role],
      compute: computes[role],
      bookApplier: appliers[role],
      monitoring: monitors[role],
    });
    this.primary = region('primary');
    this.secondary = region('secondary');

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
    const regional = (prefix: string, r: RegionStacks) => ({
      [`${prefix}VpcId`]: r.network.vpc.id,
      [`${prefix}AlbDnsName`]: r.compute.loadBalancer.alb.dnsName,
      [`${prefix}ClusterArn`]: r.database.cluster.arn,
      [`${prefix}ClusterEndpoint`]: r.database.cluster.endpoint,
      [`${prefix}ReaderEndpoint`]: r.database.cluster.readerEndpoint,
      [`${prefix}TradingFunctionArn`]: r.compute.trading.fn.arn,
    });
    const globalCluster = this.globalDatabase.cluster;
    return {
      ...regional('primary', this.primary),
      ...regional('secondary', this.secondary),
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
        [this.primary, this.secondary].map((r) => [r.settings.region, r.monitoring.awsConfig.recorder]),
      ),
    };
  }
}
