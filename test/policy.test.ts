import * as fs from 'fs';
import * as path from 'path';
import { parseSettings, readRawConfig } from '../lib/config';
import { MAX_ROTATION_DAYS } from '../policy/limits';
import { configurePolicies, evaluatePolicies, PolicyContext, PolicyResource, POLICIES } from '../policy/rules';
import { PolicyConfigError, resolvePolicyConfig } from '../policy/schema';
import { policyResources } from '../scripts/analysis';
import { PROJECT_DIR, stackConfig } from '../scripts/offline';
import { FEATURES_ON, plan, PROTECTED } from './helpers/plan';

const devFile = () => JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'policy', 'config.dev.json'), 'utf8'));
/** Every policy's config from the dev stack's policy file (they are all alike). */
const ctx: PolicyContext = resolvePolicyConfig(devFile(), 'no-admin-iam', 'policy/config.dev.json');
const protectedCtx: PolicyContext = { ...ctx, dataProtection: 'protected' };
const resource = (type: string, props: Record<string, unknown>, name = 'x-dev'): PolicyResource => ({
  type,
  name,
  urn: `urn:${name}`,
  props,
});

/** One deliberately bad resource per policy, and what the policy must say about it. */
const BAD: Record<string, [PolicyResource, RegExp]> = {
  'names-carry-suffix': [
    resource('aws:lb/loadBalancer:LoadBalancer', { name: 'alb-use1-prod' }),
    /does not end in -dev/,
  ],
  'required-tags': [
    resource('pulumi:providers:aws', {
      region: 'us-east-1',
      defaultTags: JSON.stringify({ tags: { Environment: 'dev', Region: 'us-east-1' } }),
    }),
    /defaultTags lack CostCenter/,
  ],
  'data-protection': [
    resource('aws:rds/cluster:Cluster', { deletionProtection: true, skipFinalSnapshot: false }),
    /deletion protection is on/,
  ],
  'encrypted-at-rest': [resource('aws:sqs/queue:Queue', { name: 'q-dev' }), /queue is not encrypted/],
  'no-public-database': [
    resource('aws:rds/clusterInstance:ClusterInstance', { publiclyAccessible: true }),
    /publicly accessible/,
  ],
  'world-ingress-only-on-listener-ports': [
    resource('aws:ec2/securityGroup:SecurityGroup', {
      ingress: [{ fromPort: 22, toPort: 22, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
    }),
    /ports 22-22 open to the world/,
  ],
  'route53-fast-health-checks': [
    resource('aws:route53/healthCheck:HealthCheck', { requestInterval: 30 }),
    /requestInterval is 30, not 10/,
  ],
  'rotation-every-30-days': [
    resource('aws:secretsmanager/secretRotation:SecretRotation', { rotationRules: { automaticallyAfterDays: 90 } }),
    /rotates every 90 days, more than 30/,
  ],
  'aurora-postgresql-14-minimum': [
    resource('aws:rds/globalCluster:GlobalCluster', {
      engine: 'aurora-postgresql',
      engineVersion: '17.4',
      storageEncrypted: true,
    }),
    /engine version is 17.4, not 14.6 or later \(majors 14, 15, 16\)/,
  ],
  'no-admin-iam': [
    resource('aws:iam/rolePolicy:RolePolicy', {
      policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
    /allows "\*" on \*/,
  ],
};

describe('policy pack', () => {
  it('has a deliberately bad resource for every policy', () => {
    expect(Object.keys(BAD).sort()).toEqual(POLICIES.map((p) => p.name).sort());
  });

  it.each(POLICIES.map((p) => [p.name, p] as const))('%s catches its bad resource', (name, policy) => {
    const [bad, message] = BAD[name];
    expect(policy.validate(bad, ctx)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('no-public-database: PostgreSQL only to security groups or private CIDRs (the peer subnets)', () => {
    const policy = POLICIES.find((p) => p.name === 'no-public-database')!;
    const ingress = (props: Record<string, unknown>) =>
      policy.validate(
        resource('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', { fromPort: 5432, ...props }),
        ctx,
      );
    expect(ingress({ cidrIpv4: '0.0.0.0/0' })).toEqual([expect.stringMatching(/0.0.0.0\/0, which is not a private/)]);
    expect(ingress({ cidrIpv4: '52.1.0.0/16' })).toHaveLength(1);
    expect(ingress({ cidrIpv4: '10.0.0.0/7' })).toHaveLength(1);
    expect(ingress({ cidrIpv6: '::/0' })).toHaveLength(1);
    expect(ingress({ cidrIpv4: '10.1.8.0/21' })).toEqual([]);
    expect(ingress({ referencedSecurityGroupId: 'sg-1' })).toEqual([]);
  });

  it('names carry the suffix, with the provider’s auto-name suffix allowed after it and nothing else', () => {
    const names = POLICIES.find((p) => p.name === 'names-carry-suffix')!;
    const check = (name: string) => names.validate(resource('aws:lb/targetGroup:TargetGroup', { name }), ctx);
    expect(check('tg-ec2-use1-dev-1a2b3c4')).toEqual([]);
    expect(check('tg-ec2-use1-prod-1a2b3c4')).toHaveLength(1);
    expect(check('tg-ec2-use1-dev-extra')).toHaveLength(1);
  });

  it('a name prefix the provider completes (security groups) carries the suffix before the provider’s ID', () => {
    const names = POLICIES.find((p) => p.name === 'names-carry-suffix')!;
    const check = (namePrefix: string) =>
      names.validate(resource('aws:ec2/securityGroup:SecurityGroup', { namePrefix }), ctx);
    expect(check('security-group-db-use1-dev-')).toEqual([]);
    expect(check('security-group-db-use1-prod-')).toEqual([
      'namePrefix "security-group-db-use1-prod-" does not end in -dev-',
    ]);
  });

  it('a Signer profile’s prefix spells the name with underscores (Signer refuses hyphens) and still carries the suffix', () => {
    const names = POLICIES.find((p) => p.name === 'names-carry-suffix')!;
    const check = (namePrefix: string) =>
      names.validate(resource('aws:signer/signingProfile:SigningProfile', { namePrefix }), ctx);
    expect(check('code_signing_use1_dev_')).toEqual([]);
    expect(check('code_signing_use1_prod_')).toEqual(['namePrefix "code_signing_use1_prod_" does not end in _dev_']);
    expect(check('code-signing-use1-dev-')).toHaveLength(1);
  });

  it('the real program passes every policy', async () => {
    const run = await plan();
    const verdicts = evaluatePolicies(policyResources(run.resources), ctx);
    expect(verdicts.map((v) => [v.policy, v.violations])).toEqual(POLICIES.map((p) => [p.name, []]));
    expect(verdicts[0].checked).toBeGreaterThan(300);
  });

  it('with the optional features on (code signing enforced, game days), the program still passes every policy', async () => {
    const run = await plan(FEATURES_ON);
    const verdicts = evaluatePolicies(policyResources(run.resources), ctx);
    expect(verdicts.map((v) => [v.policy, v.violations])).toEqual(POLICIES.map((p) => [p.name, []]));
  });

  it('a config that would need a wider world ingress is caught end to end', async () => {
    const run = await plan();
    const resources = policyResources(run.resources).map((r) =>
      r.type === 'aws:ec2/securityGroup:SecurityGroup' && r.name === 'sg-alb-use1-dev'
        ? {
            ...r,
            props: {
              ...r.props,
              ingress: [
                ...r.props.ingress,
                { fromPort: 5432, toPort: 5432, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] },
              ],
            },
          }
        : r,
    );
    const verdict = evaluatePolicies(resources, ctx).find((v) => v.policy === 'world-ingress-only-on-listener-ports')!;
    expect(verdict.violations).toEqual([
      { urn: expect.any(String), name: 'sg-alb-use1-dev', message: 'ports 5432-5432 open to the world' },
    ]);
  });
});

describe('data protection: the pack checks whichever the stack declares', () => {
  const policy = POLICIES.find((p) => p.name === 'data-protection')!;
  const aurora = (version: string) =>
    resource('aws:rds/cluster:Cluster', {
      engine: 'aurora-postgresql',
      engineVersion: version,
      storageEncrypted: true,
    });
  const engine = POLICIES.find((p) => p.name === 'aurora-postgresql-14-minimum')!;

  it('accepts 14.6 and later 14.x minors and majors 15 and 16, rejects older minors and other majors', () => {
    for (const version of ['14.6', '14.10', '15.2', '15.6', '16.1', '16.4'])
      expect({ version, problems: engine.validate(aurora(version), ctx) }).toEqual({ version, problems: [] });
    for (const version of ['14.5', '13.9', '15.1', '16.0', '17.4'])
      expect(engine.validate(aurora(version), ctx)).toEqual([
        expect.stringMatching(new RegExp(`engine version is ${version.replace('.', '\\.')}`)),
      ]);
    // A minimum on a later major refuses the earlier one (a stack that has upgraded stays upgraded).
    expect(engine.validate(aurora('14.10'), { ...ctx, engineVersion: '15.4' })).toHaveLength(1);
    expect(engine.validate(aurora('16.1'), { ...ctx, engineVersion: '15.4' })).toEqual([]);
  });

  it('a protected stack with a destroyable cluster, secret, key or bucket is rejected', () => {
    const bad = [
      resource('aws:rds/cluster:Cluster', { deletionProtection: false, skipFinalSnapshot: true }),
      resource('aws:rds/globalCluster:GlobalCluster', { deletionProtection: false }),
      resource('aws:secretsmanager/secret:Secret', { recoveryWindowInDays: 0 }),
      resource('aws:kms/key:Key', {
        deletionWindowInDays: 7,
        policy: JSON.stringify({
          Statement: [{ Sid: 'KeyAdministration', Principal: { AWS: ['arn:aws:iam::123456789012:root'] } }],
        }),
      }),
      resource('aws:s3/bucket:Bucket', { forceDestroy: true }),
    ];
    expect(bad.flatMap((r) => policy.validate(r, protectedCtx))).toEqual([
      'deletion protection is off',
      'no final snapshot on delete',
      'deletion protection is off',
      'secret recovery window is 0 days, not 30',
      'key deletion window is 7 days, not 30',
      'key policy does not name its administrators (roles, not the account root)',
      'bucket would be emptied on destroy',
    ]);
  });

  it('the protected program passes every policy declared protected, and fails them declared ephemeral', async () => {
    const run = await plan(PROTECTED);
    const resources = policyResources(run.resources);
    const verdicts = evaluatePolicies(resources, protectedCtx);
    expect(verdicts.map((v) => [v.policy, v.violations])).toEqual(POLICIES.map((p) => [p.name, []]));
    const asEphemeral = evaluatePolicies(resources, ctx).find((v) => v.policy === 'data-protection')!;
    expect(asEphemeral.violations.map((v) => v.name)).toEqual(
      expect.arrayContaining(['aurora-global-dev', 'aurora-use1-dev', 'aurora-euw1-dev', 'secret-db-master-dev']),
    );
  });

  it('the ephemeral program fails the pack when the stack declares protected', async () => {
    const run = await plan();
    const verdict = evaluatePolicies(policyResources(run.resources), protectedCtx).find(
      (v) => v.policy === 'data-protection',
    )!;
    expect(new Set(verdict.violations.map((v) => v.message))).toEqual(
      new Set([
        'deletion protection is off',
        'no final snapshot on delete',
        'secret recovery window is 0 days, not 30',
        'key deletion window is 7 days, not 30',
        'key policy does not name its administrators (roles, not the account root)',
        'bucket would be emptied on destroy',
      ]),
    );
  });
});

describe('policy pack configuration', () => {
  it('the example policy config for the dev stack configures every policy with the stack suffix', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../policy/config.dev.json') as Record<string, unknown>;
    for (const p of POLICIES) expect(config[p.name]).toEqual({ environmentSuffix: 'dev' });
  });
});

describe('policy pack configuration', () => {
  const stacks = fs
    .readdirSync(PROJECT_DIR)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s));

  it('every example stack has a policy config, and its settings agree with the stack', () => {
    expect(stacks.sort()).toEqual(['dev', 'prod']);
    for (const stack of stacks) {
      const source = `policy/config.${stack}.json`;
      const file = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, source), 'utf8'));
      const settings = parseSettings(readRawConfig('tap', stackConfig(stack)));
      for (const [name, { enforcementLevel, config }] of configurePolicies(file, source)) {
        expect({ stack, name, enforcementLevel, suffix: config.environmentSuffix }).toEqual({
          stack,
          name,
          enforcementLevel: 'mandatory',
          suffix: settings.environmentSuffix,
        });
        expect(config.rotationDays).toBeGreaterThanOrEqual(settings.secretRotationDays);
      }
    }
  });

  it('the prod stack is protected, dev is not', () => {
    const level = (stack: string) =>
      configurePolicies(
        JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, `policy/config.${stack}.json`), 'utf8')),
        stack,
      ).get('data-protection')!.config.dataProtection;
    expect([level('dev'), level('prod')]).toEqual(['ephemeral', 'protected']);
  });

  it('is resolved as Pulumi resolves it: defaults filled, levels from the entry, else all', () => {
    const configured = configurePolicies(
      {
        ...suffixFor('x'),
        all: 'advisory',
        'no-admin-iam': { environmentSuffix: 'x', enforcementLevel: 'disabled' },
      },
      'f',
    );
    expect(configured.get('no-admin-iam')!.enforcementLevel).toBe('disabled');
    expect(configured.get('required-tags')).toEqual({
      enforcementLevel: 'advisory',
      config: expect.objectContaining({
        environmentSuffix: 'x',
        rotationDays: MAX_ROTATION_DAYS,
        publicPorts: [80, 443],
      }),
    });
    const verdicts = evaluatePolicies(
      [resource('aws:iam/rolePolicy:RolePolicy', { policy: '{"Statement":[{"Action":"*","Resource":"*"}]}' })],
      configured,
    );
    expect(verdicts.find((v) => v.policy === 'no-admin-iam')).toMatchObject({ checked: 0, violations: [] });
  });

  it('rejects what Pulumi would reject, and typos, naming each', () => {
    const problems = (file: Record<string, unknown>) => {
      try {
        configurePolicies(file, 'policy/config.x.json');
      } catch (e) {
        if (e instanceof PolicyConfigError) return e.problems;
        throw e;
      }
      return [];
    };
    expect(problems({ ...suffixFor('x'), 'names-carry-suffix': {} })).toEqual([
      'names-carry-suffix.environmentSuffix: is required',
    ]);
    expect(
      problems({ ...suffixFor('x'), 'rotation-every-30-days': { environmentSuffix: 'x', rotationDays: 90 } }),
    ).toEqual([`rotation-every-30-days.rotationDays: must be at most ${MAX_ROTATION_DAYS}`]);
    expect(
      problems({ ...suffixFor('x'), 'data-protection': { environmentSuffix: 'x', dataProtection: 'kept' } }),
    ).toEqual(['data-protection.dataProtection: must be one of ephemeral, protected']);
    expect(problems({ ...suffixFor('x'), destroyable: { environmentSuffix: 'x' } })).toEqual([
      'destroyable: is not a policy of this pack',
    ]);
    expect(problems({ ...suffixFor('x'), all: 'strict' })).toEqual([
      'all: enforcement level must be one of advisory, mandatory, disabled, got "strict"',
    ]);
  });
});

function suffixFor(suffix: string): Record<string, unknown> {
  return Object.fromEntries(POLICIES.map((p) => [p.name, { environmentSuffix: suffix }]));
}
