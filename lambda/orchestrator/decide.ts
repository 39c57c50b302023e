/**
 * The orchestrator's choices, as pure functions of the gate, the global cluster, the primary
 * database's own report, the order book's writer and the fence record.
 *
 * Two decisions, with different evidence because their actions differ:
 * - moving the order book's writer (and traffic) to the secondary is lossless and reversible
 *   (every acknowledged order is in both regions): it needs the fast path's evidence, the region
 *   gone ({@link decideWriterMove});
 * - promoting Aurora with `AllowDataLoss` is neither: it needs the slow path's evidence, every
 *   canary failing for the whole recovery window, and the primary database unreachable or
 *   unavailable with no in-region event in progress ({@link decidePromotion}).
 */
import { PROMOTION_STUCK_SECONDS } from '../facts/timing';
import type { GateVerdict } from './gate';
import type { ClusterReading } from './global-cluster';
import type { BookWriter } from './order-book';
import type { PrimaryDatabaseReading } from './primary-database';

export type PromotionMode = 'automatic' | 'approval';

export type Action =
  | { readonly kind: 'none'; readonly reason: string }
  /** A state we do not understand: tell the operators, touch nothing. */
  | { readonly kind: 'report'; readonly reason: string }
  /** Approval mode: the gate is open, the database promotion waits for an operator. */
  | { readonly kind: 'await-approval'; readonly reason: string }
  /** An in-region event is in progress (or just ended): the window runs again; page, touch nothing. */
  | { readonly kind: 'hold'; readonly reason: string }
  /** Fast path: fence traffic and move the order book's writer to the secondary (no promotion). */
  | { readonly kind: 'move-writer'; readonly reason: string }
  /** After a takeover, the lost region's replica answers again: the writer returns to cross-region durability. */
  | { readonly kind: 'restore-durability'; readonly reason: string }
  /** FailoverGlobalCluster was refused: nothing changed in the database; approval mode from here. */
  | { readonly kind: 'promotion-refused'; readonly reason: string }
  /** This orchestrator's own failover or switchover has been in flight past its bound: page, touch nothing. */
  | { readonly kind: 'promotion-stuck'; readonly reason: string }
  /** Fence traffic, then FailoverGlobalCluster with data loss allowed. */
  | { readonly kind: 'promote'; readonly reason: string }
  /** Planned: fence traffic, then SwitchoverGlobalCluster to the secondary (no data loss). */
  | { readonly kind: 'switchover'; readonly reason: string }
  /** Planned return: SwitchoverGlobalCluster back to the primary; the dials follow once it writes. */
  | { readonly kind: 'failback'; readonly reason: string }
  /** Move traffic to the writer (the secondary writes and the dials were never moved). */
  | { readonly kind: 'fence'; readonly reason: string }
  /** Put the dials back as recorded (the primary writes again after a failback). */
  | { readonly kind: 'restore-traffic'; readonly reason: string };

export interface FenceState {
  readonly fenced: boolean;
  readonly failbackRequested: boolean;
  /** Why FailoverGlobalCluster was refused, when it was (this incident's fence record). */
  readonly promotionRefused?: string;
  /** The database change this orchestrator requested in this incident, when AWS accepted it. */
  readonly clusterChange?: { readonly at: number; readonly operation: ClusterChange };
}

/** What the orchestrator asks of the global cluster: FailoverGlobalCluster, or SwitchoverGlobalCluster either way. */
export type ClusterChange = 'failover' | 'switchover' | 'failback';

type InFlight = Extract<ClusterReading, { kind: 'in-flight' }>;

/**
 * A failover or switchover in flight. This orchestrator's own (recorded on the fence record when
 * AWS accepted the call) is waited for quietly, up to {@link PROMOTION_STUCK_SECONDS}, then paged as
 * stuck; one it did not request (an operator's console, another tool) is reported and left alone.
 */
export function decideInFlight(cluster: InFlight, fence: FenceState, now: number): Action {
  const change = fence.clusterChange;
  const ours = change !== undefined && (change.operation === 'failover') === (cluster.operation === 'failover');
  if (!ours) {
    return {
      kind: 'report',
      reason: `the global cluster is not understood: ${cluster.reason}, not requested by this orchestrator`,
    };
  }
  const seconds = Math.max(0, Math.round((now - change.at) / 1000));
  if (seconds < PROMOTION_STUCK_SECONDS) {
    return {
      kind: 'none',
      reason: `the ${change.operation} this orchestrator requested is ${cluster.status} (${seconds} s)`,
    };
  }
  return {
    kind: 'promotion-stuck',
    reason: `the ${change.operation} this orchestrator requested ${Math.floor(seconds / 60)} min ago is still ${cluster.status} (${cluster.reason}): past the ${PROMOTION_STUCK_SECONDS / 60} min bound; traffic and the order book stay where they are (runbook: promotion stuck)`,
  };
}

/**
 * Fast path: when the region is gone, the book's writer must be in the secondary with regional
 * durability. It moves when the primary still writes, and also when the secondary writes with
 * cross-region durability (its durability was restored after an earlier takeover): every write of
 * it goes to the lost region's replica first, so it would take no order at all.
 */
export function decideWriterMove(gate: GateVerdict, writer: BookWriter | undefined, primaryRegion: string): Action {
  if (!gate.regionGone) return { kind: 'none', reason: `region not gone: ${gate.goneReason}` };
  if (writer && writer.region !== primaryRegion) {
    return writer.durability === 'regional'
      ? { kind: 'none', reason: `the order book already writes in ${writer.region}` }
      : { kind: 'move-writer', reason: `${gate.goneReason}; ${writer.region} writes cross-region to the lost region` };
  }
  return { kind: 'move-writer', reason: gate.goneReason };
}

export interface PromotionInput {
  readonly gate: GateVerdict;
  readonly cluster: ClusterReading;
  readonly mode: PromotionMode;
  /** An operator approved this promotion (approval mode, or the fallback after a refusal). */
  readonly approved: boolean;
  /** The primary database's own report, read when the slow path's gate is open. */
  readonly database: PrimaryDatabaseReading;
  /** This incident's fence record: a refused promotion (approval mode from then on), a change in flight. */
  readonly fence: FenceState;
  readonly now: number;
}

/**
 * After evidence: promote only with the gate open, the primary writing, the primary database
 * unreachable or unavailable with no event in progress, and (in approval mode, or after a refused
 * promotion) an operator's go. A database that says it is healthy is never promoted away
 * automatically: an operator decides, whatever the mode.
 */
export function decidePromotion({ gate, cluster, mode, approved, database, fence, now }: PromotionInput): Action {
  if (!gate.open) return { kind: 'none', reason: `gate closed: ${gate.reason}` };
  if (cluster.kind === 'in-flight') return decideInFlight(cluster, fence, now);
  if (cluster.kind === 'not-understood') {
    return { kind: 'report', reason: `gate open but the global cluster is not understood: ${cluster.reason}` };
  }
  if (cluster.kind === 'secondary-writer') return { kind: 'none', reason: 'the secondary already writes' };
  if (database.kind === 'event') {
    return { kind: 'hold', reason: `gate open (${gate.reason}), but ${database.reason}: waiting` };
  }
  if (approved) return { kind: 'promote', reason: `${gate.reason}; approved by an operator (${database.reason})` };
  if (database.kind === 'healthy') {
    return {
      kind: 'await-approval',
      reason: `gate open (${gate.reason}), but ${database.reason}: a sick service, not a lost database; an operator decides`,
    };
  }
  if (fence.promotionRefused) {
    return {
      kind: 'await-approval',
      reason: `FailoverGlobalCluster was refused (${fence.promotionRefused}): approve a retry, or detach and promote (runbook)`,
    };
  }
  if (mode === 'approval') {
    return { kind: 'await-approval', reason: `gate open (${gate.reason}); promotion waits for an operator` };
  }
  return { kind: 'promote', reason: `${gate.reason}; ${database.reason}` };
}

export type OperatorRequest = 'switchover' | 'failback';

/** An operator's planned switchover or failback, from an understood state only. */
export function decideOperatorRequest(
  request: OperatorRequest,
  cluster: ClusterReading,
  fence: FenceState,
  now: number,
): Action {
  if (cluster.kind === 'in-flight') {
    const inFlight = decideInFlight(cluster, fence, now);
    return inFlight.kind === 'none' ? { kind: 'none', reason: `${request} waits: ${inFlight.reason}` } : inFlight;
  }
  if (cluster.kind === 'not-understood') {
    return { kind: 'report', reason: `${request} refused: the global cluster is not understood: ${cluster.reason}` };
  }
  if (request === 'switchover') {
    return cluster.kind === 'primary-writer'
      ? { kind: 'switchover', reason: 'operator requested a planned switchover' }
      : { kind: 'none', reason: 'the secondary already writes' };
  }
  if (cluster.kind === 'secondary-writer') return { kind: 'failback', reason: 'operator requested a failback' };
  return fence.fenced
    ? { kind: 'restore-traffic', reason: 'the primary writes again: restoring the recorded traffic dials' }
    : { kind: 'none', reason: 'the primary already writes and no traffic change is recorded' };
}

/**
 * Once per scheduled run: traffic follows the writer. The dials move to the secondary when it
 * writes and nothing moved them yet (a promotion done by hand), and come back only after an
 * operator asked for a failback and the primary writes again: never by themselves.
 */
export function decideReconcile(cluster: ClusterReading, fence: FenceState, now: number): Action {
  if (cluster.kind === 'in-flight') return decideInFlight(cluster, fence, now);
  if (cluster.kind === 'secondary-writer' && !fence.fenced) {
    return { kind: 'fence', reason: 'the secondary writes but traffic still favours the primary' };
  }
  if (cluster.kind === 'primary-writer' && fence.fenced && fence.failbackRequested) {
    return { kind: 'restore-traffic', reason: 'failback complete: the primary writes again' };
  }
  return { kind: 'none', reason: 'traffic matches the writer' };
}
