/**
 * Destroy in one run despite Global Accelerator's leftovers. With client IP preservation on an
 * ALB endpoint, Global Accelerator creates its own network interfaces in the ALB's subnets and
 * one security group named `GlobalAccelerator` per VPC (aws-cdk's AcceleratorSecurityGroupPeer:
 * "Global Accelerators (AGA) create a single security group per VPC ... The security group name is
 * always 'GlobalAccelerator'", aws/aws-cdk#9358; "Global Accelerator creates elastic network
 * interfaces in your AWS account, one for each subnet where an endpoint is present",
 * https://docs.aws.amazon.com/global-accelerator/latest/dg/about-endpoints.sipp-caveats.html).
 * Neither is a resource of this stack: after the endpoint group is gone they stay, and the VPC
 * delete fails with DependencyViolation (terraform-provider-aws#11476: "tearing down the VPC
 * causes AWS to throw error Error deleting VPC: DependencyViolation"). Neither the provider's
 * endpoint group nor its VPC delete removes them.
 *
 * So each region gets a command that runs only on delete, ordered by its dependencies: the
 * endpoint group depends on it (deleted first), and it depends on the VPC and the ALB's subnets
 * (deleted after it). It waits until no interface uses the group (Global Accelerator releases
 * them once the endpoint is gone; how fast is not documented, hence the bounded wait), then
 * deletes the group. No group (client IP preservation never made one): nothing to do.
 */
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';

/** The name Global Accelerator gives the security group it creates in an endpoint's VPC. */
export const ACCELERATOR_SECURITY_GROUP = 'GlobalAccelerator';

/** How long the delete waits for Global Accelerator's interfaces to go: attempts x seconds. */
export const CLEANUP_WAIT = { attempts: 90, intervalSeconds: 10 } as const;

/**
 * The delete command (POSIX sh, AWS CLI v2 with the credentials `pulumi destroy` runs with).
 * Reads REGION, VPC_ID, ATTEMPTS and INTERVAL from its environment.
 */
export const CLEANUP_SCRIPT = [
  'set -eu',
  `sg=$(aws ec2 describe-security-groups --region "$REGION" --filters "Name=vpc-id,Values=$VPC_ID" "Name=group-name,Values=${ACCELERATOR_SECURITY_GROUP}" --query 'SecurityGroups[0].GroupId' --output text)`,
  'if [ -z "$sg" ] || [ "$sg" = "None" ]; then echo "no Global Accelerator security group in $VPC_ID"; exit 0; fi',
  'i=0',
  `while [ "$(aws ec2 describe-network-interfaces --region "$REGION" --filters "Name=group-id,Values=$sg" --query 'length(NetworkInterfaces)' --output text)" != "0" ]; do`,
  '  i=$((i + 1))',
  '  if [ "$i" -gt "$ATTEMPTS" ]; then echo "Global Accelerator still has network interfaces in $sg ($VPC_ID): run pulumi destroy again later" >&2; exit 1; fi',
  '  sleep "$INTERVAL"',
  'done',
  'aws ec2 delete-security-group --region "$REGION" --group-id "$sg"',
  'echo "deleted $sg (Global Accelerator security group of $VPC_ID)"',
].join('\n');

export interface AcceleratorCleanupArgs {
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** The subnets the ALB endpoint is in (where Global Accelerator puts its interfaces). */
  readonly subnetIds: readonly pulumi.Input<string>[];
}

/**
 * The region's cleanup command; make the endpoint group depend on it. The subnet ids are part
 * of its environment so it depends on them (deleted before them), not only on the VPC.
 */
export function acceleratorCleanup(
  name: string,
  args: AcceleratorCleanupArgs,
  opts: pulumi.CustomResourceOptions,
): command.local.Command {
  return new command.local.Command(
    name,
    {
      delete: CLEANUP_SCRIPT,
      interpreter: ['/bin/sh', '-c'],
      environment: {
        REGION: args.region,
        VPC_ID: args.vpcId,
        SUBNET_IDS: pulumi.all([...args.subnetIds]).apply((ids) => ids.join(',')),
        ATTEMPTS: String(CLEANUP_WAIT.attempts),
        INTERVAL: String(CLEANUP_WAIT.intervalSeconds),
      },
    },
    opts,
  );
}
