import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Clock, probeLoop, ProbeResult } from '../../lambda/orchestrator/canary';
import { clusterState, decide } from '../../lambda/orchestrator/decide';
import {
  handleEvent,
  InvalidEventError,
  OrchestratorConfig,
  resetCarriedFailures,
} from '../../lambda/orchestrator/orchestrator';
import { isThrottling, withRetry } from '../../lambda/orchestrator/retry';

const PRIMARY = 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev';
const SECONDARY = 'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev';

/** A clock that advances only when slept on: 60 s windows run instantly and exactly. */
class FakeClock implements Clock {
  t = 1_000_000;
  sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

const config: OrchestratorConfig = {
  globalClusterId: 'aurora-global-dev',
  secondaryClusterArn: SECONDARY,
  probeIntervalMs: 10_000,
  probeFailures: 3,
  canaryWindowMs: 60_000,
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:sns-failover-euw1-dev',
  metricNamespace: 'TAP/Failover',
  environment: 'dev',
};

const rds = new RDSClient({ region: 'eu-west-1' });
const cloudwatch = new CloudWatchClient({ region: 'eu-west-1' });
const sns = new SNSClient({ region: 'eu-west-1' });
const rdsMock = mockClient(rds);
const cwMock = mockClient(cloudwatch);
const snsMock = mockClient(sns);
const logs: { level: string; message: string; detail?: unknown }[] = [];
const record =
  (level: string) =>
  (message: unknown, ...detail: unknown[]): void => {
    logs.push({ level, message: String(message), detail: detail[0] });
  };
const logger = { info: record('info'), warn: record('warn'), error: record('error') };

/** Probe outcomes in order (true = healthy); repeats the last one when exhausted. */
function probes(clock: FakeClock, outcomes: boolean[]) {
  let i = 0;
  return async (): Promise<ProbeResult> => {
    const ok = outcomes[Math.min(i++, outcomes.length - 1)];
    return { at: clock.now(), ok, status: ok ? 200 : undefined, error: ok ? undefined : 'timeout' };
  };
}

function globalCluster(writer: string, status = 'available') {
  rdsMock.on(DescribeGlobalClustersCommand).resolves({
    GlobalClusters: [
      {
        GlobalClusterIdentifier: 'aurora-global-dev',
        Status: status,
        GlobalClusterMembers: [
          { DBClusterArn: PRIMARY, IsWriter: writer === PRIMARY },
          { DBClusterArn: SECONDARY, IsWriter: writer === SECONDARY },
        ],
      },
    ],
  });
}

function run(event: unknown, outcomes: boolean[], clock = new FakeClock()) {
  return handleEvent(event, { rds, cloudwatch, sns, probe: probes(clock, outcomes), clock, logger, config });
}

const metrics = () => cwMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData![0].MetricName);
const failovers = () => rdsMock.commandCalls(FailoverGlobalClusterCommand);

beforeEach(() => {
  rdsMock.reset();
  cwMock.reset();
  snsMock.reset();
  cwMock.on(PutMetricDataCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  rdsMock.on(FailoverGlobalClusterCommand).resolves({});
  logs.length = 0;
  resetCarriedFailures();
  globalCluster(PRIMARY);
});

describe('canary', () => {
  it('healthy primary: probes every 10 s for the window, never calls RDS', async () => {
    const clock = new FakeClock();
    const outcome = await run({ source: 'canary' }, [true], clock);
    expect(outcome.decision).toEqual({ action: 'none', reason: 'primary healthy' });
    expect(outcome.probes.results).toHaveLength(6);
    expect(outcome.probes.results.map((r) => r.at - 1_000_000)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(rdsMock.calls()).toHaveLength(0);
    expect(metrics()).toEqual([]);
  });

  it('transient blips below the threshold never promote', async () => {
    const outcome = await run({ source: 'canary' }, [false, false, true, false, true, false]);
    expect(outcome.decision.action).toBe('none');
    expect(failovers()).toHaveLength(0);
    expect(metrics()).toEqual(['ProbeFailed']);
    expect(cwMock.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData![0].Value).toBe(4);
  });

  it('sustained outage: exactly one failover call, with data loss allowed, to the secondary', async () => {
    const outcome = await run({ source: 'canary' }, [true, false, false, false, false]);
    expect(outcome.decision).toEqual({
      action: 'failover',
      reason: 'primary failed 3 consecutive probes (threshold 3)',
    });
    expect(outcome.probes.results).toHaveLength(4);
    expect(failovers()).toHaveLength(1);
    expect(failovers()[0].args[0].input).toEqual({
      GlobalClusterIdentifier: 'aurora-global-dev',
      TargetDbClusterIdentifier: SECONDARY,
      AllowDataLoss: true,
    });
    expect(metrics()).toEqual(['ProbeFailed', 'FailoverInitiated']);
    expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe('Aurora failover initiated (dev)');
    expect(logs.find((l) => l.message === 'failover decision')?.detail).toMatchObject({
      trigger: 'canary',
      evidence: { consecutiveFailures: 3 },
    });
  });

  it('counts consecutive failures across windows of a warm environment', async () => {
    // Two failures at the end of one window, one at the start of the next: three in a row.
    const first = await run({ source: 'canary' }, [true, true, true, true, false, false]);
    expect(first.decision.action).toBe('none');
    const second = await run({ source: 'canary' }, [false, true]);
    expect(second.decision.action).toBe('failover');
    expect(failovers()).toHaveLength(1);
  });

  it('already promoted: no second failover', async () => {
    globalCluster(SECONDARY);
    const outcome = await run({ source: 'canary' }, [false]);
    expect(outcome.decision).toEqual({ action: 'none', reason: 'secondary is already the writer (promotion done)' });
    expect(failovers()).toHaveLength(0);
    expect(metrics()).toEqual(['ProbeFailed', 'FailoverSkipped']);
  });

  it('promotion in progress: waits, does not call failover again', async () => {
    globalCluster(PRIMARY, 'failing-over');
    const outcome = await run({ source: 'canary' }, [false]);
    expect(outcome.decision.reason).toBe('a failover or switchover is already in progress');
    expect(failovers()).toHaveLength(0);
  });

  it('throttling is retried with backoff, then succeeds with a single failover', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    rdsMock.on(FailoverGlobalClusterCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({});
    const clock = new FakeClock();
    const outcome = await run({ source: 'canary' }, [false], clock);
    expect(outcome.decision.action).toBe('failover');
    expect(failovers()).toHaveLength(3);
    expect(logs.filter((l) => l.message === 'throttled; backing off')).toHaveLength(2);
  });

  it('access denied: logged, alarmed metric, operators notified, and the invocation fails', async () => {
    rdsMock
      .on(FailoverGlobalClusterCommand)
      .rejects(Object.assign(new Error('not authorized to rds:FailoverGlobalCluster'), { name: 'AccessDenied' }));
    await expect(run({ source: 'canary' }, [false])).rejects.toThrow(/not authorized/);
    expect(metrics()).toContain('PermissionError');
    expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.Subject).toMatch(/permission error/);
    expect(logs.some((l) => l.level === 'error' && /permission denied/.test(l.message))).toBe(true);
  });
});

describe('alarm and operator triggers', () => {
  const alarm = (state: string) => ({
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: { Message: JSON.stringify({ AlarmName: 'alarm-primary-down-use1-dev', NewStateValue: state }) },
      },
    ],
  });

  it('a Route 53 alarm alone never promotes: the primary answering our probe stops it', async () => {
    const outcome = await run(alarm('ALARM'), [true]);
    expect(outcome.decision.action).toBe('none');
    expect(outcome.probes.results).toHaveLength(1);
    expect(failovers()).toHaveLength(0);
  });

  it('an alarm confirmed by consecutive failed probes promotes once', async () => {
    const outcome = await run(alarm('ALARM'), [false]);
    expect(outcome.trigger).toBe('alarm');
    expect(outcome.decision.action).toBe('failover');
    expect(failovers()).toHaveLength(1);
  });

  it('an alarm returning to OK does nothing', async () => {
    const outcome = await run(alarm('OK'), [false]);
    expect(outcome.trigger).toBe('ignored');
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('a planned switchover uses SwitchoverGlobalCluster (no data loss)', async () => {
    rdsMock.on(SwitchoverGlobalClusterCommand).resolves({});
    const outcome = await run({ action: 'switchover' }, [true]);
    expect(outcome.decision.action).toBe('switchover');
    expect(rdsMock.commandCalls(SwitchoverGlobalClusterCommand)[0].args[0].input).toEqual({
      GlobalClusterIdentifier: 'aurora-global-dev',
      TargetDbClusterIdentifier: SECONDARY,
    });
    expect(failovers()).toHaveLength(0);
  });

  it('an unknown event is rejected with a clear error and no AWS call', async () => {
    await expect(run({ hello: 'world' }, [false])).rejects.toThrow(InvalidEventError);
    await expect(run({ Records: [{ EventSource: 'aws:sns', Sns: { Message: 'not json' } }] }, [false])).rejects.toThrow(
      /not a CloudWatch alarm/,
    );
    expect(rdsMock.calls()).toHaveLength(0);
    expect(cwMock.calls()).toHaveLength(0);
  });
});

describe('pure pieces', () => {
  it('clusterState reads writer membership and status', () => {
    expect(clusterState(undefined, SECONDARY)).toBe('unknown');
    expect(clusterState({ status: 'available', members: [{ arn: PRIMARY, isWriter: true }] }, SECONDARY)).toBe(
      'primary-writer',
    );
    expect(clusterState({ status: 'available', members: [{ arn: SECONDARY, isWriter: true }] }, SECONDARY)).toBe(
      'secondary-writer',
    );
    expect(clusterState({ status: 'switching-over', members: [] }, SECONDARY)).toBe('in-progress');
  });

  it('decide never promotes a healthy primary or acts blind', () => {
    expect(decide({ trigger: 'canary', state: 'primary-writer', consecutiveFailures: 2, threshold: 3 }).action).toBe(
      'none',
    );
    expect(decide({ trigger: 'canary', state: 'unknown', consecutiveFailures: 9, threshold: 3 }).action).toBe('none');
    expect(decide({ trigger: 'canary', state: 'primary-writer', consecutiveFailures: 3, threshold: 3 }).action).toBe(
      'failover',
    );
  });

  it('probeLoop stops at the window and keeps the interval', async () => {
    const clock = new FakeClock();
    const result = await probeLoop({
      probe: probes(clock, [true]),
      clock,
      intervalMs: 10_000,
      threshold: 3,
      windowMs: 30_000,
    });
    expect(result.results).toHaveLength(3);
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });

  it('withRetry retries throttling only, up to the attempt limit', async () => {
    const sleep = jest.fn(async () => undefined);
    const throttle = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    let calls = 0;
    await expect(
      withRetry(async () => ((calls += 1), Promise.reject(throttle)), {
        attempts: 4,
        baseDelayMs: 100,
        sleep,
        random: () => 1,
      }),
    ).rejects.toBe(throttle);
    expect(calls).toBe(4);
    expect(sleep.mock.calls.map((c) => (c as unknown[])[0])).toEqual([100, 200, 400]);
    await expect(
      withRetry(async () => Promise.reject(new Error('boom')), { attempts: 4, baseDelayMs: 100, sleep }),
    ).rejects.toThrow('boom');
    expect(isThrottling({ $retryable: { throttling: true } })).toBe(true);
  });
});
