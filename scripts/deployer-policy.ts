/**
 * The deployer's IAM policy (docs/deployer-policy.json): what `pulumi up` / `destroy` of this
 * program needs, one `<service>:*` per IAM service prefix the plan's resource types use, plus
 * the reads the program makes while it plans. Broad within each service, scoped to the services
 * the stack uses: give it to a role in an account (or sandbox) meant for the platform.
 * test/deployer-policy.test.ts regenerates it from the offline plan and fails when they differ,
 * so a new resource type cannot land without its service in the policy.
 *
 * `npx tsx scripts/deployer-policy.ts > docs/deployer-policy.json` (plans offline first).
 */
import { exitOnHelp } from './cli';
import { runOffline, stackConfig } from './offline';

/**
 * The IAM service prefix of a Pulumi AWS type: the module's, except where the module holds
 * several services (cloudwatch: logs and events) or is named otherwise (Service Authorization
 * Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 */
const BY_TYPE: Readonly<Record<string, string>> = {
  'aws:cloudwatch/logGroup:LogGroup': 'logs',
  'aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter': 'logs',
  'aws:cloudwatch/logResourcePolicy:LogResourcePolicy': 'logs',
  'aws:cloudwatch/logMetricFilter:LogMetricFilter': 'logs',
  'aws:cloudwatch/eventRule:EventRule': 'events',
  'aws:cloudwatch/eventTarget:EventTarget': 'events',
};
const BY_MODULE: Readonly<Record<string, string>> = {
  acm: 'acm',
  autoscaling: 'autoscaling',
  backup: 'backup',
  cfg: 'config',
  cloudwatch: 'cloudwatch',
  dynamodb: 'dynamodb',
  ec2: 'ec2',
  globalaccelerator: 'globalaccelerator',
  iam: 'iam',
  kms: 'kms',
  lambda: 'lambda',
  lb: 'elasticloadbalancing',
  rds: 'rds',
  route53: 'route53',
  s3: 's3',
  scheduler: 'scheduler',
  secretsmanager: 'secretsmanager',
  sns: 'sns',
  signer: 'signer',
  sqs: 'sqs',
  ssm: 'ssm',
  vpc: 'ec2',
  wafv2: 'wafv2',
};

/**
 * What the program calls while it plans, beyond the resources (data sources and SDK reads):
 * prefix and why. `ec2`, `rds` and `config` are also resource services.
 */
export const PLAN_TIME_READS: Readonly<Record<string, string>> = {
  sts: 'getCallerIdentity (account id in names and policies)',
  ec2: 'getAvailabilityZones, getInstanceTypeOfferings, getVpcEndpointService; the Global Accelerator cleanup (DescribeSecurityGroups, DescribeNetworkInterfaces, DeleteSecurityGroup)',
  rds: 'getOrderableDbInstance (zones offering the instance class)',
  servicequotas: 'getServiceQuota (the account preflight)',
  config: 'DescribeConfigurationRecorders / DescribeConfigurationRecorderStatus (awsConfigRecorder: auto)',
};

/** The IAM prefix of a planned AWS type; throws for a type this table does not know yet. */
export function servicePrefix(type: string): string {
  if (BY_TYPE[type]) return BY_TYPE[type];
  const module = type.split(':')[1]?.split('/')[0] ?? '';
  const prefix = BY_MODULE[module];
  if (!prefix)
    throw new Error(
      `no IAM service prefix known for ${type}: add its module to BY_MODULE in scripts/deployer-policy.ts`,
    );
  return prefix;
}

/** The stacks whose plans the policy covers: dev (plain HTTP) and prod (ACM, protected data). */
export const POLICY_STACKS = ['dev', 'prod'] as const;

/** The policy document for a plan's resource types (non-AWS types need no AWS permission). */
export function deployerPolicy(types: Iterable<string>): object {
  const prefixes = new Set(Object.keys(PLAN_TIME_READS));
  for (const type of types) if (type.startsWith('aws:')) prefixes.add(servicePrefix(type));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DeployTapPlatform',
        Effect: 'Allow',
        Action: [...prefixes].sort().map((p) => `${p}:*`),
        Resource: '*',
      },
    ],
  };
}

/** The policy as the file holds it (2-space JSON and a newline). */
export const policyText = (types: Iterable<string>): string => `${JSON.stringify(deployerPolicy(types), null, 2)}\n`;

const USAGE = `Usage: npx tsx scripts/deployer-policy.ts > docs/deployer-policy.json

Plans the dev and prod stacks offline and prints the deployer's IAM policy for the resource types it plans.
  -h, --help  show this help`;

async function main(): Promise<void> {
  exitOnHelp(USAGE);
  const types: string[] = [];
  for (const stack of POLICY_STACKS) {
    const run = await runOffline(stackConfig(stack, {}), stack);
    types.push(...run.resources.map((r) => r.type));
  }
  process.stdout.write(policyText(types));
}

if (require.main === module)
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
