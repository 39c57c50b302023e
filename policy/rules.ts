/**
 * The project's own invariants as pure checks over a resource's type and inputs. The policy
 * pack (index.ts) hands them to `pulumi preview --policy-pack policy`; `npm run plan` runs the
 * very same functions over the offline plan, with the config resolved from the same file.
 */
import { ENGINE_MAJOR_MINIMUMS, meetsMinimumVersion, PROTECTED_RECOVERY_DAYS } from './limits';
import { PolicyConfigError, PolicyContext, resolvePolicyConfig } from './schema';

export type { PolicyContext } from './schema';

/**
 * Whether an IPv4 CIDR lies inside an RFC 1918 private range: the only CIDRs a database may be
 * opened to (a peered VPC's subnets). Self-contained: the published pack holds only policy/.
 */
export function isPrivateCidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) return false;
  const [a, b, c, d, prefix] = match.slice(1).map(Number);
  if ([a, b, c, d].some((o) => o > 255) || prefix > 32) return false;
  const inside = (first: number, second: [number, number] | undefined, rangePrefix: number) =>
    prefix >= rangePrefix && a === first && (second === undefined || (b >= second[0] && b <= second[1]));
  return inside(10, undefined, 8) || inside(172, [16, 31], 12) || inside(192, [168, 168], 16);
}

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, any>;
}

export { meetsMinimumVersion, PROTECTED_RECOVERY_DAYS } from './limits';

export interface Policy {
  readonly name: string;
  readonly description: string;
  validate(resource: PolicyResource, ctx: PolicyContext): string[];
}

/** Inputs holding a physical name, per type (everything else named uses `name`). */
const NAME_FIELDS: Record<string, string> = {
  'aws:rds/cluster:Cluster': 'clusterIdentifier',
  'aws:rds/clusterInstance:ClusterInstance': 'identifier',
  'aws:rds/globalCluster:GlobalCluster': 'globalClusterIdentifier',
  'aws:s3/bucket:Bucket': 'bucket',
  'aws:cloudwatch/dashboard:Dashboard': 'dashboardName',
};
/** Types whose `name` is not a physical name we choose (a tag key, a DNS name, an alias). */
/** Types whose names allow `_` but not `-` (AWS Signer: `^[a-zA-Z0-9_]{2,}`, SigningProfile API). */
const UNDERSCORE_NAMED = new Set(['aws:signer/signingProfile:SigningProfile']);

const NOT_NAMED = new Set([
  'aws:route53/record:Record',
  'aws:route53/zone:Zone',
  'aws:kms/alias:Alias',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:cfg/recorderStatus:RecorderStatus',
]);

function json(value: unknown): any {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export const POLICIES: readonly Policy[] = [
  {
    name: 'names-carry-suffix',
    description:
      'Every physical name is {resource-type}-{environmentSuffix} (auto-named resources carry the provider suffix -<7 hex>; a name prefix the provider completes ends in -{environmentSuffix}-).',
    validate: (r, ctx) => {
      if (!r.type.startsWith('aws:') || NOT_NAMED.has(r.type)) return [];
      const field = NAME_FIELDS[r.type] ?? 'name';
      const value = r.props[field];
      // A prefix the provider completes with a unique ID at create time (security groups, Signer
      // profiles). Signer names allow letters, digits and `_` only, so a profile's prefix spells
      // the name with `_` for `-` (lib/functions/code-signing.ts signingProfilePrefix).
      const prefix = r.props.namePrefix;
      if (value === undefined && typeof prefix === 'string') {
        const sep = UNDERSCORE_NAMED.has(r.type) ? '_' : '-';
        const suffix = `${sep}${ctx.environmentSuffix.replace(/-/g, sep)}${sep}`;
        return new RegExp(`^[a-z0-9][a-z0-9${sep}]*${suffix}$`).test(prefix)
          ? []
          : [`namePrefix "${prefix}" does not end in ${suffix}`];
      }
      if (typeof value !== 'string') return [];
      // The policy pack sees inputs after the provider's check, where auto-naming has appended `-<7 hex>`.
      const pattern = new RegExp(`^[a-z0-9][a-z0-9-]*-${ctx.environmentSuffix}(-[0-9a-f]{7})?$`);
      return pattern.test(value) ? [] : [`${field} "${value}" does not end in -${ctx.environmentSuffix}`];
    },
  },
  {
    name: 'required-tags',
    description:
      'Environment, Region and CostCenter reach every taggable resource: provider defaultTags, ASG tags, launch template tag specifications.',
    validate: (r, ctx) => {
      const required = ['Environment', 'Region', 'CostCenter'];
      if (r.type === 'pulumi:providers:aws') {
        const tags = json(r.props.defaultTags)?.tags ?? {};
        const missing = required.filter((k) => !tags[k]);
        const problems = missing.length ? [`defaultTags lack ${missing.join(', ')}`] : [];
        if (tags.Environment && tags.Environment !== ctx.environmentSuffix)
          problems.push(`Environment tag is "${tags.Environment}"`);
        if (tags.Region && tags.Region !== r.props.region)
          problems.push(`Region tag "${tags.Region}" on a ${r.props.region} provider`);
        return problems;
      }
      if (r.type === 'aws:autoscaling/group:Group') {
        const keys = asArray<any>(r.props.tags)
          .filter((t) => t.propagateAtLaunch)
          .map((t) => t.key);
        const missing = required.filter((k) => !keys.includes(k));
        return missing.length ? [`instances are launched without ${missing.join(', ')}`] : [];
      }
      if (r.type === 'aws:ec2/launchTemplate:LaunchTemplate') {
        const specs = asArray<any>(r.props.tagSpecifications);
        return ['instance', 'volume']
          .filter((kind) => !specs.some((s) => s.resourceType === kind && required.every((k) => s.tags?.[k])))
          .map((kind) => `${kind}s are launched without the required tags`);
      }
      return [];
    },
  },
  {
    name: 'data-protection',
    description:
      'Ephemeral stacks are destroyable (no deletion protection, no final snapshot, no recovery window, buckets emptied); protected stacks keep their data (deletion protection on every cluster, final snapshots, 30-day secret and key windows, named key administrators, buckets kept).',
    validate: (r, ctx) => {
      const p = r.props;
      const problems: string[] = [];
      if (ctx.dataProtection === 'protected') {
        if (
          ['aws:rds/cluster:Cluster', 'aws:rds/globalCluster:GlobalCluster'].includes(r.type) &&
          p.deletionProtection !== true
        )
          problems.push('deletion protection is off');
        if (r.type === 'aws:rds/cluster:Cluster' && (p.skipFinalSnapshot !== false || !p.finalSnapshotIdentifier))
          problems.push('no final snapshot on delete');
        if (r.type === 'aws:secretsmanager/secret:Secret' && p.recoveryWindowInDays !== PROTECTED_RECOVERY_DAYS)
          problems.push(
            `secret recovery window is ${p.recoveryWindowInDays ?? 'unset'} days, not ${PROTECTED_RECOVERY_DAYS}`,
          );
        if (r.type === 'aws:kms/key:Key') {
          if (p.deletionWindowInDays !== PROTECTED_RECOVERY_DAYS)
            problems.push(
              `key deletion window is ${p.deletionWindowInDays ?? 'unset'} days, not ${PROTECTED_RECOVERY_DAYS}`,
            );
          const admins = asArray<any>(json(p.policy)?.Statement)
            .filter((st) => st.Sid === 'KeyAdministration')
            .flatMap((st) => asArray<string>(st.Principal?.AWS));
          if (admins.length === 0 || admins.some((a) => /:root$/.test(a)))
            problems.push('key policy does not name its administrators (roles, not the account root)');
        }
        if (r.type === 'aws:s3/bucket:Bucket' && p.forceDestroy === true)
          problems.push('bucket would be emptied on destroy');
        return problems;
      }
      if (p.deletionProtection === true || p.enableDeletionProtection === true)
        problems.push('deletion protection is on');
      if (r.type === 'aws:rds/cluster:Cluster' && p.skipFinalSnapshot !== true)
        problems.push('skipFinalSnapshot is not true');
      if (r.type === 'aws:secretsmanager/secret:Secret' && p.recoveryWindowInDays !== 0)
        problems.push('secret would be kept for a recovery window');
      if (r.type === 'aws:s3/bucket:Bucket' && p.forceDestroy !== true)
        problems.push('bucket is not force-destroyable');
      return problems;
    },
  },

  {
    name: 'encrypted-at-rest',
    description: 'Encryption at rest wherever the resource supports it.',
    validate: (r) => {
      const p = r.props;
      switch (r.type) {
        case 'aws:rds/cluster:Cluster':
        case 'aws:rds/globalCluster:GlobalCluster':
          return p.storageEncrypted === true ? [] : ['storage is not encrypted'];
        case 'aws:rds/clusterInstance:ClusterInstance':
          return p.performanceInsightsEnabled && !p.performanceInsightsKmsKeyId
            ? ['Performance Insights without a customer key']
            : [];
        case 'aws:kms/key:Key':
          return p.enableKeyRotation === true ? [] : ['key rotation is off'];
        case 'aws:secretsmanager/secret:Secret':
          return p.kmsKeyId ? [] : ['secret is not encrypted with a customer key'];
        case 'aws:sqs/queue:Queue':
          return p.kmsMasterKeyId || p.sqsManagedSseEnabled ? [] : ['queue is not encrypted'];
        case 'aws:sns/topic:Topic':
          return p.kmsMasterKeyId ? [] : ['topic is not encrypted'];
        case 'aws:ec2/launchTemplate:LaunchTemplate':
          return asArray<any>(p.blockDeviceMappings).every((m) => String(m.ebs?.encrypted) === 'true')
            ? []
            : ['EBS volumes are not encrypted'];
        case 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration':
          return asArray<any>(p.rules).some((rule) => rule.applyServerSideEncryptionByDefault?.sseAlgorithm)
            ? []
            : ['no default encryption'];
        default:
          return [];
      }
    },
  },
  {
    name: 'no-public-database',
    description:
      "Aurora instances are never publicly accessible; PostgreSQL is opened only to security groups or private CIDRs (the other region's subnets over the peering: security groups cannot cross regions).",
    validate: (r) => {
      if (r.type === 'aws:rds/clusterInstance:ClusterInstance' && r.props.publiclyAccessible !== false)
        return ['instance may be publicly accessible'];
      if (r.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule' && r.props.fromPort === 5432) {
        if (r.props.cidrIpv6) return ['PostgreSQL opened to an IPv6 CIDR'];
        if (r.props.cidrIpv4 && !isPrivateCidr(r.props.cidrIpv4))
          return [`PostgreSQL opened to ${r.props.cidrIpv4}, which is not a private (RFC 1918) range`];
      }
      return [];
    },
  },
  {
    name: 'world-ingress-only-on-listener-ports',
    description: 'Ingress from 0.0.0.0/0 only on the ALB listener ports.',
    validate: (r, ctx) => {
      const open = (from: number, to: number) => !(from === to && ctx.publicPorts.includes(from));
      if (r.type === 'aws:ec2/securityGroup:SecurityGroup') {
        return asArray<any>(r.props.ingress)
          .filter(
            (rule) =>
              asArray<string>(rule.cidrBlocks).includes('0.0.0.0/0') ||
              asArray<string>(rule.ipv6CidrBlocks).includes('::/0'),
          )
          .filter((rule) => open(rule.fromPort, rule.toPort))
          .map((rule) => `ports ${rule.fromPort}-${rule.toPort} open to the world`);
      }
      if (
        r.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule' &&
        (r.props.cidrIpv4 === '0.0.0.0/0' || r.props.cidrIpv6 === '::/0')
      ) {
        return open(r.props.fromPort, r.props.toPort)
          ? [`ports ${r.props.fromPort}-${r.props.toPort} open to the world`]
          : [];
      }
      return [];
    },
  },
  {
    name: 'route53-fast-health-checks',
    description: 'Route 53 health checks use the 10 s request interval (it cannot be changed later).',
    validate: (r, ctx) =>
      r.type === 'aws:route53/healthCheck:HealthCheck' && r.props.requestInterval !== ctx.route53RequestIntervalSeconds
        ? [`requestInterval is ${r.props.requestInterval}, not ${ctx.route53RequestIntervalSeconds}`]
        : [],
  },
  {
    name: 'rotation-every-30-days',
    description: 'Database secrets rotate at least every 30 days (rotationDays may tighten it).',
    validate: (r, ctx) => {
      if (r.type !== 'aws:secretsmanager/secretRotation:SecretRotation') return [];
      const days = r.props.rotationRules?.automaticallyAfterDays;
      return typeof days === 'number' && days <= ctx.rotationDays
        ? []
        : [`rotates every ${days ?? '?'} days, more than ${ctx.rotationDays}`];
    },
  },
  {
    name: 'aurora-postgresql-14-minimum',
    description:
      'Every Aurora resource runs aurora-postgresql 14.6 or later (the configured minimum; majors 14, 15 and 16), without automatic minor upgrades.',
    validate: (r, ctx) => {
      if (
        ![
          'aws:rds/cluster:Cluster',
          'aws:rds/globalCluster:GlobalCluster',
          'aws:rds/clusterInstance:ClusterInstance',
        ].includes(r.type)
      )
        return [];
      const problems: string[] = [];
      if (r.props.engine !== 'aurora-postgresql') problems.push(`engine is ${r.props.engine}`);
      if (!meetsMinimumVersion(r.props.engineVersion, ctx.engineVersion))
        problems.push(
          `engine version is ${r.props.engineVersion}, not ${ctx.engineVersion} or later (majors ${Object.keys(ENGINE_MAJOR_MINIMUMS).join(', ')})`,
        );
      if (r.type === 'aws:rds/clusterInstance:ClusterInstance' && r.props.autoMinorVersionUpgrade !== false)
        problems.push('automatic minor upgrades would split versions across regions');
      return problems;
    },
  },
  {
    name: 'no-admin-iam',
    description: 'No IAM policy allows "*" actions on "*" resources.',
    validate: (r) => {
      if (!['aws:iam/rolePolicy:RolePolicy', 'aws:iam/policy:Policy'].includes(r.type)) return [];
      const doc = json(r.props.policy);
      return asArray<any>(doc?.Statement)
        .filter((s) => (s.Effect ?? 'Allow') === 'Allow')
        .filter(
          (s) =>
            asArray<string>(s.Action).some((a) => a === '*' || a.endsWith(':*')) &&
            asArray<string>(s.Resource).includes('*'),
        )
        .map((s) => `statement ${s.Sid ?? ''} allows ${JSON.stringify(s.Action)} on *`);
    },
  },
];

export const ENFORCEMENT_LEVELS = ['advisory', 'mandatory', 'disabled'] as const;
export type EnforcementLevel = (typeof ENFORCEMENT_LEVELS)[number];
/** Every policy of this pack blocks a deployment unless the config file lowers it. */
export const DEFAULT_ENFORCEMENT: EnforcementLevel = 'mandatory';

export interface ConfiguredPolicy {
  readonly enforcementLevel: EnforcementLevel;
  readonly config: PolicyContext;
}

/**
 * What each policy receives from a `--policy-pack-config` file, resolved as Pulumi does:
 * enforcement level from the policy's entry, else `all`, else the pack's; properties over the
 * schema defaults. Every problem in the file is reported at once.
 */
export function configurePolicies(file: Record<string, unknown>, source: string): Map<string, ConfiguredPolicy> {
  const problems: string[] = [];
  const levelOf = (entry: unknown, where: string): EnforcementLevel | undefined => {
    const level =
      typeof entry === 'string' ? entry : (entry as { enforcementLevel?: unknown } | undefined)?.enforcementLevel;
    if (level === undefined) return undefined;
    if ((ENFORCEMENT_LEVELS as readonly unknown[]).includes(level)) return level as EnforcementLevel;
    problems.push(
      `${where}: enforcement level must be one of ${ENFORCEMENT_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
    return undefined;
  };
  const names = POLICIES.map((p) => p.name);
  for (const key of Object.keys(file))
    if (key !== 'all' && !names.includes(key)) problems.push(`${key}: is not a policy of this pack`);
  const all = levelOf(file.all, 'all');
  const configured = new Map<string, ConfiguredPolicy>();
  for (const name of names) {
    const enforcementLevel = levelOf(file[name], name) ?? all ?? DEFAULT_ENFORCEMENT;
    try {
      configured.set(name, { enforcementLevel, config: resolvePolicyConfig(file, name, source) });
    } catch (e) {
      if (!(e instanceof PolicyConfigError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new PolicyConfigError(source, problems);
  return configured;
}

export interface Verdict {
  readonly policy: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly checked: number;
  readonly violations: { urn: string; name: string; message: string }[];
}

/** Run every policy over every resource, each with its own config (or one context for all). */
export function evaluatePolicies(
  resources: readonly PolicyResource[],
  configured: PolicyContext | ReadonlyMap<string, ConfiguredPolicy>,
): Verdict[] {
  return POLICIES.map((policy) => {
    const { enforcementLevel, config } =
      configured instanceof Map
        ? configured.get(policy.name)!
        : { enforcementLevel: DEFAULT_ENFORCEMENT, config: configured as PolicyContext };
    const active = enforcementLevel !== 'disabled';
    const violations = active
      ? resources.flatMap((r) => policy.validate(r, config).map((message) => ({ urn: r.urn, name: r.name, message })))
      : [];
    return {
      policy: policy.name,
      description: policy.description,
      enforcementLevel,
      checked: active ? resources.length : 0,
      violations,
    };
  });
}
