import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import {
  logWriteStatement,
  LAMBDA_VPC_ENI_STATEMENT,
  resolvedAfter,
  serviceRole,
  ServiceRole,
  Statement,
  XRAY_STATEMENT,
} from '../security/iam';
import { bundleSource, lambdaArchive } from './lambda-bundle';
import type { CodeSigning } from './code-signing';
import { DELETE_BEFORE_REPLACE } from '../config/naming';

/**
 * Tag telling where a function runs: `vpc` or `public` (the failover orchestrator probes the
 * public path on purpose). The LAMBDA_INSIDE_VPC Config rule is scoped to `vpc`.
 */
export const PLACEMENT_TAG = 'Placement';

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
  /** What must exist before the function may start serving (beyond its role and log group). */
  readonly dependsOn?: readonly pulumi.Resource[];
  /**
   * p99 duration (ms) above which the function is in trouble. Default: 80% of the timeout (it
   * is about to time out), right for functions whose healthy runs are long (the orchestrator's
   * canary runs for most of a minute); request-path functions pass a tighter, configured one.
   */
  readonly durationAlarmMs?: number;
  /** The region's code signing (`lambdaCodeSigning` warn or enforce): the package is deployed signed. */
  readonly codeSigning?: CodeSigning;
}

export interface BuiltFunction {
  readonly fn: aws.lambda.Function;
  readonly role: ServiceRole;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** p99 duration (ms) its alarm fires above: below the timeout (reachable), above a healthy run. */
  readonly durationAlarmMs: number;
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
    { ...opts, ...DELETE_BEFORE_REPLACE },
  );
  const role = serviceRole(
    {
      name: spec.roleName,
      service: 'lambda.amazonaws.com',
      // ENI management for functions in a VPC.
      statements: [
        logWriteStatement(logGroup.arn),
        XRAY_STATEMENT,
        ...(spec.vpc ? [LAMBDA_VPC_ENI_STATEMENT] : []),
        ...spec.statements,
      ],
    },
    opts,
  );
  const signed = spec.codeSigning?.signedCode(spec.name, bundleSource(spec.code, spec.settings.lambdaRuntime));
  const fn = new aws.lambda.Function(
    spec.name,
    {
      name: spec.name,
      description: spec.description,
      runtime: spec.settings.lambdaRuntime,
      handler: 'index.handler',
      ...(signed
        ? { s3Bucket: signed.s3Bucket, s3Key: signed.s3Key, codeSigningConfigArn: signed.codeSigningConfigArn }
        : { code: lambdaArchive(spec.code, spec.settings.lambdaRuntime) }),
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
      tags: { [PLACEMENT_TAG]: spec.vpc ? 'vpc' : 'public' },
    },
    { ...opts, ...DELETE_BEFORE_REPLACE, dependsOn: [logGroup, ...(spec.dependsOn ?? [])] },
  );
  return { fn, role, logGroup, durationAlarmMs: spec.durationAlarmMs ?? Math.round(0.8 * spec.timeoutSeconds * 1000) };
}

export interface MinuteScheduleSpec {
  /** Name of the rule, its permission and its target. */
  readonly name: string;
  readonly description: string;
  /** The event the function receives each minute. */
  readonly input: Record<string, unknown>;
}

/**
 * Run a function every minute (EventBridge's finest schedule) with a fixed event, never retried
 * asynchronously: a missed minute is covered by the next one, a retried one would overlap it.
 * The target is created only once the rule may invoke the function.
 */
export function everyMinute(
  built: BuiltFunction,
  spec: MinuteScheduleSpec,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.EventRule {
  const { fn } = built;
  const child = { ...opts, parent: fn };
  new aws.lambda.FunctionEventInvokeConfig(
    spec.name,
    { functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
    child,
  );
  const rule = new aws.cloudwatch.EventRule(
    spec.name,
    { name: spec.name, description: spec.description, scheduleExpression: 'rate(1 minute)' },
    // A fixed name: a replacement must delete the old rule first.
    { ...child, ...DELETE_BEFORE_REPLACE },
  );
  const allow = new aws.lambda.Permission(
    spec.name,
    { action: 'lambda:InvokeFunction', function: fn.name, principal: 'events.amazonaws.com', sourceArn: rule.arn },
    child,
  );
  new aws.cloudwatch.EventTarget(
    spec.name,
    { rule: rule.name, arn: resolvedAfter(fn.arn, [allow]), input: JSON.stringify(spec.input) },
    { ...opts, parent: rule },
  );
  return rule;
}
