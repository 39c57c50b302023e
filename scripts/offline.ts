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
import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parse as parseYaml } from 'yaml';

export const PROJECT_DIR = path.resolve(__dirname, '..');

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
}

export interface OfflineRun {
  readonly project: string;
  readonly stack: string;
  readonly resources: RecordedResource[];
  readonly outputs: Record<string, unknown>;
}

interface ProjectFile {
  name: string;
  config?: Record<string, { type?: string; default?: unknown; description?: string }>;
}

export function readProject(dir = PROJECT_DIR): ProjectFile {
  return parseYaml(fs.readFileSync(path.join(dir, 'Pulumi.yaml'), 'utf8')) as ProjectFile;
}

function configText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Config for a stack as the CLI would hand it to the program: Pulumi.yaml defaults for this
 * project's keys, overlaid by Pulumi.<stack>.yaml, overlaid by `overrides` (`key` or `ns:key`).
 */
export function stackConfig(
  stack: string,
  overrides: Record<string, unknown> = {},
  dir = PROJECT_DIR,
): Record<string, string> {
  const project = readProject(dir);
  const config: Record<string, string> = {};
  for (const [key, spec] of Object.entries(project.config ?? {})) {
    if (spec && spec.default !== undefined) config[`${project.name}:${key}`] = configText(spec.default);
  }
  const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
  if (stack && fs.existsSync(stackFile)) {
    const parsed = parseYaml(fs.readFileSync(stackFile, 'utf8')) as { config?: Record<string, unknown> } | null;
    for (const [key, value] of Object.entries(parsed?.config ?? {})) config[key] = configText(value);
  } else if (stack) {
    throw new Error(`no stack file ${stackFile}`);
  }
  for (const [key, value] of Object.entries(overrides)) {
    const full = key.includes(':') ? key : `${project.name}:${key}`;
    if (value === undefined) delete config[full];
    else config[full] = configText(value);
  }
  return config;
}

const ACCOUNT = '123456789012';

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
    case 'aws:sqs/queue:Queue':
      return { ...state, url: `https://sqs.${region}.amazonaws.com/${ACCOUNT}/${inputs.name}` };
    case 'aws:ec2/vpcEndpoint:VpcEndpoint':
      return inputs.vpcEndpointType === 'Gateway' ? { ...state, prefixListId: `pl-${name}` } : state;
    case 'aws:ec2/vpc:Vpc':
      return { ...state, defaultSecurityGroupId: `sg-default-${name}` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { ...state, latestVersion: 1 };
    case 'aws:kms/key:Key':
      return { ...state, keyId: `${name}-key-id` };
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
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs, region) };
      },
      call(args) {
        const region = regionOf(args.provider) ?? 'us-east-1';
        switch (args.token) {
          case 'aws:index/getAvailabilityZones:getAvailabilityZones':
            return { names: ['a', 'b', 'c', 'd'].map((l) => `${region}${l}`), zoneIds: [] };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/plan`, userId: 'plan' };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
          case 'aws:index/getRegion:getRegion':
            return { name: region, region };
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
        const inputs = unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject()));
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
        });
      }
      callback(err, res);
    });

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildPlatform, loadSettings } = require('../lib/program') as typeof import('../lib/program');
  // Same order as index.ts: config is validated before the stack (or anything else) registers.
  const settings = loadSettings();
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(({ type, name }) => {
      const key = `${type}::${name}`;
      if (!construction.has(key)) construction.set(key, construction.size);
      return undefined;
    });
    return buildPlatform(settings);
  })) as Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await (require('@pulumi/pulumi/runtime/settings') as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { project, stack, resources, outputs: outputs ?? {} };
}
