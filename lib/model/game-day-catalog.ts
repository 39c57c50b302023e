/**
 * The platform's game days: which faults it ships as AWS FIS experiment templates, what each
 * injects and what the failover gate is expected to do. Pure facts, read by the `GameDays`
 * component (the templates), the `gameday` command (what to start, what to expect) and the
 * runbook (docs/runbooks/game-day.md).
 *
 * Every FIS action used here is in the FIS actions reference
 * (https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html); the action ids,
 * their target keys and resource types, and their parameters are checked against a table with
 * those citations in test/game-days.test.ts.
 */

export const GAME_DAY_EXPERIMENTS = [
  'app-unreachable',
  'db-failover-in-region',
  'cross-region-lost',
  'az-lost',
] as const;

export type GameDayExperiment = (typeof GAME_DAY_EXPERIMENTS)[number];

/** What the failover gate and orchestrator should do while the experiment runs. */
export interface ExpectedGate {
  /** Aurora promotions (FailoverGlobalCluster) the orchestrator may start on its own. */
  readonly promotions: 0;
  /** Whether the fast path (the book's writer and traffic move) is expected to fire. */
  readonly fastPath: boolean;
  /** What the gate is expected to conclude, and why, for the runbook and the report. */
  readonly why: string;
}

export interface GameDaySpec {
  readonly id: GameDayExperiment;
  /** The template's description (FIS: at most 512 characters). */
  readonly description: string;
  /** What clients see while it runs. */
  readonly clientsSee: string;
  readonly expected: ExpectedGate;
  /** How long the fault lasts, in minutes (0: a one-shot action such as a cluster failover). */
  readonly minutes: number;
}

/**
 * How long a network fault lasts. Long enough for the slow path's recovery window (at most
 * 3600 s by config, 300 s in the shipped stacks) plus observation; FIS allows 1 minute to 12 hours
 * for these actions ("duration" of aws:network:disrupt-connectivity and
 * aws:network:route-table-disrupt-cross-region-connectivity, FIS actions reference).
 */
export const NETWORK_FAULT_MINUTES = 10;

export const GAME_DAYS: Readonly<Record<GameDayExperiment, GameDaySpec>> = {
  'app-unreachable': {
    id: 'app-unreachable',
    description:
      "The primary region's application unreachable: every subnet of the primary VPC (load balancer, fleet, functions, database) denies all traffic for 10 minutes.",
    clientsSee:
      'Connection timeouts to the primary; through Global Accelerator and Route 53, traffic moves to the secondary once their health checks fail the primary.',
    expected: {
      promotions: 0,
      fastPath: false,
      why: "The canaries see the primary's front door gone, but the us-east-1 beacon (an AWS endpoint the platform does not own) still answers: our front door, not the region, so the fast path stays shut. After the recovery window the slow path opens; the primary database is reported available (a sick service, not a lost database), so the orchestrator asks an operator instead of promoting.",
    },
    minutes: NETWORK_FAULT_MINUTES,
  },
  'db-failover-in-region': {
    id: 'db-failover-in-region',
    description:
      "The primary's Aurora cluster fails over inside its region (a reader becomes the writer); the platform must ride it out without a cross-region promotion.",
    clientsSee: 'A few seconds of failed or retried writes (503, retryable) while the writer endpoint moves.',
    expected: {
      promotions: 0,
      fastPath: false,
      why: 'The front door keeps answering (at worst 5xx for seconds, under the recovery window) and RDS reports the in-region failover as an event in progress: the gate stays shut and the orchestrator holds.',
    },
    minutes: 0,
  },
  'cross-region-lost': {
    id: 'cross-region-lost',
    description:
      'Cross-region connectivity lost for 10 minutes: traffic from the primary VPC to eu-west-1 is blackholed (the peering, so the peer book replica) and the order book replication is paused.',
    clientsSee:
      "With orderDurability cross-region (the default) the primary cannot copy orders to the peer replica: new orders get a 503 'not taken' for the whole cut, reads and replays still answer. With regional durability orders are acknowledged as usual.",
    expected: {
      promotions: 0,
      fastPath: false,
      why: "The primary keeps answering the us-west-2 canary, so at most one vantage votes down (two are required) and Aurora's storage-level replication is not the VPC's traffic.",
    },
    minutes: NETWORK_FAULT_MINUTES,
  },
  'az-lost': {
    id: 'az-lost',
    description:
      "An Availability Zone lost in the primary: the first zone's subnets deny all traffic and the fleet cannot launch there for 10 minutes; the platform must serve from the other two.",
    clientsSee:
      'Requests on connections to the lost zone fail until the load balancer marks its targets unhealthy; then normal service from two zones.',
    expected: {
      promotions: 0,
      fastPath: false,
      why: 'The primary keeps answering from its other zones: no canary sees its front door fail for the recovery window.',
    },
    minutes: NETWORK_FAULT_MINUTES,
  },
};

/** ISO 8601 duration of whole minutes, as FIS takes durations (`PT10M`). */
export function isoMinutes(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 720) {
    throw new Error(`FIS durations are whole minutes from 1 to 720 (12 hours), got ${minutes}`);
  }
  return `PT${minutes}M`;
}
