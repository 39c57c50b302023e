import { worstCaseTimeToPromotion } from '../../lambda/orchestrator/timing';

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
  /** The promotion gate (lambda/orchestrator/timing.ts): canary probe interval and recovery window. */
  readonly probeIntervalSeconds: number;
  readonly recoveryWindowSeconds: number;
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
  /** Whether this path is held to the RTO target (traffic paths are; the database is queued). */
  readonly bound: boolean;
}

export interface RtoBudget {
  readonly paths: readonly RtoPath[];
  readonly targetSeconds: number;
  /** The slowest traffic path: what a client of either entry point waits at most. */
  readonly trafficSeconds: number;
  readonly withinTarget: boolean;
  /** The promotion gate behind the write path: its settings and worst case to the promotion call. */
  readonly gate: GateTiming;
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
    path(
      'writes: Aurora promotion',
      'automatic mode; orders are queued (202) meanwhile (approval mode adds the operator)',
      false,
      [
        ...gateTiming(i).terms.map((t) => ({ label: `gate: ${t.label}`, seconds: t.seconds, estimate: false })),
        { label: 'FailoverGlobalCluster', seconds: i.dbPromotionEstimateSeconds, estimate: true },
      ],
    ),
  ];
  const trafficSeconds = Math.max(...paths.filter((p) => p.bound).map((p) => p.totalSeconds));
  return {
    paths,
    targetSeconds: i.targetSeconds,
    trafficSeconds,
    withinTarget: trafficSeconds <= i.targetSeconds,
    gate: gateTiming(i),
  };
}

/** The promotion gate's settings and its worst case, as the plan prints them next to the budget. */
export interface GateTiming {
  readonly probeIntervalSeconds: number;
  readonly recoveryWindowSeconds: number;
  /** Worst case from a regional failure to the FailoverGlobalCluster call (automatic mode). */
  readonly worstCaseToPromotionSeconds: number;
  readonly terms: readonly { readonly label: string; readonly seconds: number }[];
}

export function gateTiming(i: Pick<RtoInputs, 'probeIntervalSeconds' | 'recoveryWindowSeconds'>): GateTiming {
  const worst = worstCaseTimeToPromotion({
    failoverProbeIntervalSeconds: i.probeIntervalSeconds,
    failoverRecoveryWindowSeconds: i.recoveryWindowSeconds,
  });
  return {
    probeIntervalSeconds: i.probeIntervalSeconds,
    recoveryWindowSeconds: i.recoveryWindowSeconds,
    worstCaseToPromotionSeconds: worst.totalSeconds,
    terms: worst.terms,
  };
}
