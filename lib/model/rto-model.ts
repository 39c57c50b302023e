/**
 * Over 320 lines for now: the sampler, the paths (traffic, first live order, Aurora promotion) and
 * the report are one model; split sampler / paths / report (issue 21 item 4).
 *
 * RTO as a distribution: a seeded Monte Carlo over the configured values and the documented
 * behaviour of each detector, next to the point arithmetic of rto.ts. Each sample is one
 * regional failure at a random moment: random phases of the health checks, Route 53's
 * uncoordinated checkers and its 18 % rule, Global Accelerator's undocumented pickup time, the
 * user's resolver cache, the client's retry, the promotion gate and Aurora's promotion time.
 * Pure and deterministic for a seed; every random variable is listed in RANDOM_VARIABLES with
 * its distribution and its source (the README's table is generated from it).
 *
 * Samples use common random numbers: the same uniform draws in the same order whatever the
 * settings, so a slower setting never yields a faster quantile (tested as a property).
 */
import {
  ACCELERATOR_PICKUP_MAX_SECONDS,
  AURORA_PATH,
  FIRST_LIVE_ORDER_PATH,
  type RtoInputs,
  WRITER_MOVE_MAX_SECONDS,
} from './rto';
import { Calibration, ModelDraws, modelDraws } from './calibration';

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

export const DEFAULT_SAMPLES = 4_000;

/** The fast path's decision (region gone): reported, it is part of the first live order. */
export const GATE_DECISION_PATH = 'gate decision (fast path: region gone)';
export const DEFAULT_SEED = 20_260_105;

export interface RandomVariable {
  readonly name: string;
  readonly paths: string;
  readonly distribution: string;
  readonly source: string;
}

/** Every random variable of the model, as the README table shows it (values from `i`). */
export function randomVariables(i: RtoModelInputs): RandomVariable[] {
  return [
    {
      name: 'Failure moment vs. ALB health-check schedule',
      paths: 'Global Accelerator',
      distribution: `U(0, ${i.albIntervalSeconds} s), then ${i.albUnhealthyThreshold - 1} more interval(s) and the ${i.albTimeoutSeconds} s check timeout`,
      source: 'config (albHealthCheck*); checks are periodic, failures are not',
    },
    {
      name: 'Global Accelerator pickup after the ALB marks targets unhealthy',
      paths: 'Global Accelerator',
      distribution: `U(0, ${ACCELERATOR_PICKUP_MAX_SECONDS} s)`,
      source: 'undocumented; AWS workshop: "up to 30 s" (aws-facts.md)',
    },
    {
      name: 'Route 53 checker phases',
      paths: 'Route 53',
      distribution: `${ROUTE53_CHECKERS} independent U(0, ${i.route53IntervalSeconds} s), each failing after ${i.route53FailureThreshold} checks and a ${ROUTE53_CONNECT_TIMEOUT_SECONDS} s connect timeout`,
      source: 'AWS: about 15 checkers, not coordinated; connect within 4 s (aws-facts.md)',
    },
    {
      name: 'Route 53 verdict',
      paths: 'Route 53',
      distribution: `unhealthy once at most ${Math.floor(ROUTE53_HEALTHY_FRACTION * ROUTE53_CHECKERS)} of ${ROUTE53_CHECKERS} checkers see it healthy (order statistic)`,
      source: 'AWS: healthy while more than 18 % of checkers say so',
    },
    {
      name: "Resolver's cached answer",
      paths: 'Route 53',
      distribution: `U(0, ${i.dnsTtlSeconds} s) left of the TTL; sensitivity line: U(0, ${Math.max(i.dnsTtlSeconds, CLAMPING_RESOLVER_SECONDS)} s) for a resolver that holds answers ${CLAMPING_RESOLVER_SECONDS} s`,
      source: 'config (dnsTtlSeconds); some resolvers clamp low TTLs to 30-300 s (aws-facts.md)',
    },
    {
      name: 'Keep-alive request to the dead region',
      paths: 'all',
      distribution: `${CLIENT_REQUEST_TIMEOUT_SECONDS} s (client timeout) for ${PINNED_CLIENT_SHARE * 100} % of clients, else 0`,
      source: 'assumption (existing flows are not moved; measure in a game day)',
    },
    {
      name: 'Client retry',
      paths: 'all',
      distribution: `U(0, ${CLIENT_RETRY_SECONDS} s)`,
      source: "the API's Retry-After header (lambda/trading/api.ts)",
    },
    {
      name: 'Failover record answering the secondary (fast-path corroboration)',
      paths: 'first live order',
      distribution: `the Route 53 detection above, then U(0, ${i.dnsTtlSeconds} s) of the orchestrator resolver's cache`,
      source: 'DNS data plane, not us-east-1 control plane (lambda/orchestrator/gate.ts)',
    },
    {
      name: 'Accelerator endpoint health (fast-path corroboration)',
      paths: 'first live order',
      distribution: 'the ALB detection and accelerator pickup above (same draw)',
      source: 'DescribeEndpointGroup HealthState through the us-west-2 API',
    },
    {
      name: 'Gate decision, fast path (region gone)',
      paths: 'first live order',
      distribution: `max(first failed canary probe + ${i.fastWindowSeconds} s fast window, first corroboration) + U(0, ${i.probeIntervalSeconds} s) evaluation phase`,
      source: 'config (failoverFastWindowSeconds, failoverProbeIntervalSeconds)',
    },
    {
      name: "Move the order book's writer and the dials",
      paths: 'first live order',
      distribution: `U(${ACTION_MIN_SECONDS}, ${WRITER_MOVE_MAX_SECONDS} s)`,
      source: 'assumption: one conditional write and two dial updates',
    },
    {
      name: 'First failed canary probe',
      paths: 'first live order, Aurora',
      distribution: `max of ${CANARY_VANTAGE_COUNT} independent U(0, ${i.probeIntervalSeconds} s), then the ${i.recoveryWindowSeconds} s recovery window`,
      source: 'config (failoverProbeIntervalSeconds, the gate window; lambda/facts/timing.ts)',
    },
    {
      name: 'Orchestrator evaluation phase',
      paths: 'Aurora',
      distribution: `U(0, ${i.probeIntervalSeconds} s)`,
      source: 'the orchestrator evaluates the gate once per probe interval',
    },
    {
      name: 'Fence and FailoverGlobalCluster calls',
      paths: 'Aurora',
      distribution: `U(${ACTION_MIN_SECONDS}, ${ACTION_MAX_SECONDS} s)`,
      source: 'assumption, within the 20 s action budget (lambda/facts/timing.ts)',
    },
    {
      name: 'Aurora cross-region promotion',
      paths: 'Aurora',
      distribution: `lognormal, median ${i.dbPromotionEstimateSeconds} s, sigma ${PROMOTION_SIGMA} (p99 about ${Math.round(i.dbPromotionEstimateSeconds * Math.exp(2.326 * PROMOTION_SIGMA))} s)`,
      source: 'config (dbPromotionEstimateSeconds); AWS: "in the order of minutes"; spread is an assumption',
    },
  ];
}

/**
 * The sampler's Math functions, read once. Jest runs each test file in a vm context, where every
 * lookup of a global such as `Math` is a call into the context's interceptors: in the sampler's
 * loops that made one distribution about 400 ms under Jest instead of about 50 ms, and every
 * config validation and offline plan computes several.
 */
const { imul, sqrt, log, cos, exp, max, min, floor, PI } = Math;

/** mulberry32: a small, fast, seedable PRNG (uniform on [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms (Box-Muller); u1 is kept away from 0. */
function normal(u1: number, u2: number): number {
  return sqrt(-2 * log(1 - u1)) * cos(2 * PI * u2);
}

export interface PathSamples {
  readonly name: string;
  /** Held to the RTO target (traffic) or reported (writes, sensitivity lines). */
  readonly bound: boolean;
  readonly seconds: Float64Array;
}

/**
 * One sample of every path. `u` draws what the traffic and Aurora paths read; `v` (a second
 * stream) draws only what the fast path adds, so adding it left the other paths' samples as they
 * were, and both streams keep a fixed order (common random numbers).
 */
function sampleOnce(i: RtoModelInputs, d: ModelDraws, u: () => number, v: () => number, phases: Float64Array) {
  const pinned = u() < PINNED_CLIENT_SHARE ? CLIENT_REQUEST_TIMEOUT_SECONDS : 0;
  const retry = u() * CLIENT_RETRY_SECONDS;
  const client = pinned + retry;

  const albDetect =
    u() * i.albIntervalSeconds + (i.albUnhealthyThreshold - 1) * i.albIntervalSeconds + i.albTimeoutSeconds;
  const accelerator = albDetect + d.pickup(u()) + client;

  // Each checker's failure time, kept sorted as it is drawn (insertion sort: 15 values).
  for (let c = 0; c < ROUTE53_CHECKERS; c++) {
    const t =
      u() * i.route53IntervalSeconds +
      (i.route53FailureThreshold - 1) * i.route53IntervalSeconds +
      ROUTE53_CONNECT_TIMEOUT_SECONDS;
    let j = c;
    for (; j > 0 && phases[j - 1] > t; j--) phases[j] = phases[j - 1];
    phases[j] = t;
  }
  const stillHealthy = floor(ROUTE53_HEALTHY_FRACTION * ROUTE53_CHECKERS);
  const route53Detect = phases[ROUTE53_CHECKERS - stillHealthy - 1];
  const cacheShare = u();
  const route53 = route53Detect + d.dnsCache(cacheShare, i.dnsTtlSeconds) + client;
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
  const acceleratorHealth = accelerator - client;
  const recordAnswers = route53Detect + v() * i.dnsTtlSeconds;
  const decision =
    max(firstFailure + i.fastWindowSeconds, min(acceleratorHealth, recordAnswers)) + v() * i.probeIntervalSeconds;
  const writerMoved = decision + ACTION_MIN_SECONDS + v() * (WRITER_MOVE_MAX_SECONDS - ACTION_MIN_SECONDS);
  const firstLive = max(writerMoved, acceleratorHealth) + client;
  return { accelerator, route53, route53Clamped, writes, decision, firstLive };
}

export interface RtoSimulationOptions {
  readonly samples?: number;
  readonly seed?: number;
  /** Game-day measurements replacing the estimates they measure (calibration.ts). */
  readonly calibration?: Calibration;
}

export function sampleRto(i: RtoModelInputs, options: RtoSimulationOptions = {}): PathSamples[] {
  const n = options.samples ?? DEFAULT_SAMPLES;
  const u = seededRandom(options.seed ?? DEFAULT_SEED);
  const v = seededRandom((options.seed ?? DEFAULT_SEED) + 1);
  const phases = new Float64Array(ROUTE53_CHECKERS);
  const draws = modelDraws(options.calibration);
  const out = {
    accelerator: new Float64Array(n),
    route53: new Float64Array(n),
    route53Clamped: new Float64Array(n),
    writes: new Float64Array(n),
    decision: new Float64Array(n),
    firstLive: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const s = sampleOnce(i, draws, u, v, phases);
    out.accelerator[k] = s.accelerator;
    out.route53[k] = s.route53;
    out.route53Clamped[k] = s.route53Clamped;
    out.writes[k] = s.writes;
    out.decision[k] = s.decision;
    out.firstLive[k] = s.firstLive;
  }
  return [
    {
      name: GATE_DECISION_PATH,
      bound: false,
      seconds: out.decision,
    },
    {
      name: 'traffic: Global Accelerator',
      bound: true,
      seconds: out.accelerator,
    },
    {
      name: 'traffic: Route 53 failover',
      bound: true,
      seconds: out.route53,
    },
    {
      name: `traffic: Route 53, resolver holding ${CLAMPING_RESOLVER_SECONDS} s`,
      bound: false,
      seconds: out.route53Clamped,
    },
    {
      name: FIRST_LIVE_ORDER_PATH,
      bound: true,
      seconds: out.firstLive,
    },
    {
      name: AURORA_PATH,
      bound: false,
      seconds: out.writes,
    },
  ];
}

/** The q-quantile (nearest rank) of samples sorted ascending. */
export function quantile(sorted: Float64Array, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export interface PathDistribution {
  readonly name: string;
  readonly bound: boolean;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface RtoDistribution {
  readonly paths: readonly PathDistribution[];
  readonly targetSeconds: number;
  readonly samples: number;
  readonly seed: number;
  /** The slowest bound path's p99: what a client of either entry point waits, 99 times in 100. */
  readonly trafficP99: number;
  readonly withinTarget: boolean;
}

const round = (s: number) => Math.round(s * 10) / 10;

/** p50/p99 per path: the table `npm run plan` prints. */
export function rtoDistribution(i: RtoModelInputs, options: RtoSimulationOptions = {}): RtoDistribution {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  const paths = sampleRto(i, { samples, seed, calibration: options.calibration }).map((p): PathDistribution => {
    const sorted = p.seconds.sort();
    return {
      name: p.name,
      bound: p.bound,
      p50: round(quantile(sorted, 0.5)),
      p99: round(quantile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1]),
    };
  });
  const trafficP99 = Math.max(...paths.filter((p) => p.bound).map((p) => p.p99));
  return {
    paths,
    targetSeconds: i.targetSeconds,
    samples,
    seed,
    trafficP99,
    withinTarget: trafficP99 <= i.targetSeconds,
  };
}

/**
 * The p99s in one line: the plan's verdict and the README's first paragraph (generated) state
 * them, not the worst-case sums.
 */
export function rtoHeadline(d: RtoDistribution): string {
  const p99 = (name: string) => d.paths.find((p) => p.name === name)!.p99;
  const traffic = Math.max(...d.paths.filter((p) => p.bound && p.name.startsWith('traffic:')).map((p) => p.p99));
  return `p99 over ${d.samples} simulated regional failures: gate decision ${p99(GATE_DECISION_PATH)} s, traffic ${traffic} s, first live order ${p99(FIRST_LIVE_ORDER_PATH)} s (target ${d.targetSeconds} s), Aurora promotion ${p99(AURORA_PATH)} s (off the trading path)`;
}

/** The table for `npm run plan` and the README. */
export function rtoDistributionReport(d: RtoDistribution): string[] {
  const rows = [
    ['path', 'p50', 'p99', 'max', 'held to target'],
    ...d.paths.map((p) => [
      p.name,
      `${p.p50} s`,
      `${p.p99} s`,
      `${p.max} s`,
      p.bound ? `yes (${d.targetSeconds} s)` : 'no',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return [
    `RTO distribution (Monte Carlo, ${d.samples} simulated regional failures, seed ${d.seed})`,
    ...rows.map((r) => `  ${r.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd()),
  ];
}

/** The README's two tables (p50/p99 per path; every random variable), as Markdown. */
export function rtoModelMarkdown(i: RtoModelInputs, options: RtoSimulationOptions = {}): string {
  const d = rtoDistribution(i, options);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| path | p50 | p99 | held to the ${d.targetSeconds} s target |`,
    '| --- | --- | --- | --- |',
    ...d.paths.map((p) => `| ${cell(p.name)} | ${p.p50} s | ${p.p99} s | ${p.bound ? 'yes' : 'no (reported)'} |`),
    '',
    `(${d.samples} simulated regional failures, seed ${d.seed}.)`,
    '',
    '| random variable | paths | distribution | source |',
    '| --- | --- | --- | --- |',
    ...randomVariables(i).map((v) => `| ${cell(v.name)} | ${v.paths} | ${cell(v.distribution)} | ${cell(v.source)} |`),
  ].join('\n');
}
