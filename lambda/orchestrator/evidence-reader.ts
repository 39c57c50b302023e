/**
 * The evidence the orchestrator reads besides the canaries' probes, each with one short attempt:
 * the book's writer, the accelerator's endpoint health (us-west-2 API), the failover record's DNS
 * answer, the primary database through the us-east-1 API, the global cluster, the fence and Route
 * 53's checkers. Unreadable evidence is a reading of its own, never an error, except a missing
 * permission, which is thrown: the orchestrator cannot act without it.
 */
import { DescribeDBClustersCommand, DescribeEventsCommand, DescribeGlobalClustersCommand } from '@aws-sdk/client-rds';
import { DescribeEndpointGroupCommand } from '@aws-sdk/client-global-accelerator';
import { GetHealthCheckStatusCommand } from '@aws-sdk/client-route-53';
import { errorText, isPermissionError } from './aws-errors';
import type { FenceState } from './decide';
import {
  AcceleratorReading,
  acceleratorReading,
  FailoverRecordReading,
  failoverRecordReading,
  Route53Reading,
  route53Reading,
} from './gate';
import { ClusterReading, readGlobalCluster } from './global-cluster';
import type { OrchestratorDeps } from './orchestrator-deps';
import type { BookWriter } from './order-book';
import { clusterIdentifierOf, DatabaseEvidence, PrimaryDatabaseReading, readPrimaryDatabase } from './primary-database';
import type { FenceRecord } from './store';

/** A Route 53 checker report older than this is not current (three 30 s check intervals). */
export const ROUTE53_OBSERVATION_MAX_AGE_MS = 90_000;

/** Events read before a promotion: the recovery window plus this much before it. */
export const EVENT_LOOKBACK_MINUTES = 10;

/** The region of an ARN (`arn:aws:rds:<region>:...`). */
export const regionOf = (arn: string): string => arn.split(':')[3];

export class EvidenceReader {
  constructor(
    private readonly deps: OrchestratorDeps,
    private readonly fenceName: string,
  ) {}

  async readBookWriter(): Promise<BookWriter | undefined> {
    const { book, config } = this.deps;
    return book?.readWriter(regionOf(config.secondaryClusterArn));
  }

  /** The primary endpoint group's health through the us-west-2 API (independent of us-east-1). */
  async readAccelerator(): Promise<AcceleratorReading> {
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
  async readFailoverRecord(): Promise<FailoverRecordReading | undefined> {
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

  /**
   * The primary cluster's status and recent events, one short attempt through the us-east-1 API:
   * the cluster's own events and each member instance's (a writer being recreated reports
   * RDS-EVENT-0020/0021 "Recovery of the DB instance has started / is complete" as an instance
   * event, source type db-instance, which a DescribeEvents for the cluster does not return).
   */
  async readPrimaryDatabase(now: number): Promise<PrimaryDatabaseReading> {
    const { config, primaryRds } = this.deps;
    const duration = Math.ceil(config.recoveryWindowSeconds / 60) + EVENT_LOOKBACK_MINUTES;
    const eventsOf = async (SourceType: 'db-cluster' | 'db-instance', SourceIdentifier: string) =>
      (await primaryRds.send(new DescribeEventsCommand({ SourceType, SourceIdentifier, Duration: duration }))).Events ??
      [];
    const evidence: DatabaseEvidence = await (async () => {
      try {
        const [clusters, clusterEvents] = await Promise.all([
          primaryRds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: config.primaryClusterArn })),
          eventsOf('db-cluster', clusterIdentifierOf(config.primaryClusterArn)),
        ]);
        const cluster = clusters.DBClusters?.[0];
        const instances = (cluster?.DBClusterMembers ?? []).flatMap((m) =>
          m.DBInstanceIdentifier ? [m.DBInstanceIdentifier] : [],
        );
        const instanceEvents = await Promise.all(instances.map((id) => eventsOf('db-instance', id)));
        return { cluster, events: [...clusterEvents, ...instanceEvents.flat()] };
      } catch (e) {
        if (isPermissionError(e)) throw e;
        return { error: errorText(e) };
      }
    })();
    return readPrimaryDatabase(evidence, now, config.recoveryWindowSeconds * 1000);
  }

  async readCluster(): Promise<ClusterReading> {
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

  async fenceState(): Promise<FenceState> {
    const fence: FenceRecord | undefined = await this.deps.store.getFence(this.fenceName);
    return {
      fenced: fence !== undefined,
      failbackRequested: fence?.failbackRequestedAt !== undefined,
      ...(fence?.promotionRefused ? { promotionRefused: fence.promotionRefused.reason } : {}),
      ...(fence?.clusterChange ? { clusterChange: fence.clusterChange } : {}),
    };
  }

  async readRoute53(now: number): Promise<Route53Reading | undefined> {
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
}
