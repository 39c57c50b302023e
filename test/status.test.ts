/**
 * `npm run status`'s command line and its lag reads. Its report of a real region outage (the
 * real canaries, orchestrator and book on the drill's simulated AWS, read before the fault and
 * after the takeover) is checked in test/gameday-drill.test.ts, on the game day's outage: one
 * drill for both.
 */
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EXIT, main } from '../scripts/status';
import { lagTargets, readLags } from '../scripts/status/lag';

describe('the command line', () => {
  const lines: string[] = [];
  const out = (l: string) => lines.push(l);
  const never = {
    deps: () => {
      throw new Error('no AWS call expected');
    },
    cloudwatch: () => {
      throw new Error('no AWS call expected');
    },
  };

  it('refuses a missing --stack, and outputs without the orchestrator environment, before reading AWS', async () => {
    expect(await main([], out, never as never, () => ({}))).toBe(EXIT.usage);
    expect(await main(['--stack', 'old'], out, never as never, () => ({ apiName: 'x' }))).toBe(EXIT.unreadable);
    expect(lines.join('\n')).toMatch(/failoverOrchestratorEnvironment/);
    // An environment the orchestrator itself would refuse is refused the same way.
    expect(
      await main(['--stack', 'bad'], out, never as never, () => ({
        failoverOrchestratorEnvironment: { GLOBAL_CLUSTER_ID: 'g' },
        bookApplierFunctionNames: { 'us-east-1': 'fn' },
      })),
    ).toBe(EXIT.unreadable);
    expect(lines.join('\n')).toMatch(/status: invalid orchestrator environment: .*PRIMARY_CLUSTER_ARN/);
  });
});

it('reads the worst minute of each lag, and says when there is none or it cannot be read', async () => {
  const targets = lagTargets(
    ['arn:aws:rds:us-east-1:1:cluster:aurora-use1-dev', 'arn:aws:rds:eu-west-1:1:cluster:aurora-euw1-dev'],
    { 'eu-west-1': 'fn-book-applier-euw1-dev' },
  );
  const asked: unknown[] = [];
  const lags = await readLags(
    targets,
    (region) =>
      ({
        send: async (command: GetMetricDataCommand) => {
          asked.push([region, command.input.MetricDataQueries?.[0]?.MetricStat?.Metric]);
          if (region === 'us-east-1') throw new Error('AccessDenied');
          expect(command.input.ScanBy).toBe('TimestampDescending');
          const minute = (m: number) => new Date(`2026-12-05T11:5${m}:00Z`);
          return { MetricDataResults: [{ Values: [120, 950, 40], Timestamps: [minute(8), minute(7), minute(6)] }] };
        },
      }) as never,
    new Date('2026-12-05T12:00:00Z'),
  );
  expect(lags.map((l) => [l.region, l.worstMs ?? l.error])).toEqual([
    ['us-east-1', 'AccessDenied'],
    ['eu-west-1', 950],
    ['eu-west-1', 950],
  ]);
  // The newest minute first: what the game day's ledger watcher reads (scripts/gameday/watch.ts).
  expect(lags[2].latest).toEqual({ at: Date.parse('2026-12-05T11:58:00Z'), ms: 120 });
  expect(lags[0].latest).toBeUndefined();
  expect(asked).toContainEqual([
    'eu-west-1',
    {
      Namespace: 'AWS/RDS',
      MetricName: 'AuroraGlobalDBReplicationLag',
      Dimensions: [{ Name: 'DBClusterIdentifier', Value: 'aurora-euw1-dev' }],
    },
  ]);
  expect(asked).toContainEqual([
    'eu-west-1',
    {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: 'fn-book-applier-euw1-dev' }],
    },
  ]);
});
