import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * The physical name of a security group. EC2 refuses group names that start with `sg-` (the
 * prefix of group IDs): CreateSecurityGroup, GroupName "Can't start with sg-"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html), and the
 * provider checks it at preview: terraform-provider-aws internal/service/ec2
 * (resource aws_security_group, `name` and `name_prefix`:
 * `validation.StringDoesNotMatch(^sg-, "cannot begin with sg-")`).
 *
 * The logical names keep their `sg-` kind (URNs unchanged); the physical name spells it out and
 * is a prefix the provider completes with a unique suffix, so a replacement is still created
 * beside the group it replaces. pulumi-aws skips its own auto-name when `namePrefix` is set
 * (the two conflict in the provider's schema; pulumi/pulumi-aws#143).
 */
export function securityGroupName(logicalName: string): { namePrefix: string } {
  return { namePrefix: `${logicalName.replace(/^sg-/, 'security-group-')}-` };
}

/** A VPC security group named and tagged after its logical name (see securityGroupName). */
export function namedSecurityGroup(
  logicalName: string,
  args: Omit<aws.ec2.SecurityGroupArgs, 'name' | 'namePrefix' | 'tags'>,
  opts?: pulumi.CustomResourceOptions,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    logicalName,
    { ...securityGroupName(logicalName), ...args, tags: { Name: logicalName } },
    opts,
  );
}
