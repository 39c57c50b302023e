import * as fc from 'fast-check';
import { closestKey, CONFIG_KEYS, ConfigError, parseSettings, RawConfig, readRawConfig } from '../lib/config';
import { rtoBudget } from '../lib/model/rto';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoDistribution } from '../lib/model/rto-model';
import { cidrContains, cidrsOverlap, parseCidr, planSubnets } from '../lib/model/cidr';
import { maxSuffixLength } from '../lib/config/naming';
import { MAX_ROTATION_DAYS } from '../policy/limits';
import {
  CANARY_TIMEOUT_SECONDS,
  DEFAULT_FAST_WINDOW_SECONDS,
  DEFAULT_RECOVERY_WINDOW_SECONDS,
  gateSettingsProblems,
  ORCHESTRATOR_TIMEOUT_SECONDS,
} from '../lambda/facts/timing';
import { readProject, stackConfig } from '../scripts/offline';

const cert = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-000011112222`;

/** The dev stack's raw config (Pulumi.yaml defaults + Pulumi.dev.yaml), as the program sees it. */
function devRaw(overrides: Record<string, string | undefined> = {}): RawConfig {
  const raw = readRawConfig('tap', stackConfig('dev'));
  return { ...raw, ...overrides };
}

function problemsOf(raw: RawConfig): string[] {
  try {
    parseSettings(raw);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('config schema and Pulumi.yaml agree', () => {
  it('Pulumi.yaml declares exactly the keys the validator reads, each with a type and description', () => {
    const declared = readProject().config ?? {};
    expect(Object.keys(declared).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const [key, spec] of Object.entries(declared)) {
      expect({ key, type: typeof spec.type, description: typeof spec.description }).toEqual({
        key,
        type: 'string',
        description: 'string',
      });
    }
  });

  it('accepts the dev stack and returns a frozen, typed settings object', () => {
    const settings = parseSettings(devRaw());
    expect(settings.environmentSuffix).toBe('dev');
    expect(settings.azCount).toBe(3);
    expect(settings.allowedIngressCidrs).toEqual(['0.0.0.0/0']);
    expect(settings.regions.map((r) => [r.role, r.region])).toEqual([
      ['primary', 'us-east-1'],
      ['secondary', 'eu-west-1'],
    ]);
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.regions[0])).toBe(true);
    expect(() => ((settings as { azCount: number }).azCount = 2)).toThrow(TypeError);
  });
});

describe('config validation rejects bad input with key, value and what is allowed', () => {
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['missing environmentSuffix', { environmentSuffix: undefined }, /^environmentSuffix: is required \(not set\)$/],
    [
      'uppercase suffix',
      { environmentSuffix: 'Dev' },
      /^environmentSuffix: may contain only lowercase.*\(got "Dev"\)$/,
    ],
    ['suffix with underscore', { environmentSuffix: 'dev_1' }, /^environmentSuffix: may contain only lowercase/],
    ['suffix ending in hyphen', { environmentSuffix: 'dev-' }, /^environmentSuffix: may contain only lowercase/],
    ['suffix with double hyphen', { environmentSuffix: 'a--b' }, /^environmentSuffix: must not contain "--"/],
    [
      'suffix too long',
      { environmentSuffix: 'a'.repeat(maxSuffixLength() + 1) },
      /^environmentSuffix: must be at most \d+ characters \(the \w+ name would exceed/,
    ],
    ['missing costCenter', { costCenter: undefined }, /^costCenter: is required/],
    [
      'primary region not us-east-1',
      { primaryRegion: 'us-west-2' },
      /^primaryRegion: must be us-east-1 \(got "us-west-2"\)$/,
    ],
    ['secondary region not eu-west-1', { secondaryRegion: 'eu-central-1' }, /^secondaryRegion: must be eu-west-1/],
    ['malformed CIDR', { primaryVpcCidr: '10.0.0/16' }, /^primaryVpcCidr: "10.0.0\/16" is not an IPv4 CIDR/],
    ['CIDR with host bits', { primaryVpcCidr: '10.0.0.1/16' }, /^primaryVpcCidr: .*host bits set/],
    ['CIDR octet out of range', { secondaryVpcCidr: '10.300.0.0/16' }, /^secondaryVpcCidr: .*octet above 255/],
    ['VPC larger than /16', { primaryVpcCidr: '10.0.0.0/8' }, /^primaryVpcCidr: AWS VPCs are \/16 or smaller/],
    [
      'VPC too small for 6 subnets',
      { primaryVpcCidr: '10.0.0.0/26' },
      /^primaryVpcCidr: is too small for 6 subnets of at least \/28: use \/25 or larger/,
    ],
    [
      'overlapping VPCs',
      { secondaryVpcCidr: '10.0.128.0/17' },
      /^secondaryVpcCidr: overlaps primaryVpcCidr 10.0.0.0\/16/,
    ],
    ['AZ count 2', { azCount: '2' }, /^azCount: must be 3 \(got "2"\)$/],
    ['AZ count not a number', { azCount: 'three' }, /^azCount: must be a whole number/],
    [
      'log retention CloudWatch rejects',
      { logRetentionDays: '31' },
      /^logRetentionDays: CloudWatch Logs retention: one of 1, 3, 5/,
    ],
    [
      'burstable db class',
      { dbInstanceClass: 'db.t4g.medium' },
      /^dbInstanceClass: global databases need a memory-optimised class/,
    ],
    [
      'a major the platform does not support',
      { dbEngineVersion: '17.4' },
      /^dbEngineVersion: must be Aurora PostgreSQL 14.6 or later as major.minor, major 14, 15, 16 \(14.6\+, 15.2\+, 16.1\+\)/,
    ],
    ['an older major', { dbEngineVersion: '13.9' }, /^dbEngineVersion: must be Aurora PostgreSQL 14.6 or later/],
    ['a 15.x minor before Aurora 15.2', { dbEngineVersion: '15.1' }, /^dbEngineVersion: must be/],
    [
      'an Extended Support choice RDS does not know',
      { engineLifecycleSupport: 'disabled' },
      /^engineLifecycleSupport: must be one of open-source-rds-extended-support-disabled, open-source-rds-extended-support/,
    ],
    ['a 14.x minor older than 14.6', { dbEngineVersion: '14.5' }, /^dbEngineVersion: must be Aurora PostgreSQL 14.6/],
    ['an engine version with a patch part', { dbEngineVersion: '14.10.1' }, /^dbEngineVersion: must be/],
    [
      'a db class size without a memory figure',
      { dbInstanceClass: 'db.r6g.medium' },
      /^dbInstanceClass: size must be one of/,
    ],
    ['WAF rate limit below the AWS minimum', { wafRateLimit: '9' }, /^wafRateLimit: must be at least 10/],
    [
      'WAF per-client limit below the AWS minimum',
      { wafClientRateLimit: '9' },
      /^wafClientRateLimit: must be at least 10/,
    ],
    [
      'WAF per-client limit above the per-IP one (it would never act)',
      { wafClientRateLimit: '3000' },
      /^wafClientRateLimit: must be at most wafRateLimit \(2000\)/,
    ],
    ['unknown data protection', { dataProtection: 'retain' }, /^dataProtection: must be ephemeral or protected/],
    [
      'protected without key administrators',
      { dataProtection: 'protected', clientKeyAdminRoleArns: '["arn:aws:iam::123456789012:role/api-key-admin"]' },
      /^keyAdminRoleArns: must name at least one key administrator role when dataProtection is protected/,
    ],
    [
      'protected without a client key administrator',
      { dataProtection: 'protected', keyAdminRoleArns: '["arn:aws:iam::123456789012:role/platform-admin"]' },
      /^clientKeyAdminRoleArns: must name at least one role that writes the API client keys when dataProtection is protected/,
    ],
    [
      'a client key administrator that is not a role ARN',
      { clientKeyAdminRoleArns: '["arn:aws:iam::123456789012:user/bob"]' },
      /^clientKeyAdminRoleArns\[0\]: must be an IAM role ARN/,
    ],
    [
      'a key administrator that is not a role ARN',
      { keyAdminRoleArns: '["arn:aws:iam::123456789012:user/bob"]' },
      /^keyAdminRoleArns\[0\]: must be an IAM role ARN/,
    ],
    ['one db instance per region', { dbInstancesPerRegion: '1' }, /^dbInstancesPerRegion: must be at least 2/],
    ['app user equals master', { dbAppUsername: 'tapadmin' }, /^dbAppUsername: must differ from dbMasterUsername/],
    ['asg desired above max', { asgDesiredCapacity: '9' }, /^asgDesiredCapacity: must satisfy asgMinSize/],
    [
      'ALB timeout not below interval',
      { albHealthCheckTimeoutSeconds: '5' },
      /^albHealthCheckTimeoutSeconds: must be less than albHealthCheckIntervalSeconds/,
    ],
    [
      // A Lambda target that times out drops the whole region from Global Accelerator.
      'target health timeout shorter than the bounded health answer plus an invocation',
      { albHealthCheckTimeoutSeconds: '2' },
      /^albHealthCheckTimeoutSeconds: must be at least 3 s: \/health answers within its deadline plus a Lambda invocation/,
    ],
    [
      'Lambda duration alarm at or above the timeout (unreachable)',
      { alarmLambdaDurationP99Ms: '10000', lambdaTimeoutSeconds: '10' },
      /^alarmLambdaDurationP99Ms: must be below lambdaTimeoutSeconds \(10 s\)/,
    ],
    [
      'ALB interval below AWS minimum',
      { albHealthCheckIntervalSeconds: '4' },
      /^albHealthCheckIntervalSeconds: must be at least 5/,
    ],
    [
      'Route 53 interval 30 (valid for Route 53, refused by the policy pack)',
      { route53HealthCheckIntervalSeconds: '30' },
      /^route53HealthCheckIntervalSeconds: must be 10, the interval the policy pack requires/,
    ],
    [
      'ingress CIDR list with garbage',
      { allowedIngressCidrs: '["0.0.0.0/0","nope"]' },
      /^allowedIngressCidrs\[1\]: must be an IPv4 CIDR/,
    ],
    [
      'certificate that is not an ACM ARN',
      { primaryCertificateArn: 'arn:aws:iam::1:server-certificate/x' },
      /^primaryCertificateArn: must be an ACM certificate ARN \(arn:aws:acm:<region>:<account>:certificate\/<id>\)/,
    ],
    ['bad domain', { domainName: 'Not A Domain' }, /^domainName: must be a lowercase DNS name/],
    [
      'unsupported Lambda runtime',
      { lambdaRuntime: 'nodejs16.x' },
      /^lambdaRuntime: must be one of nodejs22.x, nodejs24.x\b/,
    ],
    [
      // Replaced by the recovery window: a count of failures carries no time.
      'the retired failoverProbeFailures',
      { failoverProbeFailures: '3' },
      /^failoverProbeFailures: is not a configuration key of this program$/,
    ],
    [
      'recovery window shorter than an Aurora in-region failover',
      { failoverRecoveryWindowSeconds: '59' },
      /^failoverRecoveryWindowSeconds: must be at least 60/,
    ],
    [
      'probe interval above 60',
      { failoverProbeIntervalSeconds: '61' },
      /^failoverProbeIntervalSeconds: must be at most 60/,
    ],
    ['unknown order durability', { orderDurability: 'eventual' }, /^orderDurability: must be cross-region or regional/],
    ['unknown code signing mode', { lambdaCodeSigning: 'always' }, /^lambdaCodeSigning: must be off, warn or enforce/],
    [
      'unknown promotion mode',
      { failoverPromotionMode: 'manual' },
      /^failoverPromotionMode: must be automatic or approval \(got "manual"\)$/,
    ],
    [
      'misspelt key',
      { enviromentSuffix: 'dev' },
      /^enviromentSuffix: is not a configuration key of this program; did you mean environmentSuffix\?$/,
    ],
    ['wrong case', { AzCount: '3' }, /^AzCount: is not a configuration key of this program; did you mean azCount\?$/],
    ['unrelated key: no guess', { colour: 'blue' }, /^colour: is not a configuration key of this program$/],
    // Issue 22: the order journal, its auditor and the order API's database pools are gone, and so are their keys.
    ...[
      'journalTimeoutMs',
      'journalAuditDelaySeconds',
      'journalAlarmAgeSeconds',
      'dbPoolMaxConnections',
      'dbReservedConnections',
      // Nothing private reaches the internet any more: no NAT gateways, no key for them.
      'natStrategy',
    ].map((key): [string, Record<string, string>, RegExp] => [
      `removed key ${key}`,
      { [key]: '5' },
      new RegExp(`^${key}: is not a configuration key of this program`),
    ]),
    [
      'rotation beyond the policy limit',
      { secretRotationDays: String(MAX_ROTATION_DAYS + 1) },
      new RegExp(`^secretRotationDays: must be at most ${MAX_ROTATION_DAYS}, the policy pack's rotation limit`),
    ],
    [
      'certificate from another region',
      { tls: 'provided', primaryCertificateArn: cert('eu-west-1'), secondaryCertificateArn: cert('eu-west-1') },
      /^primaryCertificateArn: is a certificate in eu-west-1; an ALB takes certificates of its own region \(us-east-1\)/,
    ],
    [
      'certificate in the primary region only',
      { tls: 'provided', primaryCertificateArn: cert('us-east-1') },
      /^secondaryCertificateArn: is required with tls: provided \(the ALB in eu-west-1 serves HTTPS too\)/,
    ],
    [
      'certificate in the secondary region only',
      { tls: 'provided', secondaryCertificateArn: cert('eu-west-1') },
      /^primaryCertificateArn: is required with tls: provided/,
    ],
  ];

  it.each(cases)('%s', (_label, overrides, expected) => {
    const problems = problemsOf(devRaw(overrides));
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });

  it('RTO overrun: blamed on the input, with the value that fits every path it feeds', () => {
    // The TTL feeds Route 53's path and the first live order (the failover record corroborates the
    // gate's fast path): the value suggested is the one that fits both.
    expect(problemsOf(devRaw({ dnsTtlSeconds: '300' }))).toEqual([
      expect.stringMatching(
        /^dnsTtlSeconds: puts the path "traffic: Route 53 failover" at 320 s worst case \(.*\) and 327.2 s at p99 .* Fix: lower dnsTtlSeconds to at most 11, or raise rtoTargetSeconds to 328 \(got "300"\)$/,
      ),
      expect.stringMatching(
        /^dnsTtlSeconds: puts the path "writes: first live order \(.*\)" at 60 s worst case \(.*\) and 66 s at p99 .* Fix: lower dnsTtlSeconds to at most 11, or .*raise rtoTargetSeconds to 66 \(got "300"\)$/,
      ),
    ]);
  });

  it('recovery window shorter than three probes (an interval that long cannot fit the fast window either)', () => {
    expect(
      problemsOf(
        devRaw({
          failoverProbeIntervalSeconds: '40',
          failoverRecoveryWindowSeconds: '70',
          failoverFastWindowSeconds: '60',
        }),
      ),
    ).toEqual([
      expect.stringMatching(/^failoverFastWindowSeconds: must be at least 2 x failoverProbeIntervalSeconds \(80 s\)/),
      // Issue 23: the first live order waits for the fast window and the probes (152.7 s at p99).
      expect.stringMatching(/^rtoTargetSeconds: puts the path "writes: first live order .* and 152.7 s at p99/),
      expect.stringMatching(
        /^failoverRecoveryWindowSeconds: must be at least 2 x failoverProbeIntervalSeconds \(80 s\)/,
      ),
    ]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(devRaw({ environmentSuffix: 'BAD', azCount: '4', dbInstanceClass: 'db.t3.medium' }));
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['azCount', 'dbInstanceClass', 'environmentSuffix']);
    expect(() => parseSettings(devRaw({ azCount: '4' }))).toThrow(
      /Invalid configuration \(1 problem\):\n {2}- azCount/,
    );
  });

  it('accepts 14.6 and any later 14.x minor, and majors 15 and 16 (a minimum, not an exact version)', () => {
    for (const version of ['14.6', '14.10', '14.13', '15.2', '15.8', '16.1', '16.4'])
      expect(problemsOf(devRaw({ dbEngineVersion: version }))).toEqual([]);
  });

  it('accepts a protected stack that names its key administrators', () => {
    const settings = parseSettings(
      devRaw({
        dataProtection: 'protected',
        keyAdminRoleArns: '["arn:aws:iam::123456789012:role/platform-admin"]',
        clientKeyAdminRoleArns: '["arn:aws:iam::123456789012:role/api-key-admin"]',
      }),
    );
    expect(settings.keyAdminRoleArns).toEqual(['arn:aws:iam::123456789012:role/platform-admin']);
  });

  it('accepts the longest suffix every name can carry', () => {
    expect(problemsOf(devRaw({ environmentSuffix: 'a'.repeat(maxSuffixLength()) }))).toEqual([]);
  });

  it('takes arrays as JSON (as the CLI passes them) or as a comma list', () => {
    expect(parseSettings(devRaw({ allowedIngressCidrs: '["0.0.0.0/1","128.0.0.0/1"]' })).allowedIngressCidrs).toEqual([
      '0.0.0.0/1',
      '128.0.0.0/1',
    ]);
    expect(parseSettings(devRaw({ allowedIngressCidrs: '0.0.0.0/1, 128.0.0.0/1' })).allowedIngressCidrs).toEqual([
      '0.0.0.0/1',
      '128.0.0.0/1',
    ]);
  });

  it('issue 23: an ingress allowlist that shuts out the canaries and Route 53 checkers is refused, naming the key', () => {
    for (const list of ['10.0.0.0/8', '["10.0.0.0/8","192.168.0.0/16"]', '["0.0.0.0/1","128.0.0.0/2"]']) {
      expect(problemsOf(devRaw({ allowedIngressCidrs: list }))).toEqual([
        expect.stringMatching(
          /^allowedIngressCidrs: would shut out the failover canaries .*Route 53's health checkers/,
        ),
      ]);
    }
    expect(problemsOf(devRaw({ allowedIngressCidrs: '["10.0.0.0/8","0.0.0.0/0"]' }))).toEqual([]);
  });

  it('only reads keys of its own project namespace', () => {
    expect(readRawConfig('tap', { 'tap:azCount': '3', 'aws:region': 'us-east-1', 'other:azCount': '9' })).toEqual({
      azCount: '3',
    });
  });
});

describe('the promotion gate is checked by its own rules (lambda/facts/timing.ts)', () => {
  it('any accepted interval and window make a gate the deployed functions can run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 4000 }), (interval, window) => {
        // A fast window that fits the interval (its own rule is tested below).
        const fast = Math.min(60, Math.max(10, 2 * interval));
        const raw = devRaw({
          failoverProbeIntervalSeconds: String(interval),
          failoverRecoveryWindowSeconds: String(window),
          failoverFastWindowSeconds: String(fast),
          // The gate's own rules only: the RTO bound on the first live order is tested on its own.
          rtoTargetSeconds: '3600',
        });
        const accepted = problemsOf(raw).length === 0;
        const gateProblems = gateSettingsProblems({
          failoverProbeIntervalSeconds: interval,
          failoverRecoveryWindowSeconds: window,
          orchestratorTimeoutSeconds: ORCHESTRATOR_TIMEOUT_SECONDS,
          canaryTimeoutSeconds: CANARY_TIMEOUT_SECONDS,
        });
        const fastFits = fast >= 2 * interval && fast < window;
        expect(accepted).toBe(
          interval >= 5 && interval <= 60 && window <= 3600 && gateProblems.length === 0 && fastFits,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('issue 23: the fast window is refused, naming it, when it cannot see three transport failures or is not shorter than the window', () => {
    expect(problemsOf(devRaw({ failoverFastWindowSeconds: '15' }))).toEqual([
      expect.stringMatching(/^failoverFastWindowSeconds: must be at least 2 x failoverProbeIntervalSeconds \(20 s\)/),
    ]);
    expect(problemsOf(devRaw({ failoverFastWindowSeconds: '61' }))).toEqual([
      expect.stringMatching(/^failoverFastWindowSeconds: must be at most 60/),
    ]);
  });

  it('Pulumi.yaml defaults to cross-region durability', () => {
    expect(parseSettings(devRaw()).orderDurability).toBe('cross-region');
  });

  it('Pulumi.yaml defaults are the gate defaults of the orchestrator', () => {
    const settings = parseSettings(devRaw());
    expect(settings.failoverRecoveryWindowSeconds).toBe(DEFAULT_RECOVERY_WINDOW_SECONDS);
    expect(settings.failoverFastWindowSeconds).toBe(DEFAULT_FAST_WINDOW_SECONDS);
    expect(settings.failoverPromotionMode).toBe('automatic');
  });
});

describe('errors name the key to change', () => {
  it('a certificate for each region, from that region, is accepted', () => {
    expect(
      problemsOf(
        devRaw({
          tls: 'provided',
          primaryCertificateArn: cert('us-east-1'),
          secondaryCertificateArn: cert('eu-west-1'),
        }),
      ),
    ).toEqual([]);
  });

  it('the suggested largest value fits the RTO target and one more does not', () => {
    for (const [key, value] of [
      ['dnsTtlSeconds', '300'],
      ['albHealthCheckIntervalSeconds', '30'],
      ['route53FailureThreshold', '6'],
    ] as const) {
      const [problem] = problemsOf(devRaw({ [key]: value }));
      expect(problem.startsWith(`${key}: `)).toBe(true);
      const best = Number(new RegExp(`lower ${key} to at most (\\d+)`).exec(problem)![1]);
      expect(problemsOf(devRaw({ [key]: String(best) }))).toEqual([]);
      // One more is refused, on a path this input feeds (the first live order is blamed on the gate's
      // probe interval, the input that shortens it most, when it is that path).
      const refused = problemsOf(devRaw({ [key]: String(best + 1) }));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(new RegExp(`^\\w+: puts the path .* Inputs of that path: [^.]*\\b${key}\\b`));
      expect(refused[0]).toMatch(new RegExp(`lower ${key} to at most ${best}, `));
    }
  });

  it('a tighter target names every input of the path that could meet it, or only the target', () => {
    const [accelerator, route53, firstLive] = problemsOf(devRaw({ rtoTargetSeconds: '40' }));
    // No input brings the accelerator's p99 (pickup up to 30 s, pinned clients) under 40 s.
    expect(accelerator).toMatch(
      /^rtoTargetSeconds: puts the path "traffic: Global Accelerator" .* Fix: raise rtoTargetSeconds to 54 /,
    );
    // Lowering the Route 53 inputs would fit Route 53's own path, but they feed the first live
    // order too (the failover record corroborates the fast path), which no input brings under 40 s
    // (it waits for the accelerator): only the target is named.
    expect(route53).toMatch(
      /^rtoTargetSeconds: puts the path "traffic: Route 53 failover" .* Inputs of that path: route53FailureThreshold, dnsTtlSeconds, route53HealthCheckIntervalSeconds\. Fix: raise rtoTargetSeconds to 47 /,
    );
    expect(firstLive).toMatch(
      /^rtoTargetSeconds: puts the path "writes: first live order .* Fix: raise rtoTargetSeconds to 60 /,
    );
  });

  it('refuses a p99 over the target even when the worst-case sum fits', () => {
    const settings = parseSettings(devRaw());
    const inputs = rtoInputsFromSettings(settings);
    // The bound path with the highest p99 (the first live order since issue 23).
    const slowest = rtoDistribution(inputs)
      .paths.filter((p) => p.bound)
      .sort((a, b) => b.p99 - a.p99)[0];
    const budget = rtoBudget(inputs).paths.find((p) => p.name === slowest.name)!;
    const target = Math.ceil(slowest.p99) - 1; // the sum (50 s) fits, the p99 (59.5 s) does not
    expect(budget.totalSeconds).toBeLessThanOrEqual(target);
    const problems = problemsOf(devRaw({ rtoTargetSeconds: String(target) }));
    expect(problems).toEqual([expect.stringContaining(`"${slowest.name}" at ${budget.totalSeconds} s worst case`)]);
    expect(problems[0]).toContain(`and ${slowest.p99} s at p99`);
    expect(problemsOf(devRaw({ rtoTargetSeconds: String(target + 1) }))).toEqual([]);
  });

  it('issue 23: the first live order is bound to the target, naming the gate input that makes it late', () => {
    // The traffic paths do not read the gate's settings; the first live order does.
    expect(problemsOf(devRaw({ failoverFastWindowSeconds: '25' }))).toEqual([
      expect.stringMatching(
        /^failoverProbeIntervalSeconds: puts the path "writes: first live order \(decision \+ fence \+ traffic \+ client retry\)" at 55 s worst case .* and 64.1 s at p99 .*Inputs of that path: .*failoverFastWindowSeconds.* Fix: lower failoverProbeIntervalSeconds to at most \d+, /,
      ),
    ]);
  });

  it('one typo in any key (a dropped or swapped letter) is answered with that key', () => {
    for (const key of CONFIG_KEYS) {
      const mid = Math.floor(key.length / 2);
      const dropped = key.slice(0, mid) + key.slice(mid + 1);
      const swapped = key.slice(0, mid) + key[mid + 1] + key[mid] + key.slice(mid + 2);
      expect([closestKey(dropped), closestKey(swapped)]).toEqual([key, key]);
    }
  });
});

describe('any accepted pair of VPC CIDRs yields a sound network plan (property)', () => {
  const cidrArb = fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 12, max: 27 }))
    .map(([a, b, prefix]) => {
      const base = ((10 * 256 + a) * 256 + b) * 256;
      const size = 2 ** (32 - prefix);
      const network = base - (base % size);
      return `${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.')}/${prefix}`;
    });

  it('subnets are disjoint, inside their VPC, and the VPCs do not overlap', () => {
    fc.assert(
      fc.property(cidrArb, cidrArb, (primary, secondary) => {
        const problems = problemsOf(devRaw({ primaryVpcCidr: primary, secondaryVpcCidr: secondary }));
        if (problems.length > 0) return;
        expect(cidrsOverlap(parseCidr(primary), parseCidr(secondary))).toBe(false);
        for (const vpc of [primary, secondary]) {
          const plan = planSubnets(vpc, 3);
          const subnets = [...plan.public, ...plan.private].map(parseCidr);
          expect(subnets).toHaveLength(6);
          subnets.forEach((s, i) => {
            expect(cidrContains(parseCidr(vpc), s)).toBe(true);
            expect(s.prefix).toBeLessThanOrEqual(28);
            subnets.slice(i + 1).forEach((t) => expect(cidrsOverlap(s, t)).toBe(false));
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});
