import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from './config';
import { logWriteStatement, MANAGED_POLICY, serviceRole, ServiceRole, Statement, XRAY_STATEMENT } from './iam';
import { lambdaArchive } from './lambda-bundle';

export interface FunctionSpec {
  /** Physical name of the function (and of its log group's last segment). */
  readonly name: string;
  readonly roleName: string;
  /** Folder under lambda/ holding handler.ts. */
  readonly code: string;
  readonly description: string;
  readonly settings: Settings;
  readonly statements: readonly Statement[];
  readonly environment: Record<string, pulumi.Input<string>>;
  readonly vpc?: { subnetIds: pulumi.Input<string>[]; securityGroupIds: pulumi.Input<string>[] };
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /**
   * Reserved concurrency: a ceiling (the function's share of database connections) and a
   * floor no other function in the account can take. Unset: the account's unreserved pool.
   */
  readonly reservedConcurrency?: number;
  /** KMS key of the function's log group (the region's logs key). */
  readonly logsKeyArn?: pulumi.Input<string>;
}

export interface BuiltFunction {
  readonly fn: aws.lambda.Function;
  readonly role: ServiceRole;
  readonly logGroup: aws.cloudwatch.LogGroup;
}

/**
 * One Lambda function the way every function here is built: esbuild bundle, its own log group
 * with retention (created first, so Lambda never creates an unmanaged one), a role scoped to
 * `statements` plus its own logs, JSON logs, X-Ray tracing.
 */
export function buildFunction(spec: FunctionSpec, opts: pulumi.CustomResourceOptions): BuiltFunction {
  const logGroup = new aws.cloudwatch.LogGroup(
    spec.name,
    { name: `/aws/lambda/${spec.name}`, retentionInDays: spec.settings.logRetentionDays, kmsKeyId: spec.logsKeyArn },
    opts,
  );
  const role = serviceRole(
    {
      name: spec.roleName,
      service: 'lambda.amazonaws.com',
      // ENI management for functions in a VPC.
      managedPolicyArns: spec.vpc ? [MANAGED_POLICY.lambdaVpcAccess] : [],
      statements: [logWriteStatement(logGroup.arn), XRAY_STATEMENT, ...spec.statements],
    },
    opts,
  );
  const fn = new aws.lambda.Function(
    spec.name,
    {
      name: spec.name,
      description: spec.description,
      runtime: spec.settings.lambdaRuntime,
      handler: 'index.handler',
      code: lambdaArchive(spec.code, spec.settings.lambdaRuntime),
      // Created only once its role holds every permission (VPC access included).
      role: role.ready.arn,
      timeout: spec.timeoutSeconds,
      memorySize: spec.memoryMb,
      reservedConcurrentExecutions: spec.reservedConcurrency,
      architectures: ['arm64'],
      environment: {
        variables: {
          POWERTOOLS_SERVICE_NAME: spec.code,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          // Node 20+ runtimes do not load the Amazon CA bundle (RDS certificates) unless told to.
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
          ...spec.environment,
        },
      },
      vpcConfig: spec.vpc,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
    },
    { ...opts, dependsOn: [logGroup] },
  );
  return { fn, role, logGroup };
}
