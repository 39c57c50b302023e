/**
 * Physical names: `{resource-type}-{environmentSuffix}`.
 *
 * Per-region resources carry a short region code in their type part (`alb-use1-dev`) because
 * some names are account-global (IAM roles) and because Pulumi logical names must be unique
 * across both regions. Every name the program builds is declared here with the AWS limit of
 * the field it lands in, so the longest allowed environmentSuffix is derived, not guessed.
 */

export interface NameRule {
  /** The `{resource-type}` part. */
  readonly type: string;
  /** AWS length limit of the name field. */
  readonly limit: number;
  /** Whether the name includes a region code (one resource per region). */
  readonly perRegion: boolean;
  /** Longest qualifier (`subnet-private-a`, `alarm-alb-5xx`) a name of this kind may carry. */
  readonly qualifierMax: number;
  /** The provider appends `-<7 hex>` to it (auto-naming): those characters count against the limit. */
  readonly autoNamed?: boolean;
}

function rule(type: string, limit: number, perRegion = true, qualifierMax = 0): NameRule {
  return { type, limit, perRegion, qualifierMax };
}

/** Length of the `-<7 hex>` Pulumi's auto-naming appends. */
const AUTO_NAME_SUFFIX = 8;
const autoNamed = (r: NameRule): NameRule => ({ ...r, autoNamed: true });

/** Every physical name the program creates, with the AWS limit of the field it lands in. */
export const NAME_RULES = {
  // components (logical names only) and providers
  network: rule('network', 255),
  database: rule('database', 255),
  compute: rule('compute', 255),
  monitoring: rule('monitoring', 255),
  failover: rule('failover', 255),
  canary: rule('canary', 255),
  failoverEvidence: rule('failover-evidence', 255),
  orderBook: rule('order-book', 255, false),
  bookApplier: rule('book-applier', 255),
  global: rule('global', 255, false),
  globalDatabase: rule('global-database', 255, false),
  loadBalancer: rule('load-balancer', 255),
  trading: rule('trading', 255),
  fleet: rule('fleet', 255),
  authLedger: rule('auth-ledger', 255),
  clientKeysGuard: rule('client-keys-guard', 255),
  // EventBridge rule names: up to 64 characters.
  clientKeysWrites: rule('evr-client-keys-writes', 64),
  awsConfig: rule('aws-config', 255),
  healthCheckAlarms: rule('health-check-alarms', 255),
  failoverAlarms: rule('failover-alarms', 255),
  canaryAlarms: rule('canary-alarms', 255),
  platformDashboard: rule('platform-dashboard', 255),
  provider: rule('aws', 255),
  randomProvider: rule('random', 255, false),
  // network
  vpc: rule('vpc', 255),
  subnetPublic: rule('subnet-public', 255, true, 1),
  subnetPrivate: rule('subnet-private', 255, true, 1),
  internetGateway: rule('igw', 255),
  routeTablePublic: rule('rt-public', 255, true, 3),
  routeTablePrivate: rule('rt-private', 255, true, 5),
  endpointSecurityGroup: rule('sg-endpoints', 255),
  peerEndpoint: rule('peer-endpoint', 255),
  peerEndpointSecurityGroup: rule('sg-peer-endpoint', 255),
  vpcEndpoint: rule('vpce', 255, true, 14),
  flowLogGroup: rule('log-group-vpc-flow', 512),
  flowLogRole: rule('role-vpc-flow-logs', 64),
  flowLog: rule('vpc-flow-log', 255),
  peering: rule('pcx', 255, false, 15),
  // database
  globalCluster: rule('aurora-global', 63, false),
  kmsKey: rule('kms', 256, true, 11),
  regionKeys: rule('keys', 255),
  dbSubnetGroup: autoNamed(rule('db-subnets', 255)),
  dbSecurityGroup: rule('sg-db', 255, true, 8),
  dbClusterParameterGroup: autoNamed(rule('db-cluster-params', 255)),
  dbCluster: rule('aurora', 63, true, 2),
  dbInstance: autoNamed(rule('aurora-instance', 63, true, 2)),
  dbSecret: rule('secret-db-master', 512, false, 2),
  credentials: rule('credentials', 255, false),
  appSecret: rule('secret-db-app', 512, false, 2),
  clientKeysSecret: rule('secret-api-clients', 512, false, 2),
  rotationFunction: rule('fn-rotation', 64, true, 6),
  rotationRole: rule('role-fn-rotation', 64, true, 15),
  rotationSecurityGroup: rule('sg-fn-rotation', 255),
  databaseSchema: rule('database-schema', 255),
  schemaFunction: rule('fn-schema', 64, true, 3),
  schemaRole: rule('role-fn-schema', 64),
  schemaSecurityGroup: rule('sg-fn-schema', 255),
  backupVault: rule('backup-vault', 50),
  backupPlan: rule('backup-plan', 50),
  backupRole: rule('role-backup', 64),
  databaseBackup: rule('database-backup', 255, false),
  // compute
  alb: rule('alb', 32),
  // Listeners and rules: logical names only, no AWS length limit of their own.
  albListener: rule('alb', 255, true, 6),
  albSecurityGroup: rule('sg-alb', 255),
  appSecurityGroup: rule('sg-app', 255),
  fleetSecurityGroup: rule('sg-ec2', 255),
  bookApplierSecurityGroup: rule('sg-fn-book-apply', 255),
  targetGroupInstances: autoNamed(rule('tg-ec2', 32)),
  targetGroupLambda: autoNamed(rule('tg-fn', 32)),
  launchTemplate: rule('lt-trading', 128),
  autoScalingGroup: rule('asg-trading', 255, true, 8),
  instanceRole: rule('role-ec2-trading', 64),
  instanceProfile: rule('profile-ec2-trading', 128),
  // SSM document names: [a-zA-Z0-9_.-], 3-128 (CreateDocument); not starting with aws/amazon/amzn.
  sessionDocument: rule('ssm-session', 128),
  sessionLogGroup: rule('log-group-ssm-session', 512),
  tradingFunction: rule('fn-trading', 64, true, 3),
  tradingRole: rule('role-fn-trading', 64),
  artifactBucket: rule('artifacts', 63, true, 12),
  codeSigning: rule('code-signing', 255),
  // S3 names are global: the account id (12) is the qualifier.
  codeBucket: rule('lambda-code', 63, true, 12),
  codeSigningConfig: rule('csc-lambda', 255),
  webAcl: rule('waf', 128),
  wafLogGroup: rule('aws-waf-logs-alb', 512),
  // global
  accelerator: rule('ga', 64, false, 8),
  domain: rule('domain', 255, false),
  hostedZone: rule('zone', 255, false, 9),
  certificate: rule('cert', 255, false, 4),
  healthCheck: rule('hc', 255, false, 4),
  orchestratorFunction: rule('fn-failover', 64, true, 8),
  failoverTopic: rule('sns-failover', 256, true, 5),
  orchestratorRole: rule('role-fn-failover', 64),
  evidenceTable: rule('ddb-failover-evidence', 255),
  authLedgerTable: rule('ddb-auth-ledger', 255),
  canaryFunction: rule('fn-canary', 64, true, 8),
  canaryRole: rule('role-fn-canary', 64),
  // The primary's keeper (regional durability while its peer is lost) and its arbiter in a third region.
  keeper: rule('keeper', 255),
  keeperFunction: rule('fn-keeper', 64, true, 8),
  keeperRole: rule('role-fn-keeper', 64),
  arbiterTable: rule('ddb-arbiter', 255),
  // The live order book: one global table (same name in every replica's region), its signing
  // key (replicated like the credentials), and the applier of each region's replica stream.
  bookTable: rule('ddb-order-book', 255, false),
  bookSigningSecret: rule('secret-book-signing', 512, false),
  bookPolicy: rule('ddb-order-book-policy', 255, true),
  bookApplierFunction: rule('fn-book-apply', 64, true, 6),
  bookApplierRole: rule('role-fn-book-apply', 64),
  // monitoring
  alarmTopic: rule('sns-alarms', 256, true, 5),
  alarm: rule('alarm', 255, true, 40),
  metricFilter: rule('metric-filter', 512, true, 24),
  dashboard: rule('dashboard', 255),
  configBucket: rule('config', 63, true, 12),
  configRole: rule('role-config', 64),
  configRecorder: rule('config-recorder', 256),
  configRule: rule('cfg', 128, true, 20),
  logArchive: rule('log-archive', 255),
  logBucket: rule('logs', 63, true, 12),
  // game days (AWS FIS): the template's Name tag (a tag value: 256) carries the experiment id
  gameDays: rule('game-days', 255),
  experimentTemplate: rule('fis', 256, true, 21),
  fisRole: rule('role-fis', 64),
  fisLogGroup: rule('log-group-fis', 512),
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

/** Short, stable region codes used inside names (`us-east-1` -> `use1`). */
export function regionCode(region: string): string {
  const match = /^([a-z]{2})-([a-z]+)-(\d+)$/.exec(region);
  if (!match) throw new Error(`not an AWS region name: "${region}"`);
  const [, area, direction, index] = match;
  const dir = direction
    .split(/(?=north|south|east|west|central)/)
    .map((part) => part[0])
    .join('');
  return `${area}${dir}${index}`;
}

/** Region codes are 4 characters for every region this program accepts (use1, euw1). */
const REGION_CODE_LENGTH = 4;

/** Characters of a name that are not the suffix: type, qualifier, region code, hyphens. */
function fixedLength(kind: NameKind): number {
  const r: NameRule = NAME_RULES[kind];
  const qualifier = r.qualifierMax > 0 ? r.qualifierMax + 1 : 0;
  return (
    r.type.length + 1 + qualifier + (r.perRegion ? REGION_CODE_LENGTH + 1 : 0) + (r.autoNamed ? AUTO_NAME_SUFFIX : 0)
  );
}

/**
 * The longest environmentSuffix for which every name still fits its AWS limit.
 */
export function maxSuffixLength(): number {
  return Math.min(...(Object.keys(NAME_RULES) as NameKind[]).map((kind) => NAME_RULES[kind].limit - fixedLength(kind)));
}

/** The kind whose limit sets maxSuffixLength(), for error messages. */
export function tightestName(): NameKind {
  const kinds = Object.keys(NAME_RULES) as NameKind[];
  return kinds.reduce((a, b) => (NAME_RULES[a].limit - fixedLength(a) <= NAME_RULES[b].limit - fixedLength(b) ? a : b));
}

/**
 * `{resource-type}-{environmentSuffix}`: the type part is the kind's type, then an optional
 * qualifier (several resources of one kind), then the region code for per-region resources.
 */
export function resourceName(kind: NameKind, suffix: string, region?: string, qualifier?: string): string {
  const r: NameRule = NAME_RULES[kind];
  if (r.perRegion && !region) throw new Error(`name "${kind}" is per region: pass the region`);
  if (qualifier !== undefined && qualifier.length > r.qualifierMax) {
    throw new Error(
      `qualifier "${qualifier}" of ${kind} is longer than the ${r.qualifierMax} characters declared in NAME_RULES`,
    );
  }
  const parts = [r.type, qualifier, r.perRegion ? regionCode(region!) : undefined];
  const type = parts.filter((part) => part !== undefined).join('-');
  const name = `${type}-${suffix}`;
  const length = name.length + (r.autoNamed ? AUTO_NAME_SUFFIX : 0);
  if (length > r.limit) {
    throw new Error(`name "${name}" is ${length} characters once named; AWS allows ${r.limit} for ${kind}`);
  }
  return name;
}

/** A name builder bound to one environment and region, as components use it. */
export type Namer = (kind: NameKind, qualifier?: string) => string;

export function namer(suffix: string, region?: string): Namer {
  return (kind, qualifier) => resourceName(kind, suffix, NAME_RULES[kind].perRegion ? region : undefined, qualifier);
}

/**
 * Resource options for a resource with a fixed physical name that holds no data. Pulumi
 * replaces create-first by default, and the new resource cannot take a name the old one still
 * holds: this deletes the old one first (a short gap, the name stays `{resource-type}-{env}`).
 *
 * The two other cases, decided where each resource is made:
 * - holding data (Aurora clusters, secrets, log buckets): create-first is kept
 *   on purpose; the name clash stops a replacement before anything is deleted.
 * - in use by something AWS will not let go of first (target groups behind listener rules,
 *   the cluster's subnet and parameter groups, Aurora instances): no fixed name; the provider
 *   generates `{resource-type}-{env}-<7 hex>` and the replacement is created beside the old one.
 */
export const DELETE_BEFORE_REPLACE = { deleteBeforeReplace: true } as const;

/** The name a region's ALB answers on directly (probes, operators): `use1.<domain>`. */
export function regionalName(settings: { readonly domainName: string }, region: string): string {
  return `${regionCode(region)}.${settings.domainName}`;
}
