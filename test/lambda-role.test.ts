/**
 * Lambda execution roles hold scoped inline statements, no AWS managed policy (issue 25 item 7):
 * AWSLambdaVPCAccessExecutionRole also grants log writes to every log group in the account,
 * those whose metric filters feed alarms included.
 */
import { LAMBDA_VPC_ENI_STATEMENT } from '../lib/security/iam';
import { ofType, plan } from './helpers/plan';

describe('Lambda execution roles', () => {
  it('no managed policy; a VPC function’s role may manage network interfaces and write its own log group only', async () => {
    const run = await plan();
    const functions = ofType(run, 'aws:lambda/function:Function');
    expect(functions.filter((f) => f.inputs.vpcConfig).length).toBeGreaterThan(0);
    for (const fn of functions) {
      const role = ofType(run, 'aws:iam/role:Role').find((r) => String(fn.inputs.role).endsWith(`/${r.inputs.name}`))!;
      expect([fn.name, role.inputs.managedPolicyArns ?? []]).toEqual([fn.name, []]);
      expect(
        ofType(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) =>
          [role.inputs.name, `${role.name}-id`].includes(a.inputs.role),
        ),
      ).toEqual([]);
      const statements = ofType(run, 'aws:iam/rolePolicy:RolePolicy')
        .filter((p) => [role.inputs.name, `${role.name}-id`].includes(p.inputs.role))
        .flatMap((p) => JSON.parse(p.inputs.policy).Statement);
      const logWrites = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('logs:')));
      // Its own group's ARN (the mocks name an ARN after the resource), never '*' or another group's.
      const group = ofType(run, 'aws:cloudwatch/logGroup:LogGroup').find(
        (g) => g.inputs.name === fn.inputs.loggingConfig.logGroup,
      )!;
      for (const s of logWrites)
        for (const resource of [s.Resource].flat())
          expect([fn.name, resource]).toEqual([fn.name, expect.stringMatching(new RegExp(`/${group.name}:\\*$`))]);
      const eni = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('ec2:')));
      expect([fn.name, eni]).toEqual([
        fn.name,
        fn.inputs.vpcConfig ? [{ Effect: 'Allow', ...LAMBDA_VPC_ENI_STATEMENT }] : [],
      ]);
    }
  });
});
