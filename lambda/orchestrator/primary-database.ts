/**
 * What the primary's database says about itself, read through the us-east-1 RDS API with one
 * short attempt (DescribeDBClusters, and DescribeEvents for the primary cluster and its instances). Pure: the
 * orchestrator hands in what the API returned, or why it did not answer.
 *
 * The rule it serves: never an `AllowDataLoss` promotion of a database that reports itself
 * healthy. A database in an in-region event (failover, reboot, maintenance, patching) is given
 * the event's time plus a whole recovery window after it; a healthy database behind a failing
 * service is a decision for an operator; only a database that is unreachable or unavailable, with
 * no event in progress, may be promoted automatically.
 */
import type { DBCluster, Event } from '@aws-sdk/client-rds';

export type PrimaryDatabaseReading =
  /** The us-east-1 RDS API did not answer (the region's control plane is gone too). */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** The cluster reports itself available and no event is in progress: the service is sick, not the database. */
  | { readonly kind: 'healthy'; readonly reason: string }
  /** An in-region event is in progress, or ended less than a recovery window ago. */
  | { readonly kind: 'event'; readonly reason: string; readonly holdUntil?: number }
  /** The cluster reports a state that cannot serve, and no event explains it. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Cluster statuses of an event that Aurora is working through in the region (DBCluster.Status,
 * RDS API reference; "Viewing DB cluster status", Aurora user guide): wait, never promote.
 */
const IN_REGION_EVENT_STATUSES = new Set([
  'failing-over',
  'maintenance',
  'rebooting',
  'upgrading',
  'modifying',
  'backtracking',
  'migrating',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'storage-optimization',
  'update-iam-db-auth',
]);

/** Statuses of a cluster that serves. */
const SERVING_STATUSES = new Set(['available', 'backing-up']);

/**
 * Event categories of an in-region event (Aurora user guide, "Amazon RDS event categories and
 * event messages for Aurora": DB cluster events, e.g. RDS-EVENT-0072/0073 "Started same/cross AZ
 * failover", RDS-EVENT-0071 "Completed failover", RDS-EVENT-0069 "Cluster failover failed").
 */
const EVENT_CATEGORIES = new Set(['failover', 'maintenance', 'availability', 'recovery', 'notification']);
const STARTS = /\b(start(ed|ing)?|begin(ning)?|being|in progress|shut ?down|rebooting|applying)\b/i;
const ENDS = /\b(complet(ed|e)|finished|restarted|failed|is available|recovered)\b/i;

export interface EventSummary {
  /** The latest start with no end after it: the event still in progress. */
  readonly inProgress?: { readonly at: number; readonly message: string };
  /** The latest end seen. */
  readonly lastEnd?: { readonly at: number; readonly message: string };
}

/**
 * The cluster's and its instances' recent events reduced to what the gate needs: one in progress
 * (the latest start of any source with no end of that source after it), or the last end. Each
 * source is its own stream: one instance restarting does not end another's recovery.
 */
export function summariseEvents(events: readonly Event[] | undefined): EventSummary {
  const relevant = (events ?? [])
    .filter((e) => e.Date && (e.EventCategories ?? []).some((c) => EVENT_CATEGORIES.has(c)))
    .map((e) => ({
      at: e.Date!.getTime(),
      message: e.Message ?? '',
      source: `${e.SourceType ?? ''}#${e.SourceIdentifier ?? ''}`,
    }))
    .sort((a, b) => a.at - b.at);
  const open = new Map<string, { at: number; message: string }>();
  let lastEnd: EventSummary['lastEnd'];
  for (const { source, ...e } of relevant) {
    // The first sentence says what happened; a second one may not ("Recovery of the DB instance has
    // started. Recovery time will vary with the amount of data to be recovered.": RDS-EVENT-0020).
    const what = e.message.split(/\.\s/)[0];
    if (ENDS.test(what)) {
      lastEnd = e;
      open.delete(source);
    } else if (STARTS.test(what)) {
      open.set(source, e);
    }
  }
  const inProgress = [...open.values()].sort((a, b) => b.at - a.at)[0];
  return { ...(inProgress ? { inProgress } : {}), ...(lastEnd ? { lastEnd } : {}) };
}

export interface DatabaseEvidence {
  readonly cluster?: DBCluster;
  readonly events?: readonly Event[];
  /** Set when the API did not answer within its one attempt. */
  readonly error?: string;
}

/**
 * The reading, at `now`, with `recoveryWindowMs` as the time an in-region event is given after it
 * ends (a failover followed by a patch restart is two events back to back).
 */
export function readPrimaryDatabase(
  evidence: DatabaseEvidence,
  now: number,
  recoveryWindowMs: number,
): PrimaryDatabaseReading {
  if (evidence.error !== undefined) return { kind: 'unreachable', reason: `us-east-1 RDS API: ${evidence.error}` };
  const status = evidence.cluster?.Status;
  if (!status) return { kind: 'unreachable', reason: 'us-east-1 RDS API returned no primary cluster' };
  const events = summariseEvents(evidence.events);
  if (events.inProgress) {
    return {
      kind: 'event',
      reason: `in-region event in progress since ${new Date(events.inProgress.at).toISOString()}: ${events.inProgress.message}`,
    };
  }
  if (IN_REGION_EVENT_STATUSES.has(status)) {
    return { kind: 'event', reason: `primary cluster is ${status}` };
  }
  if (events.lastEnd && now - events.lastEnd.at < recoveryWindowMs) {
    const holdUntil = events.lastEnd.at + recoveryWindowMs;
    return {
      kind: 'event',
      reason: `in-region event ended at ${new Date(events.lastEnd.at).toISOString()} (${events.lastEnd.message}); the window runs again until ${new Date(holdUntil).toISOString()}`,
      holdUntil,
    };
  }
  if (SERVING_STATUSES.has(status)) {
    return { kind: 'healthy', reason: `primary cluster reports ${status} with no event in progress` };
  }
  return { kind: 'unavailable', reason: `primary cluster reports ${status} with no event in progress` };
}

/** `arn:aws:rds:<region>:<account>:cluster:<id>` -> `<id>` (DescribeEvents takes the identifier). */
export function clusterIdentifierOf(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
