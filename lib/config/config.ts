/**
 * Configuration: raw Pulumi config (strings, as the CLI hands them over) in, one typed and
 * frozen Settings object out. Every problem is reported at once, naming the key, the bad value
 * and what is allowed, and nothing is registered before this has passed.
 *
 * Defaults live in Pulumi.yaml (the CLI applies them; the offline runner does the same), so
 * this module has no defaults of its own: a key missing here is a key missing there.
 */
import { z } from 'zod';
import { cidrsOverlap, coversEveryAddress, maxVpcPrefixFor, parseCidr, MIN_VPC_PREFIX } from '../network/cidr';
import { connectionBudget, instanceClassMemoryGib } from '../model/connection-budget';
import { maxSuffixLength, tightestName } from './naming';
import {
  CANARY_TIMEOUT_SECONDS,
  fastWindowProblems,
  gateSettingsProblems,
  MAX_FAST_WINDOW_SECONDS,
  MIN_FAST_WINDOW_SECONDS,
  ORCHESTRATOR_TIMEOUT_SECONDS,
} from '../../lambda/orchestrator/timing';
import { DEFAULT_ORPHAN_AFTER_SECONDS } from '../../lambda/journal-auditor/audit';
import { DEFAULT_JOURNAL_TIMEOUT_MS, JOURNAL_TIMEOUT_RANGE_MS } from '../../lambda/shared/journal';
import { minimumHealthTimeoutSeconds } from '../app/health';
import {
  MAX_ROTATION_DAYS,
  meetsMinimumVersion,
  MIN_ENGINE_VERSION,
  ROUTE53_REQUEST_INTERVAL_SECONDS,
} from '../../policy/limits';
import { RtoInputs, rtoBudget } from '../model/rto';
import { DEFAULT_SAMPLES, RtoDistribution, rtoDistribution, rtoModelInputsFromSettings } from '../model/rto-model';
import { serviceUserData } from '../app/user-data';

export const PRIMARY_REGION = 'us-east-1';
export const SECONDARY_REGION = 'eu-west-1';

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * The longest rotation period of the database credentials: the platform promises rotation at
 * least every 30 days (the policy pack and the AWS Config rule check the configured period).
 * Defined by the policy pack (policy/limits.ts), which must stay self-contained when published.
 */
export const MAX_SECRET_ROTATION_DAYS = MAX_ROTATION_DAYS;

/** Lambda runtimes the bundles target (Node 18 is deprecated; all ship SDK v3 only). */
export const LAMBDA_RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;

const text = z.string().trim();

/** The journal auditor's timeout (REQ-journal: a batch of ten lookups). */
export const JOURNAL_AUDITOR_TIMEOUT_SECONDS = 5;
/** AWS: an SQS event source's queue visibility timeout should be at least six times the function timeout. */
export const VISIBILITY_PER_FUNCTION_TIMEOUT = 6;
/** Defaults the journal code applies itself; Pulumi.yaml must agree (config.test.ts). */
export const JOURNAL_CODE_DEFAULTS = {
  journalTimeoutMs: DEFAULT_JOURNAL_TIMEOUT_MS,
  journalOrphanAfterSeconds: DEFAULT_ORPHAN_AFTER_SECONDS,
} as const;

/** A whole number in [min, max]; `why` names where a limit comes from when it is not AWS's. */
const integer = (min: number, max: number, why?: string) => {
  const because = why ? `, ${why}` : '';
  return text
    .regex(/^-?\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      min === max
        ? z.number().refine((n) => n === min, { message: `must be ${min}${because}` })
        : z
            .number()
            .int()
            .min(min, { message: `must be at least ${min}${because}` })
            .max(max, { message: `must be at most ${max}${because}` }),
    );
};

const oneOf = <T extends readonly [number, ...number[]]>(allowed: T, what: string) =>
  text
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .refine((n) => (allowed as readonly number[]).includes(n), {
      message: `${what}: one of ${allowed.join(', ')}`,
    });

const cidr = text.superRefine((value, ctx) => {
  try {
    const parsed = parseCidr(value);
    if (parsed.prefix < MIN_VPC_PREFIX) {
      ctx.addIssue({ code: 'custom', message: `AWS VPCs are /${MIN_VPC_PREFIX} or smaller (a larger prefix number)` });
    }
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** Array-typed keys arrive as JSON text from the CLI; stack files may also give a comma list. */
const list = <T extends z.ZodTypeAny>(item: T) =>
  text
    .transform((value, ctx) => {
      if (value === '') return [];
      if (!value.startsWith('[')) return value.split(',').map((v) => v.trim());
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array or a comma-separated list' });
        return z.NEVER;
      }
    })
    .pipe(z.array(item));

const optionalText = text.optional().transform((v) => (v === '' ? undefined : v));

/** The default and lowest engine version (defined with the policy pack, which checks the same minimum). */
export { MIN_ENGINE_VERSION };

/** 14.x with x >= 6: later minors carry security fixes (CVE-2023-5869 is fixed in 14.10). */
export function isSupportedEngineVersion(version: string): boolean {
  return meetsMinimumVersion(version, MIN_ENGINE_VERSION);
}

const memoryOptimised = (v: string) => /^db\.(r5|r6g|r6i|r7g|r7i|r8g|x2g)\./.test(v);

const SUFFIX_MAX = maxSuffixLength();

/** `arn:aws:acm:<region>:<account>:certificate/<id>`: group 1 is the region. */
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;

const certificateArn = optionalText.refine((v) => v === undefined || CERTIFICATE_ARN.test(v), {
  message: 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
});

/** The Pulumi config keys, their parsing and validation. Key names match Pulumi.yaml. */
export const configSchema = z.object({
  // --- foundation
  environmentSuffix: text
    .min(1, { message: 'is required' })
    .max(SUFFIX_MAX, {
      message: `must be at most ${SUFFIX_MAX} characters (the ${tightestName()} name would exceed its AWS length limit)`,
    })
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
      message: 'may contain only lowercase letters, digits and inner hyphens (AWS names for RDS, S3 and ALBs)',
    })
    .refine((v) => !v.includes('--'), { message: 'must not contain "--" (RDS identifiers reject it)' }),
  costCenter: text
    .min(1, { message: 'is required' })
    .max(256, { message: 'must be at most 256 characters (AWS tag value limit)' })
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, { message: 'contains characters AWS tags do not allow' }),
  primaryRegion: z.literal(PRIMARY_REGION, { message: `must be ${PRIMARY_REGION}` }),
  secondaryRegion: z.literal(SECONDARY_REGION, { message: `must be ${SECONDARY_REGION}` }),
  primaryVpcCidr: cidr,
  secondaryVpcCidr: cidr,
  azCount: integer(3, 3),
  natStrategy: z.enum(['none', 'single', 'perAz'], { message: 'must be one of none, single, perAz' }),
  logRetentionDays: oneOf(LOG_RETENTION_DAYS, 'CloudWatch Logs retention'),
  // --- data tier
  dbEngineVersion: text.refine(isSupportedEngineVersion, {
    message: `must be Aurora PostgreSQL ${MIN_ENGINE_VERSION} or a later 14.x minor such as 14.10 (the major this platform is validated for as a global database)`,
  }),
  dbInstanceClass: text
    .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must look like db.r6g.large' })
    .refine(memoryOptimised, {
      message:
        'global databases need a memory-optimised class (db.r5, db.r6g, db.r6i, db.r7g, db.r7i, db.r8g, db.x2g); burstable db.t3/db.t4g are rejected by AWS',
    })
    .refine((v) => !memoryOptimised(v) || instanceClassMemoryGib(v) !== undefined, {
      message:
        'size must be one of large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, 24xlarge (its memory sizes the connection budget)',
    }),
  dbInstancesPerRegion: integer(2, 16),
  dbName: text.regex(/^[a-z][a-z0-9_]{0,62}$/, {
    message: 'must start with a letter and contain only lowercase letters, digits and _ (max 63)',
  }),
  dbMasterUsername: text.regex(/^[a-z][a-z0-9_]{0,15}$/, {
    message: 'must start with a letter, lowercase letters/digits/_ only, at most 16 characters',
  }),
  dbAppUsername: text.regex(/^[a-z][a-z0-9_]{0,15}$/, {
    message: 'must start with a letter, lowercase letters/digits/_ only, at most 16 characters',
  }),
  dbBackupRetentionDays: integer(1, 35),
  // The policy pack's limit, so an accepted value cannot fail the pack.
  secretRotationDays: integer(1, MAX_SECRET_ROTATION_DAYS, "the policy pack's rotation limit"),
  dbPoolMaxConnections: integer(1, 100),
  dbReservedConnections: integer(0, 5000),
  // --- data protection
  dataProtection: z.enum(['ephemeral', 'protected'], { message: 'must be ephemeral or protected' }),
  keyAdminRoleArns: list(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
      message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    }),
  ),
  backupCopyRetentionDays: integer(1, 36500),
  // --- application tier
  instanceType: text.regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, {
    message: 'must be an EC2 instance type such as m6i.large',
  }),
  asgMinSize: integer(1, 100),
  asgDesiredCapacity: integer(1, 100),
  asgMaxSize: integer(1, 100),
  asgCpuTargetPercent: integer(10, 90),
  asgRequestsPerTarget: integer(10, 100000),
  allowedIngressCidrs: list(
    z.string().refine(
      (v) => {
        try {
          parseCidr(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'must be an IPv4 CIDR' },
    ),
  ).refine((v) => v.length > 0, { message: 'must list at least one CIDR' }),
  tls: z.enum(['acm', 'provided', 'none'], { message: 'must be acm, provided or none' }),
  certificateValidationTimeout: text.regex(/^[1-9]\d*[mh]$/, {
    message: 'must be a duration in minutes or hours, such as 45m or 2h',
  }),
  primaryCertificateArn: certificateArn,
  secondaryCertificateArn: certificateArn,
  albHealthCheckIntervalSeconds: integer(5, 300),
  albHealthCheckTimeoutSeconds: integer(2, 120),
  albHealthyThreshold: integer(2, 10),
  albUnhealthyThreshold: integer(2, 10),
  deregistrationDelaySeconds: integer(0, 3600),
  asgHealthCheckGraceSeconds: integer(0, 7200),
  lambdaRuntime: z.enum(LAMBDA_RUNTIMES, { message: `must be one of ${LAMBDA_RUNTIMES.join(', ')}` }),
  lambdaMemoryMb: integer(128, 10240),
  lambdaTimeoutSeconds: integer(3, 900),
  marketOrderTtlSeconds: integer(1, 86400),
  tradingReservedConcurrency: integer(1, 1000),
  // The SQS event source's maximumConcurrency (2-1000) follows it.
  drainerReservedConcurrency: integer(2, 1000),
  wafRateLimit: integer(10, 2_000_000_000),
  // --- global traffic and failover
  domainName: text.regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    message: 'must be a lowercase DNS name such as trading.example.com',
  }),
  trafficPolicy: z.enum(['active-passive', 'active-active'], {
    message: 'must be active-passive or active-active',
  }),
  // Route 53 also offers 30 s; the policy pack requires the fast interval (fixed at creation).
  route53HealthCheckIntervalSeconds: integer(
    ROUTE53_REQUEST_INTERVAL_SECONDS,
    ROUTE53_REQUEST_INTERVAL_SECONDS,
    'the interval the policy pack requires (Route 53 cannot change it after creation)',
  ),
  route53FailureThreshold: integer(1, 10),
  dnsTtlSeconds: integer(1, 86400),
  acceleratorHealthCheckIntervalSeconds: oneOf([10, 30] as const, 'Global Accelerator health-check interval'),
  acceleratorThresholdCount: integer(1, 10),
  acceleratorReactionSeconds: integer(0, 300),
  failoverProbeIntervalSeconds: integer(5, 60),
  failoverRecoveryWindowSeconds: integer(60, 3600),
  failoverFastWindowSeconds: integer(MIN_FAST_WINDOW_SECONDS, MAX_FAST_WINDOW_SECONDS),
  failoverPromotionMode: z.enum(['automatic', 'approval'], { message: 'must be automatic or approval' }),
  dbPromotionEstimateSeconds: integer(1, 3600),
  // --- order durability (docs/order-journal.md)
  orderDurability: z.enum(['cross-region', 'regional'], { message: 'must be cross-region or regional' }),
  journalTimeoutMs: integer(JOURNAL_TIMEOUT_RANGE_MS[0], JOURNAL_TIMEOUT_RANGE_MS[1]),
  journalAuditDelaySeconds: integer(0, 900),
  journalAuditRetrySeconds: integer(
    VISIBILITY_PER_FUNCTION_TIMEOUT * JOURNAL_AUDITOR_TIMEOUT_SECONDS,
    900,
    `${VISIBILITY_PER_FUNCTION_TIMEOUT} x the auditor's ${JOURNAL_AUDITOR_TIMEOUT_SECONDS} s timeout, as AWS advises for SQS event sources`,
  ),
  journalOrphanAfterSeconds: integer(60, 86400),
  journalAlarmAgeSeconds: integer(10, 3600),
  rtoTargetSeconds: integer(1, 3600),
  // --- monitoring and compliance
  alarmEmail: optionalText.refine((v) => v === undefined || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v), {
    message: 'must be an email address',
  }),
  alarmHttpsEndpoint: optionalText.refine((v) => v === undefined || /^https:\/\/\S+$/.test(v), {
    message: 'must be an https:// URL',
  }),
  alarm5xxPercent: integer(1, 100),
  alarmP99LatencyMs: integer(10, 60000),
  alarmDbCpuPercent: integer(1, 100),
  alarmDbFreeableMemoryMb: integer(64, 1048576),
  alarmDbConnections: integer(1, 100000),
  alarmReplicationLagMs: integer(1, 3600000),
  alarmLambdaDurationP99Ms: integer(10, 900000),
  awsConfigRecorder: z.enum(['create', 'reuse'], { message: 'must be create or reuse' }),
});

export type RawConfig = Record<string, string | undefined>;
type Parsed = z.output<typeof configSchema>;

type Problem = readonly [key: keyof Parsed, message: string];

/** Config keys behind each RTO input (the plan reads the same values off the resources). */
const RTO_INPUT_KEYS = {
  albIntervalSeconds: 'albHealthCheckIntervalSeconds',
  albUnhealthyThreshold: 'albUnhealthyThreshold',
  acceleratorReactionSeconds: 'acceleratorReactionSeconds',
  route53IntervalSeconds: 'route53HealthCheckIntervalSeconds',
  route53FailureThreshold: 'route53FailureThreshold',
  dnsTtlSeconds: 'dnsTtlSeconds',
  probeIntervalSeconds: 'failoverProbeIntervalSeconds',
  recoveryWindowSeconds: 'failoverRecoveryWindowSeconds',
  dbPromotionEstimateSeconds: 'dbPromotionEstimateSeconds',
  targetSeconds: 'rtoTargetSeconds',
} as const satisfies Record<keyof RtoInputs, keyof Parsed>;
type RtoKey = (typeof RTO_INPUT_KEYS)[keyof RtoInputs];
const RTO_KEYS = Object.values(RTO_INPUT_KEYS).filter((k) => k !== 'rtoTargetSeconds') as RtoKey[];

/** Distributions already simulated (deterministic for their inputs; the search revisits values). */
const distributions = new Map<string, RtoDistribution>();
function distributionOf(values: Parsed): RtoDistribution {
  const inputs = rtoModelInputsFromSettings(values);
  const key = JSON.stringify(inputs);
  if (!distributions.has(key)) {
    if (distributions.size >= 1000) distributions.clear();
    distributions.set(key, rtoDistribution(inputs));
  }
  return distributions.get(key)!;
}

/**
 * A traffic path over the target is blamed on the input that can shorten it most, with the
 * largest value of each input that would fit on its own, so the message names what to change.
 * A path fits when both its worst-case sum (rto.ts) and its p99 (the seeded Monte Carlo of
 * rto-model.ts) are within the target: a suggested value is never refused on the next run.
 */
function rtoProblems(s: Parsed): Problem[] {
  const measure = (values: Parsed, path: string) => {
    const budget = rtoBudget(rtoInputsFromSettings(values)).paths.find((p) => p.name === path)!;
    const p99 = distributionOf(values).paths.find((p) => p.name === path)!.p99;
    return { budget, p99, seconds: Math.max(budget.totalSeconds, p99) };
  };
  const valid = (key: RtoKey, value: number) => configSchema.shape[key].safeParse(String(value)).success;
  const boundPaths = rtoBudget(rtoInputsFromSettings(s)).paths.filter((p) => p.bound);
  return boundPaths
    .map((p) => measure(s, p.name))
    .filter((m) => m.seconds > s.rtoTargetSeconds)
    .map(({ budget: p, p99, seconds }): Problem => {
      const fits = RTO_KEYS.flatMap((key) => {
        const at = (value: number) => measure({ ...s, [key]: value }, p.name).seconds;
        if (at(0) === seconds) return []; // this path does not depend on it
        // Both measures grow with each input: find the largest value that fits, then the largest valid one.
        let [lo, hi] = [0, s[key]];
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if (at(mid) <= s.rtoTargetSeconds) lo = mid;
          else hi = mid - 1;
        }
        let best = at(lo) <= s.rtoTargetSeconds ? lo : -1;
        while (best >= 0 && !valid(key, best)) best--;
        const floor = [...Array(s[key] + 1).keys()].find((v) => valid(key, v)) ?? s[key];
        return [{ key, best, saving: seconds - at(floor) }];
      }).sort((a, b) => b.saving - a.saving);
      const terms = p.terms.map((t) => `${t.label} = ${t.seconds} s`).join(' + ');
      const fixes = [
        ...fits.filter((f) => f.best >= 0).map((f) => `lower ${f.key} to at most ${f.best}`),
        `raise rtoTargetSeconds to ${Math.ceil(seconds)}`,
      ];
      return [
        fits.find((f) => f.best >= 0)?.key ?? 'rtoTargetSeconds',
        `puts the path "${p.name}" at ${p.totalSeconds} s worst case (${terms}) and ${p99} s at p99 (Monte Carlo of ${DEFAULT_SAMPLES} failures, npm run plan), over rtoTargetSeconds (${s.rtoTargetSeconds} s). Inputs of that path: ${fits.map((f) => f.key).join(', ')}. Fix: ${fixes.join(', or ')}`,
      ];
    });
}

/** URLs the EC2 boot script fetches from outside the VPC (needs NAT); none when it uses endpoints only. */
function internetDownloads(): string[] {
  const script = serviceUserData({
    nodeMajor: 22,
    artifactBucket: 'bucket',
    artifactKey: 'key',
    artifactSha256: '0'.repeat(64),
    caBundleKey: 'ca',
    caBundleSha256: '0'.repeat(64),
    port: 8080,
    environment: {},
  });
  return [...script.matchAll(/\b(?:curl|wget)\b[^\n]*?(https?:\/\/\S+)/g)].map((m) => m[1]);
}

/**
 * Rules across keys. Each runs only when every key it reads is valid on its own, so one bad
 * value is reported once, not again as a confusing consequence.
 */
const CROSS_CHECKS: { keys: (keyof Parsed)[]; check(s: Parsed): Problem[] }[] = [
  {
    keys: ['primaryVpcCidr', 'secondaryVpcCidr', 'azCount'],
    check: (s) => {
      const problems: Problem[] = [];
      const maxPrefix = maxVpcPrefixFor(s.azCount);
      for (const key of ['primaryVpcCidr', 'secondaryVpcCidr'] as const) {
        if (parseCidr(s[key]).prefix > maxPrefix) {
          problems.push([
            key,
            `is too small for ${2 * s.azCount} subnets of at least /28: use /${maxPrefix} or larger`,
          ]);
        }
      }
      return problems;
    },
  },
  {
    keys: ['primaryVpcCidr', 'secondaryVpcCidr'],
    check: (s) =>
      cidrsOverlap(parseCidr(s.primaryVpcCidr), parseCidr(s.secondaryVpcCidr))
        ? [['secondaryVpcCidr', `overlaps primaryVpcCidr ${s.primaryVpcCidr}: peered VPCs need disjoint ranges`]]
        : [],
  },
  {
    keys: ['asgMinSize', 'asgDesiredCapacity', 'asgMaxSize'],
    check: (s) =>
      s.asgMinSize <= s.asgDesiredCapacity && s.asgDesiredCapacity <= s.asgMaxSize
        ? []
        : [
            [
              'asgDesiredCapacity',
              `must satisfy asgMinSize (${s.asgMinSize}) <= desired <= asgMaxSize (${s.asgMaxSize})`,
            ],
          ],
  },
  {
    keys: ['albHealthCheckTimeoutSeconds', 'albHealthCheckIntervalSeconds'],
    check: (s) =>
      s.albHealthCheckTimeoutSeconds < s.albHealthCheckIntervalSeconds
        ? []
        : [
            [
              'albHealthCheckTimeoutSeconds',
              `must be less than albHealthCheckIntervalSeconds (${s.albHealthCheckIntervalSeconds})`,
            ],
          ],
  },
  {
    // Global Accelerator drops the region when ANY target group has no healthy target: the
    // Lambda target's check must outlast the order API's bounded health answer plus its invocation.
    keys: ['albHealthCheckTimeoutSeconds'],
    check: (s) =>
      s.albHealthCheckTimeoutSeconds >= minimumHealthTimeoutSeconds()
        ? []
        : [
            [
              'albHealthCheckTimeoutSeconds',
              `must be at least ${minimumHealthTimeoutSeconds()} s: /health answers within its deadline plus a Lambda invocation, and one timed-out target group takes the region out of Global Accelerator`,
            ],
          ],
  },
  {
    keys: ['tls', 'primaryCertificateArn', 'secondaryCertificateArn', 'primaryRegion', 'secondaryRegion'],
    check: (s) => {
      const sides = [
        ['primaryCertificateArn', s.primaryRegion],
        ['secondaryCertificateArn', s.secondaryRegion],
      ] as const;
      if (s.tls !== 'provided') {
        return sides
          .filter(([key]) => s[key] !== undefined)
          .map(([key]): Problem => [key, `is read only with tls: provided (tls is ${s.tls})`]);
      }
      return sides.flatMap(([key, region]): Problem[] => {
        const arn = s[key];
        if (arn === undefined) return [[key, `is required with tls: provided (the ALB in ${region} serves HTTPS too)`]];
        const arnRegion = arn.split(':')[3];
        return arnRegion === region
          ? []
          : [[key, `is a certificate in ${arnRegion}; an ALB takes certificates of its own region (${region})`]];
      });
    },
  },
  {
    keys: ['alarmLambdaDurationP99Ms', 'lambdaTimeoutSeconds'],
    check: (s) =>
      s.alarmLambdaDurationP99Ms < s.lambdaTimeoutSeconds * 1000
        ? []
        : [
            [
              'alarmLambdaDurationP99Ms',
              `must be below lambdaTimeoutSeconds (${s.lambdaTimeoutSeconds} s): a duration never exceeds the timeout, so the alarm could never fire`,
            ],
          ],
  },
  {
    // A journaled order is first audited after the delay: an age alarm below it fires on every order.
    keys: ['journalAlarmAgeSeconds', 'journalAuditDelaySeconds'],
    check: (s) =>
      s.journalAlarmAgeSeconds > s.journalAuditDelaySeconds
        ? []
        : [
            [
              'journalAlarmAgeSeconds',
              `must exceed journalAuditDelaySeconds (${s.journalAuditDelaySeconds} s): the auditor sees no order younger than that`,
            ],
          ],
  },
  {
    // VPC endpoints serve their own region only: the other region's journal queue (and the
    // fence record in eu-west-1) are reached through a NAT gateway.
    keys: ['orderDurability', 'natStrategy'],
    check: (s) =>
      s.orderDurability === 'cross-region' && s.natStrategy === 'none'
        ? [
            [
              'natStrategy',
              "must be single or perAz with orderDurability cross-region: the other region's journal queue is reached through a NAT gateway (VPC endpoints serve their own region only)",
            ],
          ]
        : [],
  },
  {
    keys: ['dbAppUsername', 'dbMasterUsername'],
    check: (s) =>
      s.dbAppUsername !== s.dbMasterUsername
        ? []
        : [['dbAppUsername', 'must differ from dbMasterUsername (the application never logs in as master)']],
  },
  {
    keys: [...RTO_KEYS, 'rtoTargetSeconds', 'albHealthCheckTimeoutSeconds'],
    check: rtoProblems,
  },
  {
    keys: ['natStrategy'],
    check: (s) => {
      if (s.natStrategy !== 'none') return [];
      const downloads = internetDownloads();
      return downloads.length === 0
        ? []
        : [
            [
              'natStrategy',
              `none leaves EC2 without internet egress, but its boot script downloads ${downloads.join(', ')} (lib/app/user-data.ts): use single or perAz`,
            ],
          ];
    },
  },
  {
    keys: [
      'dbInstanceClass',
      'tradingReservedConcurrency',
      'drainerReservedConcurrency',
      'asgMaxSize',
      'dbPoolMaxConnections',
      'dbReservedConnections',
    ],
    check: (s) => {
      const b = connectionBudget(s.dbInstanceClass, {
        tradingConcurrency: s.tradingReservedConcurrency,
        drainerConcurrency: s.drainerReservedConcurrency,
        fleetMaxInstances: s.asgMaxSize,
        poolSize: s.dbPoolMaxConnections,
        reservedConnections: s.dbReservedConnections,
        // Writes follow the writer: both regions' order APIs write to the one writer instance.
        writingRegions: 2,
      });
      return b.fits
        ? []
        : [
            [
              'tradingReservedConcurrency',
              `with drainerReservedConcurrency and asgMaxSize: ${b.processes} processes x ${b.perProcess} connections (2 pools x dbPoolMaxConnections ${s.dbPoolMaxConnections}) + the other region's ${b.processes} writer pools + dbReservedConnections ${s.dbReservedConnections} + 3 for AWS = ${b.total}, over the ${b.maxConnections} a ${s.dbInstanceClass} accepts: lower these or raise dbInstanceClass`,
            ],
          ];
    },
  },
  {
    keys: ['dataProtection', 'keyAdminRoleArns'],
    check: (s) =>
      s.dataProtection === 'protected' && s.keyAdminRoleArns.length === 0
        ? [['keyAdminRoleArns', 'must name at least one key administrator role when dataProtection is protected']]
        : [],
  },
  {
    // The gate's own rules (lambda/orchestrator/timing.ts), checked against the timeouts the
    // functions are deployed with: a gate slower than its function could never decide.
    keys: ['failoverProbeIntervalSeconds', 'failoverRecoveryWindowSeconds'],
    check: (s) =>
      gateSettingsProblems({
        failoverProbeIntervalSeconds: s.failoverProbeIntervalSeconds,
        failoverRecoveryWindowSeconds: s.failoverRecoveryWindowSeconds,
        orchestratorTimeoutSeconds: ORCHESTRATOR_TIMEOUT_SECONDS,
        canaryTimeoutSeconds: CANARY_TIMEOUT_SECONDS,
      }).map(([key, message]): Problem => [
        // The timeouts are fixed by the program: a probe interval that outgrows them is the key to change.
        key === 'failoverRecoveryWindowSeconds' ? key : 'failoverProbeIntervalSeconds',
        key === 'failoverRecoveryWindowSeconds' ? message : `makes the ${key} (fixed) too short: ${message}`,
      ]),
  },
];

CROSS_CHECKS.push({
  // Issue 23: an allowlist that shuts out the canaries and Route 53's checkers blinds the gate:
  // every probe times out as if the region were gone (a healthy primary was promoted with data
  // loss in the drill). The canaries run outside any VPC (lambda/failover/canary.ts) with no fixed
  // source address, and Route 53's checkers probe from AWS addresses in many regions, so only a
  // list that admits every address keeps them in; filter clients with the WAF instead.
  keys: ['allowedIngressCidrs'],
  check: (s) =>
    coversEveryAddress(s.allowedIngressCidrs.map(parseCidr))
      ? []
      : [
          [
            'allowedIngressCidrs',
            "would shut out the failover canaries (Lambda functions in eu-west-1 and us-west-2 with no fixed source address) and Route 53's health checkers, and a blind gate reads a healthy primary as a lost region: list 0.0.0.0/0 (or blocks that add up to it) and filter clients with the WAF (wafRateLimit)",
          ],
        ],
});

CROSS_CHECKS.push({
  keys: ['failoverProbeIntervalSeconds', 'failoverRecoveryWindowSeconds', 'failoverFastWindowSeconds'],
  check: (s) => fastWindowProblems(s).map(([, message]): Problem => ['failoverFastWindowSeconds', message]),
});

export type RegionRole = 'primary' | 'secondary';

/** The RTO inputs as configured (the plan reads the same numbers off the resources). */
export function rtoInputsFromSettings(s: Pick<Parsed, RtoKey | 'rtoTargetSeconds'>): RtoInputs {
  return Object.fromEntries(
    Object.entries(RTO_INPUT_KEYS).map(([input, key]) => [input, s[key]]),
  ) as unknown as RtoInputs;
}

export interface RegionSettings {
  readonly role: RegionRole;
  readonly region: string;
  readonly vpcCidr: string;
  readonly certificateArn?: string;
}

export type Settings = Readonly<Omit<Parsed, 'allowedIngressCidrs' | 'keyAdminRoleArns'>> & {
  readonly allowedIngressCidrs: readonly string[];
  readonly keyAdminRoleArns: readonly string[];
  readonly regions: readonly [RegionSettings, RegionSettings];
};

/** Every key this program reads, in schema order. Pulumi.yaml declares exactly these. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof Parsed)[];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[x.length][y.length];
}

/** The configuration key a misspelt one most likely meant, if any is close enough to be a typo. */
export function closestKey(name: string): string | undefined {
  const ranked = CONFIG_KEYS.map((key) => ({ key, distance: editDistance(name, key) })).sort(
    (a, b) => a.distance - b.distance,
  );
  const best = ranked[0];
  // A typo changes a few characters; allow roughly one edit per four characters, at least two.
  return best && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? best.key : undefined;
}

function show(value: string | undefined): string {
  return value === undefined || value.trim() === '' ? 'not set' : `got ${JSON.stringify(value)}`;
}

/** Parse and validate raw config; throws ConfigError listing every problem. */
export function parseSettings(raw: RawConfig): Settings {
  const problems: string[] = Object.keys(raw)
    .filter((k) => !(CONFIG_KEYS as string[]).includes(k))
    .map((k) => {
      const near = closestKey(k);
      return `${k}: is not a configuration key of this program${near ? `; did you mean ${near}?` : ''}`;
    });
  const result = configSchema.safeParse(raw);
  const invalid = new Set<string>();
  for (const issue of result.error?.issues ?? []) {
    const key = String(issue.path[0] ?? '(config)');
    invalid.add(key);
    const message = issue.code === 'invalid_type' && raw[key] === undefined ? 'is required' : issue.message;
    const where = issue.path.length > 1 ? `${key}[${issue.path.slice(1).join('.')}]` : key;
    problems.push(`${where}: ${message} (${show(raw[key])})`);
  }
  // Cross-key rules read each key parsed on its own, so they run even when others are bad.
  const parsedKey = (key: keyof Parsed) => configSchema.shape[key].safeParse(raw[key]);
  for (const { keys, check } of CROSS_CHECKS) {
    if (keys.some((k) => invalid.has(k))) continue;
    const values = Object.fromEntries(keys.map((k) => [k, parsedKey(k).data])) as Parsed;
    for (const [key, message] of check(values)) problems.push(`${key}: ${message} (${show(raw[key])})`);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const s = result.data;
  const settings: Settings = {
    ...s,
    regions: [
      { role: 'primary', region: s.primaryRegion, vpcCidr: s.primaryVpcCidr, certificateArn: s.primaryCertificateArn },
      {
        role: 'secondary',
        region: s.secondaryRegion,
        vpcCidr: s.secondaryVpcCidr,
        certificateArn: s.secondaryCertificateArn,
      },
    ],
  };
  return deepFreeze(settings);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * Read this project's keys from Pulumi config. `allConfig` is `pulumi.runtime.allConfig()`:
 * keys are `<project>:<key>`, so a misspelt key in a stack file is reported, not ignored.
 */
export function readRawConfig(project: string, allConfig: Record<string, string>): RawConfig {
  const prefix = `${project}:`;
  const raw: RawConfig = {};
  for (const [key, value] of Object.entries(allConfig)) {
    if (key.startsWith(prefix)) raw[key.slice(prefix.length)] = value;
  }
  return raw;
}
