/**
 * The promotion gate, as a pure function of timestamped evidence. The primary counts as down only
 * when at least two independent vantage points outside it say so, each from an unbroken run of
 * failed probes that spans the in-region recovery window, and no vantage point still reaches it.
 * Anything else (a blip, a partition, a misconfigured probe, stale or missing evidence) keeps it shut.
 */

/**
 * What one probe saw. `inconclusive` is a probe that could not tell (a TLS verification error, a
 * 4xx, a DNS failure): it says something is misconfigured, never that the primary is down.
 */
export type ProbeOutcome = 'up' | 'down' | 'inconclusive';

export interface ProbeRecord {
  /** The region the probe ran from (a canary outside the primary region). */
  readonly vantage: string;
  /** When the probe started, ms since the epoch on the canary's clock. */
  readonly startedAt: number;
  readonly outcome: ProbeOutcome;
  /** What was seen, for the decision log: `HTTP 503`, `timeout after 4000 ms`, `TLS ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly detail: string;
}

/** Route 53's own verdict, when its API (served from us-east-1) could be read. */
export type Route53Reading =
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'read'; readonly healthyCheckers: number; readonly checkers: number };

export interface GateSettings {
  /** The primary must fail continuously for at least this long (covers in-region recovery). */
  readonly recoveryWindowMs: number;
  /** Two probes further apart than this do not make a continuous run (a canary that stopped). */
  readonly maxProbeGapMs: number;
  /** The canary regions whose votes count; probes from anywhere else are ignored. */
  readonly vantages: readonly string[];
}

export type Vote = 'down' | 'up' | 'abstain';

export interface VantageVote {
  /** A canary region, or `route53`. */
  readonly source: string;
  readonly vote: Vote;
  readonly reason: string;
  /** The probes this vote was decided on (the evidence logged with the decision). */
  readonly evidence: readonly ProbeRecord[];
}

export interface GateVerdict {
  readonly open: boolean;
  readonly reason: string;
  readonly downVotes: number;
  readonly upVotes: number;
  readonly votes: readonly VantageVote[];
}

/** Independent vantage points that must see the primary down before promotion. */
export const REQUIRED_DOWN_VOTES = 2;

/** Route 53 calls an endpoint healthy when more than 18 % of its checkers do. */
export const ROUTE53_HEALTHY_FRACTION = 0.18;

/** Fewer fresh checker reports than this is not a Route 53 verdict. */
export const ROUTE53_MIN_CHECKERS = 3;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * The earliest probe time that can still count at `now`: one window back, plus one allowed gap
 * so the run's first failure can sit just before the window. Older evidence never counts.
 */
export function evidenceHorizon(
  now: number,
  settings: Pick<GateSettings, 'recoveryWindowMs' | 'maxProbeGapMs'>,
): number {
  return now - settings.recoveryWindowMs - settings.maxProbeGapMs;
}

/** One canary's vote, from its own probes only. */
export function canaryVote(
  vantage: string,
  probes: readonly ProbeRecord[],
  now: number,
  settings: GateSettings,
): VantageVote {
  const horizon = evidenceHorizon(now, settings);
  const recent = probes
    .filter((p) => p.vantage === vantage && p.startedAt > horizon && p.startedAt <= now)
    .sort((a, b) => a.startedAt - b.startedAt);
  const vote = (v: Vote, reason: string, evidence: readonly ProbeRecord[] = recent): VantageVote => ({
    source: vantage,
    vote: v,
    reason,
    evidence,
  });
  const latest = recent.at(-1);
  if (!latest) return vote('abstain', `no probe in the last ${seconds(now - horizon)}`);
  const age = now - latest.startedAt;
  if (age > settings.maxProbeGapMs) {
    return vote('abstain', `latest probe is ${seconds(age)} old (limit ${seconds(settings.maxProbeGapMs)})`);
  }
  if (latest.outcome === 'up') return vote('up', `primary answers: ${latest.detail}`, [latest]);
  if (latest.outcome === 'inconclusive') return vote('abstain', `latest probe inconclusive: ${latest.detail}`);

  // Walk back over the unbroken run of failures that ends with the latest probe.
  let first = recent.length - 1;
  while (
    first > 0 &&
    recent[first - 1].outcome === 'down' &&
    recent[first].startedAt - recent[first - 1].startedAt <= settings.maxProbeGapMs
  ) {
    first -= 1;
  }
  const run = recent.slice(first);
  const failingMs = now - recent[first].startedAt;
  if (failingMs >= settings.recoveryWindowMs) {
    return vote(
      'down',
      `${run.length} failed probes over ${seconds(failingMs)} (window ${seconds(settings.recoveryWindowMs)})`,
      run,
    );
  }
  const before = recent[first - 1];
  const cause = !before
    ? 'no older evidence in the window'
    : before.outcome !== 'down'
      ? `preceded by ${before.outcome === 'up' ? 'a success' : 'an inconclusive probe'} (${before.detail})`
      : `preceded by a ${seconds(recent[first].startedAt - before.startedAt)} gap without probes`;
  return vote(
    'abstain',
    `failing for ${seconds(failingMs)}, under the ${seconds(settings.recoveryWindowMs)} window; ${cause}`,
    run,
  );
}

/** Route 53's vote: a verdict when readable, never a blocker when not. */
export function route53Vote(reading: Route53Reading | undefined): VantageVote {
  const vote = (v: Vote, reason: string): VantageVote => ({ source: 'route53', vote: v, reason, evidence: [] });
  if (!reading) return vote('abstain', 'no Route 53 health check configured');
  if (reading.kind === 'unreadable') return vote('abstain', `unreadable: ${reading.reason}`);
  const { healthyCheckers, checkers } = reading;
  if (checkers < ROUTE53_MIN_CHECKERS) return vote('abstain', `only ${checkers} fresh checker reports`);
  const summary = `${healthyCheckers} of ${checkers} checkers see it healthy`;
  return healthyCheckers / checkers > ROUTE53_HEALTHY_FRACTION ? vote('up', summary) : vote('down', summary);
}

export interface GateInput {
  readonly now: number;
  readonly settings: GateSettings;
  readonly probes: readonly ProbeRecord[];
  readonly route53?: Route53Reading;
}

/**
 * Open only when at least {@link REQUIRED_DOWN_VOTES} vantage points vote down and none votes
 * up: a fresh success anywhere means users can still reach the primary (a partition, not an
 * outage). Route 53 can add a vote; when unreadable it abstains, so its absence never blocks.
 */
export function evaluateGate(input: GateInput): GateVerdict {
  const votes = [
    ...input.settings.vantages.map((v) => canaryVote(v, input.probes, input.now, input.settings)),
    route53Vote(input.route53),
  ];
  const sources = (v: Vote) => votes.filter((x) => x.vote === v).map((x) => x.source);
  const down = sources('down');
  const up = sources('up');
  const verdict = (open: boolean, reason: string): GateVerdict => ({
    open,
    reason,
    downVotes: down.length,
    upVotes: up.length,
    votes,
  });
  if (up.length > 0) return verdict(false, `primary still reachable from ${up.join(', ')}`);
  if (down.length >= REQUIRED_DOWN_VOTES) {
    return verdict(true, `primary down for the whole recovery window from ${down.join(', ')}`);
  }
  return verdict(
    false,
    `${down.length} of ${REQUIRED_DOWN_VOTES} required down votes${down.length ? ` (${down.join(', ')})` : ''}`,
  );
}

/** Route 53 observations as returned by GetHealthCheckStatus, reduced to a reading. */
export function route53Reading(
  observations: readonly { readonly status?: string; readonly checkedAt?: number }[],
  now: number,
  maxAgeMs: number,
): Route53Reading {
  const fresh = observations.filter((o) => o.checkedAt !== undefined && now - o.checkedAt <= maxAgeMs);
  return {
    kind: 'read',
    checkers: fresh.length,
    healthyCheckers: fresh.filter((o) => /^Success/.test(o.status ?? '')).length,
  };
}
