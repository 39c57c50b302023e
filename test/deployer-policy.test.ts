/**
 * The deployer's IAM policy the repo ships (docs/deployer-policy.json) covers every service the
 * planned stacks create resources in, plus what the program reads while it plans: a resource
 * type whose service is missing would fail `pulumi up` with AccessDenied halfway through.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_DIR, stackConfig } from '../scripts/offline';
import { deployerPolicy, PLAN_TIME_READS, POLICY_STACKS, policyText, servicePrefix } from '../scripts/deployer-policy';
import { plan, planConfig } from './helpers/plan';

const shipped = fs.readFileSync(path.join(PROJECT_DIR, 'docs/deployer-policy.json'), 'utf8');
const actions = (doc: any): string[] => doc.Statement.flatMap((s: any) => s.Action);

describe('the deployer policy', () => {
  it('every AWS type planned for dev and prod has its service in the shipped policy, and the file is the generated one', async () => {
    const runs = await Promise.all(
      POLICY_STACKS.map((s) => (s === 'dev' ? plan() : planConfig(stackConfig(s, {}), s))),
    );
    const types = runs.flatMap((r) => r.resources.map((x) => x.type));
    const allowed = new Set(actions(JSON.parse(shipped)));
    const missing = [...new Set(types.filter((t) => t.startsWith('aws:')))].filter(
      (t) => !allowed.has(`${servicePrefix(t)}:*`),
    );
    expect(missing).toEqual([]);
    // Nothing more than the plans and the plan-time reads need (regenerate: scripts/deployer-policy.ts).
    expect(shipped).toBe(policyText(types));
  });

  it('covers the plan-time reads even with no resource in their service', () => {
    expect(actions(deployerPolicy([]))).toEqual(
      Object.keys(PLAN_TIME_READS)
        .sort()
        .map((p) => `${p}:*`),
    );
  });

  it('maps types to IAM prefixes, and refuses a module it does not know', () => {
    expect(servicePrefix('aws:lb/loadBalancer:LoadBalancer')).toBe('elasticloadbalancing');
    expect(servicePrefix('aws:cfg/recorder:Recorder')).toBe('config');
    expect(servicePrefix('aws:cloudwatch/logGroup:LogGroup')).toBe('logs');
    expect(servicePrefix('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')).toBe('ec2');
    expect(() => servicePrefix('aws:appmesh/mesh:Mesh')).toThrow(/no IAM service prefix known for aws:appmesh/);
  });
});
