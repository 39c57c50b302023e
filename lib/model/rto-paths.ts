/**
 * The RTO model's paths: what one regional failure at a random moment costs on each path, from
 * the configured values and the documented behaviour of each detector (random phases of the
 * health checks, Route 53's uncoordinated checkers and its 18 % rule, Global Accelerator's
 * undocumented pickup time, the user's resolver cache, the client's retry, the promotion gate and
 * Aurora's promotion time). Every random variable drawn here is described in random-variables.ts;
 * the sampler (rto-sampler.ts) repeats these draws, the report (rto-report.ts) reads quantiles.
 */
import {
  ACCELERATOR_PICKUP_MAX_SECONDS,
  AURORA_PATH,
  FIRST_LIVE_ORDER_PATH,
  type RtoInputs,
  WRITER_MOVE_MAX_SECONDS,
} from './rto';
import type { ModelDraws } from './calibration';

/**
 * The budget's inputs (rto.ts) less the accelerator's fixed reaction estimate, which the model
 * draws instead, plus the ALB check timeout the model counts.
 */
export interface RtoModelInputs extends Omit<RtoInputs, 'acceleratorReactionSeconds'> {
  readonly albTimeoutSeconds: number;
}

/** Route 53 runs "about 15" checkers for an endpoint (a request every ~2 s at a 30 s interval). */
export const ROUTE53_CHECKERS = 15;
/** An endpoint is healthy while more than 18 % of the checkers see it healthy. */
export const ROUTE53_HEALTHY_FRACTION = 0.18;
/** A Route 53 check must connect within 4 s: a dead region fails each check at that timeout. */
export const ROUTE53_CONNECT_TIMEOUT_SECONDS = 4;
/** Global Accelerator's reaction to an unhealthy ALB (defined with the budget, rto.ts). */
export { ACCELERATOR_PICKUP_MAX_SECONDS };
/** The API's Retry-After (lambda/trading/api.ts): a client waits up to this before retrying. */
export const CLIENT_RETRY_SECONDS = 5;
/** Share of clients whose keep-alive request to the dead region hangs until their timeout. */
export const PINNED_CLIENT_SHARE = 0.5;
export const CLIENT_REQUEST_TIMEOUT_SECONDS = 10;
/** A resolver that holds answers this long (a TTL floor), for the reported sensitivity line. */
export const CLAMPING_RESOLVER_SECONDS = 60;
/** Spread of Aurora's promotion time around its median (lognormal sigma: p99 is about 2.5 x the median). */
export const PROMOTION_SIGMA = 0.4;
/** Fence (Global Accelerator dials) and FailoverGlobalCluster calls: a few seconds, at most the action budget. */
export const ACTION_MIN_SECONDS = 1;
export const ACTION_MAX_SECONDS = 10;
/** Canaries that vote (eu-west-1, us-west-2); the gate needs both. */
export const CANARY_VANTAGE_COUNT = 2;

/** The fast path's decision (region gone): reported, it is part of the first live order. */
export const GATE_DECISION_PATH = 'gate decision (fast path: region gone)';

/**
 * The paths' Math functions, read once. Jest runs each test file in a vm context, where every
 * lookup of a global such as `Math` is a call into the context's interceptors: in the sampler's
 * loops that made one distribution about 400 ms under Jest instead of about 50 ms, and every
 * config validation and offline plan computes several.
 */
const { sqrt, log, cos, exp, max, min, floor, PI } = Math;

/** A standard normal from two uniforms (Box-Muller); u1 is kept away from 0. */
function normal(u1: number, u2: number): number {
  return sqrt(-2 * log(1 - u1)) * cos(2 * PI * u2);
}

/** One sample of every path, in seconds after the failure. */
export interface PathSample {
  readonly accelerator: number;
  readonly route53: number;
  readonly route53Clamped: number;
  readonly writes: number;
  readonly decision: number;
  readonly firstLive: number;
}

/** The paths in the order the plan reports them: held to the RTO target (traffic) or reported. */
export const RTO_PATHS: readonly { readonly key: keyof PathSample; readonly name: string; readonly bound: boolean }[] =
  [
    { key: 'decision', name: GATE_DECISION_PATH, bound: false },
    { key: 'accelerator', name: 'traffic: Global Accelerator', bound: true },
    { key: 'route53', name: 'traffic: Route 53 failover', bound: true },
    { key: 'route53Clamped', name: `traffic: Route 53, resolver holding ${CLAMPING_RESOLVER_SECONDS} s`, bound: false },
    { key: 'firstLive', name: FIRST_LIVE_ORDER_PATH, bound: true },
    { key: 'writes', name: AURORA_PATH, bound: false },
  ];

/**
 * One sample of every path. `u` draws what the traffic and Aurora paths read; `v` (a second
 * stream) draws only what the fast path adds, so adding it left the other paths' samples as they
 * were, and both streams keep a fixed order (common random numbers). `phases` is scratch space
 * for the Route 53 checkers (ROUTE53_CHECKERS long), reused across samples.
 */
export function samplePaths(
  i: RtoModelInputs,
  d: ModelDraws,
  u: () => number,
  v: () => number,
  phases: Float64Array,
): PathSample {
  const pinned = u() < PINNED_CLIENT_SHARE ? CLIENT_REQUEST_TIMEOUT_SECONDS : 0;
  const retry = u() * CLIENT_RETRY_SECONDS;
  const client = pinned + retry;

  const albDetect =
    u() * i.albIntervalSeconds + (i.albUnhealthyThreshold - 1) * i.albIntervalSeconds + i.albTimeoutSeconds;
  // The accelerator marks the primary unhealthy: the ALB's detection and its pickup (or a game day's measurement).
  const acceleratorHealth = d.acceleratorUnhealthy(albDetect, u());
  const accelerator = acceleratorHealth + client;

  // Each checker's failure time, kept sorted as it is drawn (insertion sort: 15 values).
  let firstDraw = 0;
  for (let c = 0; c < ROUTE53_CHECKERS; c++) {
    const draw = u();
    if (c === 0) firstDraw = draw;
    const t =
      draw * i.route53IntervalSeconds +
      (i.route53FailureThreshold - 1) * i.route53IntervalSeconds +
      ROUTE53_CONNECT_TIMEOUT_SECONDS;
    let j = c;
    for (; j > 0 && phases[j - 1] > t; j--) phases[j] = phases[j - 1];
    phases[j] = t;
  }
  const stillHealthy = floor(ROUTE53_HEALTHY_FRACTION * ROUTE53_CHECKERS);
  // The failover record answers the secondary: the checkers' verdict (or a game day's
  // measurement, resampled with the first checker's draw, which the measurement replaces).
  const route53Detect = d.recordSwitched(phases[ROUTE53_CHECKERS - stillHealthy - 1], firstDraw);
  const cacheShare = u();
  const route53 = route53Detect + cacheShare * i.dnsTtlSeconds + client;
  const route53Clamped = route53Detect + cacheShare * max(i.dnsTtlSeconds, CLAMPING_RESOLVER_SECONDS) + client;

  let firstFailure = 0;
  for (let c = 0; c < CANARY_VANTAGE_COUNT; c++) firstFailure = max(firstFailure, u() * i.probeIntervalSeconds);
  const gate =
    firstFailure +
    i.recoveryWindowSeconds +
    u() * i.probeIntervalSeconds +
    ACTION_MIN_SECONDS +
    u() * (ACTION_MAX_SECONDS - ACTION_MIN_SECONDS);
  const promotion = d.promotionMedian(i.dbPromotionEstimateSeconds) * exp(PROMOTION_SIGMA * normal(u(), u()));
  const writes = gate + promotion + retry;

  // The fast path: canaries (their first failed probe, the fast window), the first AWS-side
  // corroboration (the accelerator's endpoint health, or the failover record answering the
  // secondary through the orchestrator's resolver cache), the next evaluation; then the writer
  // moves, and the order is live once the client's retry reaches the secondary.
  const recordAnswers = route53Detect + v() * i.dnsTtlSeconds;
  const decision =
    max(firstFailure + i.fastWindowSeconds, min(acceleratorHealth, recordAnswers)) + v() * i.probeIntervalSeconds;
  const writerMoved = decision + ACTION_MIN_SECONDS + v() * (WRITER_MOVE_MAX_SECONDS - ACTION_MIN_SECONDS);
  const firstLive = max(writerMoved, acceleratorHealth) + client;
  return { accelerator, route53, route53Clamped, writes, decision, firstLive };
}
