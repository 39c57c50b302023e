/**
 * The live order book in the drill: the book's global table as two replicas of the emulator
 * (scripts/local/book-replicas.ts), one per drill region, on the simulation's clock.
 *
 * - Every call to a replica is a real SDK v3 DynamoDBClient call, through the emulator's in-process
 *   transport (no socket; the same answers as over HTTP), counted as in-flight work of the
 *   simulation (simulated time stands still while it runs).
 * - The drill's network is the book's too: a region that is down takes its replica down (no
 *   caller reaches it, its replication stops), and a cut between the two regions cuts the
 *   cross-region calls (the accept path's peer write, the orchestrator's copy of the writer
 *   item) and the replication between the replicas.
 * - Replication runs on the simulated clock: once a second, copying what is due after the
 *   scenario's lag.
 * - Each region's applier (lambda/book-applier/apply.ts) reads its replica's stream, as the
 *   stream's event source mapping does: a batch from its position, and on a failure it resumes
 *   from the record that failed (ReportBatchItemFailures). It writes to its own region's cluster.
 *   In a region whose Aurora cluster is a read-only secondary the insert fails (SQLSTATE 25006),
 *   so the position stays before that record and the same records are tried again later (the
 *   drill backs off from 1 s to 64 s, and tries at once after any change of the network or a
 *   database: each try costs a new connection): nothing is skipped, and once Aurora promotes that region the backlog is applied
 *   there (ON CONFLICT DO NOTHING keeps it exactly once). The trading path never waits for it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'crypto';
import { bookWriter, type BookReplicas as BookReplicasView, type Durability } from '../../lambda/shared/book-writer';
import { BookReplicas } from '../local/book-replicas';
import { type Apply, StreamPosition } from '../local/stream-position';
import { APP_REGIONS, type AppRegion, type Network } from './network';
import type { Simulation } from './sim';

export const BOOK_TABLE = 'ddb-order-book-drill';
/** How often the replication pump and the appliers' event source mappings look (simulated ms). */
const POLL_MS = 1000;
/**
 * The longest an applier backs off after a failed batch (simulated). Each try against a read-only
 * secondary costs a new database connection (about 50 a scenario with a 16 s cap, most of the
 * standby's CPU), so the drill retries rarely while nothing changes, and at once after any change
 * of the network or a database (a promotion among them: Network.changed).
 */
const APPLIER_MAX_BACKOFF_SECONDS = 64;

export class DrillBook {
  /** Base64 of 32 random bytes: the signing key's secret (lambda/shared/book-order.ts). */
  static signingKeySecret(): string {
    return randomBytes(32).toString('base64');
  }

  private readonly clients = new Map<string, DynamoDBClient>();
  private readonly appliers = new Map<AppRegion, StreamPosition>();

  private constructor(
    readonly replicas: BookReplicas,
    private readonly sim: Simulation,
    private readonly network: Network,
  ) {}

  /** Both replicas, a client for every path between the drill's regions, faults following the network. */
  static async start(sim: Simulation, network: Network): Promise<DrillBook> {
    const replicas = await BookReplicas.start({
      regions: APP_REGIONS as [AppRegion, AppRegion],
      tableName: BOOK_TABLE,
      pumpIntervalMs: 0,
      now: sim.now,
      // No sockets: the same front and dynalite, two HTTP hops per call fewer (test/book-transport.test.ts).
      inProcess: true,
    });
    const book = new DrillBook(replicas, sim, network);
    for (const from of APP_REGIONS) {
      for (const to of APP_REGIONS) {
        // The accept path bounds each call itself (AbortSignal); the client's own timeout is a backstop.
        const client = await replicas.client(from, to, { requestTimeoutMs: 5_000 });
        const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
        Object.assign(client, {
          send: (...args: unknown[]) => {
            // An unreachable replica: the connection is refused, so nothing was sent. (The
            // emulator's own faults model what happens to a request that did leave.)
            if (!network.reachable(from, to))
              return Promise.reject(
                Object.assign(new Error(`connect ECONNREFUSED: dynamodb.${to} unreachable from ${from}`), {
                  code: 'ECONNREFUSED',
                }),
              );
            return sim.track(send(...args), `book ${from}->${to}`);
          },
        });
        book.clients.set(`${from}->${to}`, client);
      }
    }
    network.onChange(() => book.follow());
    book.follow();
    return book;
  }

  /** The book's replicas as callers in `from` reach them (what the functions are given). */
  view(from: AppRegion): BookReplicasView {
    return {
      tableName: BOOK_TABLE,
      regions: APP_REGIONS,
      client: (to) => {
        const c = this.clients.get(`${from}->${to}`);
        if (!c) throw new Error(`drill book: no replica client ${from}->${to}`);
        return c;
      },
    };
  }

  /** The writer item before the scenario starts (what deploying the book writes once). */
  async seedWriter(region: AppRegion, durability: Durability): Promise<void> {
    const moved = await bookWriter(this.view(region)).moveWriter({ to: region, fromEpoch: 0, durability });
    if (!moved.moved || moved.copiedTo.length !== APP_REGIONS.length - 1)
      throw new Error(`drill book: the writer item was not written in both replicas: ${JSON.stringify(moved)}`);
    // No settle here: the move wrote the item to both replicas, and the pump (on the simulated
    // clock, which has not started) would find nothing due: settle() would wait out its timeout.
  }

  private cut = false;

  /** The replication between the replicas stops (or resumes); both keep serving their callers. */
  set replicationCut(cut: boolean) {
    this.cut = cut;
    this.follow();
  }

  /** The network's state, applied to the replicas and every path between the regions. */
  private follow(): void {
    for (const region of APP_REGIONS) this.replicas.replica(region).down = !this.network.isUp(region);
    for (const from of APP_REGIONS)
      for (const to of APP_REGIONS) this.replicas.path(from, to).reset = !this.network.reachable(from, to);
    this.replicas.partitioned = this.cut || !this.network.reachable(APP_REGIONS[0], APP_REGIONS[1]);
  }

  /**
   * Replication and each region's applier, on the simulated clock, while that region and its
   * cluster are up. An applier whose cluster is down would fail its batch and keep the record for
   * its retry, as a Lambda event source mapping does; it is not run then, because a connection to
   * a down cluster waits out its connect timeout in real time, which the simulated clock cannot
   * skip (a long database loss would take the run tens of minutes).
   */
  schedule(apply: Record<AppRegion, Apply>, clusterUp: (region: AppRegion) => boolean): void {
    this.network.onChange(() => {
      for (const applier of this.appliers.values()) applier.retrySoon();
    });
    this.sim.every('book replication', POLL_MS, this.sim.now(), () =>
      this.sim.track(this.replicas.replicateNow(), 'book replication'),
    );
    for (const region of APP_REGIONS) {
      const applier = new StreamPosition(
        region,
        () => this.replicas.stream(region),
        apply[region],
        APPLIER_MAX_BACKOFF_SECONDS,
      );
      this.appliers.set(region, applier);
      this.sim.every(`book applier ${region}`, POLL_MS, this.sim.now() + POLL_MS / 2, async () => {
        if (this.network.isUp(region) && clusterUp(region)) await applier.poll(this.sim.now());
      });
    }
  }

  /**
   * After the run: replication caught up where it can be, then `region`'s applier through its
   * whole stream (the ledger is judged on what the writer's applier has applied). Throws when
   * the applier cannot get through (its cluster refuses), naming the position.
   */
  async settle(region: AppRegion): Promise<void> {
    this.replicas.lagMs = 0;
    const linked = !this.replicas.partitioned && APP_REGIONS.every((r) => !this.replicas.replica(r).down);
    if (linked && !(await this.replicas.settle(5_000))) throw new Error('drill book: replication did not catch up');
    const applier = this.appliers.get(region);
    if (!applier) return;
    // Past any back-off: the run is over, so each try is the next retry (a poll still inside its
    // back-off would apply nothing and report success, and this loop would never end).
    for (let attempt = 0; applier.behind > 0; attempt++) {
      if (!(await applier.poll(Number.POSITIVE_INFINITY)) && attempt >= 5)
        throw new Error(`drill book: ${region}'s applier is stuck ${applier.behind} record(s) from the end`);
    }
  }

  /** Records `region`'s applier has still to apply (0 before the appliers are scheduled). */
  behind(region: AppRegion): number {
    return this.appliers.get(region)?.behind ?? 0;
  }

  /** Batches each region's applier had to retry (a read-only secondary's, mostly). */
  applierRetries(): Record<AppRegion, number> {
    return Object.fromEntries(APP_REGIONS.map((r) => [r, this.appliers.get(r)?.failures ?? 0])) as Record<
      AppRegion,
      number
    >;
  }

  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.destroy();
    await this.replicas.stop();
  }
}
