/**
 * Reading the Aurora global cluster before acting on it. The orchestrator acts only on a state it
 * fully understands: the one global cluster it was configured for, `available`, no switchover or
 * failover in flight, exactly the two configured members and exactly one writer among them.
 * Anything else is reported and left alone.
 */
import type { GlobalCluster } from '@aws-sdk/client-rds';

export interface ClusterIdentity {
  readonly globalClusterId: string;
  readonly primaryClusterArn: string;
  readonly secondaryClusterArn: string;
}

export type ClusterReading =
  /** The configured primary writes: a promotion of the secondary is possible. */
  | { readonly kind: 'primary-writer' }
  /** The secondary already writes (promoted, or switched over). */
  | { readonly kind: 'secondary-writer' }
  /**
   * A failover or switchover is in flight between the two configured members: whose it is (this
   * orchestrator's, or someone else's) and whether it is stuck is decided against the fence record.
   */
  | {
      readonly kind: 'in-flight';
      readonly operation: 'failover' | 'switchover';
      readonly status: string;
      readonly toClusterArn: string;
      readonly reason: string;
    }
  | { readonly kind: 'not-understood'; readonly reason: string };

/** What DescribeGlobalClusters returned (its `GlobalClusters`), read against what we were deployed with. */
export function readGlobalCluster(
  described: readonly GlobalCluster[] | undefined,
  identity: ClusterIdentity,
): ClusterReading {
  const notUnderstood = (reason: string): ClusterReading => ({ kind: 'not-understood', reason });
  if (!described || described.length === 0)
    return notUnderstood(`global cluster ${identity.globalClusterId} not found`);
  if (described.length > 1) return notUnderstood(`${described.length} global clusters returned for one identifier`);
  const cluster = described[0];
  if (cluster.GlobalClusterIdentifier !== identity.globalClusterId) {
    return notUnderstood(
      `described ${cluster.GlobalClusterIdentifier ?? 'an unnamed cluster'}, not ${identity.globalClusterId}`,
    );
  }
  const failover = cluster.FailoverState;
  if (failover?.Status) {
    // FailoverState: "pending" | "failing-over" | "cancelling" (RDS API reference, FailoverState).
    const operation = failover.IsDataLossAllowed ? 'failover' : 'switchover';
    const reason =
      `a ${operation} is ${failover.Status} ` +
      `(${failover.FromDbClusterArn ?? '?'} -> ${failover.ToDbClusterArn ?? '?'})`;
    const known = [identity.primaryClusterArn, identity.secondaryClusterArn];
    const between =
      failover.FromDbClusterArn !== failover.ToDbClusterArn &&
      known.includes(failover.FromDbClusterArn ?? '') &&
      known.includes(failover.ToDbClusterArn ?? '');
    return between
      ? { kind: 'in-flight', operation, status: failover.Status, toClusterArn: failover.ToDbClusterArn!, reason }
      : notUnderstood(reason);
  }
  if (cluster.Status !== 'available') return notUnderstood(`status is ${cluster.Status ?? 'unknown'}, not available`);
  const members = cluster.GlobalClusterMembers ?? [];
  const known = new Set([identity.primaryClusterArn, identity.secondaryClusterArn]);
  const arns = members.map((m) => m.DBClusterArn);
  const unknown = arns.filter((a) => a === undefined || !known.has(a));
  if (unknown.length > 0) return notUnderstood(`unknown member(s): ${unknown.map((a) => a ?? '(no ARN)').join(', ')}`);
  if (new Set(arns).size !== arns.length) return notUnderstood('a member is listed twice');
  const missing = [...known].filter((a) => !arns.includes(a));
  if (missing.length > 0) return notUnderstood(`member(s) missing from the global cluster: ${missing.join(', ')}`);
  const writers = members.filter((m) => m.IsWriter === true);
  if (writers.length === 0) return notUnderstood('no member is the writer');
  if (writers.length > 1) return notUnderstood(`${writers.length} members are marked writer`);
  return writers[0].DBClusterArn === identity.primaryClusterArn
    ? { kind: 'primary-writer' }
    : { kind: 'secondary-writer' };
}
