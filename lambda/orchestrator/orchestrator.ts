/**
 * Over 320 lines on purpose: the control loop and every action it takes under the one lease stay
 * in one file so a promotion reads in order, step by step. What it reads (evidence-reader.ts),
 * the events it accepts (trigger.ts), the errors it tells apart (aws-errors.ts), its log format
 * (gate-log.ts) and where the order book's writer goes with which durability (book-moves.ts) are
 * their own modules.
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
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { FailoverGlobalClusterCommand, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PublishCommand } from '@aws-sdk/client-sns';
import { errorText, isPermissionError, isRefusal } from './aws-errors';
import {
  Action,
  ClusterChange,
  decideOperatorRequest,
  decidePromotion,
  decideReconcile,
  decideWriterMove,
} from './decide';
import { EvidenceReader, regionOf } from './evidence-reader';
import type { GateVerdict } from './gate';
import { assessGate } from './gate-assessment';
import { gateLog } from './gate-log';
import type { ClusterReading } from './global-cluster';
import type { OrchestratorDeps } from './orchestrator-deps';
import { bootstrapWriter, type BookWriter } from './order-book';
import { BookMover, restoredDurability, type BookMove } from './book-moves';
import { releaseTakeover, takeoverArbiter } from './takeover-arbiter';
import { ACTION_BUDGET_SECONDS, LOOP_WINDOW_SECONDS } from '../facts/timing';
import { fenceTraffic, restoreTraffic } from './traffic';
import { Trigger, triggerOf } from './trigger';

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
  private readonly evidence: EvidenceReader;

  constructor(
    private readonly deps: OrchestratorDeps,
    private readonly trigger: Trigger,
  ) {
    this.owner = (deps.newOwnerId ?? randomUUID)();
    this.leaseName = `promotion#${deps.config.globalClusterId}`;
    this.evidence = new EvidenceReader(deps, deps.config.globalClusterId);
  }

  private get fenceName(): string {
    return this.deps.config.globalClusterId;
  }

  /** Reconcile traffic with the writer once, then evaluate the gate every probe interval for a minute. */
  async scheduled(): Promise<Action[]> {
    const { clock, config, remainingMs } = this.deps;
    const start = clock.now();
    await this.bootstrapBook();
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
      const goesOn = ['none', 'move-writer', 'restore-durability', 'hold'];
      if (!goesOn.includes(action.kind)) break;
    }
    return actions;
  }

  /** Read the evidence, ask the gate, and act on its verdict: the book's writer first, then the database. */
  async evaluate(approved: boolean): Promise<Action> {
    const { clock, config, logger, metrics } = this.deps;
    const now = clock.now();
    const assessment = await assessGate(this.deps, this.evidence, now);
    if (assessment.kind === 'unreadable') {
      metrics.addMetric('EvidenceUnreadable', MetricUnit.Count, 1);
      const action: Action = { kind: 'none', reason: `evidence unreadable, gate stays closed: ${assessment.reason}` };
      logger.error('gate decision', { trigger: this.trigger, action });
      return action;
    }
    const { gate } = assessment;
    if (gate.regionGone) {
      const writer = await this.evidence.readBookWriter();
      const move = decideWriterMove(gate, writer, config.primaryRegion);
      logger.warn('gate decision', { trigger: this.trigger, path: 'fast', action: move, gate: gateLog(gate) });
      if (move.kind !== 'none') {
        metrics.addMetric('RegionGone', MetricUnit.Count, 1);
        return this.underLease(move, gate, writer);
      }
    }
    const restore = await this.decideRestore(gate);
    if (restore) return this.underLease(restore, gate);
    if (!gate.open) {
      const action: Action = { kind: 'none', reason: `gate closed: ${gate.reason}` };
      logger.info('gate decision', { trigger: this.trigger, action, gate: gateLog(gate) });
      return action;
    }
    metrics.addMetric('GateOpen', MetricUnit.Count, 1);
    const database = await this.evidence.readPrimaryDatabase(now);
    const cluster = await this.evidence.readCluster();
    const fence = await this.evidence.fenceState();
    const action = decidePromotion({ gate, cluster, mode: config.mode, approved, database, fence, now });
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
    const cluster = await this.evidence.readCluster();
    const action = decideOperatorRequest(request, cluster, await this.evidence.fenceState(), this.deps.clock.now());
    this.deps.logger.warn('operator request', { trigger: this.trigger, action, cluster });
    return this.act(action);
  }

  /** A new stack's first writer item (order-book.ts, bootstrapWriter); a failed read waits for the next run. */
  private async bootstrapBook(): Promise<void> {
    const { book, config, logger, metrics } = this.deps;
    if (!book) return;
    const regions = config.book?.regions ?? [config.primaryRegion, regionOf(config.secondaryClusterArn)];
    const first = { region: config.primaryRegion, durability: config.orderDurability ?? 'cross-region' } as const;
    try {
      if ((await bootstrapWriter(book, regions, first)) === 'created') {
        logger.warn('order book: first writer item written', first);
        metrics.addMetric('BookWriterBootstrapped', MetricUnit.Count, 1);
      }
    } catch (e) {
      if (isPermissionError(e)) throw e;
      logger.warn('order book: writer item not checked (a replica did not answer); next run', { error: errorText(e) });
    }
  }

  private async reconcile(): Promise<Action> {
    const cluster = await this.evidence.readCluster();
    const action = decideReconcile(cluster, await this.evidence.fenceState(), this.deps.clock.now());
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
      case 'promotion-stuck':
        metrics.addMetric('PromotionStuck', MetricUnit.Count, 1);
        this.deps.logger.error('promotion stuck', { trigger: this.trigger, action });
        await this.notifyOnce('stuck', `Aurora promotion STUCK (${config.environment})`, {
          action,
          detachAndPromote: detachCommand(config),
        });
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
      if (action.kind === 'restore-durability') return await this.restoreDurability(action);
      const cluster = await this.evidence.readCluster();
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
          const book = await this.evidence.readBookWriter();
          if (book && book.region === config.primaryRegion)
            await this.moveBook(regionOf(config.secondaryClusterArn), { peerGone: gate?.regionGone ?? true }, journal);
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
          await this.recordClusterChange('failover');
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
          // Planned: trading follows traffic with cross-region durability (both regions are up).
          await this.moveBook(regionOf(config.secondaryClusterArn), { peerGone: false, planned: true }, journal);
          keepLease = true;
          await this.deps.rds.send(
            new SwitchoverGlobalClusterCommand({
              GlobalClusterIdentifier: config.globalClusterId,
              TargetDbClusterIdentifier: config.secondaryClusterArn,
            }),
          );
          await this.recordClusterChange('switchover');
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
          await this.recordClusterChange('failback');
          await journal({ step: 'failback-requested' });
          metrics.addMetric('SwitchoverInitiated', MetricUnit.Count, 1);
          await this.notify(`Aurora failback (switchover) initiated (${config.environment})`, { action });
          break;
        }
        case 'fence': {
          const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
          await journal({ step: 'fenced', fence });
          // Trading follows traffic: the book's writer moves too (an operator's promotion by the
          // runbook leaves it in the primary, where the fenced traffic no longer goes).
          const book = await this.evidence.readBookWriter();
          if (book && book.region === config.primaryRegion)
            await this.moveBook(regionOf(config.secondaryClusterArn), { peerGone: false }, journal);
          metrics.addMetric('TrafficFenced', MetricUnit.Count, 1);
          await this.notify(`Traffic moved to the writer (${config.environment})`, { action, fence });
          break;
        }
        case 'restore-traffic': {
          // Planned failback: trading comes back first (the primary's health answers 200 only
          // once it holds the book's writer), with cross-region durability; then the dials.
          await this.moveBook(config.primaryRegion, { peerGone: false, planned: true }, journal);
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
   * AWS accepted a database change: recorded on the fence record, so later runs wait for it quietly
   * (and page once it is stuck) instead of reporting a state they do not understand. Not recorded
   * (the store failed) means those runs report it: louder, never less safe.
   */
  private async recordClusterChange(operation: ClusterChange): Promise<void> {
    const { clock, store, logger } = this.deps;
    try {
      await store.markClusterChange(this.fenceName, clock.now(), operation);
    } catch (e) {
      if (isPermissionError(e)) throw e;
      logger.error('cluster change not recorded on the fence record', { operation, error: errorText(e) });
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
      detachAndPromote: detachCommand(config),
      gate: gate && gateLog(gate),
    });
    return action;
  }

  /** Fast path, under the lease: the book's writer moves, then the traffic dials follow. */
  private async moveWriter(action: Action, writer: BookWriter | undefined, gate?: GateVerdict): Promise<void> {
    const { clock, config, store, metrics } = this.deps;
    const journal = (entry: Record<string, unknown>) =>
      store.journal(config.globalClusterId, clock.now(), { trigger: this.trigger, action, ...entry });
    const current = (await this.evidence.readBookWriter()) ?? writer;
    if (current && (current.region === config.primaryRegion || current.durability === 'cross-region'))
      await this.moveBook(regionOf(config.secondaryClusterArn), { peerGone: true }, journal);
    const fence = await fenceTraffic(this.deps.ga, store, this.fenceName, config, clock.now(), action.reason);
    await journal({ step: 'fenced', fence, evidence: gate && gateLog(gate) });
    metrics.addMetric('WriterMoved', MetricUnit.Count, 1);
    await this.notify(`Region gone: trading moved to ${regionOf(config.secondaryClusterArn)} (${config.environment})`, {
      action,
      fence,
      gate: gate && gateLog(gate),
    });
  }

  private bookMover(): BookMover | undefined {
    const { book, config } = this.deps;
    return (
      book &&
      new BookMover(book, config.primaryRegion, regionOf(config.secondaryClusterArn), config.orderDurability, {
        allow: (region) => takeoverArbiter(this.deps, region),
      })
    );
  }

  /** Move the book's writer to `to` (book-moves.ts decides the durability), journaled. */
  private async moveBook(
    to: string,
    options: { readonly peerGone: boolean; readonly planned?: boolean },
    journal: (entry: Record<string, unknown>) => Promise<void>,
  ): Promise<BookMove | undefined> {
    const move = await this.bookMover()?.moveTo(to, options);
    if (move?.kind === 'moved') await journal({ step: 'writer-moved', from: move.from, to: move.to });
    if (to === this.deps.config.primaryRegion && (move?.kind === 'moved' || move?.kind === 'unchanged'))
      await releaseTakeover(this.deps);
    if (move?.kind === 'skipped') {
      this.deps.logger.error('order book writer not moved', { to, reason: move.reason });
      await journal({ step: 'writer-not-moved', to, reason: move.reason });
    }
    return move;
  }

  /** After a takeover: restore cross-region durability once the lost region's replica answers (gate not gone). */
  private async decideRestore(gate: GateVerdict): Promise<Action | undefined> {
    const mover = this.bookMover();
    if (!mover || gate.regionGone || mover.configured === 'regional') return undefined;
    const writer = await this.evidence.readBookWriter().catch(() => undefined);
    // A writer the primary's keeper made regional (it carries the lease's end) is the keeper's to restore.
    if (!writer || writer.durability !== 'regional' || writer.regionalUntil !== undefined) return undefined;
    const peer = mover.peerOf(writer.region);
    const answers = await this.deps.book!.answers(peer);
    if (!restoredDurability(writer, answers, false, mover.configured)) return undefined;
    return {
      kind: 'restore-durability',
      reason: `${peer}'s replica answers again: ${writer.region} writes cross-region`,
    };
  }

  private async restoreDurability(action: Action): Promise<Action> {
    const { clock, config, store, logger, metrics } = this.deps;
    const writer = await this.evidence.readBookWriter();
    const mover = this.bookMover();
    if (!mover || !writer || writer.durability !== 'regional') return { kind: 'none', reason: 'nothing to restore' };
    const move = await mover.restoreCrossRegion(writer);
    await store.journal(config.globalClusterId, clock.now(), {
      trigger: this.trigger,
      action,
      step: move.kind === 'moved' ? 'durability-restored' : 'durability-not-restored',
      ...(move.kind === 'moved'
        ? { from: move.from, to: move.to }
        : move.kind === 'skipped'
          ? { reason: move.reason }
          : {}),
    });
    if (move.kind !== 'moved') {
      logger.warn('order book durability not restored', { move });
      return { kind: 'none', reason: move.kind === 'skipped' ? move.reason : 'already cross-region' };
    }
    metrics.addMetric('BookDurabilityRestored', MetricUnit.Count, 1);
    logger.warn('restore-durability done', { trigger: this.trigger, action, writer: move.to });
    await this.notify(`Order book back to cross-region durability (${config.environment})`, {
      action,
      writer: move.to,
    });
    return action;
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

/** The runbook's way out of a refused or stuck promotion: detach the secondary and promote it alone. */
function detachCommand(config: OrchestratorDeps['config']): string {
  return `aws rds remove-from-global-cluster --region ${regionOf(config.secondaryClusterArn)} --global-cluster-identifier ${config.globalClusterId} --db-cluster-identifier ${config.secondaryClusterArn}`;
}

function describeReading(reading: ClusterReading): string {
  return reading.kind === 'not-understood' || reading.kind === 'in-flight' ? reading.reason : reading.kind;
}
