/**
 * Over 320 lines on purpose: one schema, one entry per config key; splitting it by area would
 * scatter the one list a reader checks a key against.
 *
 * The configuration schema: every Pulumi config key this program reads, as the CLI hands it over
 * (a string), with its parsing and its own range. Rules across keys are in cross-checks.ts;
 * parsing a whole config into Settings is in settings.ts.
 *
 * Defaults live in Pulumi.yaml (the CLI applies them; the offline runner does the same), so
 * this module has no defaults of its own: a key missing here is a key missing there.
 */
import { z } from 'zod';
import { MAX_FAST_WINDOW_SECONDS, MIN_FAST_WINDOW_SECONDS } from '../../lambda/facts/failover-window';
import { parseCidr, MIN_VPC_PREFIX } from '../model/cidr';
import { instanceClassMemoryGib } from '../model/instance-memory';
import { maxSuffixLength, tightestName } from './naming';
import {
  ENGINE_MAJOR_MINIMUMS,
  MAX_ROTATION_DAYS,
  meetsMinimumVersion,
  MIN_ENGINE_VERSION,
  ROUTE53_REQUEST_INTERVAL_SECONDS,
} from '../../policy/limits';

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

/**
 * Lambda runtimes the bundles target (both ship SDK v3 only). nodejs20.x is deprecated since
 * 30 April 2026 and refuses function creation after 31 August 2026 (AWS Lambda developer guide,
 * "Building Lambda functions with Node.js", supported runtimes table). nodejs26.x is a public
 * preview, not for production (aws/aws-lambda-nodejs-runtime-interface-client#198), and not in
 * @pulumi/aws's `lambda.Runtime` enum (7.48).
 */
export const LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;

const text = z.string().trim();

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

/** 14.6 or later, majors 14-16 (policy/limits.ts): later minors carry security fixes (CVE-2023-5869 is fixed in 14.10). */
export function isSupportedEngineVersion(version: string): boolean {
  return meetsMinimumVersion(version, MIN_ENGINE_VERSION);
}

/**
 * RDS Extended Support enrolment: the valid values of EngineLifecycleSupport on
 * CreateGlobalCluster and CreateDBCluster (AWS default: enrolled), per the RDS API reference
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html) and
 * the provider's rds.GlobalCluster / rds.Cluster `engineLifecycleSupport` docs
 * (node_modules/@pulumi/aws/rds/globalCluster.d.ts). The first is the platform's default.
 */
export const ENGINE_LIFECYCLE_SUPPORT = [
  'open-source-rds-extended-support-disabled',
  'open-source-rds-extended-support',
] as const;

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
  logRetentionDays: oneOf(LOG_RETENTION_DAYS, 'CloudWatch Logs retention'),
  // --- data tier
  dbEngineVersion: text.refine(isSupportedEngineVersion, {
    message: `must be Aurora PostgreSQL ${MIN_ENGINE_VERSION} or later as major.minor, major ${Object.keys(ENGINE_MAJOR_MINIMUMS).join(', ')} (${Object.entries(
      ENGINE_MAJOR_MINIMUMS,
    )
      .map(([major, minor]) => `${major}.${minor}+`)
      .join(', ')}), such as 14.10 or 16.4`,
  }),
  engineLifecycleSupport: z.enum([...ENGINE_LIFECYCLE_SUPPORT], {
    message: `must be one of ${ENGINE_LIFECYCLE_SUPPORT.join(', ')} (RDS EngineLifecycleSupport)`,
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
  // --- data protection
  dataProtection: z.enum(['ephemeral', 'protected'], { message: 'must be ephemeral or protected' }),
  keyAdminRoleArns: list(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
      message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    }),
  ),
  clientKeyAdminRoleArns: list(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
      message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    }),
  ),
  backupCopyRetentionDays: integer(1, 36500),
  // The one role besides the service's own that may write the order book (lib/data/book-policy.ts).
  bookBreakGlassRoleArn: optionalText.refine(
    (v) => v === undefined || /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(v),
    { message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)' },
  ),
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
  lambdaCodeSigning: z.enum(['off', 'warn', 'enforce'], { message: 'must be off, warn or enforce' }),
  lambdaTimeoutSeconds: integer(3, 900),
  tradingReservedConcurrency: integer(1, 1000),
  wafRateLimit: integer(10, 2_000_000_000),
  // AWS WAF RateBasedStatement Limit: 10 to 2,000,000,000 per evaluation window (WAF API reference).
  wafClientRateLimit: integer(10, 2_000_000_000),
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
  // The schedule, an alarm and an operator may overlap; the lease makes the action happen once.
  orchestratorReservedConcurrency: integer(1, 100),
  // One probe loop a minute; two cover the overlap at the minute boundary.
  canaryReservedConcurrency: integer(2, 10),
  dbPromotionEstimateSeconds: integer(1, 3600),
  // --- order durability (docs/order-book.md)
  orderDurability: z.enum(['cross-region', 'regional'], { message: 'must be cross-region or regional' }),
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
  alarmBookApplyLagSeconds: integer(1, 86400),
  awsConfigRecorder: z.enum(['auto', 'create', 'reuse'], { message: 'must be auto, create or reuse' }),
  // --- game days (docs/runbooks/game-day.md)
  gameDays: z.enum(['enabled', 'disabled'], { message: 'must be enabled or disabled' }),
});

/** The parsed value of every key. */
export type ConfigValues = z.output<typeof configSchema>;

/** A problem with one key: the key and what is wrong with it. */
export type KeyProblem = readonly [key: keyof ConfigValues, message: string];

/** Every key this program reads, in schema order. Pulumi.yaml declares exactly these. */
export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof ConfigValues)[];
