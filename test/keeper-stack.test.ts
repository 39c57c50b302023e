/**
 * The primary's keeper as deployed (lib/failover/keeper.ts): its arbiter a plain table in a third
 * region, its function in the primary on a one-minute schedule with the environment its own parser
 * accepts, least privilege (the book's writer item and the arbiter item, nothing else), the
 * orchestrator pointed at the same arbiter with the right to take it, and the keeper watched.
 */
import { keeperConfigFromEnv } from '../lambda/keeper/config';
import { configFromEnv } from '../lambda/orchestrator/config';
import { RecordedResource } from '../scripts/offline';
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const WEST = 'us-west-2';
const FN = 'aws:lambda/function:Function';
const ARBITER_ARN = 'arn:aws:dynamodb:us-west-2:123456789012:table/ddb-arbiter-usw2-dev';
const policyOf = (run: Awaited<ReturnType<typeof plan>>, role: string) =>
  JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', role).inputs.policy).Statement as any[];
const envOf = (fn: RecordedResource) => fn.inputs.environment.variables as Record<string, string>;

describe('the keeper and its arbiter', () => {
  it('the arbiter is a plain, on-demand, encrypted table in us-west-2 (no replica: a conditional write is exact only in one region)', async () => {
    const run = await plan();
    const table = named(run, 'aws:dynamodb/table:Table', 'ddb-arbiter-usw2-dev');
    expect(table.region).toBe(WEST);
    expect(table.inputs).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      serverSideEncryption: { enabled: true },
    });
    expect(table.inputs.replicas ?? []).toEqual([]);
    expect(table.inputs.attributes).toEqual([{ name: 'pk', type: 'S' }]);
  });

  it('runs in the primary every minute, never retried, with the environment its own parser accepts', async () => {
    const run = await plan();
    const fn = named(run, FN, 'fn-keeper-use1-dev');
    expect(fn.region).toBe(PRIMARY);
    expect(keeperConfigFromEnv({ ...envOf(fn), AWS_REGION: PRIMARY })).toMatchObject({
      region: PRIMARY,
      peer: SECONDARY,
      bookTable: 'ddb-order-book-dev',
      arbiter: { tableName: 'ddb-arbiter-usw2-dev', region: WEST },
    });
    const rule = named(run, 'aws:cloudwatch/eventRule:EventRule', 'fn-keeper-schedule-use1-dev');
    expect([rule.region, rule.inputs.scheduleExpression]).toEqual([PRIMARY, 'rate(1 minute)']);
    const retries = named(
      run,
      'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
      'fn-keeper-schedule-use1-dev',
    );
    expect(retries.inputs.maximumRetryAttempts).toBe(0);
  });

  it("may read, move and renew the book's writer item and hold the arbiter item, nothing else", async () => {
    const run = await plan();
    const statements = policyOf(run, 'role-fn-keeper-use1-dev').filter(
      (s) => !['WriteOwnLogs', 'XRayTracing'].includes(s.Sid) && !String(s.Sid).startsWith('UseTheBookKey'),
    );
    expect(statements).toEqual([
      {
        Sid: 'MoveTheBookWriter',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: [PRIMARY, SECONDARY].map((r) => `arn:aws:dynamodb:${r}:123456789012:table/ddb-order-book-dev`),
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['writer'] } },
      },
      {
        Sid: 'HoldTheRegionalLease',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: ARBITER_ARN,
      },
    ]);
    // The book's resource policy (a Deny to every other writer) admits the keeper's role.
    for (const p of ofType(run, 'aws:dynamodb/resourcePolicy:ResourcePolicy'))
      expect(p.inputs.policy).toContain(':role/role-fn-keeper-use1-dev');
  });

  it('the orchestrator takes the same arbiter before a takeover: in its environment and its policy', async () => {
    const run = await plan();
    const config = configFromEnv(envOf(named(run, FN, 'fn-failover-euw1-dev')));
    expect(config.arbiter).toEqual({ tableName: 'ddb-arbiter-usw2-dev', region: WEST });
    expect(policyOf(run, 'role-fn-failover-euw1-dev').find((s) => s.Sid === 'TakeTheArbiter')).toEqual({
      Sid: 'TakeTheArbiter',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      Resource: ARBITER_ARN,
    });
  });

  it('is watched in the primary: its errors (a failed action fails the invocation), throttles and duration', async () => {
    const run = await plan();
    const alarms = ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) =>
      a.name.startsWith('alarm-fn-keeper-'),
    );
    expect(alarms.map((a) => [a.name, a.region, a.inputs.dimensions?.FunctionName])).toEqual(
      ['errors', 'throttles', 'duration'].map((m) => [`alarm-fn-keeper-${m}-use1-dev`, PRIMARY, 'fn-keeper-use1-dev']),
    );
  });
});
