/**
 * Every planned input obeys what AWS's APIs and the Terraform AWS provider accept: the mocks
 * accept anything, so a value the real API refuses (an apostrophe in a security-group rule
 * description, a group name starting with `sg-`) only shows at `pulumi preview` or halfway
 * through the first `pulumi up`. The rules and their sources: policy/aws-constraints.ts.
 */
import { AWS_INPUT_RULES, checkInputs, CheckedResource, select, violation } from '../policy/aws-constraints';
import { stackConfig } from '../scripts/offline';
import { plan, planConfig } from './helpers/plan';

const show = (resources: CheckedResource[]) =>
  checkInputs(resources).map(
    (f) => `${f.urn.split('::').pop()} ${f.path} = ${JSON.stringify(f.value)}: ${f.problem} (${f.rule}; ${f.source})`,
  );

describe('AWS input constraints over the whole plan', () => {
  it('the dev stack plans no input AWS or the provider would refuse', async () => {
    const run = await plan();
    expect(show(run.resources.filter((r) => r.custom))).toEqual([]);
  });

  it('the prod stack plans no input AWS or the provider would refuse', async () => {
    const run = await planConfig(stackConfig('prod'), 'prod');
    expect(show(run.resources.filter((r) => r.custom))).toEqual([]);
  });

  it('the rules reach the free text of the plan: security-group rules, tags, alarms, descriptions', async () => {
    const run = await plan();
    const reached = new Set<string>();
    for (const r of run.resources)
      for (const rule of AWS_INPUT_RULES)
        if (rule.types === '*' || rule.types.includes(r.type))
          for (const path of rule.paths) if (select(r.inputs, path).length > 0) reached.add(rule.what);
    for (const what of [
      'security group description',
      'security group name',
      'security group rule description (inline rules are checked by the provider at preview)',
      'security group rule description (refused by AuthorizeSecurityGroupIngress/Egress at create)',
      'tag key',
      'tag value',
      'alarm name',
      'alarm description',
      'dashboard name',
      'KMS key description',
      'Lambda function description',
      'secret description',
      'web ACL description (no parentheses, no apostrophes)',
    ])
      expect(reached).toContain(what);
  });

  it('every rule names its source', () => {
    for (const rule of AWS_INPUT_RULES) expect(rule.source).toMatch(/https:\/\/|terraform-provider-aws/);
  });
});

describe('the checker refuses what AWS refuses', () => {
  const sg = (inputs: Record<string, unknown>): CheckedResource => ({
    urn: 'urn:pulumi:dev::tap::aws:ec2/securityGroup:SecurityGroup::sg',
    type: 'aws:ec2/securityGroup:SecurityGroup',
    inputs,
  });

  it("an apostrophe in an inline egress rule's description (the provider's validSecurityGroupRuleDescription)", () => {
    const findings = checkInputs([sg({ egress: [{ description: "the other region's journal" }] })]);
    expect(findings.map((f) => [f.path, f.problem])).toEqual([
      ['egress[0].description', `characters AWS refuses here: "'"`],
    ]);
  });

  it('a security group named sg-... (reserved for group IDs), as a name or a prefix', () => {
    expect(checkInputs([sg({ name: 'sg-db-use1-dev-1234567' })]).map((f) => f.problem)).toEqual([
      'starts with the reserved "sg-"',
    ]);
    expect(checkInputs([sg({ namePrefix: 'sg-db-use1-dev-' })]).map((f) => f.path)).toEqual(['namePrefix']);
    expect(checkInputs([sg({ namePrefix: 'security-group-db-use1-dev-' })])).toEqual([]);
  });

  it('tag keys: reserved aws: prefix, over 128 characters; tag values over 256 or with quotes', () => {
    const lambda = (tags: Record<string, string>): CheckedResource => ({
      urn: 'fn',
      type: 'aws:lambda/function:Function',
      inputs: { tags },
    });
    expect(checkInputs([lambda({ 'aws:owner': 'x' })]).map((f) => f.problem)).toEqual([
      'starts with the reserved "aws:"',
    ]);
    expect(checkInputs([lambda({ ['k'.repeat(129)]: 'x' })]).map((f) => f.problem)).toEqual([
      '129 characters, over the 128 allowed',
    ]);
    expect(checkInputs([lambda({ Owner: 'v'.repeat(257) })]).map((f) => f.problem)).toEqual([
      '257 characters, over the 256 allowed',
    ]);
    expect(checkInputs([lambda({ Owner: '"quoted"' })]).map((f) => f.path)).toEqual(['tags.Owner']);
    expect(checkInputs([lambda({ Owner: 'équipe trading @ desk-1' })])).toEqual([]);
  });

  it('dashboard names, bucket names, RDS identifiers, WAF descriptions and ARNs', () => {
    const one = (type: string, inputs: Record<string, unknown>) => checkInputs([{ urn: 'u', type, inputs }]);
    expect(one('aws:cloudwatch/dashboard:Dashboard', { dashboardName: 'platform dev' })).toHaveLength(1);
    expect(one('aws:s3/bucket:Bucket', { bucket: 'logs..dev' }).map((f) => f.problem)).toEqual([
      'two adjacent periods',
    ]);
    expect(one('aws:rds/cluster:Cluster', { clusterIdentifier: 'aurora--dev' })).toHaveLength(1);
    expect(one('aws:rds/cluster:Cluster', { clusterIdentifier: 'aurora-use1-dev-' })).toHaveLength(1);
    expect(one('aws:wafv2/webAcl:WebAcl', { description: 'ALB rules (managed)' })).toHaveLength(1);
    expect(one('aws:sns/topicSubscription:TopicSubscription', { topic: 'arn:aws:sns:us-east-1:1234:t' })).toHaveLength(
      1,
    );
    expect(
      one('aws:sns/topicSubscription:TopicSubscription', { topic: 'arn:aws:sns:us-east-1:123456789012:t' }),
    ).toEqual([]);
  });

  it('violation() reports length before characters, and nothing for a value inside the rule', () => {
    expect(violation('abc', { max: 2, pattern: /^[a]*$/ })).toBe('3 characters, over the 2 allowed');
    expect(violation('', { min: 1 })).toBe('shorter than 1 characters');
    expect(violation('a-b', { pattern: /^[a-z-]+$/, max: 3 })).toBeUndefined();
  });
});
