/**
 * The world a scenario acts on: its faults on the simulated timeline (ScenarioWorld) and what the
 * run records meanwhile (decisions, moves of the book's writer, rotations). Apart from run.ts,
 * which builds it, so scenarios and metrics read it without importing the run.
 */
import { FakeSecretsManager } from '../local/secrets';
import type { OrchestratorConfig } from '../../lambda/orchestrator/config';
import { Logger, type OrchestratorClients, rotationStep } from './adapters';
import { FakeContext, secretsClient } from './aws';
import { DrillBook } from './book';
import { GlobalDatabase } from './database';
import { AppRegion, Network, REGIONS, Vantage } from './network';
import { RegionApp } from './region';
import { Simulation } from './sim';
import { Accelerator, CHECKER_REGIONS, Route53 } from './traffic';
import type { Cadence } from './cadence';

/** Logs kept in memory (the evidence behind a decision), never printed. */
export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; detail?: unknown }[] = [];
  info = (message: string, ...detail: unknown[]) => this.push('info', message, detail);
  warn = (message: string, ...detail: unknown[]) => this.push('warn', message, detail);
  error = (message: string, ...detail: unknown[]) => this.push('error', message, detail);
  private push(level: string, message: string, detail: unknown[]) {
    if (this.lines.length < 5000) this.lines.push({ level, message, detail: detail[0] });
  }
}

export interface Decision {
  readonly at: number;
  readonly trigger: string;
  readonly action: string;
  readonly reason: string;
}

export interface RotationOutcome {
  readonly startedAt: number;
  finishedAt?: number;
  failedSteps: string[];
  completed: boolean;
  /** Whether the secret's AWSCURRENT credentials log in on the final writer. */
  currentLogsIn?: boolean;
}

/** What a scenario can do to the world, on the simulated timeline. */
/** One canary probe: from where, of what, and the layer its answer failed at (or up). */
export interface CanaryVote {
  readonly at: number;
  readonly vantage: string;
  readonly target: 'primary' | 'control' | 'beacon';
  readonly layer: string;
}

/** The book's writer item after a move: when (simulated ms), to where, under which epoch. */
export interface WriterMove {
  readonly at: number;
  readonly region: string;
  readonly epoch: number;
  readonly durability: string;
}

export class ScenarioWorld {
  readonly decisions: Decision[] = [];
  readonly writerMoves: WriterMove[] = [];
  readonly rotations: RotationOutcome[] = [];
  /** Every probe each canary made, with the layer it read (the timeline's votes). */
  readonly votes: CanaryVote[] = [];
  /** Book records the Aurora writer's applier has still to apply, sampled each second when it changes (the timeline's ledger). */
  readonly ledgerBehind: { readonly at: number; readonly region: AppRegion; readonly behind: number }[] = [];
  /** The eu-west-1 canary cannot verify the primary's certificate while this is set. */
  canaryTlsBroken = false;
  /** The beacon (an AWS public endpoint in us-east-1, not ours) times out for every canary while set. */
  beaconBroken = false;
  /** Invoke the orchestrator with `event` now (an operator's command); set once the failover path is scheduled. */
  invokeOrchestrator: (event: unknown, trigger: string) => void = () => {
    throw new Error('the orchestrator is not scheduled yet');
  };
  /** The orchestrator's config and its clients as it reaches AWS from eu-west-1 (set once failover is scheduled). */
  orchestrator?: { readonly config: OrchestratorConfig; clients(): OrchestratorClients };

  constructor(
    readonly sim: Simulation,
    readonly network: Network,
    readonly db: GlobalDatabase,
    readonly regions: Record<AppRegion, RegionApp>,
    readonly accelerator: Accelerator,
    readonly route53: Route53,
    readonly secrets: FakeSecretsManager,
    readonly appSecretArn: string,
    readonly fakeContext: (from?: Vantage) => FakeContext,
    readonly logger: MemoryLogger,
    readonly book: DrillBook,
    /** The clients' cadence: every scheduled fault opens a full-resolution window around it. */
    readonly cadence?: Cadence,
  ) {}

  /**
   * Run `action` `seconds` into the scenario. Faults come at half seconds, when nothing else
   * runs (everything periodic runs on whole seconds), and only once the secondary has replayed
   * what the writer acknowledged: replication lag is zero unless a scenario makes it grow, so
   * what a fault loses never depends on how fast this machine ships WAL.
   */
  at(seconds: number, action: () => void): void {
    this.cadence?.around(this.sim.epochMs + seconds * 1000);
    this.sim.at(this.sim.epochMs + seconds * 1000, () =>
      this.sim.spawn('fault', () =>
        this.sim.track(
          (async () => {
            if (this.db.replicating()) await this.db.waitForReplication();
            action();
          })(),
          'fault',
        ),
      ),
    );
  }

  regionDown(region: Vantage, down: boolean): void {
    this.network.setRegionDown(region, down);
    this.db.rejoinIfDue();
  }
  /** Every target of `region` answers 503 (or serves again): the region answers, sick. */
  serviceAnswers503(region: AppRegion, on: boolean): void {
    this.regions[region].answers503 = on;
    this.network.changed();
  }

  /**
   * Run `action` exactly `seconds` into the scenario, in the same instant as the requests of
   * that second (a fault that lands mid-request). Only for faults that lose no data.
   */
  atExactly(seconds: number, action: () => void): void {
    this.cadence?.around(this.sim.epochMs + seconds * 1000);
    this.sim.at(this.sim.epochMs + seconds * 1000, action);
  }

  /** The cluster drops every session (as an in-region failover or a reboot does) and stays up. */
  dropSessions(region: AppRegion): void {
    this.db.fabric.resetTarget(this.db.clusters[region].server.name);
  }

  databaseDown(region: AppRegion, down: boolean): void {
    this.db.setAvailable(region, !down);
  }

  /** The cluster is lost while its region lives: its in-region failover fails after `failedAfterSeconds`. */
  databaseLost(region: AppRegion, failedAfterSeconds: number): void {
    this.db.loseCluster(region, failedAfterSeconds);
  }

  /**
   * An operator promotes `to` by the runbook (FailoverGlobalCluster with AllowDataLoss, outside the
   * orchestrator): recorded as an operator decision.
   */
  operatorFailsOver(to: AppRegion): void {
    this.decisions.push({
      at: this.sim.now(),
      trigger: 'operator',
      action: 'promote',
      reason: 'runbook: aws rds failover-global-cluster --allow-data-loss',
    });
    this.db.startFailover(to, true);
  }

  partition(a: Vantage, b: Vantage, cut: boolean): void {
    this.network.setPartition(a, b, cut);
    this.db.rejoinIfDue();
  }

  /**
   * `region` cut from every other region and vantage point (or joined again): alive, reachable
   * from inside itself only (the stale client, its own checkers).
   */
  isolate(region: Vantage, cut: boolean): void {
    // Every vantage the drill uses: its regions and Route 53's checker regions (the users' us-west-1 among them).
    for (const other of new Set<Vantage>([...REGIONS, ...CHECKER_REGIONS]))
      if (other !== region) this.network.setPartition(region, other, cut);
    this.db.rejoinIfDue();
  }

  /** Aurora's storage replication and the book's replication stop (or resume) together. */
  replicationCut(cut: boolean): void {
    this.db.setReplicationCut(cut);
    this.book.replicationCut = cut;
  }

  /**
   * Secrets Manager rotates the app secret: the rotation function in us-east-1 (the primary
   * secret's region) runs the four steps; a failed step is retried twice, one and then two
   * minutes later, as an asynchronous Lambda invocation is.
   */
  rotateAppSecret(): void {
    const outcome: RotationOutcome = { startedAt: this.sim.now(), failedSteps: [], completed: false };
    this.rotations.push(outcome);
    this.sim.spawn('rotation', async () => {
      const token = this.secrets.startRotation(this.appSecretArn);
      const client = secretsClient('us-east-1', this.secrets, this.fakeContext('us-east-1'));
      for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
        let done = false;
        for (const [attempt, delayMs] of [0, 60_000, 120_000].entries()) {
          if (done) break;
          if (attempt > 0) await this.sim.sleep(delayMs);
          if (!this.network.isUp('us-east-1')) continue;
          try {
            await rotationStep(
              { SecretId: this.appSecretArn, ClientRequestToken: token, Step: step },
              client,
              this.logger,
            );
            done = true;
          } catch (e) {
            outcome.failedSteps.push(`${step}: ${(e as Error).message}`);
          }
        }
        if (!done) return;
      }
      outcome.completed = true;
      outcome.finishedAt = this.sim.now();
    });
  }
}
