/**
 * Over 320 lines, with a reason and a seam to cut next: `Drill` wires one scenario's whole world
 * in order (secrets, book, regions, appliers, traffic, the failover schedule, clients), and that
 * order is the setup's meaning. The next split is along its two long methods: `runScenario`'s
 * world assembly and `scheduleFailover`'s canary and orchestrator timetable, each its own module.
 *
 * The drill: one pair of PostgreSQL servers for the whole run, and per scenario a fresh
 * simulation, fresh AWS fakes, fresh execution environments for every function, two clients
 * sending orders, and the scenario's faults on the timeline. Afterwards the final writer's
 * table is compared with every acknowledgement the clients received.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Client } from 'pg';
import { FakeSecretsManager } from '../local/secrets';
import {
  canaryProbe,
  type CanaryProbes,
  canarySettings,
  deploySchema,
  DNS_RESOLVER_OPTIONS,
  evidenceStore,
  FAILOVER_TIMEOUTS,
  FailoverSetup,
  invokeCanary,
  invokeOrchestrator,
  type OrchestratorClients,
  orchestratorConfig,
  RegionEndpoints,
  rotationStep,
  SCHEDULE_EVENT,
} from './adapters';
import { promotionGateSeconds } from './promotion-gate';
import { CallLog, fake, FakeContext, rdsClient, rdsHandlers, secretsClient, snsClient } from './aws';
import { FakeTable } from './dynamodb';
import { BOOK_TABLE, DrillBook } from './book';
import { applyBookRecords } from '../../lambda/book-applier/apply';
import { localLedger } from '../../lambda/book-applier/ledger';
import { parseSigningKey } from '../../lambda/shared/book-order';
import { bookWriter } from '../../lambda/shared/book-writer';
import { replicaBookControl } from '../../lambda/orchestrator/order-book';
import { CredentialedPool } from '../../lambda/shared/credentialed-pool';
import { boundedClientSettings } from '../../lambda/shared/postgres';
import { SecretCache } from '../../lambda/shared/secret-cache';
import { OrderLedger } from '../../lambda/book-applier/order-ledger';
import { OrderClient } from './client';
import { DB_NAME, GlobalDatabase, MASTER_PASSWORD, ORDERS_TABLE } from './database';
import { measure, ScenarioResult } from './metrics';
import { AppRegion, APP_REGIONS, Network, Vantage } from './network';
import type { PgServer } from './postgres';
import { RegionApp } from './region';
import type { Scenario } from './scenarios';
import { DrillSettings, dialsFor } from './settings';
import { drawPhases, type Phases } from './phases';
import { Simulation } from './sim';
import { Cadence } from './cadence';
import { makeCertificate, DrillTls } from './tls';
import { Accelerator, Route53 } from './traffic';
import { type CanaryVote, MemoryLogger, ScenarioWorld } from './world';
import { DrillArbiter, scheduleKeeper } from './keeper';
import { apiHostNames } from '../../lib/config/api-hosts';
import { MemoryLedgerStore } from '../../lambda/trading/request-ledger';
import { ACCELERATOR_PICKUP_MAX_SECONDS, ROUTE53_CHECKERS, seededRandom } from '../../lib/model/rto-model';
import type { ProbeObservation } from '../../lambda/canary/probe';

export const ACCOUNT = '123456789012';
export const APP_PASSWORD = 'drill-app-password-1';
/** Where the users are: outside AWS, in North America. */
export const USER_VANTAGE: Vantage = 'us-west-1';
/** The two trading clients, each with its own signing key. */
export const DRILL_CLIENTS = {
  ga: { clientId: 'drill-accelerator', key: 'drill-accelerator-signing-key-0123456789abcdef' },
  dns: { clientId: 'drill-route53', key: 'drill-route53-signing-key-0123456789abcdef0123' },
  stale: { clientId: 'drill-stale', key: 'drill-stale-instance-signing-key-0123456789ab' },
};
/** Regions with a canary: outside the primary, independent of each other. */
export const CANARY_VANTAGES = ['eu-west-1', 'us-west-2'];
const EPOCH = Date.UTC(2026, 0, 5, 14, 30, 0);
const CODE: Record<AppRegion, string> = { 'us-east-1': 'use1', 'eu-west-1': 'euw1' };

export class Drill {
  private constructor(
    readonly settings: DrillSettings,
    readonly network: Network,
    readonly db: GlobalDatabase,
    private readonly tls: DrillTls,
  ) {}

  static async start(settings: DrillSettings): Promise<Drill> {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    const network = new Network();
    const db = await GlobalDatabase.create(network, ACCOUNT, async (primary) => {
      await primary.query(`CREATE ROLE ${settings.dbMasterUsername} LOGIN CREATEROLE PASSWORD '${MASTER_PASSWORD}'`);
      await primary.query(`CREATE DATABASE ${DB_NAME} OWNER ${settings.dbMasterUsername}`);
      await primary.query(`ALTER SCHEMA public OWNER TO ${settings.dbMasterUsername}`, [], DB_NAME);
    });
    const drill = new Drill(settings, network, db, makeCertificate(settings.domainName));
    try {
      await drill.deploy();
    } catch (e) {
      await drill.close();
      throw e;
    }
    return drill;
  }

  /**
   * What `pulumi up` leaves behind: the schema function run once as master, then the app
   * secret's first rotation, which creates the application's login user.
   */
  private async deploy(): Promise<void> {
    const sim = new Simulation(EPOCH);
    const ctx = { network: this.network, sim: () => sim, log: new CallLog() };
    const store = new FakeSecretsManager();
    const { master, app } = this.createSecrets(store, APP_PASSWORD);
    const client = secretsClient('us-east-1', store, ctx);
    const logger = new MemoryLogger();
    await deploySchema(client, master, logger);
    const token = store.startRotation(app);
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'])
      await rotationStep({ SecretId: app, ClientRequestToken: token, Step: step }, client, logger);
    store.restore();
    await this.db.waitForReplication();
  }

  /** The order API's client keys (limits high: the API's rate limiter runs on the real clock). */
  private createClientKeys(store: FakeSecretsManager): string {
    return store.create(
      `secret-client-keys-${this.settings.environmentSuffix}`,
      Object.fromEntries(
        Object.values(DRILL_CLIENTS).map((c) => [
          c.clientId,
          { key: c.key, limits: { ratePerSecond: 10_000, burst: 100_000 } },
        ]),
      ),
      false,
    );
  }

  private createSecrets(store: FakeSecretsManager, appPassword: string): { master: string; app: string } {
    const common = {
      engine: 'postgres',
      // The global writer endpoint, as credentials-stack.ts writes it (seen from us-east-1,
      // where the rotation function runs).
      host: this.db.hosts('us-east-1').global,
      port: this.db.port,
      dbname: DB_NAME,
    };
    const master = store.create(`secret-db-master-${this.settings.environmentSuffix}`, {
      ...common,
      username: this.settings.dbMasterUsername,
      password: MASTER_PASSWORD,
    });
    const app = store.create(`secret-db-app-${this.settings.environmentSuffix}`, {
      ...common,
      username: this.settings.dbAppUsername,
      password: appPassword,
      masterarn: master,
    });
    return { master, app };
  }

  endpoints(region: AppRegion, clientKeysSecretArn: string, bookSigningSecretArn: string): RegionEndpoints {
    return {
      region,
      role: region === 'us-east-1' ? 'primary' : 'secondary',
      clientKeysSecretArn,
      apiHosts: apiHostNames(this.settings, region),
      authTableName: `ddb-auth-ledger-${CODE[region]}-${this.settings.environmentSuffix}`,
      book: {
        tableName: BOOK_TABLE,
        peerRegion: APP_REGIONS.find((r) => r !== region)!,
        signingSecretArn: bookSigningSecretArn,
      },
    };
  }

  albDnsName(region: AppRegion): string {
    return `alb-${CODE[region]}-${this.settings.environmentSuffix}-1234567890.${region}.elb.amazonaws.com`;
  }

  async runScenario(scenario: Scenario, seed: number): Promise<ScenarioResult> {
    const started = Date.now();
    const s = this.settings;
    this.network.reset();
    await this.db.reset(async (writer) => this.clearData(writer));
    this.db.timings.promotionSeconds = scenario.promotionSeconds ?? s.dbPromotionEstimateSeconds;

    const sim = new Simulation(EPOCH);
    sim.activate();
    this.db.attach(sim);
    const random = seededRandom(seed);
    // The run's phases are the first draws of its seed (scripts/drill/phases.ts).
    const phases = drawPhases(random, CANARY_VANTAGES.length);
    const log = new CallLog();
    const fakeContext = (from?: Vantage): FakeContext => ({ network: this.network, sim: () => sim, log, from });
    const logger = new MemoryLogger();
    const secrets = new FakeSecretsManager();
    const { app } = this.createSecrets(secrets, APP_PASSWORD);
    const clientKeys = this.createClientKeys(secrets);
    const signingKey = DrillBook.signingKeySecret();
    const bookSecret = secrets.create(`secret-book-signing-${s.environmentSuffix}`, signingKey, false);
    const durability = scenario.orderDurability ?? s.orderDurability;
    const book = await DrillBook.start(sim, this.network);
    await book.seedWriter('us-east-1', durability);

    const failover = this.failoverSetup(scenario.https ?? false, durability);
    // The orchestrator's evidence table: its fence record is also what the order journal reads.
    const evidenceTable = new FakeTable(failover.evidenceTable);
    const regions = {} as Record<AppRegion, RegionApp>;
    for (const region of APP_REGIONS) {
      regions[region] = new RegionApp(
        {
          region,
          endpoints: this.endpoints(region, clientKeys, bookSecret),
          albDnsName: this.albDnsName(region),
          alb: {
            intervalSeconds: s.albHealthCheckIntervalSeconds,
            timeoutSeconds: s.albHealthCheckTimeoutSeconds,
            healthyThreshold: s.albHealthyThreshold,
            unhealthyThreshold: s.albUnhealthyThreshold,
          },
          tls: this.tls,
        },
        this.network,
        sim,
      );
    }
    for (const region of APP_REGIONS) {
      const r = regions[region];
      await r.start(
        {
          secrets: secretsClient(region, secrets, fakeContext(region)),
          book: book.view(region),
          ledger: new MemoryLedgerStore(),
        },
        logger,
      );
      r.schedule();
    }
    // Each region's applier writes to its own cluster (its writer endpoint), never the global one.
    const ledgers = APP_REGIONS.map((region) => {
      const pool = new CredentialedPool(new SecretCache(secretsClient(region, secrets, fakeContext(region)), app), {
        host: this.db.hosts(region).writer[region],
        port: this.db.port,
        database: DB_NAME,
        max: 1,
        ...boundedClientSettings({ connectMs: 2_000, queryMs: 5_000 }),
      });
      return { region, pool, store: new OrderLedger(pool) };
    });
    const keys = [parseSigningKey(signingKey)];
    book.schedule(
      Object.fromEntries(
        ledgers.map(({ region, store }) => [
          region,
          (records: Parameters<typeof applyBookRecords>[0]) =>
            applyBookRecords(records, {
              // As the handler composes it (lambda/book-applier/handler.ts): insert where this
              // region's cluster writes, confirm the replicated row where it is a read-only secondary.
              restore: localLedger(store, () => sim.now()),
              keys: async () => keys,
              logger,
            }),
        ]),
      ) as Parameters<typeof book.schedule>[0],
      (region) => this.db.clusters[region].available,
    );
    const dials = dialsFor(s.trafficPolicy);
    const accelerator = new Accelerator(
      regions,
      this.network,
      sim,
      { 'us-east-1': dials.primary, 'eu-west-1': dials.secondary },
      // One draw from the distribution the RTO model uses (undocumented; up to 30 s).
      Math.round(random() * ACCELERATOR_PICKUP_MAX_SECONDS) * 1000,
    );
    accelerator.schedule();
    const route53 = new Route53(
      regions,
      {
        intervalSeconds: s.route53HealthCheckIntervalSeconds,
        failureThreshold: s.route53FailureThreshold,
        ttlSeconds: s.dnsTtlSeconds,
        checkers: ROUTE53_CHECKERS,
      },
      sim,
      random,
    );
    const cadence: Cadence = new Cadence(
      sim.now,
      [() => world.decisions, () => world.writerMoves],
      () => this.network.version,
    );
    for (const region of APP_REGIONS) regions[region].quiet = () => cadence.quiet();
    const world: ScenarioWorld = new ScenarioWorld(
      sim,
      this.network,
      this.db,
      regions,
      accelerator,
      route53,
      secrets,
      app,
      fakeContext,
      logger,
      book,
      cadence,
    );
    this.scheduleFailover(world, failover, evidenceTable, fakeContext, logger, book, phases);
    // The ledger's lag behind the book, where Aurora writes, each time it changes (the timeline).
    sim.every('ledger sample', 1000, sim.now() + 1000, async () => {
      const region = this.db.writer;
      const last = world.ledgerBehind.at(-1);
      const behind = region ? book.behind(region) : -1;
      if (region && (last?.region !== region || last.behind !== behind))
        world.ledgerBehind.push({ at: sim.now(), region, behind });
    });

    const clients = [
      new OrderClient(
        'ga',
        sim,
        regions,
        () => accelerator.route(USER_VANTAGE),
        USER_VANTAGE,
        scenario.name,
        DRILL_CLIENTS.ga,
        `https://global.${s.domainName}`,
        world.cadence,
      ),
      new OrderClient(
        'dns',
        sim,
        regions,
        route53.resolver(sim),
        USER_VANTAGE,
        scenario.name,
        DRILL_CLIENTS.dns,
        `https://api.${s.domainName}`,
        world.cadence,
      ),
    ];
    // An instance inside us-east-1 that never heard: it sends there whatever happens.
    if (scenario.staleClient)
      clients.push(
        new OrderClient(
          'stale',
          sim,
          regions,
          () => 'us-east-1',
          'us-east-1',
          scenario.name,
          DRILL_CLIENTS.stale,
          `https://api.${s.domainName}`,
          world.cadence,
        ),
      );
    for (const client of clients) client.start();
    scenario.faults(world);

    await sim.runUntil(EPOCH + scenario.durationSeconds * 1000);
    sim.stop();
    Simulation.deactivate();

    const writerRegion = this.db.writer ?? this.db.failoverState?.from ?? 'us-east-1';
    // The writer's applier through its whole stream: the ledger is judged on what it applied.
    try {
      await book.settle(writerRegion);
    } catch (e) {
      sim.errors.push(e);
    }
    const writer = this.db.clusters[writerRegion].server;
    const rows = await writer.query<{ client_order_id: string; id: string }>(
      `SELECT client_order_id, id::text AS id FROM ${ORDERS_TABLE}`,
      [],
      DB_NAME,
    );
    for (const rotation of world.rotations) {
      rotation.currentLogsIn = await logsIn(writer, secrets.current(app));
    }
    const result = measure({
      scenario,
      settings: s,
      epoch: EPOCH,
      end: EPOCH + scenario.durationSeconds * 1000,
      acks: clients.map((c) => ({
        client: c.name,
        acks: c.acks,
        attempts: c.attempts,
        pending: c.pendingId,
        stale: c.name === 'stale',
      })),
      rows,
      promotions: this.db.promotions,
      // A promotion called but not finished when the run ends counts: it cannot be taken back.
      promotionInProgress: this.db.failoverState !== undefined,
      promotionStarts: this.db.promotionStarts,
      rejoins: this.db.rejoins,
      seed,
      phases,
      votes: world.votes,
      ledgerBehind: world.ledgerBehind,
      decisions: world.decisions,
      writerMoves: world.writerMoves,
      rotations: world.rotations,
      gateSeconds: promotionGateSeconds(failover),
      harnessErrors: sim.errors.map((e) => (e instanceof Error ? e.message : String(e))),
      crashes: sim.crashes,
      awsCalls: log.counts(),
      wallMs: Date.now() - started,
    });
    for (const region of APP_REGIONS) await regions[region].close();
    await Promise.all(ledgers.map((l) => l.pool.end()));
    await book.stop();
    secrets.restore();
    return result;
  }

  /** The failover functions' settings for this stack (what the program would deploy). */
  failoverSetup(https: boolean, orderDurability: DrillSettings['orderDurability']): FailoverSetup {
    const s = this.settings;
    return {
      globalClusterId: `aurora-global-${s.environmentSuffix}`,
      primaryClusterArn: this.db.clusters['us-east-1'].arn,
      secondaryClusterArn: this.db.clusters['eu-west-1'].arn,
      primaryRegion: 'us-east-1',
      vantages: CANARY_VANTAGES,
      probeIntervalSeconds: s.failoverProbeIntervalSeconds,
      recoveryWindowSeconds: s.failoverRecoveryWindowSeconds,
      fastWindowSeconds: s.failoverFastWindowSeconds,
      primaryEndpointGroupArn: Accelerator.endpointGroupArn('us-east-1'),
      secondaryEndpointGroupArn: Accelerator.endpointGroupArn('eu-west-1'),
      route53HealthCheckId: Route53.healthCheckId('us-east-1'),
      // The program's failover record (global-stack.ts apiName) and the secondary ALB it fails over to.
      failoverRecord: { name: `api.${s.domainName}`, secondaryTarget: this.albDnsName('eu-west-1') },
      topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:sns-failover-euw1-${s.environmentSuffix}`,
      environment: s.environmentSuffix,
      evidenceTable: `ddb-failover-evidence-${s.environmentSuffix}`,
      evidenceTableRegion: 'eu-west-1',
      book: { tableName: BOOK_TABLE, regions: APP_REGIONS },
      orderDurability,
      probeProtocol: https ? 'https' : 'http',
      probeConnectHost: this.albDnsName('us-east-1'),
      probeHostname: `api.${s.domainName}`,
    };
  }

  /**
   * The failover path on its schedule: a canary in each vantage region every minute, the
   * orchestrator in eu-west-1 every minute and on the us-east-1 alarm (through SNS), each
   * invocation held to its Lambda timeout; the evidence table lives in eu-west-1.
   */
  private scheduleFailover(
    world: ScenarioWorld,
    setup: FailoverSetup,
    table: FakeTable,
    fakeContext: (from?: Vantage) => FakeContext,
    logger: MemoryLogger,
    book: DrillBook,
    phases: Phases,
  ): void {
    const { sim, network, route53, accelerator } = world;
    // The orchestrator (in eu-west-1) reaches the book's replicas from there; each move is on the timeline.
    const control = replicaBookControl(bookWriter(book.view('eu-west-1')));
    const bookControl: typeof control = {
      readWriter: control.readWriter,
      answers: control.answers,
      moveWriter: async (request) => {
        const move = await control.moveWriter(request);
        if (move.moved) world.writerMoves.push({ at: sim.now(), ...move.writer });
        return move;
      },
    };
    const metrics = { addMetric: () => undefined };
    const documentClient = (ctx: FakeContext) => evidenceClient(table, setup, ctx);
    // A Lambda invocation in `region`: its clock and its AWS calls stop at its timeout.
    const invocation = (region: Vantage, timeoutSeconds: number) => {
      const deadline = sim.now() + timeoutSeconds * 1000;
      const ctx = { ...fakeContext(region), alive: () => sim.now() < deadline };
      const clock = {
        now: sim.now,
        sleep: async (ms: number) => {
          if (sim.now() + ms > deadline) {
            await sim.sleep(Math.max(0, deadline - sim.now()));
            throw new Error(`Task timed out after ${timeoutSeconds}.00 seconds`);
          }
          await sim.sleep(ms);
        },
      };
      return { ctx, clock, remainingMs: () => deadline - sim.now() };
    };
    const every = (fn: () => void, firstAt: number, intervalMs: number) => {
      const tick = () => {
        fn();
        sim.at(sim.now() + intervalMs, tick);
      };
      sim.at(firstAt, tick);
    };

    for (const [index, vantage] of setup.vantages.entries()) {
      const settings = canarySettings(setup, vantage);
      every(
        () =>
          sim.spawn(`canary ${vantage}`, async () => {
            if (!network.isUp(vantage as Vantage)) return;
            const { ctx, clock } = invocation(vantage as Vantage, FAILOVER_TIMEOUTS.canary);
            const probes = this.canaryProbe(world, vantage as Vantage, settings, setup.probeProtocol);
            try {
              await invokeCanary(
                settings,
                probes,
                evidenceStore(documentClient(ctx), setup.evidenceTable),
                clock,
                metrics,
                logger,
              );
            } catch (e) {
              world.decisions.push({
                at: sim.now(),
                trigger: `canary ${vantage}`,
                action: 'error',
                reason: (e as Error).message,
              });
            }
          }),
        sim.now() + phases.canarySeconds[index] * 1000,
        60_000,
      );
    }

    const config = orchestratorConfig(setup);
    const arbiter = new DrillArbiter(network);
    // The failover record through the DNS resolver of the orchestrator's region (one cache for
    // every invocation, as a VPC's resolver keeps it), answering each region's ALB name.
    const resolveCname = route53.cnameResolver(sim, network, {
      from: 'eu-west-1',
      name: setup.failoverRecord.name,
      targets: { 'us-east-1': this.albDnsName('us-east-1'), 'eu-west-1': this.albDnsName('eu-west-1') },
      timeoutMs: DNS_RESOLVER_OPTIONS.timeout,
    });
    // The orchestrator's clients as it reaches AWS from eu-west-1 (`npm run status` reads through them too).
    const clientsFrom = (ctx: FakeContext): OrchestratorClients => ({
      rds: rdsClient('eu-west-1', rdsHandlers(this.db, setup.globalClusterId), ctx),
      primaryRds: rdsClient('us-east-1', rdsHandlers(this.db, setup.globalClusterId), { ...ctx, from: 'eu-west-1' }),
      ga: fake(
        new GlobalAcceleratorClient({ region: 'us-west-2' }),
        'globalaccelerator',
        'us-west-2',
        accelerator.handlers(),
        ctx,
      ),
      route53: fake(new Route53Client({ region: 'us-east-1' }), 'route53', 'us-east-1', route53.handlers(), ctx),
      sns: snsClient('eu-west-1', ctx),
      resolveCname,
      store: evidenceStore(documentClient(ctx), setup.evidenceTable),
      book: bookControl,
      arbiter: arbiter.from('eu-west-1'),
    });
    world.orchestrator = { config, clients: () => clientsFrom(fakeContext('eu-west-1')) };
    const invoke = (event: unknown, trigger: string) =>
      sim.spawn(`orchestrator ${trigger}`, async () => {
        if (!network.isUp('eu-west-1')) return;
        const { ctx, clock, remainingMs } = invocation('eu-west-1', FAILOVER_TIMEOUTS.orchestrator);
        try {
          const actions = await invokeOrchestrator(
            event,
            config,
            clientsFrom(ctx),
            clock,
            metrics,
            logger,
            remainingMs,
          );
          for (const a of actions) world.decisions.push({ at: sim.now(), trigger, ...a });
        } catch (e) {
          world.decisions.push({ at: sim.now(), trigger, action: 'error', reason: (e as Error).message });
        }
      });
    world.invokeOrchestrator = invoke;
    every(() => invoke(SCHEDULE_EVENT, 'schedule'), sim.now() + phases.orchestratorSeconds * 1000, 60_000);
    // The primary's keeper (on the orchestrator's phase: both are one-minute loops).
    scheduleKeeper(world, book, arbiter, {
      invocation,
      every,
      firstAt: sim.now() + phases.orchestratorSeconds * 1000,
      logger,
    });

    // The alarm: HealthCheckStatus Minimum < 1 over one 60 s period, evaluated in us-east-1.
    let alarm = 'OK';
    every(
      () => {
        if (!network.isUp('us-east-1')) return;
        const state = route53.checks['us-east-1'].unhealthyBetween(sim.now() - 60_000, sim.now()) ? 'ALARM' : 'OK';
        if (state === alarm) return;
        alarm = state;
        // SNS in us-east-1 delivers to the function in eu-west-1.
        if (!network.reachable('us-east-1', 'eu-west-1')) return;
        invoke(
          {
            Records: [
              {
                EventSource: 'aws:sns',
                Sns: { Message: JSON.stringify({ AlarmName: 'alarm-primary-down', NewStateValue: state }) },
              },
            ],
          },
          `alarm ${state}`,
        );
      },
      // The alarm's first full one-minute period ends at its phase plus a minute.
      sim.now() + (phases.alarmSeconds + 60) * 1000,
      60_000,
    );
  }

  /**
   * The canary's own probe (lambda/canary/probe.ts) from `vantage`, its connection sent to the
   * primary ALB's drill listener. A primary the vantage cannot reach costs the probe its timeout;
   * the eu-west-1 canary's runtime stops trusting the platform's CA while the scenario says so.
   */
  private canaryProbe(
    world: ScenarioWorld,
    vantage: Vantage,
    settings: ReturnType<typeof canarySettings>,
    protocol: 'https' | 'http',
  ): CanaryProbes {
    const target = world.regions['us-east-1'];
    const timeout = async (): Promise<ProbeObservation> => {
      await world.sim.sleep(settings.target.timeoutMs);
      return {
        layer: 'transport',
        detail: `PROBE_TIMEOUT: no answer within ${settings.target.timeoutMs} ms`,
        latencyMs: settings.target.timeoutMs,
      };
    };
    // An AWS public endpoint (control: the canary's own region; beacon: us-east-1) answers
    // whenever the network lets the canary reach that region.
    const endpoint = (region: Vantage) => async (): Promise<ProbeObservation> =>
      world.network.reachable(vantage, region) ? { layer: 'up', detail: 'HTTP 200', latencyMs: 1 } : timeout();
    const recorded =
      (name: CanaryVote['target'], probe: () => Promise<ProbeObservation>) => async (): Promise<ProbeObservation> => {
        const at = world.sim.now();
        const observation = await probe();
        world.votes.push({ at, vantage, target: name, layer: observation.layer });
        return observation;
      };
    const beacon = endpoint('us-east-1');
    return {
      primary: recorded('primary', async () => {
        if (!world.network.reachable(vantage, 'us-east-1')) return timeout();
        const trusted = !(world.canaryTlsBroken && vantage === 'eu-west-1');
        const probe = canaryProbe(settings, {
          port: protocol === 'https' ? target.httpsPort : target.httpPort,
          ca: trusted ? this.tls.ca : undefined,
        });
        return world.sim.track(probe(), `canary probe from ${vantage}`);
      }),
      control: recorded('control', endpoint(vantage)),
      beacon: recorded('beacon', () => (world.beaconBroken ? timeout() : beacon())),
    };
  }

  private async clearData(writer: PgServer): Promise<void> {
    const s = this.settings;
    await writer.query(`TRUNCATE ${ORDERS_TABLE}`, [], DB_NAME);
    await writer.query(`ALTER ROLE ${s.dbAppUsername} PASSWORD '${APP_PASSWORD}'`);
    await writer.query(`ALTER ROLE ${s.dbMasterUsername} PASSWORD '${MASTER_PASSWORD}'`);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** The evidence table's document client, called with `ctx` (the table lives in its region). */
function evidenceClient(table: FakeTable, setup: FailoverSetup, ctx: FakeContext): DynamoDBDocumentClient {
  return fake(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: setup.evidenceTableRegion })),
    'dynamodb',
    setup.evidenceTableRegion as AppRegion,
    table.handlers(),
    ctx,
  );
}

async function logsIn(server: PgServer, credentials: Record<string, unknown>): Promise<boolean> {
  const client = new Client({
    host: '127.0.0.1',
    port: server.port,
    user: String(credentials.username),
    password: String(credentials.password),
    database: DB_NAME,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
