import { worstCaseTimeToPromotion } from '../../lambda/facts/timing';

/**
 * The failover (RTO) budget: pure arithmetic over the values the program configures. The plan
 * feeds it numbers read off the registered resources; config validation feeds it settings, so
 * a config that breaks the target fails before anything is registered.
 */

export interface RtoInputs {
  /** ALB target-group health check: Global Accelerator follows it for ALB endpoints. */
  readonly albIntervalSeconds: number;
  readonly albUnhealthyThreshold: number;
  /** ESTIMATE: the accelerator's reaction once no healthy target is left. */
  readonly acceleratorReactionSeconds: number;
  readonly route53IntervalSeconds: number;
  readonly route53FailureThreshold: number;
  readonly dnsTtlSeconds: number;
  /** The promotion gate (lambda/facts/timing.ts): canary probe interval and recovery window. */
  readonly probeIntervalSeconds: number;
  readonly recoveryWindowSeconds: number;
  /** The fast path's window (the region gone): the order book's writer moves after it. */
  readonly fastWindowSeconds: number;
  /** ESTIMATE: Aurora global failover (AWS: "in the order of minutes"). */
  readonly dbPromotionEstimateSeconds: number;
  readonly targetSeconds: number;
}

export interface RtoTerm {
  readonly label: string;
  readonly seconds: number;
  readonly estimate: boolean;
}

export interface RtoPath {
  readonly name: string;
  readonly description: string;
  readonly terms: readonly RtoTerm[];
  readonly totalSeconds: number;
  /** Whether this path is held to the RTO target (traffic and the first live order are; Aurora is not). */
  readonly bound: boolean;
}

export interface RtoBudget {
  readonly paths: readonly RtoPath[];
  readonly targetSeconds: number;
  /** The slowest traffic path: what a client of either entry point waits at most. */
  readonly trafficSeconds: number;
  /** Worst case to the first order acknowledged live in the secondary (the gate's fast path). */
  readonly firstLiveOrderSeconds: number;
  /** Every bound path (traffic, the first live order) within the target. */
  readonly withinTarget: boolean;
  /** The promotion gate behind the write path: its settings and worst case to the promotion call. */
  readonly gate: GateTiming;
}

/** The path names the budget and the Monte Carlo share (the config validator matches them). */
export const FIRST_LIVE_ORDER_PATH = 'writes: first live order (decision + fence + traffic + client retry)';
export const AURORA_PATH = 'Aurora promotion (off the trading path)';

/** Global Accelerator's reaction to an unhealthy ALB: undocumented, "up to 30 s" (AWS workshop; aws-facts.md). */
export const ACCELERATOR_PICKUP_MAX_SECONDS = 30;

/** Worst-case action after the fast path's decision: move the book's writer, set two dials. */
export const WRITER_MOVE_MAX_SECONDS = 10;

/**
 * Worst case from the fault to an order acknowledged live in the secondary: the later of the
 * fast path's decision plus the writer move, and the accelerator moving traffic by itself. The
 * decision waits for the canaries (first failed probe + fast window) and the first corroboration
 * (the accelerator's endpoint health, or the failover record answering the secondary), then the
 * next evaluation. Like the traffic paths, the client's own retry is in the Monte Carlo only.
 */
function firstLiveOrder(i: RtoInputs): RtoPath {
  const accelerator = i.albIntervalSeconds * i.albUnhealthyThreshold + i.acceleratorReactionSeconds;
  const record = i.route53IntervalSeconds * i.route53FailureThreshold + i.dnsTtlSeconds;
  const canaries = i.probeIntervalSeconds + i.fastWindowSeconds;
  const corroboration = Math.min(
    i.albIntervalSeconds * i.albUnhealthyThreshold + ACCELERATOR_PICKUP_MAX_SECONDS,
    record,
  );
  const decision = Math.max(canaries, corroboration) + i.probeIntervalSeconds;
  const live = decision + WRITER_MOVE_MAX_SECONDS;
  const terms: RtoTerm[] =
    live >= accelerator
      ? [
          {
            label: `gate decision: max(canaries ${i.probeIntervalSeconds} s + fast window ${i.fastWindowSeconds} s, first corroboration ${corroboration} s)`,
            seconds: Math.max(canaries, corroboration),
            estimate: false,
          },
          { label: 'next evaluation', seconds: i.probeIntervalSeconds, estimate: false },
          { label: 'move the book writer and the dials', seconds: WRITER_MOVE_MAX_SECONDS, estimate: true },
        ]
      : [{ label: `traffic via the accelerator (writer moved at ${live} s)`, seconds: accelerator, estimate: true }];
  return path(FIRST_LIVE_ORDER_PATH, 'the order book writes in the secondary: an order is live (201)', true, terms);
}

function path(name: string, description: string, bound: boolean, terms: RtoTerm[]): RtoPath {
  return { name, description, bound, terms, totalSeconds: terms.reduce((sum, t) => sum + t.seconds, 0) };
}

export function rtoBudget(i: RtoInputs): RtoBudget {
  const paths = [
    path('traffic: Global Accelerator', 'global.<domain>: static IPs move to the secondary ALB', true, [
      {
        label: `ALB health ${i.albIntervalSeconds} s x ${i.albUnhealthyThreshold} failures`,
        seconds: i.albIntervalSeconds * i.albUnhealthyThreshold,
        estimate: false,
      },
      { label: 'accelerator reaction', seconds: i.acceleratorReactionSeconds, estimate: true },
    ]),
    path('traffic: Route 53 failover', 'api.<domain>: PRIMARY/SECONDARY CNAMEs', true, [
      {
        label: `health check ${i.route53IntervalSeconds} s x ${i.route53FailureThreshold} failures`,
        seconds: i.route53IntervalSeconds * i.route53FailureThreshold,
        estimate: false,
      },
      { label: 'resolver cache (record TTL)', seconds: i.dnsTtlSeconds, estimate: false },
    ]),
    firstLiveOrder(i),
    path(
      AURORA_PATH,
      'automatic mode, off the trading path: the order book already writes in the secondary (approval mode adds the operator)',
      false,
      [
        ...gateTiming(i).terms.map((t) => ({ label: `gate: ${t.label}`, seconds: t.seconds, estimate: false })),
        { label: 'FailoverGlobalCluster', seconds: i.dbPromotionEstimateSeconds, estimate: true },
      ],
    ),
  ];
  const bound = paths.filter((p) => p.bound);
  return {
    paths,
    targetSeconds: i.targetSeconds,
    trafficSeconds: Math.max(...bound.filter((p) => p.name.startsWith('traffic:')).map((p) => p.totalSeconds)),
    firstLiveOrderSeconds: bound.find((p) => p.name === FIRST_LIVE_ORDER_PATH)!.totalSeconds,
    withinTarget: bound.every((p) => p.totalSeconds <= i.targetSeconds),
    gate: gateTiming(i),
  };
}

/** The promotion gate's settings and its worst case, as the plan prints them next to the budget. */
export interface GateTiming {
  readonly probeIntervalSeconds: number;
  readonly recoveryWindowSeconds: number;
  /** The fast path's window (the region gone): the book's writer moves after it. */
  readonly fastWindowSeconds: number;
  /** Worst case from a regional failure to the FailoverGlobalCluster call (automatic mode). */
  readonly worstCaseToPromotionSeconds: number;
  readonly terms: readonly { readonly label: string; readonly seconds: number }[];
}

export function gateTiming(
  i: Pick<RtoInputs, 'probeIntervalSeconds' | 'recoveryWindowSeconds' | 'fastWindowSeconds'>,
): GateTiming {
  const worst = worstCaseTimeToPromotion({
    failoverProbeIntervalSeconds: i.probeIntervalSeconds,
    failoverRecoveryWindowSeconds: i.recoveryWindowSeconds,
  });
  return {
    probeIntervalSeconds: i.probeIntervalSeconds,
    recoveryWindowSeconds: i.recoveryWindowSeconds,
    fastWindowSeconds: i.fastWindowSeconds,
    worstCaseToPromotionSeconds: worst.totalSeconds,
    terms: worst.terms,
  };
}
