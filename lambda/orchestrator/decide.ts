/** The orchestrator's choices, as pure functions of the gate, the global cluster and the fence record. */
import type { GateVerdict } from './gate';
import type { ClusterReading } from './global-cluster';

export type PromotionMode = 'automatic' | 'approval';

export type Action =
  | { readonly kind: 'none'; readonly reason: string }
  /** A state we do not understand: tell the operators, touch nothing. */
  | { readonly kind: 'report'; readonly reason: string }
  /** Approval mode: the gate is open, the database promotion waits for an operator. */
  | { readonly kind: 'await-approval'; readonly reason: string }
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
}

export interface PromotionInput {
  readonly gate: GateVerdict;
  readonly cluster: ClusterReading;
  readonly mode: PromotionMode;
  /** An operator approved this promotion (approval mode). */
  readonly approved: boolean;
}

/** After evidence: promote only with the gate open, the primary writing, and (in approval mode) an operator's go. */
export function decidePromotion({ gate, cluster, mode, approved }: PromotionInput): Action {
  if (!gate.open) return { kind: 'none', reason: `gate closed: ${gate.reason}` };
  if (cluster.kind === 'not-understood') {
    return { kind: 'report', reason: `gate open but the global cluster is not understood: ${cluster.reason}` };
  }
  if (cluster.kind === 'secondary-writer') return { kind: 'none', reason: 'the secondary already writes' };
  if (mode === 'approval' && !approved) {
    return { kind: 'await-approval', reason: `gate open (${gate.reason}); promotion waits for an operator` };
  }
  return { kind: 'promote', reason: gate.reason };
}

export type OperatorRequest = 'switchover' | 'failback';

/** An operator's planned switchover or failback, from an understood state only. */
export function decideOperatorRequest(request: OperatorRequest, cluster: ClusterReading, fence: FenceState): Action {
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
export function decideReconcile(cluster: ClusterReading, fence: FenceState): Action {
  if (cluster.kind === 'secondary-writer' && !fence.fenced) {
    return { kind: 'fence', reason: 'the secondary writes but traffic still favours the primary' };
  }
  if (cluster.kind === 'primary-writer' && fence.fenced && fence.failbackRequested) {
    return { kind: 'restore-traffic', reason: 'failback complete: the primary writes again' };
  }
  return { kind: 'none', reason: 'traffic matches the writer' };
}
