/**
 * Runs the real program in-process under Pulumi's mock runtime: no CLI, no credentials.
 * Used by `npm run plan` and by the tests, so both see exactly what `pulumi up` would register.
 *
 * It leans on Pulumi internals that are not public API: it wraps the mock monitor's
 * `registerResource` to read parent, dependencies, provider and ignoreChanges off each
 * registration request, and awaits `runtime/settings`' `waitForRPCs` so every registration
 * has landed before the run is returned. That is why package.json pins `@pulumi/pulumi` with
 * `~` (patch releases only): a minor release may change either, and an upgrade is a deliberate
 * change checked by the tests, not something `npm install` does on its own.
 */
import { createHash } from 'crypto';
import type * as PulumiModule from '@pulumi/pulumi';
import type { ExistingRecorder } from '../lib/preflight/config-recorder-choice';

// The stack files (Pulumi.yaml, Pulumi.<stack>.yaml) are read by scripts/stack-files.ts, which
// loads no Pulumi runtime: the drill reads its settings through it.
import { readProject } from './stack-files';
export { PROJECT_DIR, readProject, stackConfig } from './stack-files';

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Region of the provider the resource is bound to; undefined for components and providers without one. */
  readonly region?: string;
  readonly parent?: string;
  readonly dependsOn: string[];
  readonly provider?: string;
  readonly custom: boolean;
  readonly inputs: Record<string, any>;
  /** Input names `pulumi up` must not revert (the engine sees them; the mocks do not). */
  readonly ignoreChanges: string[];
  /** Position in the order the program constructed its resources (components included). */
  readonly constructed?: number;
  /** The engine deletes the old resource before creating its replacement. */
  readonly deleteBeforeReplace: boolean;
  /**
   * The input the provider fills with a generated physical name (`<logical name>-<7 hex>`),
   * when the program left it empty; the name is then in `inputs`, as the provider's check
   * (and a policy pack) sees it.
   */
  readonly autoNamed?: string;
  /** How long the engine lets the provider take to create it (`customTimeouts.create`), when set. */
  readonly createTimeout?: string;
}

export interface OfflineRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

const ACCOUNT = '123456789012';

/**
 * One account's view of the zones of each region, as the placement look-ups see it. Like a
 * real account: names map to IDs in no particular order, one zone is constrained (use1-az3
 * offers only older instance families and no current database class), and a few endpoint
 * services are missing in a zone. The gaps are made up so the placement rule is exercised;
 * they are not claims about AWS's current offerings.
 */
export interface MockZone {
  readonly name: string;
  readonly id: string;
  /** Instance families offered; undefined for every family. */
  readonly families?: readonly string[];
  readonly databases?: boolean;
  readonly missingEndpoints?: readonly string[];
}

export const MOCK_ZONES: Readonly<Record<string, readonly MockZone[]>> = {
  'us-east-1': [
    { name: 'us-east-1a', id: 'use1-az3', families: ['t2', 'm4', 'c4', 'r4'], databases: false },
    { name: 'us-east-1b', id: 'use1-az5' },
    { name: 'us-east-1c', id: 'use1-az1' },
    { name: 'us-east-1d', id: 'use1-az6' },
    { name: 'us-east-1e', id: 'use1-az2' },
    { name: 'us-east-1f', id: 'use1-az4', missingEndpoints: ['rds'] },
  ],
  'eu-west-1': [
    { name: 'eu-west-1a', id: 'euw1-az2' },
    { name: 'eu-west-1b', id: 'euw1-az3', missingEndpoints: ['lambda'] },
    { name: 'eu-west-1c', id: 'euw1-az1' },
  ],
  'us-west-2': [
    { name: 'us-west-2a', id: 'usw2-az2' },
    { name: 'us-west-2b', id: 'usw2-az1' },
    { name: 'us-west-2c', id: 'usw2-az3' },
  ],
};

/** What the mock account offers: the same answers the look-ups give, for tests to check placement against. */
export const mockOffers = {
  zone: (region: string, nameOrId: string) => MOCK_ZONES[region]?.find((z) => z.name === nameOrId || z.id === nameOrId),
  instanceType: (zone: MockZone, instanceType: string) =>
    !zone.families || zone.families.includes(instanceType.split('.')[0]),
  database: (zone: MockZone) => zone.databases !== false,
  endpoint: (zone: MockZone, service: string) => !zone.missingEndpoints?.includes(service),
};

/**
 * The account's service quotas as the preflight reads them: AWS's defaults for the codes the
 * program reads. A plan (or a test) sets one with the config key `offline:<quota code>`
 * (`npm run plan -- --set offline:L-B99A9384=50`), or for one region only with
 * `offline:<quota code>@<region>`.
 */
export const MOCK_QUOTAS: Readonly<Record<string, number>> = {
  'L-B99A9384': 1000, // Lambda concurrent executions
  'L-0263D0A3': 5, // EC2-VPC Elastic IPs
  'L-F678F1CE': 5, // VPCs per Region
  'L-29B6F2EB': 50, // Interface VPC endpoints per VPC
  // Read by name (no documented code): `offline:accelerators=N` sets it.
  accelerators: 20, // Global Accelerator standard accelerators per account (us-east-1)
};

/** A quota read by name has a short key in MOCK_QUOTAS and in `offline:<key>`. */
const QUOTA_NAME_KEYS: Readonly<Record<string, string>> = { 'Standard accelerators per AWS account': 'accelerators' };

function mockQuota(config: Record<string, string>, code: string, region: string): number | undefined {
  const set = config[`offline:${code}@${region}`] ?? config[`offline:${code}`];
  return set !== undefined ? Number(set) : MOCK_QUOTAS[code];
}

/**
 * The account's AWS Config recorders as DescribeConfigurationRecorders would list them: none,
 * unless the config key `offline:configRecorder@<region>` (or `offline:configRecorder` for
 * every region) names one (`npm run plan -- --set offline:configRecorder@us-east-1=default`
 * plays an account where Control Tower already records in us-east-1). A name starting
 * `AWSConfigurationRecorderFor` is service-linked, as AWS names those.
 */
function mockRecorders(config: Record<string, string>, region: string): ExistingRecorder[] {
  const name = config[`offline:configRecorder@${region}`] ?? config['offline:configRecorder'];
  if (!name) return [];
  return [
    {
      name,
      servicePrincipal: name.startsWith('AWSConfigurationRecorderFor') ? 'securityhub.amazonaws.com' : undefined,
      recording: true,
    },
  ];
}

/** Pulumi's marker for a secret value in deserialized properties. */
const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';

/** Secrets arrive wrapped; the plan shows their (mock) values, as it does every other input. */
function unwrapSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    if (SECRET_SIG_KEY in value) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/**
 * Types whose physical name the AWS provider generates when the program gives none, and the
 * input holding it: `<logical name>-<7 hex characters>` (Pulumi's auto-naming).
 */
export const AUTO_NAMED: Readonly<Record<string, string>> = {
  'aws:ec2/securityGroup:SecurityGroup': 'name',
  'aws:lb/targetGroup:TargetGroup': 'name',
  'aws:rds/clusterParameterGroup:ClusterParameterGroup': 'name',
  'aws:rds/subnetGroup:SubnetGroup': 'name',
  'aws:rds/clusterInstance:ClusterInstance': 'identifier',
  'aws:iam/rolePolicy:RolePolicy': 'name',
};

/** The name the provider would generate (deterministic here, random hex in Pulumi). */
export function autoName(logicalName: string): string {
  return `${logicalName}-${createHash('sha1').update(logicalName).digest('hex').slice(0, 7)}`;
}

/**
 * Request inputs plus the generated name where the provider would add one. With `namePrefix`
 * set, Pulumi leaves the name to the provider, which completes the prefix with a unique ID at
 * create time: the name is unknown at preview, and the prefix is what the provider validates.
 */
function withAutoName(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  const field = AUTO_NAMED[type];
  if (!field || inputs[field] !== undefined || inputs.namePrefix !== undefined) return inputs;
  return { ...inputs, [field]: autoName(name) };
}

/** Plausible computed outputs, so dependent inputs look like the real thing in the plan. */
function mockState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
  const service = type.split(':')[1]?.split('/')[0] ?? 'unknown';
  const resource = (type.split(':')[2] ?? 'resource').toLowerCase();
  const arns: Record<string, string> = {
    'aws:secretsmanager/secret:Secret': `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbCdEf`,
    'aws:lambda/function:Function': `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`,
    'aws:sns/topic:Topic': `arn:aws:sns:${region}:${ACCOUNT}:${name}`,
    'aws:sqs/queue:Queue': `arn:aws:sqs:${region}:${ACCOUNT}:${name}`,
    'aws:iam/role:Role': `arn:aws:iam::${ACCOUNT}:role/${name}`,
    'aws:kms/key:Key': `arn:aws:kms:${region}:${ACCOUNT}:key/${name}`,
    'aws:rds/cluster:Cluster': `arn:aws:rds:${region}:${ACCOUNT}:cluster:${name}`,
    'aws:s3/bucket:Bucket': `arn:aws:s3:::${inputs.bucket ?? name}`,
    'aws:lb/loadBalancer:LoadBalancer': `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:loadbalancer/app/${name}/abc123`,
    'aws:lb/targetGroup:TargetGroup': `arn:aws:elasticloadbalancing:${region}:${ACCOUNT}:targetgroup/${name}/def456`,
  };
  const arn = arns[type] ?? `arn:aws:${service}:${region}:${ACCOUNT}:${resource}/${name}`;
  const state: Record<string, any> = { arn, ...inputs };
  switch (type) {
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        ...state,
        dnsName: `${inputs.name}-1234567890.${region}.elb.amazonaws.com`,
        zoneId: 'Z35SXDOTRQ7X7K',
        arnSuffix: `app/${inputs.name}/abc123`,
      };
    case 'aws:lb/targetGroup:TargetGroup':
      return { ...state, arnSuffix: `targetgroup/${inputs.name}/def456` };
    case 'aws:rds/cluster:Cluster':
      return {
        ...state,
        endpoint: `${inputs.clusterIdentifier}.cluster-abc.${region}.rds.amazonaws.com`,
        readerEndpoint: `${inputs.clusterIdentifier}.cluster-ro-abc.${region}.rds.amazonaws.com`,
        port: 5432,
      };
    case 'aws:rds/globalCluster:GlobalCluster':
      return {
        ...state,
        arn: `arn:aws:rds::${ACCOUNT}:global-cluster:${inputs.globalClusterIdentifier}`,
        endpoint: `${inputs.globalClusterIdentifier}.global-abc.global.rds.amazonaws.com`,
      };
    case 'aws:route53/zone:Zone':
      return { ...state, zoneId: 'Z0123456789ABCDEFGHIJ', nameServers: ['ns-1.awsdns-00.com'] };
    case 'aws:globalaccelerator/accelerator:Accelerator':
      return {
        ...state,
        dnsName: 'a1234567890abcdef.awsglobalaccelerator.com',
        hostedZoneId: 'Z2BJ6XQ5FK7U4H',
        ipSets: [{ ipAddresses: ['75.2.0.1', '99.83.0.1'], ipFamily: 'IPv4' }],
      };
    case 'aws:lambda/function:Function':
      return { ...state, invokeArn: `arn:aws:apigateway:${region}:lambda:path/functions/${arn}/invocations` };
    case 'aws:dynamodb/table:Table': {
      // Every replica of a global table has its own stream (streamArn per replica block).
      const stream = (r: string) =>
        inputs.streamEnabled
          ? `arn:aws:dynamodb:${r}:${ACCOUNT}:table/${inputs.name}/stream/2026-01-01T00:00:00.000`
          : undefined;
      return {
        ...state,
        arn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${inputs.name}`,
        streamArn: stream(region),
        replicas: (inputs.replicas ?? []).map((r: { regionName: string }) => ({
          ...r,
          arn: `arn:aws:dynamodb:${r.regionName}:${ACCOUNT}:table/${inputs.name}`,
          streamArn: stream(r.regionName),
        })),
      };
    }
    case 'aws:sqs/queue:Queue':
      return { ...state, url: `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${inputs.name}` };
    case 'aws:signer/signingProfile:SigningProfile': {
      // The provider appends a 26-character unique id to namePrefix.
      const profileName = inputs.name ?? `${inputs.namePrefix}20261205000000000000000001`;
      const profileArn = `arn:aws:signer:${region}:${ACCOUNT}:/signing-profiles/${profileName}`;
      return {
        ...state,
        name: profileName,
        arn: profileArn,
        version: 'abcdEXAMPL',
        versionArn: `${profileArn}/abcdEXAMPL`,
      };
    }
    case 'aws:s3/bucketObjectv2:BucketObjectv2':
      return { ...state, versionId: `v-${createHash('sha1').update(name).digest('hex').slice(0, 12)}` };
    case 'aws:signer/signingJob:SigningJob': {
      // Signer writes the signed package under the destination prefix, named by the job id.
      const jobId = createHash('sha1').update(name).digest('hex').slice(0, 32);
      const destination = inputs.destination?.s3 ?? {};
      return {
        ...state,
        jobId,
        signedObjects: [{ s3s: [{ bucket: destination.bucket, key: `${destination.prefix ?? ''}${jobId}.zip` }] }],
      };
    }
    case 'aws:ec2/vpcEndpoint:VpcEndpoint': {
      if (inputs.vpcEndpointType === 'Gateway') return { ...state, prefixListId: `pl-${name}` };
      // An interface endpoint's endpoint-specific names, as EC2 lists them: the Regional one, then a
      // Zonal one per zone (`vpce-<id>-<suffix>[-<zone>].<service>.<region>.vpce.amazonaws.com`).
      const id = `vpce-${createHash('sha1').update(name).digest('hex').slice(0, 17)}`;
      const service = String(inputs.serviceName).split('.').slice(3).join('.');
      const dns = (zone: string) => ({
        dnsName: `${id}-abcd1234${zone}.${service}.${region}.vpce.amazonaws.com`,
        hostedZoneId: 'Z7HUB22UULQXV',
      });
      return { ...state, dnsEntries: [dns(''), dns(`-${region}a`), dns(`-${region}b`)] };
    }
    case 'aws:ec2/vpc:Vpc':
      return { ...state, defaultSecurityGroupId: `sg-default-${name}` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { ...state, latestVersion: 1 };
    case 'aws:kms/key:Key':
      return { ...state, keyId: `${name}-key-id` };
    case 'aws:acm/certificate:Certificate': {
      // ACM asks for one CNAME per name; a domain and its wildcard share it.
      const record = (domainName: string) => ({
        domainName,
        resourceRecordName: `_0123456789abcdef.${String(inputs.domainName)}.`,
        resourceRecordType: 'CNAME',
        resourceRecordValue: '_fedcba9876543210.xyz.acm-validations.aws.',
      });
      return {
        ...state,
        arn: `arn:aws:acm:${region}:${ACCOUNT}:certificate/${name}`,
        domainValidationOptions: [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map(record),
      };
    }
    case 'aws:route53/record:Record':
      return { ...state, fqdn: String(inputs.name).replace(/\.$/, '') };
    case 'random:index/randomPassword:RandomPassword':
      return { ...state, result: 'x'.repeat(Number(inputs.length ?? 32)) };
    default:
      return state;
  }
}

/**
 * Run the program under mocks with the given config (`ns:key` -> string) and return every
 * resource it registered, with region, parent and dependencies. Throws what the program throws
 * (a ConfigError for bad config, before anything is registered).
 */
export async function runOffline(
  config: Record<string, string>,
  stack = 'dev',
  /** Receives each resource as it registers; lets a caller see what exists when the program throws. */
  resources: RecordedResource[] = [],
): Promise<OfflineRun> {
  // Pulumi's runtime (mocks, config, the stack resource) is global to the process: a run asked
  // for while another is under way waits for it, or the two would record each other's resources.
  const run = previousRun.then(() => runWithTraceOnFailure(config, stack, resources));
  previousRun = run.catch(() => undefined);
  return run;
}

/** The last run asked for in this process; the next one starts after it settles. */
let previousRun: Promise<unknown> = Promise.resolve();

async function runWithTraceOnFailure(
  config: Record<string, string>,
  stack: string,
  resources: RecordedResource[],
): Promise<OfflineRun> {
  try {
    return await runUnderMocks(config, stack, resources, false);
  } catch (e) {
    if (!(e instanceof TracelessFailure)) throw e;
    // The program failed while running without stack traces (below): run it again with them, so
    // the error says where it was thrown. Under mocks it is deterministic and fails the same way.
    resources.length = 0;
    return runUnderMocks(config, stack, resources, true);
  }
}

/** The program threw while it ran without stack traces. */
class TracelessFailure extends Error {}

/**
 * Pulumi records a stack trace for every promise it tracks (runtime/debuggable.js, for its leak
 * report) and every resource it registers (Resource.callsites, for the source position), and
 * formatting them is about half of a run under mocks, which read neither. Without `stackTraces`
 * the program runs with `Error.stackTraceLimit` at 0 and errors thrown meanwhile carry no stack;
 * `Resource.callsites` lifts that limit for itself, so it answers "no position" instead, and
 * promises go untracked (even an empty trace costs an Error and a trip through the
 * stack-trace hook, for each of the run's many thousand promises).
 */
async function runUnderMocks(
  config: Record<string, string>,
  stack: string,
  resources: RecordedResource[],
  stackTraces: boolean,
): Promise<OfflineRun> {
  // Loaded here, not at the top: most importers only read the mock account (MOCK_ZONES, mockOffers)
  // or a plan already made (test/helpers/plan.ts), and @pulumi/pulumi loads gRPC, protobuf and
  // TypeScript (its closure serializer). Eleven test files that read a shared plan took 0.79x the
  // CPU without it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require('@pulumi/pulumi') as typeof PulumiModule;
  const project = readProject().name;
  const providerRegions = new Map<string, string>();
  const regionOf = (providerRef?: string): string | undefined => {
    if (!providerRef) return undefined;
    return providerRegions.get(providerRef.split('::').slice(0, -1).join('::'));
  };

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const region =
          args.type === 'pulumi:providers:aws' ? String(args.inputs.region) : (regionOf(args.provider) ?? 'aws-global');
        const inputs = withAutoName(args.type, args.name, args.inputs);
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs, region) };
      },
      call(args) {
        const region = regionOf(args.provider) ?? 'us-east-1';
        const zones = MOCK_ZONES[region] ?? [];
        switch (args.token) {
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return { names: zones.map((z) => z.name), zoneIds: zones.map((z) => z.id) };
          case 'aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings': {
            const type = String(args.inputs.filters?.find((f: any) => f.name === 'instance-type')?.values?.[0]);
            const offered = zones.filter((z) => mockOffers.instanceType(z, type));
            return { locations: offered.map((z) => z.id), locationTypes: offered.map(() => 'availability-zone-id') };
          }
          case 'aws:rds/getOrderableDbInstance:getOrderableDbInstance':
            // Aurora offers each class once per storage type (aurora, aurora-iopt1) where the
            // version has I/O-Optimized: without a storage type the data source matches twice and
            // fails ("multiple RDS DB Instance Classes ... match the criteria").
            if (args.inputs.engine === 'aurora-postgresql' && !args.inputs.storageType)
              throw new Error(
                'getOrderableDbInstance: multiple RDS DB Instance Classes (aurora, aurora-iopt1) match the criteria; set storageType',
              );
            return {
              ...args.inputs,
              availabilityZones: zones.filter(mockOffers.database).map((z) => z.name),
            };
          case 'aws:ec2/getVpcEndpointService:getVpcEndpointService':
            return {
              ...args.inputs,
              serviceName: `com.amazonaws.${region}.${args.inputs.service}`,
              availabilityZones: zones.filter((z) => mockOffers.endpoint(z, args.inputs.service)).map((z) => z.name),
            };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/plan`, userId: 'plan' };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
          case 'aws:index/getRegion:getRegion':
            return { name: region, region };
          case 'aws:servicequotas/getServiceQuota:getServiceQuota': {
            const code = args.inputs.quotaCode
              ? String(args.inputs.quotaCode)
              : (QUOTA_NAME_KEYS[String(args.inputs.quotaName)] ?? String(args.inputs.quotaName));
            const value = mockQuota(config, code, region);
            if (value === undefined) throw new Error(`the offline plan has no quota ${code}: add it to MOCK_QUOTAS`);
            return { ...args.inputs, value, defaultValue: MOCK_QUOTAS[code], region };
          }
          default:
            throw new Error(`the offline plan has no mock for ${args.token}`);
        }
      },
    },
    project,
    stack,
    true,
  );
  pulumi.runtime.setAllConfig(config);

  // The order constructors ran in: a resource registers only once its inputs resolve, so the
  // registration order cannot show a dependency on something constructed later; this can.
  const construction = new Map<string, number>();
  const constructedAt = (type: string, name: string) => construction.get(`${type}::${name}`);

  // Parent and dependsOn never reach the mocks: read them off the registration requests.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: any, callback: (err: any, res: any) => void): Promise<void>;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, res) => {
      if (!err) {
        const type: string = req.getType();
        const requested = unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject()));
        const inputs = withAutoName(type, req.getName(), requested);
        const autoField = AUTO_NAMED[type];
        const urn: string = res.getUrn();
        const provider: string | undefined = req.getProvider() || undefined;
        if (type === 'pulumi:providers:aws') providerRegions.set(urn, String(inputs.region));
        resources.push({
          urn,
          type,
          name: req.getName(),
          region: type === 'pulumi:providers:aws' ? String(inputs.region) : regionOf(provider),
          parent: req.getParent() || undefined,
          dependsOn: req.getDependenciesList(),
          provider,
          custom: req.getCustom(),
          inputs,
          ignoreChanges: req.getIgnorechangesList(),
          constructed: constructedAt(type, req.getName()),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          autoNamed: autoField && requested[autoField] === undefined ? autoField : undefined,
          createTimeout: req.getCustomtimeouts()?.getCreate() || undefined,
        });
        // Pulumi logs every response in a template string (runtime/resource.js, "RegisterResource
        // RPC finished: ... resp: ${innerResponse}") whether or not debug logging is on: that
        // stringifies the whole protobuf message, bundled Lambda code included, and was a third of
        // a run's CPU. Nothing reads that text here.
        res.toString = () => `RegisterResourceResponse(${urn})`;
      }
      callback(err, res);
    });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildPlatform, loadSettings, readAccount } = require('../lib/program') as typeof import('../lib/program');
  // Same order as index.ts: config is validated before the stack (or anything else) registers,
  // then the account is read (faked: mockRecorders).
  const settings = loadSettings();
  const account = await readAccount(settings, async (region) => mockRecorders(config, region));
  let preflight: Promise<unknown> = Promise.resolve(undefined);
  const stackTraceLimit = Error.stackTraceLimit;
  const resourceClass = pulumi.Resource as unknown as { callsites(): unknown[] };
  const callsites = resourceClass.callsites;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require('@pulumi/pulumi/runtime/debuggable') as {
    debuggablePromise: <T>(p: Promise<T>) => Promise<T>;
  };
  const debuggablePromise = debuggable.debuggablePromise;
  if (!stackTraces) {
    Error.stackTraceLimit = 0;
    resourceClass.callsites = () => [];
    debuggable.debuggablePromise = (p) => p;
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation(({ type, name }) => {
        const key = `${type}::${name}`;
        if (!construction.has(key)) construction.set(key, construction.size);
        return undefined;
      });
      const platform = buildPlatform(settings, account);
      // Settled here (a rejection held for later would count as unhandled), thrown after the run.
      preflight = platform.preflight.then(
        () => undefined,
        (e: unknown) => e,
      );
      return platform.outputs;
    })) as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await (require('@pulumi/pulumi/runtime/settings') as { waitForRPCs(): Promise<void> }).waitForRPCs();
  } catch (e) {
    throw stackTraces ? e : new TracelessFailure('the program failed', { cause: e });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    debuggable.debuggablePromise = debuggablePromise;
  }
  // The account preflight refused the stack: the program's error, as `pulumi preview` reports it.
  const refused = await preflight;
  if (refused) throw refused;
  return { project, stack, resources, outputs: outputs ?? {} };
}
