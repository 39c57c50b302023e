/**
 * `pulumi destroy` in one run: Global Accelerator leaves a `GlobalAccelerator` security group
 * (and, for a while, network interfaces) in each ALB's VPC after its endpoint group is deleted,
 * and the VPC delete then fails with DependencyViolation (terraform-provider-aws#11476). Each
 * region has a delete-time command ordered between the two: the endpoint group depends on it,
 * it depends on the VPC and the ALB's subnets. Pulumi deletes dependents before what they
 * depend on, so the order is endpoint group -> cleanup -> subnets and VPC.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ACCELERATOR_SECURITY_GROUP, CLEANUP_SCRIPT } from '../lib/traffic/accelerator-cleanup';
import { ofType, plan } from './helpers/plan';

const idOf = (name: string) => `${name}-id`;

describe('the planned order', () => {
  it('each region: endpoint group depends on the cleanup, the cleanup on the VPC and every subnet the ALB is in', async () => {
    const run = await plan();
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const cleanups = ofType(run, 'command:local:Command');
    expect(cleanups.map((c) => c.inputs.environment.REGION).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const cleanup of cleanups) {
      const region = cleanup.inputs.environment.REGION as string;
      const [vpc] = ofType(run, 'aws:ec2/vpc:Vpc', region);
      const [alb] = ofType(run, 'aws:lb/loadBalancer:LoadBalancer', region);
      const albSubnets = ofType(run, 'aws:ec2/subnet:Subnet', region).filter((s) =>
        (alb.inputs.subnets as string[]).includes(idOf(s.name)),
      );
      expect(albSubnets.length).toBe((alb.inputs.subnets as string[]).length);
      expect(cleanup.inputs.environment.VPC_ID).toBe(idOf(vpc.name));
      expect(cleanup.inputs.delete).toBe(CLEANUP_SCRIPT);
      // Deleted before the VPC and the ALB's subnets ...
      for (const dependency of [vpc, ...albSubnets]) expect(cleanup.dependsOn).toContain(dependency.urn);
      // ... and after the region's endpoint group.
      const [group] = ofType(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup').filter(
        (g) => g.inputs.endpointGroupRegion === region,
      );
      expect(group.dependsOn).toContain(cleanup.urn);
      // It runs where pulumi runs, through an explicit provider (default providers are off).
      expect(byUrn.get(cleanup.provider!.split('::').slice(0, -1).join('::'))?.type).toBe('pulumi:providers:command');
    }
  });
});

/** A fake `aws` on PATH: logs each call, answers from the scenario's files. */
function fakeAws(scenario: { group: string; interfaceCounts: string[] }): { dir: string; log: () => string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-aws-'));
  fs.writeFileSync(path.join(dir, 'counts'), scenario.interfaceCounts.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'aws'),
    `#!/bin/sh
echo "$*" >> "${dir}/log"
case "$2" in
  describe-security-groups) echo "${scenario.group}" ;;
  describe-network-interfaces) head -n 1 "${dir}/counts"; tail -n +2 "${dir}/counts" > "${dir}/rest"; [ -s "${dir}/rest" ] && mv "${dir}/rest" "${dir}/counts" ;;
  delete-security-group) ;;
esac
`,
    { mode: 0o755 },
  );
  return { dir, log: () => fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n') };
}

function runCleanup(dir: string, attempts = 5) {
  return spawnSync('/bin/sh', ['-c', CLEANUP_SCRIPT], {
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      REGION: 'us-east-1',
      VPC_ID: 'vpc-0abc',
      ATTEMPTS: String(attempts),
      INTERVAL: '0',
    },
    encoding: 'utf8',
  });
}

describe('the delete command (run with a fake AWS CLI)', () => {
  it('waits until no interface uses the accelerator’s group in this VPC, then deletes the group', () => {
    const aws = fakeAws({ group: 'sg-0ga', interfaceCounts: ['2', '1', '0'] });
    const result = runCleanup(aws.dir);
    expect(result.status).toBe(0);
    const calls = aws.log();
    expect(calls[0]).toBe(
      `ec2 describe-security-groups --region us-east-1 --filters Name=vpc-id,Values=vpc-0abc Name=group-name,Values=${ACCELERATOR_SECURITY_GROUP} --query SecurityGroups[0].GroupId --output text`,
    );
    expect(calls.filter((c) => c.startsWith('ec2 describe-network-interfaces'))).toHaveLength(3);
    expect(calls.at(-1)).toBe('ec2 delete-security-group --region us-east-1 --group-id sg-0ga');
  });

  it('does nothing where the accelerator made no group', () => {
    const aws = fakeAws({ group: 'None', interfaceCounts: ['0'] });
    const result = runCleanup(aws.dir);
    expect(result.status).toBe(0);
    expect(aws.log()).toHaveLength(1);
  });

  it('gives up after its attempts with a message, deleting nothing (the next destroy retries)', () => {
    const aws = fakeAws({ group: 'sg-0ga', interfaceCounts: ['1'] });
    const result = runCleanup(aws.dir, 2);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /still has network interfaces in sg-0ga \(vpc-0abc\): run pulumi destroy again later/,
    );
    expect(aws.log().some((c) => c.includes('delete-security-group'))).toBe(false);
  });
});
