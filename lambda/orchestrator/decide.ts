/** The orchestrator's decisions, as pure functions of evidence and the global cluster's state. */

export interface GlobalClusterView {
  readonly status?: string;
  readonly members: readonly { readonly arn?: string; readonly isWriter?: boolean }[];
}

export type ClusterState = 'primary-writer' | 'secondary-writer' | 'in-progress' | 'unknown';

/** Statuses in which a switchover or failover is already under way. */
const IN_PROGRESS = new Set(['failing-over', 'switching-over', 'modifying', 'upgrading']);

export function clusterState(view: GlobalClusterView | undefined, secondaryClusterArn: string): ClusterState {
  if (!view) return 'unknown';
  if (view.status && IN_PROGRESS.has(view.status)) return 'in-progress';
  const writer = view.members.find((m) => m.isWriter);
  if (!writer) return view.status === 'available' ? 'unknown' : 'in-progress';
  return writer.arn === secondaryClusterArn ? 'secondary-writer' : 'primary-writer';
}

export type Trigger = 'canary' | 'alarm' | 'switchover';

export interface Decision {
  readonly action: 'failover' | 'switchover' | 'none';
  readonly reason: string;
}

export interface DecisionInput {
  readonly trigger: Trigger;
  readonly state: ClusterState;
  readonly consecutiveFailures: number;
  readonly threshold: number;
}

export function decide(input: DecisionInput): Decision {
  const { trigger, state, consecutiveFailures, threshold } = input;
  if (state === 'secondary-writer')
    return { action: 'none', reason: 'secondary is already the writer (promotion done)' };
  if (state === 'in-progress') return { action: 'none', reason: 'a failover or switchover is already in progress' };
  if (state === 'unknown') return { action: 'none', reason: 'global cluster state unreadable; refusing to act blind' };
  if (trigger === 'switchover') return { action: 'switchover', reason: 'operator requested a planned switchover' };
  if (consecutiveFailures >= threshold) {
    return {
      action: 'failover',
      reason: `primary failed ${consecutiveFailures} consecutive probes (threshold ${threshold})`,
    };
  }
  if (consecutiveFailures === 0) return { action: 'none', reason: 'primary healthy' };
  return {
    action: 'none',
    reason: `primary failed ${consecutiveFailures} consecutive probes, below threshold ${threshold}`,
  };
}
