/**
 * Over 320 lines, with a reason: the types every scenario module shares (Scenario, Expectation,
 * MeasureInput) and the eleven scenarios that came first. The next cut: the types into their own
 * module (gate-scenarios.ts and book-scenarios.ts hold the later scenarios already).
 *
 * The scenarios, each with what it must show. Every scenario also requires: the final writer's
 * ledger equal to the acknowledged orders (none lost, none executed twice, none there that no
 * client was acknowledged for), no client without an acknowledgement for longer
 * than the RTO target, and a first live order (201) within it (checked in metrics.ts).
 * Timelines are in simulated seconds from the start; every fault comes at `faultAtSeconds`.
 */
import type { Acknowledgement, Attempt } from './client';
import type { PromotionRecord, RejoinRecord } from './database';
import type { DrillSettings } from './settings';
import type { CanaryVote, Decision, RotationOutcome, ScenarioWorld, WriterMove } from './world';
import type { AppRegion } from './network';
import type { Phases } from './phases';
import { keeperWindowSeconds, primaryKeptTrading } from './keeper-expectations';

export interface Expectation {
  /**
   * Promotions the scenario must cause: 1 when the primary region is really lost, 2 for a planned
   * switchover and its failback, else 0.
   */
  readonly promotions: 0 | 1 | 2;
  /** Seconds after the fault within which every client must get a live order (201). */
  readonly firstLiveWithinSeconds: (input: MeasureInput) => number;
  /**
   * Seconds the platform refuses new orders by design (durability chosen over availability):
   * the longest-gap and first-accepted bounds stretch by this much.
   */
  readonly refusesOrdersForSeconds?: number;
  /** Further checks: a message when unmet. */
  readonly also?: readonly ((input: MeasureInput) => string | undefined)[];
}

/** What the run hands measure() (metrics.ts), and what a scenario's expectations read. */
export interface MeasureInput {
  readonly scenario: Scenario;
  readonly settings: DrillSettings;
  readonly epoch: number;
  readonly end: number;
  readonly acks: {
    client: string;
    acks: readonly Acknowledgement[];
    attempts: readonly Attempt[];
    /** The order the client was still sending at the end (not yet acknowledged). */
    pending?: string;
    /** A client that never heard (Scenario.staleClient): held to every check but the RTO's. */
    stale?: boolean;
  }[];
  readonly rows: readonly { client_order_id: string; id: string }[];
  readonly promotions: readonly PromotionRecord[];
  /** A promotion was called and had not finished when the run ended (it counts). */
  readonly promotionInProgress?: boolean;
  /** When each promotion call was accepted. */
  readonly promotionStarts?: readonly { at: number; kind: string }[];
  readonly rejoins: readonly RejoinRecord[];
  readonly seed: number;
  readonly phases: Phases;
  readonly votes: readonly CanaryVote[];
  readonly ledgerBehind: readonly { at: number; region: AppRegion; behind: number }[];
  readonly decisions: readonly Decision[];
  /** Every move of the book's writer item (the fence). */
  readonly writerMoves: readonly WriterMove[];
  readonly rotations: readonly RotationOutcome[];
  /** Worst-case seconds from a dead primary to the promotion call, for the configured gate. */
  readonly gateSeconds: number;
  readonly harnessErrors: string[];
  /** Unhandled errors that would have killed the process running the code. */
  readonly crashes: readonly { at: number; error: string }[];
  /** Every AWS API call the code made, by command (the fakes' log). */
  readonly awsCalls: Record<string, number>;
  readonly wallMs: number;
}

export interface Timing {
  /** Worst-case seconds from a dead primary to the promotion call (the gate). */
  readonly gateSeconds: number;
  readonly promotionSeconds: number;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** What passing proves (for the README). */
  readonly proves: string;
  readonly faultAtSeconds: number;
  /** Simulated length of the run, settling included. */
  readonly durationSeconds: number;
  /** Overrides the configured promotion time (dbPromotionEstimateSeconds). */
  readonly promotionSeconds?: number;
  /** Overrides the configured orderDurability. */
  readonly orderDurability?: 'cross-region' | 'regional';
  /**
   * Settings the configuration must refuse, naming `key`: nothing is deployed, nothing simulated
   * (config-scenario.ts).
   */
  readonly refusedByConfig?: { readonly set: Record<string, string>; readonly key: string };
  /** Serve HTTPS with the platform's certificate (the canary probes over TLS). */
  readonly https?: boolean;
  /**
   * A third client inside us-east-1 (an EC2 instance whose DNS answer never changes) that sends to
   * the us-east-1 ALB whatever happens: what an old primary that is still alive is offered. Its
   * orders count for the ledger, losses, duplicates and fenced acks; it is not held to the RTO
   * (no live order can reach it once the writer has moved away).
   */
  readonly staleClient?: boolean;
  readonly expect: Expectation;
  faults(world: ScenarioWorld): void;
}

/**
 * Half a second off the whole seconds everything periodic runs on (see ScenarioWorld.at), and
 * after every minute schedule has started (their phases are drawn in [0, 60): phases.ts), so
 * where the fault falls in each canary's, the orchestrator's and the alarm's minute is uniform.
 */
export const FAULT_AT = 60.5;
/** How long the partition scenarios cut eu-west-1 from us-east-1. */
const PARTITION_SECONDS = 300;
/** A lost cluster's in-region failover fails this long after the fault (RDS-EVENT-0069). */
const IN_REGION_FAILOVER_FAILS_AFTER = 35;
/**
 * When an operator promotes by the runbook after a lost database (paged by the ledger lag, reads
 * the RDS events, runs `aws rds failover-global-cluster --allow-data-loss`).
 */
const OPERATOR_PROMOTES_AFTER = IN_REGION_FAILOVER_FAILS_AFTER + 60;
/**
 * Trading after the last event, before the run ends (the ledger is settled after the run, off the
 * simulated clock, so the run need not wait for it).
 */
export const SETTLE = 30;

/**
 * A lost region: trading moves with the book's writer (the gate's fast path), never waiting for
 * Aurora's promotion, so the first live order comes within the RTO target.
 */
export const regionLost = (input: MeasureInput) => input.settings.rtoTargetSeconds;
/** Without a move, writes resume within 30 s of the fault's end. */
export const afterRecovery = (faultSeconds: number) => () => faultSeconds + 30;
/** A fault users should not notice: live orders continue within a few seconds. */
export const unaffected = () => 5;

/**
 * Every order sent between two moments after the fault was refused with a retryable 503: what
 * a client must see while orders are refused by design (not a timeout, not a 500).
 */
export const refusedWith503Between = (fromSeconds: number, toSeconds: number) => (input: MeasureInput) => {
  const from = input.epoch + fromSeconds * 1000;
  const to = input.epoch + toSeconds * 1000;
  const answers = new Map<string, number>();
  for (const a of input.acks.flatMap((c) => c.attempts).filter((x) => x.at > from && x.at < to)) {
    const answer = a.status === undefined ? `error ${a.error ?? 'unknown'}` : String(a.status);
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
  }
  const other = [...answers].filter(([answer]) => answer !== '503');
  if (answers.size === 0) return `no order was sent between ${fromSeconds} s and ${toSeconds} s`;
  return other.length === 0
    ? undefined
    : `answers other than 503 between ${fromSeconds} s and ${toSeconds} s: ${other.map(([k, n]) => `${k} x${n}`).join(', ')}`;
};

/** The us-east-1 database unreachable for `seconds` from the fault, then back. */
export const databaseDownFor = (seconds: number) => (w: ScenarioWorld) => {
  w.at(FAULT_AT, () => w.databaseDown('us-east-1', true));
  w.at(FAULT_AT + seconds, () => w.databaseDown('us-east-1', false));
};

/** eu-west-1 and us-east-1 cut from each other for PARTITION_SECONDS; clients still reach both. */
const partitionFaults = (w: ScenarioWorld) => {
  w.at(FAULT_AT, () => w.partition('eu-west-1', 'us-east-1', true));
  w.at(FAULT_AT + PARTITION_SECONDS, () => w.partition('eu-west-1', 'us-east-1', false));
};

/** Long enough for a promotion to complete and trading to go on after it. */
export function horizon(timing: Timing, extra = 0): number {
  return FAULT_AT + timing.gateSeconds + timing.promotionSeconds + extra + SETTLE;
}

/**
 * For a scenario that must not promote: long enough for the gate to decide after the fault has
 * lasted `faultSeconds` (a promotion that was called counts, finished or not: see metrics.ts).
 */
export function quietHorizon(timing: Timing, faultSeconds = 0): number {
  return FAULT_AT + faultSeconds + timing.gateSeconds + SETTLE;
}

export function scenarios(timing: Timing): Scenario[] {
  const { promotionSeconds } = timing;
  return [
    {
      name: 'region-outage',
      title: 'us-east-1 fails entirely (application and database)',
      proves:
        "the order book's writer moves to eu-west-1 by the gate's fast path and orders are live there within the RTO target, without waiting for Aurora; the database is promoted once, off the trading path, and its ledger holds every acknowledged order exactly once",
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing),
      expect: { promotions: 1, firstLiveWithinSeconds: regionLost },
      faults: (w) => w.at(FAULT_AT, () => w.regionDown('us-east-1', true)),
    },
    {
      name: 'db-blip-25s',
      title: 'us-east-1 database unavailable for 25 s (in-region failover), then back',
      proves:
        'a routine in-region event causes no cross-region promotion, and trading does not notice it: orders stay live in the book while the ledger catches up',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, 25),
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
      faults: databaseDownFor(25),
    },
    {
      name: 'db-blip-50s',
      title: 'us-east-1 database unavailable for 50 s (patching, a slow failover), then back',
      proves:
        'an outage longer than three probes but inside the in-region recovery window promotes nothing, and orders stay live throughout',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, 50),
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
      faults: databaseDownFor(50),
    },
    {
      name: 'sessions-dropped',
      title: 'the us-east-1 database drops every session mid-request (a reboot, a proxy restart) and stays up',
      proves: 'a connection that dies under a request costs that request, never the process serving it',
      faultAtSeconds: FAULT_AT - 0.5,
      durationSeconds: quietHorizon(timing),
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
      faults: (w) => w.atExactly(FAULT_AT - 0.5, () => w.dropSessions('us-east-1')),
    },
    {
      name: 'partition',
      title: 'eu-west-1 and us-east-1 cannot reach each other for 5 min; users still reach us-east-1',
      proves:
        "one vantage point losing sight of the primary is not a regional outage: no promotion, no move away, no split brain; with orderDurability cross-region the writer cannot reach the peer replica, so after the keeper's window (issue 22) us-east-1 acknowledges with regional durability under the arbiter's lease in us-west-2, and returns to cross-region by itself once the partition heals",
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, PARTITION_SECONDS),
      expect: {
        promotions: 0,
        firstLiveWithinSeconds: () => keeperWindowSeconds,
        refusesOrdersForSeconds: keeperWindowSeconds,
        also: [primaryKeptTrading(FAULT_AT, FAULT_AT + PARTITION_SECONDS)],
      },
      faults: partitionFaults,
    },
    {
      name: 'partition-regional',
      title: 'the same partition with orderDurability regional',
      proves:
        'the other side of the trade-off: orders commit through the partition (each one at risk until replication resumes, should us-east-1 then be lost)',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing, PARTITION_SECONDS),
      orderDurability: 'regional',
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
      faults: partitionFaults,
    },
    {
      name: 'canary-tls',
      title: "the eu-west-1 canary's TLS check fails while the primary is healthy",
      proves:
        'a probe that cannot verify the certificate (or verifies the wrong name) does not promote a healthy primary',
      faultAtSeconds: FAULT_AT,
      durationSeconds: quietHorizon(timing),
      https: true,
      expect: { promotions: 0, firstLiveWithinSeconds: unaffected },
      faults: (w) => w.at(FAULT_AT, () => (w.canaryTlsBroken = true)),
    },
    {
      name: 'slow-promotion',
      title: 'us-east-1 fails entirely and the promotion takes 5 minutes',
      proves:
        'trading does not wait for the promotion: orders are live in eu-west-1 within the RTO target while Aurora takes 5 minutes, and reach the ledger once it is promoted',
      faultAtSeconds: FAULT_AT,
      promotionSeconds: 300,
      durationSeconds: horizon({ ...timing, promotionSeconds: 300 }),
      expect: { promotions: 1, firstLiveWithinSeconds: regionLost },
      faults: (w) => w.at(FAULT_AT, () => w.regionDown('us-east-1', true)),
    },
    {
      name: 'old-primary-returns',
      title: 'us-east-1 fails, eu-west-1 is promoted, then us-east-1 comes back',
      proves:
        'the old primary rejoins as a secondary; orders that reach it (dial 100, PRIMARY record) are refused there (it is fenced) until traffic follows the writer, and none is lost or doubled',
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing, 180),
      expect: {
        promotions: 1,
        firstLiveWithinSeconds: regionLost,
        also: [(i) => (i.rejoins.length === 0 ? 'the old primary never rejoined as a secondary' : undefined)],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.regionDown('us-east-1', true));
        w.at(FAULT_AT + timing.gateSeconds + promotionSeconds + 30, () => w.regionDown('us-east-1', false));
      },
    },
    {
      name: 'rotation-during-failover',
      title:
        "the us-east-1 database is lost while the region lives; an operator promotes eu-west-1 by the runbook; the app secret's rotation starts mid-failover",
      proves:
        "trading does not notice a lost database (orders live on the book, the gate stays closed, nothing promotes by itself); after the operator's promotion the new writer's ledger catches up exactly once; rotation completes against whichever region is the writer and the rotated password works there",
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing, OPERATOR_PROMOTES_AFTER + 120),
      expect: {
        promotions: 1,
        // The order book does not live in the lost database: trading does not notice.
        firstLiveWithinSeconds: unaffected,
        also: [
          (i) =>
            i.decisions.some((d) => d.action === 'promote' && d.trigger !== 'operator')
              ? 'the orchestrator promoted a database that reports itself available by itself'
              : undefined,
          (i) =>
            i.rotations.every((r) => r.completed)
              ? undefined
              : `rotation did not complete: ${i.rotations.flatMap((r) => r.failedSteps).slice(-1)[0] ?? 'never ran'}`,
          (i) =>
            i.rotations.every((r) => r.currentLogsIn)
              ? undefined
              : "the secret's AWSCURRENT password does not log in on the final writer",
        ],
      },
      faults: (w) => {
        w.at(FAULT_AT, () => w.databaseLost('us-east-1', IN_REGION_FAILOVER_FAILS_AFTER));
        w.at(FAULT_AT + OPERATOR_PROMOTES_AFTER, () => w.operatorFailsOver('eu-west-1'));
        w.at(FAULT_AT + OPERATOR_PROMOTES_AFTER + 5, () => w.rotateAppSecret());
      },
    },
    {
      name: 'replication-lag',
      title: "Aurora's and the book's replication stall 20 s before us-east-1 fails entirely",
      proves:
        'orders acknowledged by the primary but not yet replicated survive: each was written to the peer replica before it was acknowledged, and reaches the promoted ledger from there',
      faultAtSeconds: FAULT_AT,
      durationSeconds: horizon(timing),
      expect: { promotions: 1, firstLiveWithinSeconds: regionLost },
      faults: (w) => {
        w.at(FAULT_AT - 20, () => w.replicationCut(true));
        w.at(FAULT_AT, () => w.regionDown('us-east-1', true));
      },
    },
  ];
}
