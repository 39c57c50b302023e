import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DELETE_BEFORE_REPLACE } from '../config/naming';

export interface Statement {
  readonly Sid?: string;
  readonly Effect?: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: pulumi.Input<string> | pulumi.Input<string>[];
  readonly Condition?: Record<string, unknown>;
  /** Only in resource policies (bucket, key, topic policies). */
  readonly Principal?: unknown;
}

/** An IAM policy document as JSON, resolving any Output ARNs in it. */
export function policyJson(statements: readonly Statement[]): pulumi.Output<string> {
  return pulumi
    .output(statements.map((s) => ({ Effect: 'Allow', ...s })))
    .apply((resolved) => JSON.stringify({ Version: '2012-10-17', Statement: resolved }));
}

/** Trust policy letting one AWS service assume the role, on behalf of whom `condition` says. */
export function assumeRolePolicy(service: string, condition?: Record<string, unknown>): pulumi.Output<string> {
  return pulumi.output(condition ?? {}).apply((resolved) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: service },
          Action: 'sts:AssumeRole',
          ...(condition ? { Condition: resolved } : {}),
        },
      ],
    }),
  );
}

/**
 * Confused-deputy guard for a service acting for this account: `aws:SourceAccount` always,
 * `aws:SourceArn` (ArnLike) when the acting resource's ARN pattern is known.
 */
export function sourceConditions(accountId: pulumi.Input<string>, sourceArn?: pulumi.Input<string>) {
  return {
    StringEquals: { 'aws:SourceAccount': accountId },
    ...(sourceArn ? { ArnLike: { 'aws:SourceArn': sourceArn } } : {}),
  };
}

export const MANAGED_POLICY = {
  configRole: 'arn:aws:iam::aws:policy/service-role/AWS_ConfigRole',
} as const;

export interface ServiceRoleArgs {
  readonly name: string;
  /** The AWS service that assumes the role (`lambda.amazonaws.com`, `ec2.amazonaws.com`, ...). */
  readonly service: string;
  readonly managedPolicyArns?: readonly string[];
  /** Trust-policy condition (confused-deputy guard) on the service's AssumeRole. */
  readonly trustCondition?: Record<string, unknown>;
  /** Inline permissions; none means no inline policy. */
  readonly statements?: readonly Statement[];
}

/**
 * `value`, resolved only once every resource in `after` exists. Whatever consumes the result
 * waits for those resources too (the dependency travels with the output), so a grant is in
 * place before its user is created without anyone writing `dependsOn`.
 */
export function resolvedAfter(
  value: pulumi.Input<string>,
  after: readonly pulumi.CustomResource[],
): pulumi.Output<string> {
  return pulumi.all([value, ...after.map((r) => r.id)]).apply(([resolved]) => resolved);
}

export interface ServiceRole {
  /**
   * The role, resolved only after its policies are attached (the pulumi-eks servicerole
   * pattern): every consumer reads `arn` or `name` from here, so it cannot start with a role
   * that lacks its permissions.
   */
  readonly ready: { readonly arn: pulumi.Output<string>; readonly name: pulumi.Output<string> };
  /** The IAM resource itself: to parent related resources and to attach grants made elsewhere. */
  readonly resource: aws.iam.Role;
}

/**
 * A role for one AWS service with exactly the given permissions: AWS-managed policies attached
 * one by one (the role's own `managedPolicyArns` is deprecated) plus one inline policy.
 */
export function serviceRole(args: ServiceRoleArgs, opts: pulumi.CustomResourceOptions): ServiceRole {
  const role = new aws.iam.Role(
    args.name,
    { name: args.name, assumeRolePolicy: assumeRolePolicy(args.service, args.trustCondition) },
    { ...opts, ...DELETE_BEFORE_REPLACE },
  );
  const child = { ...opts, parent: role };
  const grants: pulumi.CustomResource[] = (args.managedPolicyArns ?? []).map((policyArn, _, all) => {
    const suffix = all.length > 1 ? `-${policyArn.split('/').pop()}` : '';
    return new aws.iam.RolePolicyAttachment(`${args.name}${suffix}`, { role: role.name, policyArn }, child);
  });
  if (args.statements?.length) {
    grants.push(new aws.iam.RolePolicy(args.name, { role: role.id, policy: policyJson(args.statements) }, child));
  }
  // Strings, not an Output of the role itself: Pulumi walks a resolved value for unknowns
  // (output.js containsUnknowns), and a resource's value is its whole object graph, parents and
  // providers included: some 20,000 objects per role, a quarter of an offline plan's time.
  return { resource: role, ready: { arn: resolvedAfter(role.arn, grants), name: resolvedAfter(role.name, grants) } };
}

/** Permissions to write to one log group (the function's own). */
export function logWriteStatement(logGroupArn: pulumi.Input<string>): Statement {
  return {
    Sid: 'WriteOwnLogs',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: pulumi.interpolate`${logGroupArn}:*`,
  };
}

/**
 * What Lambda needs, acting with a VPC function's role, to manage its network interfaces: the EC2
 * half of AWSLambdaVPCAccessExecutionRole (v3), without its `logs:*` on every log group (the
 * function writes its own group only: logWriteStatement). `*`: DescribeNetworkInterfaces works
 * only on all resources, and DeleteNetworkInterface must name every interface it may meet or the
 * function "may not be able to access the VPC" (Lambda developer guide, "Giving Lambda functions
 * access to resources in an Amazon VPC", execution role permissions). Used by Lambda to create
 * and remove the interfaces, not by the function's code, so no VPC endpoint serves it.
 */
export const LAMBDA_VPC_ENI_STATEMENT: Statement = {
  Sid: 'LambdaManagesItsNetworkInterfaces',
  Action: [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  Resource: '*',
};

/** X-Ray has no resource-level permissions: these actions only accept `*`. */
export const XRAY_STATEMENT: Statement = {
  Sid: 'XRayTracing',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

/**
 * What Session Manager needs on an instance, instead of AmazonSSMManagedInstanceCore (which also
 * grants ssm:GetParameter* on every parameter, documents and more): register the instance and
 * open the session channels. These actions take no resource narrower than `*`.
 */
export const SESSION_MANAGER_STATEMENT: Statement = {
  Sid: 'SessionManagerOnly',
  Action: [
    'ssm:UpdateInstanceInformation',
    'ssmmessages:CreateControlChannel',
    'ssmmessages:CreateDataChannel',
    'ssmmessages:OpenControlChannel',
    'ssmmessages:OpenDataChannel',
  ],
  Resource: '*',
};
