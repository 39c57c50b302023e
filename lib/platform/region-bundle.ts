/**
 * One region of the platform as one typed value, a `RegionBundle`: its settings, provider and
 * namer with its NetworkStack, DatabaseStack, ComputeStack and MonitoringStack and the pieces
 * that wire them (keys, code signing, log archive, book endpoint, book applier). Components that
 * span both regions take `ByRole<...>` of these (or one bundle) instead of primary/secondary
 * argument pairs.
 *
 * A bundle is built in the platform's phases, because each phase needs the other region's
 * previous one: the databases reach the peer network; the application needs the credentials,
 * the order book and the domain, which need both regions' databases and keys, and the peer's
 * book endpoint; monitoring comes last, after traffic and failover. So `regionBase` (keys,
 * network), `regionDatabases` (the global database's members), `regionApplications` (application,
 * book applier) and `regionBundles` (monitoring) each extend the previous value; `sharedData`
 * (shared-data.ts) builds what exists once in between. Every component
 * stays TapStack's child, as before: a bundle is a value, not a component, so no URN changes.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ComputeStack } from '../app/compute-stack';
import { RegionRole, RegionSettings, Settings } from '../config';
import { ByRole, byRole, peerOf } from '../config/by-role';
import { Namer, namer } from '../config/naming';
import { requiredTags } from '../config/tags';
import { BookApplier } from '../data/book-applier';
import { CredentialsStack } from '../data/credentials-stack';
import { DatabaseSchema } from '../data/database-schema';
import { DatabaseStack } from '../data/database-stack';
import { GlobalDatabase } from '../data/global-database';
import { OrderBook } from '../data/order-book';
import { CodeSigning } from '../functions/code-signing';
import { NetworkStack } from '../network/network-stack';
import { PeerDynamodbEndpoint } from '../network/peer-dynamodb-endpoint';
import { MonitoringStack } from '../observe/monitoring-stack';
import { ExistingRecorder } from '../preflight/config-recorder-choice';
import { Domain } from '../traffic/domain';
import { LogArchive } from '../security/log-archive';
import { RegionKeys } from '../security/region-keys';

/** Where the bundles' components are made: TapStack, the settings and the random provider. */
export interface RegionScope {
  readonly parent: pulumi.ComponentResource;
  readonly settings: Settings;
  /** Default providers are disabled for every package: the generated passwords need this one. */
  readonly randomProvider: random.Provider;
}

/** A region's provider, its resources tagged as the stack's (also the accelerator API's region). */
export function regionProvider(scope: Omit<RegionScope, 'randomProvider'>, region: string): aws.Provider {
  const { settings, parent } = scope;
  return new aws.Provider(
    namer(settings.environmentSuffix, region)('provider'),
    {
      region: region as aws.Region,
      defaultTags: { tags: requiredTags(settings.environmentSuffix, settings.costCenter, region) },
    },
    { parent },
  );
}

/** Lambda code signing (off by default): one profile, configuration and package bucket per region that runs functions. */
export function regionCodeSigning(
  settings: Settings,
  name: Namer,
  opts: pulumi.ComponentResourceOptions,
): CodeSigning | undefined {
  return settings.lambdaCodeSigning === 'off'
    ? undefined
    : new CodeSigning(name('codeSigning'), { settings, name }, opts);
}

/** Phase 1 of a region: its keys (one per use), code signing, network and access-log archive. */
export interface RegionBase {
  readonly role: RegionRole;
  /** `settings.region`, at hand for the components that take a region's name, namer and provider. */
  readonly region: string;
  readonly settings: RegionSettings;
  readonly name: Namer;
  readonly provider: aws.Provider;
  /** Options of a component living in this region: its children inherit the region's providers. */
  readonly opts: pulumi.ComponentResourceOptions;
  readonly keys: RegionKeys;
  /** When lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly network: NetworkStack;
  /** Where the region's access logs land (ALB, S3): the application and monitoring need it. */
  readonly logArchive: LogArchive;
}

/** Phase 2: the region's member of the global database. */
export interface RegionData extends RegionBase {
  readonly database: DatabaseStack;
}

/** Phase 4: the region's application and the applier of the book's stream into its cluster. */
export interface RegionApp extends RegionData {
  /** This region's DynamoDB interface endpoint, serving the other region's order API over the peering. */
  readonly peerBookEndpoint: PeerDynamodbEndpoint;
  readonly compute: ComputeStack;
  /** Applies this region's replica stream of the order book to its cluster. */
  readonly bookApplier: BookApplier;
}

/** The whole region: phase 7 adds its monitoring. */
export interface RegionBundle extends RegionApp {
  readonly monitoring: MonitoringStack;
}

export function regionBase(scope: RegionScope, role: RegionRole, provider: aws.Provider): RegionBase {
  const { settings } = scope;
  const region = settings.regions.find((r) => r.role === role)!;
  const name = namer(settings.environmentSuffix, region.region);
  const opts = { parent: scope.parent, providers: { aws: provider, random: scope.randomProvider } };
  const keys = new RegionKeys(name('regionKeys'), { settings, region, name }, opts);
  return {
    role,
    region: region.region,
    settings: region,
    name,
    provider,
    opts,
    keys,
    codeSigning: regionCodeSigning(settings, name, opts),
    network: new NetworkStack(name('network'), { settings, region, name, keys }, opts),
    logArchive: new LogArchive(name('logArchive'), { settings, region: region.region, name }, opts),
  };
}

/** Both regions' members of the global database: the primary's writer, then the secondary replicating it. */
export function regionDatabases(
  scope: RegionScope,
  base: ByRole<RegionBase>,
  globalDatabase: GlobalDatabase,
): ByRole<RegionData> {
  let writer: DatabaseStack | undefined;
  return byRole((role) => {
    const r = base[role];
    const database = new DatabaseStack(
      r.name('database'),
      {
        settings: scope.settings,
        name: r.name,
        network: r.network,
        peerNetwork: base[peerOf(role)].network,
        globalDatabase,
        keys: r.keys,
        codeSigning: r.codeSigning,
        membership: writer ? { as: 'replica', of: writer } : { as: 'writer' },
      },
      r.opts,
    );
    writer ??= database;
    return { ...r, database };
  });
}

/** What exists once and the application reads: secrets, the order book, certificates, the schema. */
export interface SharedData {
  readonly credentials: CredentialsStack;
  readonly book: OrderBook;
  readonly domain: Domain;
  readonly schema: DatabaseSchema;
}

/**
 * Both regions' applications: each region's book endpoint (for the other region), then per
 * region the application and the applier of the book's stream into its cluster (inserting only
 * while that cluster is the writer).
 */
export function regionApplications(
  scope: RegionScope,
  data: ByRole<RegionData>,
  shared: SharedData,
): ByRole<RegionApp> {
  const { settings } = scope;
  const { credentials, book, domain, schema } = shared;
  // The book's cross-region path: each region's DynamoDB interface endpoint serves the other
  // region's order API over the peering (no internet path to the peer replica).
  const peerBookEndpoints = byRole((role) => {
    const r = data[role];
    return new PeerDynamodbEndpoint(
      r.name('peerEndpoint'),
      {
        network: r.network,
        peerNetwork: data[peerOf(role)].network,
        region: r.region,
        name: r.name,
        tableName: book.table.name,
      },
      r.opts,
    );
  });
  const computes = byRole((role) => {
    const r = data[role];
    const peer = data[peerOf(role)];
    return new ComputeStack(
      r.name('compute'),
      {
        settings,
        region: r.settings,
        name: r.name,
        codeSigning: r.codeSigning,
        network: r.network,
        peerNetwork: peer.network,
        clientKeysSecretArn: credentials.clientKeys.arnIn(r.region),
        book,
        peerRegion: peer.region,
        peerBookEndpoint: peerBookEndpoints[peerOf(role)].url,
        keys: r.keys,
        logArchive: r.logArchive,
        certificateArn: domain.certificates[role],
      },
      r.opts,
    );
  });
  return byRole((role) => {
    const r = data[role];
    const bookApplier = new BookApplier(
      r.name('bookApplier'),
      {
        settings,
        name: r.name,
        codeSigning: r.codeSigning,
        region: r.region,
        book,
        database: r.database,
        appSecretArn: credentials.app.arnIn(r.region),
        network: r.network,
        peerNetwork: data[peerOf(role)].network,
        ready: [schema.migrated],
        keys: r.keys,
      },
      r.opts,
    );
    return { ...r, peerBookEndpoint: peerBookEndpoints[role], compute: computes[role], bookApplier };
  });
}

/** Both regions completed with their monitoring: the same in each region. */
export function regionBundles(
  scope: RegionScope,
  apps: ByRole<RegionApp>,
  /** Each region's AWS Config recorders as read at plan time (`awsConfigRecorder: auto`). */
  configRecorders?: Readonly<Record<string, readonly ExistingRecorder[]>>,
): ByRole<RegionBundle> {
  return byRole((role) => {
    const r = apps[role];
    const monitoring = new MonitoringStack(
      r.name('monitoring'),
      {
        settings: scope.settings,
        region: r.settings,
        name: r.name,
        database: r.database,
        compute: r.compute,
        bookApplier: r.bookApplier,
        // IAM is global: the primary's AWS Config records the global resource types.
        recordsGlobalResources: role === 'primary',
        // The secrets are created (and rotate) in the primary; the secondary holds replicas.
        rotatesSecrets: role === 'primary',
        logArchive: r.logArchive,
        existingRecorders: configRecorders?.[r.region],
      },
      r.opts,
    );
    return { ...r, monitoring };
  });
}
