/**
 * The gate's clock arithmetic, pure, shared by the functions and by the config: how long a probe
 * may take, how far apart probes may be and still make a continuous run, how long the gate takes
 * at worst from a regional failure to the promotion call, and which settings cannot work.
 * Imports nothing but its sibling facts: the Pulumi program (lib/config, lib/failover, lib/model)
 * reads these numbers without loading a function's runtime.
 */
/**
 * Canaries and the orchestrator run once a minute (the finest EventBridge schedule) and loop
 * for that minute, so evidence and evaluation are continuous across invocations.
 */
export const LOOP_WINDOW_SECONDS = 60;

/**
 * Time one evaluation that acts may take: describe the global cluster, take the lease, describe
 * again, read and set two traffic dials, record the fence, call FailoverGlobalCluster, record and
 * notify (about ten AWS calls, each bounded by the SDK's timeouts). A scheduled invocation starts
 * no evaluation with less than this left; an invocation cut short is safe (the lease and the
 * fence record carry over), only slower.
 */
export const ACTION_BUDGET_SECONDS = 20;

/** Time one canary may spend writing a probe result to the evidence table. */
export const RECORD_BUDGET_SECONDS = 5;

/** Recommended Lambda timeouts; the config checks whatever is deployed with {@link gateSettingsProblems}. */
export const ORCHESTRATOR_TIMEOUT_SECONDS = 90;
export const CANARY_TIMEOUT_SECONDS = 75;

/**
 * The promotion lease outlives any invocation that could hold it (twice the orchestrator's
 * timeout): a holder that dies mid-way blocks others only until it cannot be running any more.
 */
export function leaseSeconds(orchestratorTimeoutSeconds: number): number {
  return 2 * orchestratorTimeoutSeconds;
}

/**
 * A failover or switchover the orchestrator requested that is still in flight after this long is
 * stuck, and paged as such (PromotionStuck). AWS publishes no bound; its own FIS template for an
 * Aurora global region failover (aws-samples/fis-template-library) polls up to 10 minutes and
 * keycloak/keycloak-benchmark#445 measured about 8 (aws-facts.md): half as much again as the poll.
 */
export const PROMOTION_STUCK_SECONDS = 900;

/** Aurora's in-region failover is "typically less than 60 seconds" (aws-facts.md): never gate below it. */
export const MIN_RECOVERY_WINDOW_SECONDS = 60;

/**
 * Default recovery window: an in-region failover (under 60 s) plus a patch restart (20-30 s,
 * which on 14.6 also reboots the readers) back to back, so neither alone can open the gate.
 */
export const DEFAULT_RECOVERY_WINDOW_SECONDS = 90;

/** A probe answers within half its interval, at most 4 s (Route 53's own connect limit). */
export function probeTimeoutMs(probeIntervalSeconds: number): number {
  return Math.min(4000, probeIntervalSeconds * 500);
}

/**
 * Two probes further apart than this are not one continuous run: one missed probe (a canary
 * invocation starting late) is tolerated, a canary that stopped is not.
 */
export function maxProbeGapMs(probeIntervalSeconds: number): number {
  return 2 * probeIntervalSeconds * 1000 + probeTimeoutMs(probeIntervalSeconds);
}

export interface GateTimingSettings {
  readonly failoverProbeIntervalSeconds: number;
  readonly failoverRecoveryWindowSeconds: number;
}

export { DEFAULT_FAST_WINDOW_SECONDS, MAX_FAST_WINDOW_SECONDS, MIN_FAST_WINDOW_SECONDS } from './failover-window';

export interface FastWindowSettings {
  readonly failoverFastWindowSeconds: number;
}

export interface TimingTerm {
  readonly label: string;
  readonly seconds: number;
}

export interface PromotionTiming {
  readonly totalSeconds: number;
  readonly terms: readonly TimingTerm[];
}

/**
 * Worst case from a regional failure to the FailoverGlobalCluster call, in automatic mode, with
 * canaries and the orchestrator running on schedule and AWS APIs answering:
 *   gap G (first failed probe of each canary) + window W (the run must span it)
 *   + gap G (the orchestrator's next evaluation, across its own invocation boundary)
 *   + action budget A.
 * With G = 2 x interval + probe timeout. Aurora's promotion itself comes after (minutes).
 * Approval mode adds the operator's reaction time, which no formula bounds.
 */
export function worstCaseTimeToPromotion(s: GateTimingSettings): PromotionTiming {
  const gap = maxProbeGapMs(s.failoverProbeIntervalSeconds) / 1000;
  const terms: TimingTerm[] = [
    { label: `first failed probe (gap: 2 x ${s.failoverProbeIntervalSeconds} s + probe timeout)`, seconds: gap },
    { label: 'recovery window', seconds: s.failoverRecoveryWindowSeconds },
    { label: 'next evaluation (same gap)', seconds: gap },
    { label: 'fence and promotion calls', seconds: ACTION_BUDGET_SECONDS },
  ];
  return { totalSeconds: terms.reduce((sum, t) => sum + t.seconds, 0), terms };
}

export interface DeployedTimingSettings extends GateTimingSettings {
  readonly orchestratorTimeoutSeconds: number;
  readonly canaryTimeoutSeconds: number;
}

export type TimingProblem = readonly [key: keyof DeployedTimingSettings, message: string];

/** Fast-window settings that cannot make a safe fast path (config and orchestrator at start). */
export function fastWindowProblems(s: GateTimingSettings & FastWindowSettings): [string, string][] {
  const problems: [string, string][] = [];
  const fast = s.failoverFastWindowSeconds;
  if (fast < 2 * s.failoverProbeIntervalSeconds) {
    problems.push([
      'failoverFastWindowSeconds',
      `must be at least 2 x failoverProbeIntervalSeconds (${2 * s.failoverProbeIntervalSeconds} s) so each canary needs three transport failures`,
    ]);
  }
  if (fast >= s.failoverRecoveryWindowSeconds) {
    problems.push([
      'failoverFastWindowSeconds',
      `must be shorter than failoverRecoveryWindowSeconds (${s.failoverRecoveryWindowSeconds} s)`,
    ]);
  }
  return problems;
}

/** Window settings that cannot make a safe gate (checked by the config and by the functions at start). */
export function windowProblems(s: GateTimingSettings): TimingProblem[] {
  const problems: TimingProblem[] = [];
  const interval = s.failoverProbeIntervalSeconds;
  const window = s.failoverRecoveryWindowSeconds;
  if (window < MIN_RECOVERY_WINDOW_SECONDS) {
    problems.push([
      'failoverRecoveryWindowSeconds',
      `must be at least ${MIN_RECOVERY_WINDOW_SECONDS} s: Aurora's in-region failover alone takes up to that`,
    ]);
  }
  if (window < 2 * interval) {
    problems.push([
      'failoverRecoveryWindowSeconds',
      `must be at least 2 x failoverProbeIntervalSeconds (${2 * interval} s) so each canary needs three failed probes`,
    ]);
  }
  return problems;
}

/** Settings the gate cannot honour once deployed, each with the key to change; empty when they work. */
export function gateSettingsProblems(s: DeployedTimingSettings): TimingProblem[] {
  const problems = windowProblems(s);
  const interval = s.failoverProbeIntervalSeconds;
  const orchestratorNeeds = LOOP_WINDOW_SECONDS + ACTION_BUDGET_SECONDS;
  if (s.orchestratorTimeoutSeconds < orchestratorNeeds) {
    problems.push([
      'orchestratorTimeoutSeconds',
      `must be at least ${orchestratorNeeds} s (a ${LOOP_WINDOW_SECONDS} s evaluation loop + ${ACTION_BUDGET_SECONDS} s to act)`,
    ]);
  }
  const canaryNeeds = LOOP_WINDOW_SECONDS + probeTimeoutMs(interval) / 1000 + RECORD_BUDGET_SECONDS;
  if (s.canaryTimeoutSeconds < canaryNeeds) {
    problems.push([
      'canaryTimeoutSeconds',
      `must be at least ${canaryNeeds} s (a ${LOOP_WINDOW_SECONDS} s probe loop + probe timeout + ${RECORD_BUDGET_SECONDS} s to record)`,
    ]);
  }
  return problems;
}
