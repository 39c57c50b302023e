/**
 * Over 320 lines, with a reason: one state machine (failover, switchover, rejoin, reset) over one
 * server pair and the endpoints that follow it. The next cut: the endpoint routes (what the
 * proxy fabric asks) into their own module.
 *
 * An Aurora global database made of two real PostgreSQL servers: one cluster per region, each
 * with a writer and a reader endpoint, a global writer endpoint that follows the writer, and
 * storage replication modelled by streaming replication through a link the drill can cut.
 *
 * Failover (`AllowDataLoss`) promotes the secondary after the promotion time and leaves the old
 * primary as it is until it is reachable again; then it is rebuilt as a secondary from the new
 * writer, after a "snapshot" that records the writes it held that the new writer lacks (AWS's
 * `rds:unplanned-global-failover-*` snapshot). Until then it stays writable for whoever still
 * reaches it: that is what a false promotion during a partition costs. Switchover waits for the
 * secondary to catch up, stops the primary cleanly, promotes, and restarts the old primary as a
 * secondary of the new writer (no data loss).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Endpoint, Network, ProxyFabric, Region, Route, AppRegion, APP_REGIONS, addressOf } from './network';
import {
  coldCopy,
  initDataDir,
  PgServer,
  REPLICATION_PASSWORD,
  REPLICATION_USER,
  rebuildStandby,
  scratchDir,
} from './postgres';
import type { Simulation } from './sim';
import { SCHEMA } from '../../lambda/schema/roles';
import { freePort } from './network';

/** The trading schema's orders table (lambda/schema). */
export const ORDERS_TABLE = `${SCHEMA}.orders`;

export const DB_NAME = 'trading';
export const MASTER_USER = 'tapadmin';
export const MASTER_PASSWORD = 'drill-master-password-1';

const ENDPOINT_INDEX = {
  'us-east-1': { writer: 11, reader: 12 },
  'eu-west-1': { writer: 21, reader: 22 },
  global: 31,
  replication: 41,
} as const;

export type GlobalStatus = 'available' | 'failing-over' | 'switching-over';

export interface Cluster {
  readonly region: AppRegion;
  readonly arn: string;
  server: PgServer;
  /** False while the cluster is down (in-region failover, patching, a regional outage). */
  available: boolean;
  /** Promoted away from while unreachable: rebuilt as a secondary once reachable again. */
  pendingRejoin: boolean;
  /** Being rebuilt: its endpoints refuse connections, its WAL stream is allowed. */
  rebuilding?: boolean;
  /**
   * Lost for good (not an in-region failover): Aurora's attempt to fail over in the region
   * failed, and the cluster is reported as RDS reports it then (see `loseCluster`).
   */
  lost?: boolean;
}

export interface PromotionRecord {
  readonly at: number;
  readonly kind: 'failover' | 'switchover';
  readonly from: AppRegion;
  readonly to: AppRegion;
}

export interface RejoinRecord {
  readonly at: number;
  readonly region: AppRegion;
  /** Client order ids the old primary held that the new writer did not (kept in the snapshot). */
  readonly snapshotOnly: readonly string[];
}

export interface DatabaseTimings {
  /** Simulated seconds a FailoverGlobalCluster or SwitchoverGlobalCluster takes. */
  promotionSeconds: number;
}

export class GlobalDatabase {
  readonly clusters: Record<AppRegion, Cluster>;
  writer: AppRegion | undefined = 'us-east-1';
  status: GlobalStatus = 'available';
  failoverState?: { from: AppRegion; to: AppRegion; dataLoss: boolean };
  /** Storage replication stopped (lag grows) while true. */
  replicationCut = false;
  readonly promotions: PromotionRecord[] = [];
  /** When each FailoverGlobalCluster/SwitchoverGlobalCluster was accepted (the promotion started). */
  readonly promotionStarts: { readonly at: number; readonly kind: PromotionRecord['kind'] }[] = [];
  readonly rejoins: RejoinRecord[] = [];
  /** RDS events of each cluster (DescribeEvents), as an in-region failover emits them. */
  readonly events: {
    readonly at: number;
    readonly region: AppRegion;
    readonly message: string;
    /** The event's category (default failover). */
    readonly category?: string;
    /** The event's source type (default db-cluster; an instance's own events are db-instance). */
    readonly sourceType?: 'db-cluster' | 'db-instance';
  }[] = [];
  /** While set, FailoverGlobalCluster is refused with this message (InvalidGlobalClusterStateFault). */
  refuseFailover?: string;
  readonly timings: DatabaseTimings = { promotionSeconds: 120 };
  private sim?: Simulation;
  private lastPromoted?: PgServer;

  private constructor(
    private readonly network: Network,
    readonly fabric: ProxyFabric,
    servers: [PgServer, PgServer],
    readonly accountId: string,
  ) {
    this.clusters = {
      'us-east-1': {
        region: 'us-east-1',
        arn: `arn:aws:rds:us-east-1:${accountId}:cluster:aurora-use1-drill`,
        server: servers[0],
        available: true,
        pendingRejoin: false,
      },
      'eu-west-1': {
        region: 'eu-west-1',
        arn: `arn:aws:rds:eu-west-1:${accountId}:cluster:aurora-euw1-drill`,
        server: servers[1],
        available: true,
        pendingRejoin: false,
      },
    };
    network.onChange(() => this.wakeStandby());
  }

  /** Start both servers (primary in us-east-1, standby in eu-west-1) and every endpoint. */
  static async create(
    network: Network,
    accountId: string,
    setup: (primary: PgServer) => Promise<void>,
  ): Promise<GlobalDatabase> {
    const dir = scratchDir('tap-drill-');
    const servers: [PgServer, PgServer] = [
      new PgServer({ name: 'pg_a', port: await freePort(), dataDir: path.join(dir, 'a') }),
      new PgServer({ name: 'pg_b', port: await freePort(), dataDir: path.join(dir, 'b') }),
    ];
    const fabric = new ProxyFabric(network, await freePort());
    const db = new GlobalDatabase(network, fabric, servers, accountId);
    db.scratch = dir;
    try {
      for (const endpoint of db.endpoints()) await fabric.listen(endpoint);
      const [primary, standby] = servers;
      await initDataDir(primary.options.dataDir);
      await primary.start();
      await primary.query(`CREATE ROLE ${REPLICATION_USER} REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}'`);
      await setup(primary);
      await coldCopy(primary, standby);
      await primary.start();
      await standby.start(db.upstreamOf('eu-west-1'));
      await db.waitForReplication();
    } catch (e) {
      // A start that fails half way (a connect timeout on a loaded machine) closes what it opened:
      // the fabric's 18 listeners and a running server would hold the process (a jest worker) open.
      await db.close();
      throw e;
    }
    return db;
  }

  private scratch?: string;

  attach(sim: Simulation): void {
    this.sim = sim;
  }

  /** The addresses a caller in `from` uses for each endpoint. */
  hosts(from: Region): { writer: Record<AppRegion, string>; reader: Record<AppRegion, string>; global: string } {
    return {
      writer: {
        'us-east-1': addressOf(from, { index: ENDPOINT_INDEX['us-east-1'].writer }),
        'eu-west-1': addressOf(from, { index: ENDPOINT_INDEX['eu-west-1'].writer }),
      },
      reader: {
        'us-east-1': addressOf(from, { index: ENDPOINT_INDEX['us-east-1'].reader }),
        'eu-west-1': addressOf(from, { index: ENDPOINT_INDEX['eu-west-1'].reader }),
      },
      global: addressOf(from, { index: ENDPOINT_INDEX.global }),
    };
  }

  get port(): number {
    return this.fabric.port;
  }

  regionOf(server: PgServer): AppRegion {
    return APP_REGIONS.find((r) => this.clusters[r].server === server)!;
  }

  private endpoints(): Endpoint[] {
    const clusterRoute = (region: AppRegion) => {
      const cluster = this.clusters[region];
      return cluster.available && !cluster.rebuilding
        ? { region, port: cluster.server.port, key: cluster.server.name }
        : undefined;
    };
    return [
      ...APP_REGIONS.flatMap((region): Endpoint[] => [
        // A secondary's writer endpoint still takes connections: reads work, writes fail 25006.
        { name: `${region} writer`, index: ENDPOINT_INDEX[region].writer, route: () => clusterRoute(region) },
        { name: `${region} reader`, index: ENDPOINT_INDEX[region].reader, route: () => clusterRoute(region) },
      ]),
      {
        name: 'global writer',
        index: ENDPOINT_INDEX.global,
        route: () => (this.status === 'available' && this.writer ? clusterRoute(this.writer) : undefined),
      },
      {
        // The standby's WAL stream: from the standby's region to the writer.
        name: 'replication',
        index: ENDPOINT_INDEX.replication,
        route: (from) => this.replicationRoute(from),
      },
    ];
  }

  private replicationRoute(from: Region): Route | undefined {
    const source = this.replicationSource();
    if (this.replicationCut || !source) return undefined;
    const standby = APP_REGIONS.find((r) => r !== source)!;
    if (from !== standby || !this.clusters[standby].available) return undefined;
    const writer = this.clusters[source];
    return writer.available ? { region: source, port: writer.server.port, key: writer.server.name } : undefined;
  }

  /**
   * Where the standby streams WAL from: the writer, or during a switchover the writer being
   * switched away from (a switchover first lets the secondary catch up: no data loss).
   */
  private replicationSource(): AppRegion | undefined {
    if (this.writer) return this.writer;
    return this.failoverState && !this.failoverState.dataLoss ? this.failoverState.from : undefined;
  }

  /** The standby's route to its upstream after the last change (undefined: none), for `wakeStandby`. */
  private standbyRoute?: string;

  /**
   * After a change of the network or a cluster: a standby whose route to its upstream has just
   * returned (or now leads elsewhere) is woken to stream again at once, instead of at its next
   * retry (postgres.ts, wal_retrieve_retry_interval), which would be real time the simulated
   * clock does not stand still for.
   */
  private wakeStandby(): void {
    const source = this.replicationSource();
    const standby = source && APP_REGIONS.find((r) => r !== source)!;
    const route = standby && this.replicationRoute(standby);
    const key = route && this.network.reachable(standby!, route.region) ? route.key : undefined;
    if (key !== undefined && key !== this.standbyRoute) this.clusters[standby!].server.wake();
    this.standbyRoute = key;
  }

  private upstreamOf(standbyRegion: AppRegion): { host: string; port: number } {
    return { host: addressOf(standbyRegion, { index: ENDPOINT_INDEX.replication }), port: this.port };
  }

  /**
   * The cluster is lost while its region lives (every instance gone): Aurora starts an in-region
   * failover, which fails `failedAfterSeconds` later with RDS-EVENT-0069 ("Cluster failover
   * failed"; Aurora user guide, DB cluster events). The API goes on reporting the cluster
   * `available` (a status belongs to the cluster, not to its instances), so the gate reads a
   * database that says it is healthy and leaves the promotion to an operator.
   */
  loseCluster(region: AppRegion, failedAfterSeconds: number): void {
    this.setAvailable(region, false);
    this.clusters[region].lost = true;
    const sim = this.sim;
    sim?.at(sim.now() + failedAfterSeconds * 1000, () =>
      this.events.push({
        at: sim.now(),
        region,
        message: 'Cluster failover failed, check the health of your cluster instances and try again.',
      }),
    );
  }

  /**
   * The cluster's only instance is recreated (a cluster without a replica): Aurora recreates the
   * writer in the same Availability Zone, "typically under 10 minutes" (Aurora user guide, "High
   * availability for Amazon Aurora", fault tolerance). The cluster is unreachable meanwhile and
   * reports itself `available`, as for a lost cluster (the status belongs to the cluster). What
   * Aurora is doing shows only in the instance's own events (RDS-EVENT-0020 "Recovery of the DB
   * instance has started", RDS-EVENT-0021 "... is complete", category recovery, source type
   * db-instance: RDS event categories and messages; DocumentDB, which uses the RDS event
   * definitions, lists the same two), which a DescribeEvents for the cluster does not return.
   */
  recreateInstance(region: AppRegion, seconds: number): void {
    const sim = this.sim!;
    const event = (message: string) =>
      this.events.push({ at: sim.now(), region, message, category: 'recovery', sourceType: 'db-instance' });
    event('Recovery of the DB instance has started. Recovery time will vary with the amount of data to be recovered.');
    this.clusters[region].available = false;
    this.clusters[region].lost = true;
    this.network.changed();
    sim.at(sim.now() + seconds * 1000, () => {
      event('Recovery of the DB instance is complete.');
      this.clusters[region].available = true;
      this.clusters[region].lost = false;
      this.network.changed();
      this.rejoinIfDue();
    });
  }

  /** A fault or a recovery: the cluster goes down or comes back (a rejoin may follow). */
  setAvailable(region: AppRegion, available: boolean): void {
    if (this.clusters[region].available !== available && this.sim) {
      // RDS-EVENT-0073 / RDS-EVENT-0071 (Aurora user guide, DB cluster events).
      this.events.push({
        at: this.sim.now(),
        region,
        message: available ? 'Completed failover to DB instance' : 'Started cross AZ failover to DB instance',
      });
    }
    this.clusters[region].available = available;
    if (available) this.clusters[region].lost = false;
    this.network.changed();
    if (available) this.rejoinIfDue();
  }

  setReplicationCut(cut: boolean): void {
    this.replicationCut = cut;
    this.network.changed();
  }

  /** Called after network changes: an old primary that became reachable is rebuilt. */
  rejoinIfDue(): void {
    if (!this.sim || !this.writer || this.status !== 'available') return;
    for (const region of APP_REGIONS) {
      const cluster = this.clusters[region];
      if (cluster.pendingRejoin && cluster.available && this.network.reachable(region, this.writer)) {
        cluster.pendingRejoin = false;
        const sim = this.sim;
        sim.spawn(`rejoin ${region}`, () => sim.track(this.rejoin(region), `rejoin ${region}`));
      }
    }
  }

  private async rejoin(region: AppRegion): Promise<void> {
    const old = this.clusters[region];
    const writer = this.clusters[this.writer!].server;
    const ids = async (server: PgServer) =>
      new Set(
        (await server.query<{ id: string }>(`SELECT client_order_id AS id FROM ${ORDERS_TABLE}`, [], DB_NAME)).map(
          (r) => r.id,
        ),
      );
    const [held, kept] = await Promise.all([ids(old.server), ids(writer)]);
    this.rejoins.push({ at: this.sim!.now(), region, snapshotOnly: [...held].filter((id) => !kept.has(id)) });
    old.rebuilding = true;
    this.network.changed();
    try {
      await rebuildStandby(writer, old.server, this.upstreamOf(region));
    } finally {
      old.rebuilding = false;
      this.network.changed();
    }
  }

  /** FailoverGlobalCluster: validated by the SDK fake; promotion completes after the delay. */
  startFailover(to: AppRegion, dataLoss: boolean): void {
    const from = this.writer!;
    this.promotionStarts.push({ at: this.sim!.now(), kind: 'failover' });
    this.status = 'failing-over';
    this.failoverState = { from, to, dataLoss };
    this.writer = undefined;
    this.network.changed();
    const sim = this.sim!;
    sim.at(sim.now() + this.timings.promotionSeconds * 1000, () =>
      sim.spawn('promotion', () =>
        sim.track(
          (async () => {
            await this.promote(to);
            this.promotions.push({ at: sim.now(), kind: 'failover', from, to });
            this.clusters[from].pendingRejoin = true;
            this.status = 'available';
            this.failoverState = undefined;
            this.network.changed();
            this.rejoinIfDue();
          })(),
          `promotion of ${to}`,
        ),
      ),
    );
  }

  /** SwitchoverGlobalCluster: no data loss; needs both clusters up and connected. */
  startSwitchover(to: AppRegion): void {
    const from = this.writer!;
    this.promotionStarts.push({ at: this.sim!.now(), kind: 'switchover' });
    this.status = 'switching-over';
    this.failoverState = { from, to, dataLoss: false };
    this.writer = undefined;
    this.network.changed();
    const sim = this.sim!;
    sim.at(sim.now() + this.timings.promotionSeconds * 1000, () =>
      sim.spawn('switchover', () =>
        sim.track(
          (async () => {
            const old = this.clusters[from].server;
            await this.waitForReplication(20_000, from);
            await old.stop();
            await this.promote(to);
            await old.start(this.upstreamOf(from));
            this.promotions.push({ at: sim.now(), kind: 'switchover', from, to });
            this.status = 'available';
            this.failoverState = undefined;
            this.network.changed();
          })(),
          `switchover to ${to}`,
        ),
      ),
    );
  }

  private async promote(to: AppRegion): Promise<void> {
    const server = this.clusters[to].server;
    await server.query('SELECT pg_promote(true, 60)');
    this.lastPromoted = server;
    this.writer = to;
  }

  /** Whether WAL flows from the writer to the secondary right now. */
  replicating(): boolean {
    if (this.replicationCut || !this.writer || this.status !== 'available') return false;
    const standby = APP_REGIONS.find((r) => r !== this.writer)!;
    const clusters = [this.clusters[this.writer], this.clusters[standby]];
    return (
      clusters.every((c) => c.available && !c.rebuilding && !c.pendingRejoin) &&
      this.network.reachable(standby, this.writer)
    );
  }

  /** Wait until the standby has replayed everything the writer has written. */
  async waitForReplication(timeoutMs = 20_000, from = this.writer ?? 'us-east-1'): Promise<void> {
    const writer = this.clusters[from].server;
    const standby = APP_REGIONS.map((r) => this.clusters[r].server).find((s) => s !== writer)!;
    const target = (await writer.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const caughtUp = (
        await standby.query<{ ok: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok', [
          target,
        ])
      )[0].ok;
      if (caughtUp) return;
      if (Date.now() > deadline) throw new Error(`standby ${standby.name} did not catch up:\n${standby.recentLog()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Back to a steady state between scenarios: every cluster up, one writer (the last one
   * promoted if a failover split the pair) now called us-east-1, its peer a fresh secondary
   * in eu-west-1, no orders.
   */
  async reset(clearData: (writer: PgServer) => Promise<void>): Promise<void> {
    this.sim = undefined;
    this.replicationCut = false;
    this.refuseFailover = undefined;
    this.events.length = 0;
    this.status = 'available';
    this.failoverState = undefined;
    const servers = APP_REGIONS.map((r) => this.clusters[r].server);
    const writable: PgServer[] = [];
    for (const server of servers) {
      if (!server.running) continue;
      if (!(await server.inRecovery())) writable.push(server);
    }
    const writer = writable.includes(this.lastPromoted!) ? this.lastPromoted! : writable[0];
    if (!writer) throw new Error('no writable server left to reset from');
    const standby = servers.find((s) => s !== writer)!;
    this.clusters['us-east-1'].server = writer;
    this.clusters['eu-west-1'].server = standby;
    for (const region of APP_REGIONS) {
      this.clusters[region].available = true;
      this.clusters[region].pendingRejoin = false;
    }
    this.writer = 'us-east-1';
    this.promotions.length = 0;
    this.promotionStarts.length = 0;
    this.rejoins.length = 0;
    this.network.changed();
    await clearData(writer);
    const streaming = await writer.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'",
      [standby.name],
    );
    if (!standby.running || streaming[0].n === 0 || !(await standby.inRecovery())) {
      await rebuildStandby(writer, standby, this.upstreamOf('eu-west-1'));
    } else {
      await standby.reconnect(this.upstreamOf('eu-west-1'));
    }
    await this.waitForReplication();
  }

  async close(): Promise<void> {
    await this.fabric.close();
    for (const region of APP_REGIONS) await this.clusters[region].server.stop();
    if (this.scratch) fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
