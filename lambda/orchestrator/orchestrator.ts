/**
 * The failover orchestrator: turn a trigger (canary schedule, Route 53 alarm, operator request)
 * into at most one promotion of the secondary cluster, with every decision logged with its
 * evidence, a metric per outcome and an SNS notification on action or permission failure.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Clock, probeLoop, ProbeLoopResult, ProbeResult } from './canary';
import { clusterState, decide, Decision, GlobalClusterView, Trigger } from './decide';
import { withRetry } from './retry';

export interface OrchestratorConfig {
  readonly globalClusterId: string;
  readonly secondaryClusterArn: string;
  readonly probeIntervalMs: number;
  readonly probeFailures: number;
  readonly canaryWindowMs: number;
  readonly topicArn: string;
  readonly metricNamespace: string;
  readonly environment: string;
}

export interface OrchestratorDeps {
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly probe: () => Promise<ProbeResult>;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly config: OrchestratorConfig;
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export function configFromEnv(env: NodeJS.ProcessEnv): OrchestratorConfig {
  const required = [
    'GLOBAL_CLUSTER_ID',
    'SECONDARY_CLUSTER_ARN',
    'PROBE_INTERVAL_SECONDS',
    'PROBE_FAILURES',
    'CANARY_WINDOW_SECONDS',
    'TOPIC_ARN',
    'METRIC_NAMESPACE',
    'ENVIRONMENT',
  ];
  const missing = required.filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  return {
    globalClusterId: env.GLOBAL_CLUSTER_ID!,
    secondaryClusterArn: env.SECONDARY_CLUSTER_ARN!,
    probeIntervalMs: Number(env.PROBE_INTERVAL_SECONDS) * 1000,
    probeFailures: Number(env.PROBE_FAILURES),
    canaryWindowMs: Number(env.CANARY_WINDOW_SECONDS) * 1000,
    topicArn: env.TOPIC_ARN!,
    metricNamespace: env.METRIC_NAMESPACE!,
    environment: env.ENVIRONMENT!,
  };
}

/** What started this invocation; `undefined` for an alarm returning to OK (nothing to do). */
export function triggerOf(event: unknown): Trigger | undefined {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.source === 'canary') return 'canary';
  if (e.action === 'switchover') return 'switchover';
  const records = e.Records as { EventSource?: string; Sns?: { Message?: string } }[] | undefined;
  if (Array.isArray(records) && records[0]?.EventSource === 'aws:sns') {
    let message: { NewStateValue?: string };
    try {
      message = JSON.parse(records[0].Sns?.Message ?? '');
    } catch {
      throw new InvalidEventError('SNS message is not a CloudWatch alarm notification');
    }
    if (message.NewStateValue === 'ALARM') return 'alarm';
    if (message.NewStateValue === 'OK' || message.NewStateValue === 'INSUFFICIENT_DATA') return undefined;
    throw new InvalidEventError('SNS message is not a CloudWatch alarm notification');
  }
  throw new InvalidEventError('expected {"source":"canary"}, {"action":"switchover"} or an SNS alarm notification');
}

const PERMISSION_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
]);

export function isPermissionError(error: unknown): boolean {
  return PERMISSION_ERRORS.has((error as { name?: string })?.name ?? '');
}

export interface Outcome {
  readonly trigger: Trigger | 'ignored';
  readonly decision: Decision;
  readonly probes: ProbeLoopResult;
}

/** Consecutive failures carried across warm invocations of the canary. */
let carriedFailures = 0;

export function resetCarriedFailures(): void {
  carriedFailures = 0;
}

export async function handleEvent(event: unknown, deps: OrchestratorDeps): Promise<Outcome> {
  const { config, logger } = deps;
  const trigger = triggerOf(event);
  const noProbes: ProbeLoopResult = { results: [], consecutiveFailures: 0, confirmed: false };
  if (!trigger) {
    logger.info('alarm returned to OK; nothing to decide');
    return { trigger: 'ignored', decision: { action: 'none', reason: 'alarm cleared' }, probes: noProbes };
  }
  const retry = <T>(fn: () => Promise<T>) =>
    withRetry(fn, {
      attempts: 6,
      baseDelayMs: 200,
      sleep: deps.clock.sleep,
      onRetry: (attempt, e) => logger.warn('throttled; backing off', { attempt, error: String(e) }),
    });

  try {
    // A planned switchover needs no evidence of an outage; an alarm or the canary does: the
    // alarm is confirmed by our own probes, never trusted alone.
    const probes =
      trigger === 'switchover'
        ? noProbes
        : await probeLoop({
            probe: deps.probe,
            clock: deps.clock,
            intervalMs: config.probeIntervalMs,
            threshold: config.probeFailures,
            windowMs: trigger === 'alarm' ? config.probeIntervalMs * config.probeFailures : config.canaryWindowMs,
            carriedFailures: trigger === 'canary' ? carriedFailures : 0,
            stopOnSuccess: trigger === 'alarm',
          });
    if (trigger === 'canary') carriedFailures = probes.confirmed ? 0 : probes.consecutiveFailures;
    const failedProbes = probes.results.filter((r) => !r.ok).length;
    if (failedProbes > 0) await putMetric(deps, 'ProbeFailed', failedProbes, retry);

    let decision: Decision;
    if (trigger !== 'switchover' && !probes.confirmed) {
      // Nothing to do unless the primary is confirmed down: skip the RDS call entirely.
      decision = decide({
        trigger,
        state: 'primary-writer',
        consecutiveFailures: probes.consecutiveFailures,
        threshold: config.probeFailures,
      });
    } else {
      const described = await retry(() =>
        deps.rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: config.globalClusterId })),
      );
      const cluster = described.GlobalClusters?.[0];
      const view: GlobalClusterView | undefined = cluster && {
        status: cluster.Status,
        members: (cluster.GlobalClusterMembers ?? []).map((m) => ({ arn: m.DBClusterArn, isWriter: m.IsWriter })),
      };
      const state = clusterState(view, config.secondaryClusterArn);
      decision = decide({
        trigger,
        state,
        consecutiveFailures: probes.consecutiveFailures,
        threshold: config.probeFailures,
      });
    }
    logger.info('failover decision', {
      trigger,
      decision,
      evidence: { consecutiveFailures: probes.consecutiveFailures, probes: probes.results },
    });

    if (decision.action === 'failover') {
      await retry(() =>
        deps.rds.send(
          new FailoverGlobalClusterCommand({
            GlobalClusterIdentifier: config.globalClusterId,
            TargetDbClusterIdentifier: config.secondaryClusterArn,
            AllowDataLoss: true,
          }),
        ),
      );
    } else if (decision.action === 'switchover') {
      await retry(() =>
        deps.rds.send(
          new SwitchoverGlobalClusterCommand({
            GlobalClusterIdentifier: config.globalClusterId,
            TargetDbClusterIdentifier: config.secondaryClusterArn,
          }),
        ),
      );
    }
    if (decision.action !== 'none') {
      await putMetric(deps, 'FailoverInitiated', 1, retry);
      await notify(
        deps,
        `Aurora ${decision.action} initiated (${config.environment})`,
        { trigger, decision, evidence: probes.results },
        retry,
      );
      logger.warn(`${decision.action} initiated`, { decision });
    } else if (probes.confirmed) {
      await putMetric(deps, 'FailoverSkipped', 1, retry);
    }
    return { trigger, decision, probes };
  } catch (e) {
    if (isPermissionError(e)) {
      logger.error('permission denied: the orchestrator cannot act', { error: String(e) });
      // Best effort: surface it even if these calls are denied too; the Lambda error alarm remains.
      await putMetric(deps, 'PermissionError', 1, retry).catch(() => undefined);
      await notify(
        deps,
        `Failover orchestrator permission error (${config.environment})`,
        { error: String(e) },
        retry,
      ).catch(() => undefined);
    }
    throw e;
  }
}

type Retry = <T>(fn: () => Promise<T>) => Promise<T>;

async function putMetric(deps: OrchestratorDeps, name: string, value: number, retry: Retry): Promise<void> {
  await retry(() =>
    deps.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: deps.config.metricNamespace,
        MetricData: [
          {
            MetricName: name,
            Value: value,
            Unit: 'Count',
            Dimensions: [{ Name: 'Environment', Value: deps.config.environment }],
          },
        ],
      }),
    ),
  );
}

async function notify(deps: OrchestratorDeps, subject: string, detail: unknown, retry: Retry): Promise<void> {
  await retry(() =>
    deps.sns.send(
      new PublishCommand({
        TopicArn: deps.config.topicArn,
        Subject: subject.slice(0, 100),
        Message: JSON.stringify(detail, null, 2),
      }),
    ),
  );
}
