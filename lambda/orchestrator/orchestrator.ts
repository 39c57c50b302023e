/**
 * Kept whole for now (444 lines): issue 23 rewrites this control loop (branch wip/gate-and-model); it is split along its decide/act seams when that lands.
 *
 * The failover orchestrator. It reads the canaries' evidence from the shared store, asks the
 * gate, and when the gate opens on a global cluster it fully understands, it takes the lease,
 * fences traffic through Global Accelerator, records what it changed and calls
 * FailoverGlobalCluster, at most once however many invocations race. Every decision is logged
 * with its evidence. Operators can switch over, fail back (a switchover that restores the dials)
 * and, in approval mode, approve a promotion. All dependencies come in, so tests and the offline
 * drill run this code against fakes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  DescribeDBClustersCommand,
  DescribeEventsCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RDSClient,
  SwitchoverGlobalClusterCommand,
} from '@aws-sdk/client-rds';
import { DescribeEndpointGroupCommand } from '@aws-sdk/client-global-accelerator';
import { GetHealthCheckStatusCommand, Route53Client } from '@aws-sdk/client-route-53';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Clock } from './clock';
import type { OrchestratorConfig } from './config';
import {
  Action,
  decideOperatorRequest,
  decidePromotion,
  decideReconcile,
  decideWriterMove,
  FenceState,
} from './decide';
import {
  AcceleratorReading,
  acceleratorReading,
  evaluateGate,
  evidenceHorizon,
  FailoverRecordReading,
  failoverRecordReading,
  GateVerdict,
  ProbeRecord,
  Route53Reading,
  route53Reading,
} from './gate';
import { ClusterReading, readGlobalCluster } from './global-cluster';
import type { BookWriter, OrderBookControl } from './order-book';
import { clusterIdentifierOf, DatabaseEvidence, PrimaryDatabaseReading, readPrimaryDatabase } from './primary-database';
import type { EvidenceStore, FenceRecord } from './store';
import { ACTION_BUDGET_SECONDS, gateSettings, LOOP_WINDOW_SECONDS } from './timing';
import { AcceleratorApi, fenceTraffic, restoreTraffic } from './traffic';

export interface OrchestratorDeps {
  readonly config: OrchestratorConfig;
  readonly clock: Clock;
  readonly store: EvidenceStore;
  readonly rds: Pick<RDSClient, 'send'>;
  /**
   * RDS through the primary region's (us-east-1) API, one short attempt: the primary cluster's
   * status and recent events, read before any AllowDataLoss promotion.
   */
  readonly primaryRds: Pick<RDSClient, 'send'>;
  /** DNS: the CNAME answers for a name (the failover record); absent, the record is not read. */
  readonly resolveCname?: (name: string) => Promise<string[]>;
  /** The order book's control item: the fast path moves its writer. */
  readonly book?: OrderBookControl;
  /** Global Accelerator, through its us-west-2 API. */
  readonly ga: AcceleratorApi;
  /** Route 53 (served from us-east-1): optional, and unreadable is fine. */
  readonly route53?: Pick<Route53Client, 'send'>;
  readonly sns: Pick<SNSClient, 'send'>;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Time left in this invocation (the Lambda context); unbounded when absent. */
  readonly remainingMs?: () => number;
  /** Owner id for the lease; a fresh UUID by default. */
  readonly newOwnerId?: () => string;
}

export class InvalidEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

export type Trigger = 'schedule' | 'alarm' | 'approve-failover' | 'switchover' | 'failback';

/** What started this invocation; `undefined` for an alarm returning to OK (nothing to do). */
export function triggerOf(event: unknown): Trigger | undefined {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.source === 'schedule') return 'schedule';
  if (e.action === 'approve-failover' || e.action === 'switchover' || e.action === 'failback') return e.action;
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
  throw new InvalidEventError(
    'expected {"source":"schedule"}, {"action":"approve-failover"|"switchover"|"failback"} or an SNS alarm notification',
  );
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

/**
 * FailoverGlobalCluster's own refusals (RDS API reference, FailoverGlobalCluster "Errors"): the
 * request was understood and not carried out, so nothing changed. A timeout or a connection error
 * is not one: the call may have been accepted.
 */
const REFUSALS = new Set([
  'InvalidGlobalClusterStateFault',
  'InvalidDBClusterStateFault',
  'GlobalClusterNotFoundFault',
  'DBClusterNotFoundFault',
]);

export function isRefusal(error: unknown): boolean {
  return REFUSALS.has((error as { name?: string })?.name ?? '');
}

const errorText = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** A Route 53 checker report older than this is not current (three 30 s check intervals). */
export const ROUTE53_OBSERVATION_MAX_AGE_MS = 90_000;

/** Events read before a promotion: the recovery window plus this much before it. */
export const EVENT_LOOKBACK_MINUTES = 10;

/** One notice per incident: the same report or approval request is not sent again within this. */
export const NOTICE_INTERVAL_MS = 3600_000;

export interface Outcome {
  readonly trigger: Trigger | 'ignored';
  /** Every decision taken in this invocation, in order. */
  readonly actions: readonly Action[];
}

export async function handleEvent(event: unknown, deps: OrchestratorDeps): Promise<Outcome> {
  const trigger = triggerOf(event);
  if (!trigger) {
    deps.logger.info('alarm returned to OK; nothing to decide');
    return { trigger: 'ignored', actions: [] };
  }
  const remaining = deps.remainingMs?.();
  if (remaining !== undefined && deps.config.leaseMs <= remaining) {
    throw new Error(
      `LEASE_SECONDS (${deps.config.leaseMs / 1000}) must exceed the function timeout (${Math.ceil(remaining / 1000)} s) ` +
        'or two invocations could both promote',
    );
  }
  const run = new Run(deps, trigger);
  try {
    switch (trigger) {
      case 'schedule':
        return { trigger, actions: await run.scheduled() };
      case 'alarm':
        return { trigger, actions: [await run.evaluate(false)] };
      case 'approve-failover':
        return { trigger, actions: [await run.evaluate(true)] };
      case 'switchover':
      case 'failback':
        return { trigger, actions: [await run.operatorRequest(trigger)] };
    }
  } catch (e) {
    if (isPermissionError(e)) {
      deps.logger.error('permission denied: the orchestrator cannot act', { trigger, error: errorText(e) });
      deps.metrics.addMetric('PermissionError', MetricUnit.Count, 1);
      await run.notify(`Failover orchestrator permission error (${deps.config.environment})`, { error: errorText(e) });
    }
    throw e;
  }
}

/** One invocation's work; holds its trigger and lease owner id. */
class Run {
  private readonly owner: string;
  private readonly leaseName: string;

  constructor(
    private readonly deps: OrchestratorDeps,
    private readonly trigger: Trigger,
  ) {
    this.owner = (deps.newOwnerId ?? randomUUID)();
    this.leaseName = `promotion#${deps.config.globalClusterId}`;
  }

  private get fenceName(): string {
    return this.deps.config.globalClusterId;
  }

  /** Reconcile traffic with the writer once, then evaluate the gate every probe interval for a minute. */
  async scheduled(): Promise<Action[]> {
    const { clock, config, remainingMs } = this.deps;
    const start = clock.now();
    const actions = [await this.reconcile()];
    if (actions[0].kind !== 'none') return actions;
    for (let n = 0; ; n++) {
      const at = start + n * config.probeIntervalSeconds * 1000;
      if (at - start >= LOOP_WINDOW_SECONDS * 1000) break;
      const wait = Math.max(0, at - clock.now());
      // Never start an evaluation that could be cut off while acting.
      if (remainingMs && remainingMs() - wait < ACTION_BUDGET_SECONDS * 1000) break;
      await clock.sleep(wait);
      const action = await this.evaluate(false);
      actions.push(action);
      // Moving the book's writer is not the end of an incident: the database decision follows.
      if (action.kind !== 'none' && action.kind !== 'move-writer' && action.kind !== 'hold') break;
    }
    return actions;
  }

  /** Read the evidence, ask the gate, and act on its verdict: the book's writer first, then the database. */
  async evaluate(approved: boolean): Promise<Action> {
    const { clock, config, store, logger, metrics } = this.deps;
    const now = clock.now();
    const settings = gateSettings(
      {
        failoverProbeIntervalSeconds: config.probeIntervalSeconds,
        failoverRecoveryWindowSeconds: config.recoveryWindowSeconds,
        failoverFastWindowSeconds: config.fastWindowSeconds,
      },
      config.vantages,
    );
    let probes: ProbeRecord[];
    try {
      probes = await store.probesSince(config.primaryRegion, evidenceHorizon(now, settings));
    } catch (e) {
      if (isPermissionError(e)) throw e;
      metrics.addMetric('EvidenceUnreadable', MetricUnit.Count, 1);
      const action: Action = { kind: 'none', reason: `evidence unreadable, gate stays closed: ${errorText(e)}` };
      logger.error('gate decision', { trigger: this.trigger, action });
      return action;
    }
    const route53 = await this.readRoute53(now);
    let gate = evaluateGate({ now, settings, probes, route53 });
    // The accelerator's endpoint health is read only when a canary says the region is gone.
    if (gate.votes.some((v) => v.gone)) {
      const [accelerator, failoverRecord] = await Promise.all([this.readAccelerator(), this.readFailoverRecord()]);
      gate = evaluateGate({
        now,
        settings,
        probes,
        route53,
        accelerator,
        ...(failoverRecord ? { failoverRecord } : {}),
      });
    }
    if (gate.regionGone) {
      const writer = await this.readBookWriter();
      const move = decideWriterMove(gate, writer, config.primaryRegion);
      logger.warn('gate decision', { trigger: this.trigger, path: 'fast', action: move, gate: gateLog(gate) });
      if (move.kind !== 'none') {
        metrics.addMetric('RegionGone', MetricUnit.Count, 1);
        return this.underLease(move, gate, writer);
      }
    }
    if (!gate.open) {
      const action: Action = { kind: 'none', reason: `gate closed: ${gate.reason}` };
      logger.info('gate decision', { trigger: this.trigger, action, gate: gateLog(gate) });
      return action;
    }
    metrics.addMetric('GateOpen', MetricUnit.Count, 1);
    const database = await this.readPrimaryDatabase(now);
    const cluster = await this.readCluster();
    const fence = await this.fenceState();
    const action = decidePromotion({
      gate,
      cluster,
      mode: config.mode,
      approved,
      database,
      ...(fence.promotionRefused ? { refused: fence.promotionRefused } : {}),
    });
    logger.warn('gate decision', {
      trigger: this.trigger,
      path: 'slow',
      action,
      cluster,
      database,
      gate: gateLog(gate),
    });
    return this.act(action, gate);
  }

  async operatorRequest(request: 'switchover' | 'failback'): Promise<Action> {
    const cluster = await this.readCluster();
    const action = decideOperatorRequest(request, cluster, await this.fenceState());
    this.deps.logger.warn('operator request', { trigger: this.trigger, action, cluster });
    return this.act(action);
  }

  private async reconcile(): Promise<Action> {
    const cluster = await this.readCluster();
    const action = decideReconcile(cluster, await this.fenceState());
    if (action.kind !== 'none') this.deps.logger.warn('traffic reconciliation', { action, cluster });
    return this.act(action);
  }

  private async act(action: Action, gate?: GateVerdict): Promise<Action> {
    const { config, metrics } = this.deps;
    switch (action.kind) {
      case 'none':
        return action;
      case 'report':
        metrics.addMetric('FailoverSkipped', MetricUnit.Count, 1);
        await this.notifyOnce(
          `report#${action.reason}`,
          `Failover orchestrator left a state alone (${config.environment})`,
          {
            action,
            gate: gate && gateLog(gate),
          },
        );
        return action;
      case 'hold':
        metrics.addMetric('PromotionHeld', MetricUnit.Count, 1);
        await this.notifyOnce('hold', `Promotion held: in-region event (${config.environment})`, {
          action,
          gate: gate && gateLog(gate),
        });
        return action;
      case 'promotion-refused':
        return action;
      case 'await-approval':
        metrics.addMetric('ApprovalRequested', MetricUnit.Count, 1);
        await this.notifyOnce('approval', `Promotion awaits approval (${config.environment})`, {
          action,
          approve: approveCommand(config.functionName),
          gate: gate && gateLog(gate),
        });
        return action;
      default:
        return this.underLease(action, gate);
    }
  }

  /** Every change happens under the lease, after re-reading the cluster with the lease held. */
  private async underLease(action: Action, gate?: GateVerdict, writer?: BookWriter): Promise<Action> {
    const { clock, config, store, logger, metrics } = this.deps;
    const now = clock.now();
    if (!(await store.acquireLease(this.leaseName, this.owner, now, config.leaseMs))) {
      const skipped: Action = {
        kind: 'none',
        reason: `another invocation holds the promotion lease (wanted: ${action.kind})`,
      };
      metrics.addMetric('FailoverSkipped', MetricUnit.Count, 1);
      logger.warn('lease held elsewhere', { trigger: this.trigger, action: skipped });
      return skipped;
    }
    let keepLease = false;
    try {
      if (action.kind === 'move-writer') {
        await this.moveWriter(action, writer, gate);
        return action;
      }
      const cluster = await this.readCluster();
      const expected =
        action.kind === 'promote' || action.kind === 'switchover' || action.kind === 'restore-traffic'
          ? 'primary-writer'
          : 'secondary-writer';
      if (cluster.kind !== expected) {
        const changed: Action = {
          kind: 'none',
          reason: `state changed under the lease (${describeReading(cluster)}); not acting`,
        };
        logger.warn('state changed', { trigger: this.trigger, wanted: action, action: changed });
        return changed;
      }
      const journal = (entry: Record<string, unknown>) =>
        store.journal(config.globalClusterId, clock.now(), { trigger: this.trigger, action, ...entry });
      switch (action.kind) {
        case 'promote': {
          const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
          await journal({ step: 'fenced', fence });
          // Trading follows the promotion too, if the fast path has not moved it already.
          const book = await this.readBookWriter();
          if (book && book.region === config.primaryRegion) await this.moveBook(book, journal);
          keepLease = true; // from here a repeat must wait for the lease to expire
          try {
            await this.deps.rds.send(
              new FailoverGlobalClusterCommand({
                GlobalClusterIdentifier: config.globalClusterId,
                TargetDbClusterIdentifier: config.secondaryClusterArn,
                AllowDataLoss: true,
              }),
            );
          } catch (e) {
            // A refusal changed nothing: the lease goes back. Anything else may have been accepted.
            if (!isRefusal(e)) throw e;
            keepLease = false;
            return await this.promotionRefused(e, journal, gate);
          }
          await journal({ step: 'failover-requested', evidence: gate && gateLog(gate) });
          metrics.addMetric('FailoverInitiated', MetricUnit.Count, 1);
          await this.notify(`Aurora failover initiated (${config.environment})`, {
            action,
            fence,
            gate: gate && gateLog(gate),
          });
          break;
        }
        case 'switchover': {
          const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
          await journal({ step: 'fenced', fence });
          keepLease = true;
          await this.deps.rds.send(
            new SwitchoverGlobalClusterCommand({
              GlobalClusterIdentifier: config.globalClusterId,
              TargetDbClusterIdentifier: config.secondaryClusterArn,
            }),
          );
          await journal({ step: 'switchover-requested' });
          metrics.addMetric('SwitchoverInitiated', MetricUnit.Count, 1);
          await this.notify(`Aurora switchover initiated (${config.environment})`, { action, fence });
          break;
        }
        case 'failback': {
          if (await store.getFence(this.fenceName)) await store.markFailbackRequested(this.fenceName, clock.now());
          keepLease = true;
          await this.deps.rds.send(
            new SwitchoverGlobalClusterCommand({
              GlobalClusterIdentifier: config.globalClusterId,
              TargetDbClusterIdentifier: config.primaryClusterArn,
            }),
          );
          await journal({ step: 'failback-requested' });
          metrics.addMetric('SwitchoverInitiated', MetricUnit.Count, 1);
          await this.notify(`Aurora failback (switchover) initiated (${config.environment})`, { action });
          break;
        }
        case 'fence': {
          const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
          await journal({ step: 'fenced', fence });
          metrics.addMetric('TrafficFenced', MetricUnit.Count, 1);
          await this.notify(`Traffic moved to the writer (${config.environment})`, { action, fence });
          break;
        }
        case 'restore-traffic': {
          const fence = await store.getFence(this.fenceName);
          if (fence) {
            await restoreTraffic(this.deps.ga, store, this.fenceName, fence);
            await journal({ step: 'restored', fence });
            metrics.addMetric('TrafficRestored', MetricUnit.Count, 1);
            await this.notify(`Traffic dials restored (${config.environment})`, { action, fence });
          }
          break;
        }
        default:
          throw new Error(`not a change: ${action.kind}`);
      }
      logger.warn(`${action.kind} done`, { trigger: this.trigger, action });
      return action;
    } finally {
      // Until the database call is made, nothing irreversible happened: let the next run retry.
      if (!keepLease) await store.releaseLease(this.leaseName, this.owner);
    }
  }

  /**
   * FailoverGlobalCluster refused (versions differ, the cluster is modifying, ...): nothing changed
   * in the database, traffic and the book's writer stay on the secondary (consistent with each
   * other), the reason is logged, alarmed (PromotionRefused) and recorded on the fence record, and
   * the promotion falls back to approval mode: an operator approves a retry, or detaches and
   * promotes the secondary by hand (RemoveFromGlobalCluster; docs: failover runbook).
   */
  private async promotionRefused(
    error: unknown,
    journal: (entry: Record<string, unknown>) => Promise<void>,
    gate?: GateVerdict,
  ): Promise<Action> {
    const { clock, config, store, logger, metrics } = this.deps;
    const reason = errorText(error);
    const action: Action = { kind: 'promotion-refused', reason: `FailoverGlobalCluster refused: ${reason}` };
    await store.markPromotionRefused(this.fenceName, clock.now(), reason);
    await journal({ step: 'failover-refused', reason });
    metrics.addMetric('PromotionRefused', MetricUnit.Count, 1);
    logger.error('promotion refused', { trigger: this.trigger, action, reason });
    await this.notify(`Aurora promotion REFUSED: approval mode (${config.environment})`, {
      action,
      state: 'traffic and the order book write in the secondary; the database was not changed',
      retry: approveCommand(config.functionName),
      detachAndPromote: `aws rds remove-from-global-cluster --region ${regionOf(config.secondaryClusterArn)} --global-cluster-identifier ${config.globalClusterId} --db-cluster-identifier ${config.secondaryClusterArn}`,
      gate: gate && gateLog(gate),
    });
    return action;
  }

  /** Fast path, under the lease: the book's writer moves, then the traffic dials follow. */
  private async moveWriter(action: Action, writer: BookWriter | undefined, gate?: GateVerdict): Promise<void> {
    const { clock, config, store, metrics } = this.deps;
    const journal = (entry: Record<string, unknown>) =>
      store.journal(config.globalClusterId, clock.now(), { trigger: this.trigger, action, ...entry });
    const current = (await this.readBookWriter()) ?? writer;
    if (current && current.region === config.primaryRegion) await this.moveBook(current, journal);
    const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
    await journal({ step: 'fenced', fence, evidence: gate && gateLog(gate) });
    metrics.addMetric('WriterMoved', MetricUnit.Count, 1);
    await this.notify(`Region gone: trading moved to ${regionOf(config.secondaryClusterArn)} (${config.environment})`, {
      action,
      fence,
      gate: gate && gateLog(gate),
    });
  }

  /** Move the book's writer to the secondary, with regional durability (its peer is gone). */
  private async moveBook(current: BookWriter, journal: (entry: Record<string, unknown>) => Promise<void>) {
    const { book, config } = this.deps;
    if (!book) return;
    const to = regionOf(config.secondaryClusterArn);
    const moved = await book.moveWriter({ to, fromEpoch: current.epoch, durability: 'regional' });
    await journal({ step: 'writer-moved', from: current, to: moved });
  }

  private async readBookWriter(): Promise<BookWriter | undefined> {
    const { book, config } = this.deps;
    return book?.readWriter(regionOf(config.secondaryClusterArn));
  }

  /** The primary endpoint group's health through the us-west-2 API (independent of us-east-1). */
  private async readAccelerator(): Promise<AcceleratorReading> {
    try {
      const { EndpointGroup } = await this.deps.ga.send(
        new DescribeEndpointGroupCommand({ EndpointGroupArn: this.deps.config.primaryEndpointGroupArn }),
      );
      return acceleratorReading(
        EndpointGroup?.EndpointDescriptions?.map((e) => ({ endpointId: e.EndpointId, healthState: e.HealthState })),
      );
    } catch (e) {
      return { kind: 'unreadable', reason: errorText(e) };
    }
  }

  /** The failover record's DNS answer (one short attempt): the data plane, not us-east-1's control plane. */
  private async readFailoverRecord(): Promise<FailoverRecordReading | undefined> {
    const { config, resolveCname } = this.deps;
    if (!config.failoverRecord || !resolveCname) return undefined;
    try {
      return failoverRecordReading(
        await resolveCname(config.failoverRecord.name),
        config.failoverRecord.secondaryTarget,
      );
    } catch (e) {
      return { kind: 'unreadable', reason: errorText(e) };
    }
  }

  /** The primary cluster's status and recent events, one short attempt through the us-east-1 API. */
  private async readPrimaryDatabase(now: number): Promise<PrimaryDatabaseReading> {
    const { config, primaryRds } = this.deps;
    const evidence: DatabaseEvidence = await (async () => {
      try {
        const [clusters, events] = await Promise.all([
          primaryRds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: config.primaryClusterArn })),
          primaryRds.send(
            new DescribeEventsCommand({
              SourceType: 'db-cluster',
              SourceIdentifier: clusterIdentifierOf(config.primaryClusterArn),
              Duration: Math.ceil(config.recoveryWindowSeconds / 60) + EVENT_LOOKBACK_MINUTES,
            }),
          ),
        ]);
        return { cluster: clusters.DBClusters?.[0], events: events.Events ?? [] };
      } catch (e) {
        if (isPermissionError(e)) throw e;
        return { error: errorText(e) };
      }
    })();
    return readPrimaryDatabase(evidence, now, config.recoveryWindowSeconds * 1000);
  }

  private async readCluster(): Promise<ClusterReading> {
    const { config, rds } = this.deps;
    try {
      const described = await rds.send(
        new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: config.globalClusterId }),
      );
      return readGlobalCluster(described.GlobalClusters, config);
    } catch (e) {
      if (isPermissionError(e)) throw e;
      return { kind: 'not-understood', reason: `DescribeGlobalClusters failed: ${errorText(e)}` };
    }
  }

  private async fenceState(): Promise<FenceState> {
    const fence: FenceRecord | undefined = await this.deps.store.getFence(this.fenceName);
    return {
      fenced: fence !== undefined,
      failbackRequested: fence?.failbackRequestedAt !== undefined,
      ...(fence?.promotionRefused ? { promotionRefused: fence.promotionRefused.reason } : {}),
    };
  }

  private async readRoute53(now: number): Promise<Route53Reading | undefined> {
    const { config, route53 } = this.deps;
    if (!config.route53HealthCheckId || !route53) return undefined;
    try {
      const status = await route53.send(
        new GetHealthCheckStatusCommand({ HealthCheckId: config.route53HealthCheckId }),
      );
      return route53Reading(
        (status.HealthCheckObservations ?? []).map((o) => ({
          status: o.StatusReport?.Status,
          checkedAt: o.StatusReport?.CheckedTime?.getTime(),
        })),
        now,
        ROUTE53_OBSERVATION_MAX_AGE_MS,
      );
    } catch (e) {
      return { kind: 'unreadable', reason: errorText(e) };
    }
  }

  private async notifyOnce(key: string, subject: string, detail: unknown): Promise<void> {
    const { clock, config, store } = this.deps;
    if (await store.claimOnce(`${config.globalClusterId}#${key}`, clock.now(), NOTICE_INTERVAL_MS)) {
      await this.notify(subject, detail);
    }
  }

  /** Best effort: a notification that fails is logged, never undoes or blocks an action. */
  async notify(subject: string, detail: unknown): Promise<void> {
    const { config, sns, logger } = this.deps;
    try {
      await sns.send(
        new PublishCommand({
          TopicArn: config.topicArn,
          Subject: subject.slice(0, 100),
          Message: JSON.stringify(detail, null, 2),
        }),
      );
    } catch (e) {
      logger.error('notification failed', { subject, error: errorText(e) });
    }
  }
}

/** The operator's command that approves a promotion. */
function approveCommand(functionName: string | undefined): string {
  return `aws lambda invoke --function-name ${functionName ?? '<orchestrator>'} --cli-binary-format raw-in-base64-out --payload '{"action":"approve-failover"}' out.json`;
}

/** The region of an ARN (`arn:aws:rds:<region>:...`). */
const regionOf = (arn: string): string => arn.split(':')[3];

function describeReading(reading: ClusterReading): string {
  return reading.kind === 'not-understood' ? reading.reason : reading.kind;
}

/** The gate's verdict with its evidence, compact enough to log every evaluation. */
export function gateLog(gate: GateVerdict) {
  return {
    open: gate.open,
    reason: gate.reason,
    downVotes: gate.downVotes,
    upVotes: gate.upVotes,
    regionGone: gate.regionGone,
    goneReason: gate.goneReason,
    corroboration: gate.corroboration,
    votes: gate.votes.map((v) => ({
      source: v.source,
      vote: v.vote,
      gone: v.gone,
      reason: v.reason,
      probes: v.evidence.map((p) => `${new Date(p.startedAt).toISOString()} ${p.target} ${p.layer} ${p.detail}`),
    })),
  };
}
