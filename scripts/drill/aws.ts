/**
 * AWS, faked at the SDK boundary: real SDK v3 clients whose `send` is answered in memory by a
 * model of the service. A client belongs to a region and fails like an unreachable endpoint
 * while its region is down. A command the model does not implement fails loudly, so a new
 * call in the Lambda code shows up as a drill error instead of passing silently.
 */
import {
  DBClusterNotFoundFault,
  GlobalClusterNotFoundFault,
  InvalidGlobalClusterStateFault,
  RDSClient,
} from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { randomUUID } from 'crypto';
import type { GlobalDatabase } from './database';
import type { AppRegion, Network, Region, Vantage } from './network';
import { APP_REGIONS } from './network';
import type { Simulation } from './sim';

type Handler = (input: any) => Promise<unknown>;
export type Handlers = Record<string, Handler>;

export class EndpointUnreachableError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(service: string, region: string) {
    super(`${service}.${region}.amazonaws.com: connect ETIMEDOUT (region unreachable)`);
    this.name = 'TimeoutError';
  }
}

export interface SentCommand {
  readonly at: number;
  readonly region: Region;
  readonly command: string;
  readonly input: unknown;
}

/** Every call any fake answered, in order: the drill's record of what the code asked AWS to do. */
export class CallLog {
  readonly calls: SentCommand[] = [];
  /** How many times each command was sent. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls) counts[c.command] = (counts[c.command] ?? 0) + 1;
    return counts;
  }
}

export interface FakeContext {
  readonly network: Network;
  readonly sim: () => Simulation;
  readonly log: CallLog;
  /** Where the caller runs (default: the service's region). */
  readonly from?: Vantage;
  /** False once the calling Lambda invocation has timed out: its calls fail from then on. */
  readonly alive?: () => boolean;
}

interface Command {
  readonly constructor: { readonly name: string };
  readonly input: unknown;
}

/**
 * Make `client` answer from `handlers` (by command class name), or hand the command itself to
 * `handlers` when it is a function, while the caller reaches `region`.
 */
export function fake<C extends { send: unknown }>(
  client: C,
  service: string,
  region: Region,
  handlers: Handlers | ((command: Command) => Promise<unknown>),
  ctx: FakeContext,
): C {
  const send = async (command: Command) => {
    const name = command.constructor.name;
    if (ctx.alive && !ctx.alive()) throw new Error('Task timed out: the invocation is over');
    if (!ctx.network.reachable(ctx.from ?? region, region)) throw new EndpointUnreachableError(service, region);
    ctx.log.calls.push({ at: ctx.sim().now(), region, command: name, input: command.input });
    if (typeof handlers === 'function') return handlers(command);
    const handler = handlers[name];
    if (!handler) throw new Error(`the drill's ${service} fake does not implement ${name}`);
    return handler(command.input);
  };
  Object.assign(client, { send });
  return client;
}

/** RDS: the global cluster's control plane over the two-server model. */
export function rdsHandlers(db: GlobalDatabase, globalClusterId: string): Handlers {
  // An ARN or a bare cluster identifier, as the API accepts.
  const regionOfArn = (arn: string | undefined): AppRegion | undefined =>
    APP_REGIONS.find((r) => db.clusters[r].arn === arn || db.clusters[r].arn.endsWith(`:cluster:${arn}`));
  // Each cluster's one instance (the writer), as DescribeDBClusters lists its members.
  const writerInstanceOf = (region: AppRegion) => `${db.clusters[region].arn.split(':cluster:')[1]}-1`;
  const checkId = (id: string | undefined) => {
    if (id !== globalClusterId)
      throw new GlobalClusterNotFoundFault({ message: `Global cluster ${id} not found`, $metadata: {} });
  };
  const target = (arn: string | undefined): AppRegion => {
    const region = regionOfArn(arn);
    if (!region) throw new DBClusterNotFoundFault({ message: `DB cluster ${arn} not found`, $metadata: {} });
    if (db.status !== 'available')
      throw new InvalidGlobalClusterStateFault({
        message: `Global cluster ${globalClusterId} is ${db.status}`,
        $metadata: {},
      });
    if (region === db.writer)
      throw new InvalidGlobalClusterStateFault({ message: `${arn} is already the primary cluster`, $metadata: {} });
    return region;
  };
  return {
    // The member cluster as its own region's API reports it: failing over while it is down in an
    // in-region event, available again once a lost cluster's failover has failed (see
    // GlobalDatabase.loseCluster), with the events it emitted.
    DescribeDBClustersCommand: async (input) => {
      const region = regionOfArn(input.DBClusterIdentifier);
      if (!region)
        throw new DBClusterNotFoundFault({
          message: `DB cluster ${input.DBClusterIdentifier} not found`,
          $metadata: {},
        });
      const cluster = db.clusters[region];
      const status = cluster.available || cluster.lost ? 'available' : 'failing-over';
      return {
        DBClusters: [
          {
            DBClusterArn: cluster.arn,
            Status: status,
            DBClusterMembers: [{ DBInstanceIdentifier: writerInstanceOf(region), IsClusterWriter: true }],
          },
        ],
      };
    },
    DescribeEventsCommand: async (input) => {
      // A cluster's events by its identifier; an instance's by the instance's.
      const region =
        input.SourceType === 'db-instance'
          ? APP_REGIONS.find((r) => writerInstanceOf(r) === input.SourceIdentifier)
          : regionOfArn(input.SourceIdentifier);
      return {
        // DescribeEvents returns the events of the source type asked for (an instance's own events are not the cluster's).
        Events: db.events
          .filter(
            (e) => e.region === region && (!input.SourceType || input.SourceType === (e.sourceType ?? 'db-cluster')),
          )
          .map((e) => ({
            SourceIdentifier: input.SourceIdentifier,
            SourceType: e.sourceType ?? 'db-cluster',
            Message: e.message,
            EventCategories: [e.category ?? 'failover'],
            Date: new Date(e.at),
          })),
      };
    },
    DescribeGlobalClustersCommand: async (input) => {
      checkId(input.GlobalClusterIdentifier);
      return {
        GlobalClusters: [
          {
            GlobalClusterIdentifier: globalClusterId,
            GlobalClusterArn: `arn:aws:rds::${db.accountId}:global-cluster:${globalClusterId}`,
            Status: db.status,
            Engine: 'aurora-postgresql',
            EngineVersion: '14.6',
            ...(db.failoverState && {
              FailoverState: {
                Status: 'failing-over',
                FromDbClusterArn: db.clusters[db.failoverState.from].arn,
                ToDbClusterArn: db.clusters[db.failoverState.to].arn,
                IsDataLossAllowed: db.failoverState.dataLoss,
              },
            }),
            GlobalClusterMembers: APP_REGIONS.map((r) => ({
              DBClusterArn: db.clusters[r].arn,
              IsWriter: db.writer === r,
              Readers: APP_REGIONS.filter((o) => o !== r).map((o) => db.clusters[o].arn),
              GlobalWriteForwardingStatus: 'disabled',
            })),
          },
        ],
      };
    },
    FailoverGlobalClusterCommand: async (input) => {
      checkId(input.GlobalClusterIdentifier);
      const to = target(input.TargetDbClusterIdentifier);
      // A refusal the scenario sets (engine versions differ, the cluster is modifying): nothing changes.
      if (db.refuseFailover) throw new InvalidGlobalClusterStateFault({ message: db.refuseFailover, $metadata: {} });
      if (input.Switchover) {
        db.startSwitchover(to);
      } else {
        if (input.AllowDataLoss !== true)
          throw new InvalidGlobalClusterStateFault({
            message: 'An unplanned failover needs AllowDataLoss (or Switchover for a planned one)',
            $metadata: {},
          });
        db.startFailover(to, true);
      }
      return { GlobalCluster: { GlobalClusterIdentifier: globalClusterId, Status: db.status } };
    },
    SwitchoverGlobalClusterCommand: async (input) => {
      checkId(input.GlobalClusterIdentifier);
      const to = target(input.TargetDbClusterIdentifier);
      const healthy = APP_REGIONS.every((r) => db.clusters[r].available) && !db.replicationCut;
      if (!healthy)
        throw new InvalidGlobalClusterStateFault({
          message: 'Switchover needs every member available and replicating',
          $metadata: {},
        });
      db.startSwitchover(to);
      return { GlobalCluster: { GlobalClusterIdentifier: globalClusterId, Status: db.status } };
    },
  };
}

/** SNS: recorded, nothing else (the call log is the evidence). */
const recordOnly: Handlers = {
  PublishCommand: async () => ({ MessageId: randomUUID() }),
};

export function rdsClient(region: Region, handlers: Handlers, ctx: FakeContext): RDSClient {
  return fake(new RDSClient({ region }), 'rds', region, handlers, ctx);
}

export function snsClient(region: Region, ctx: FakeContext): SNSClient {
  return fake(new SNSClient({ region }), 'sns', region, recordOnly, ctx);
}

/** Secrets Manager in `region`: every replica answers from one store (replication is instant). */
export function secretsClient(
  region: Region,
  store: { readonly client: SecretsManagerClient },
  ctx: FakeContext,
): SecretsManagerClient {
  const forward = (command: Command) => (store.client.send as (c: Command) => Promise<unknown>)(command);
  return fake(new SecretsManagerClient({ region }), 'secretsmanager', region, forward, ctx);
}
