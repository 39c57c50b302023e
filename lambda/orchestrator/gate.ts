/**
 * Over 320 lines on purpose: both of the gate's questions (is the region gone, is it down for the
 * whole window) read the same probe records, so their rules stay side by side.
 *
 * The promotion gate, as a pure function of timestamped evidence. It answers two questions, with
 * different evidence because their actions differ:
 *
 * - **Is the primary region gone?** (the fast path: move the order book's writer, which is
 *   lossless and reversible). Every canary sees the primary's front door fail at the transport
 *   layer (no route, connect timeout, refused, reset, TLS handshake cut) for the whole fast window,
 *   while its control target in its own region answers (its own network is fine) and the beacon in
 *   us-east-1 (an AWS endpoint the platform does not own) fails too (the region, not our
 *   configuration); and at least one AWS-side signal that does not need us-east-1's control plane
 *   agrees (the accelerator's endpoint health, read through its us-west-2 API).
 * - **Has every canary seen the primary fail for the whole recovery window?** (the slow path: the
 *   evidence an `AllowDataLoss` promotion of Aurora needs before the orchestrator also asks the
 *   database itself; see primary-database.ts and decide.ts).
 *
 * Anything else (a blip, a partition, a misconfigured probe, a canary whose own network failed,
 * stale or missing evidence) keeps both shut. Route 53 corroborates; it never replaces a canary.
 */
import { FastWindowSettings, GateTimingSettings, maxProbeGapMs } from '../facts/timing';

/**
 * What one probe saw, by layer:
 * - `up`: 2xx (for the control and the beacon: any HTTP answer; the endpoint is there).
 * - `transport`: no route, connect timeout, refused, reset, TLS handshake cut: the front door is gone.
 * - `tls`: the certificate or its name did not verify: our configuration, never an outage.
 * - `inconclusive`: 3xx/4xx, a name that does not resolve, an unknown error: the probe is pointed
 *   at the wrong thing.
 * - `sick`: 5xx or `/health` unavailable: the region answers but cannot serve (sick, not gone).
 */
export type ProbeLayer = 'up' | 'transport' | 'tls' | 'inconclusive' | 'sick';

export const PROBE_LAYERS: readonly ProbeLayer[] = ['up', 'transport', 'tls', 'inconclusive', 'sick'];

/**
 * What a probe was aimed at: the primary's front door, the canary's control target (an AWS
 * endpoint in the canary's own region) or the beacon (an AWS endpoint in the primary's region).
 */
export type ProbeTargetKind = 'primary' | 'control' | 'beacon';

export const PROBE_TARGET_KINDS: readonly ProbeTargetKind[] = ['primary', 'control', 'beacon'];

export interface ProbeRecord {
  /** The region the probe ran from (a canary outside the primary region). */
  readonly vantage: string;
  readonly target: ProbeTargetKind;
  /** When the probe started, ms since the epoch on the canary's clock. */
  readonly startedAt: number;
  readonly layer: ProbeLayer;
  /** What was seen, for the decision log: `HTTP 503`, `PROBE_TIMEOUT: ...`, `TLS ERR_TLS_CERT_ALTNAME_INVALID: ...`. */
  readonly detail: string;
}

/** A primary probe that counts as a failure: the front door is gone, or the region answers sick. */
export const isFailure = (layer: ProbeLayer): boolean => layer === 'transport' || layer === 'sick';

/** Route 53's own verdict, when its API (served from us-east-1) could be read. */
export type Route53Reading =
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'read'; readonly healthyCheckers: number; readonly checkers: number };

/** The accelerator's health of the primary's endpoint group, through its us-west-2 API. */
export type AcceleratorReading =
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'read'; readonly primaryHealthy: boolean; readonly detail: string };

/**
 * The Route 53 failover record (api.<domain>) as DNS answers it: the data plane, not us-east-1's
 * control plane. Answering the secondary means Route 53's checkers have failed the primary over.
 */
export type FailoverRecordReading =
  | { readonly kind: 'unreadable'; readonly reason: string }
  | { readonly kind: 'read'; readonly answersSecondary: boolean; readonly detail: string };

export interface GateSettings {
  /** The primary must fail continuously for at least this long before the database is asked. */
  readonly recoveryWindowMs: number;
  /** The primary's front door must be gone (transport failures) this long before the writer moves. */
  readonly fastWindowMs: number;
  /** Two probes further apart than this do not make a continuous run (a canary that stopped). */
  readonly maxProbeGapMs: number;
  /** The canary regions whose votes count; probes from anywhere else are ignored. */
  readonly vantages: readonly string[];
}

/** The gate's settings as the decision logic reads them, from the configured seconds. */
export function gateSettings(s: GateTimingSettings & FastWindowSettings, vantages: readonly string[]): GateSettings {
  return {
    recoveryWindowMs: s.failoverRecoveryWindowSeconds * 1000,
    fastWindowMs: s.failoverFastWindowSeconds * 1000,
    maxProbeGapMs: maxProbeGapMs(s.failoverProbeIntervalSeconds),
    vantages,
  };
}

export type Vote = 'down' | 'up' | 'abstain';

export interface VantageVote {
  /** A canary region. */
  readonly source: string;
  /** The slow path's vote: failing (transport or sick) for the whole recovery window. */
  readonly vote: Vote;
  /** The fast path's vote: the front door gone for the fast window, control up, beacon failing. */
  readonly gone: boolean;
  readonly reason: string;
  /** The probes this vote was decided on (the evidence logged with the decision). */
  readonly evidence: readonly ProbeRecord[];
}

export interface GateVerdict {
  /** Slow path: every required canary saw the primary fail for the whole recovery window, none reaches it. */
  readonly open: boolean;
  readonly reason: string;
  /** Fast path: the region is gone (canaries, controls, beacon and an AWS-side signal agree). */
  readonly regionGone: boolean;
  readonly goneReason: string;
  readonly downVotes: number;
  readonly upVotes: number;
  readonly votes: readonly VantageVote[];
  /** AWS-side corroborations seen (never votes). */
  readonly corroboration: readonly string[];
}

/** Independent canaries that must agree, on either path (Route 53 never replaces one). */
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
  settings: Pick<GateSettings, 'recoveryWindowMs' | 'maxProbeGapMs'> & Partial<Pick<GateSettings, 'fastWindowMs'>>,
): number {
  return now - Math.max(settings.recoveryWindowMs, settings.fastWindowMs ?? 0) - settings.maxProbeGapMs;
}

/** The unbroken run at the end of `probes` (sorted) whose every probe satisfies `keep`. */
function trailingRun(probes: readonly ProbeRecord[], keep: (p: ProbeRecord) => boolean, maxGapMs: number) {
  let first = probes.length;
  while (
    first > 0 &&
    keep(probes[first - 1]) &&
    (first === probes.length || probes[first].startedAt - probes[first - 1].startedAt <= maxGapMs)
  ) {
    first -= 1;
  }
  return { run: probes.slice(first), before: probes[first - 1] };
}

/** One canary's votes, from its own probes only. */
export function canaryVote(
  vantage: string,
  probes: readonly ProbeRecord[],
  now: number,
  settings: GateSettings,
): VantageVote {
  const horizon = evidenceHorizon(now, settings);
  const mine = (target: ProbeTargetKind) =>
    probes
      .filter((p) => p.vantage === vantage && p.target === target && p.startedAt > horizon && p.startedAt <= now)
      .sort((a, b) => a.startedAt - b.startedAt);
  const recent = mine('primary');
  const vote = (v: Vote, reason: string, evidence: readonly ProbeRecord[] = recent, gone = false): VantageVote => ({
    source: vantage,
    vote: v,
    gone,
    reason,
    evidence,
  });
  const latest = recent.at(-1);
  if (!latest) return vote('abstain', `no probe in the last ${seconds(now - horizon)}`);
  const age = now - latest.startedAt;
  if (age > settings.maxProbeGapMs) {
    return vote('abstain', `latest probe is ${seconds(age)} old (limit ${seconds(settings.maxProbeGapMs)})`);
  }
  if (latest.layer === 'up') return vote('up', `primary answers: ${latest.detail}`, [latest]);
  if (!isFailure(latest.layer)) return vote('abstain', `latest probe ${latest.layer}: ${latest.detail}`);

  // The canary's own network: its control target in its own region must answer, freshly.
  const control = mine('control').at(-1);
  if (!control || now - control.startedAt > settings.maxProbeGapMs) {
    return vote('abstain', `no fresh control probe: the canary's own network is in doubt`);
  }
  if (control.layer !== 'up') {
    return vote('abstain', `control target in ${vantage} failing (${control.detail}): the canary's own network`);
  }

  const { run, before } = trailingRun(recent, (p) => isFailure(p.layer), settings.maxProbeGapMs);
  const failingMs = now - run[0].startedAt;
  const fast = goneVote(vantage, recent, mine('beacon'), now, settings);
  const also = fast.reason ? `; ${fast.reason}` : '';
  if (failingMs >= settings.recoveryWindowMs) {
    return vote(
      'down',
      `${run.length} failed probes over ${seconds(failingMs)} (window ${seconds(settings.recoveryWindowMs)})${also}`,
      run,
      fast.gone,
    );
  }
  const cause = !before
    ? 'no older evidence in the window'
    : !isFailure(before.layer)
      ? `preceded by ${before.layer === 'up' ? 'a success' : `a ${before.layer} probe`} (${before.detail})`
      : `preceded by a ${seconds(run[0].startedAt - before.startedAt)} gap without probes`;
  return vote(
    'abstain',
    `failing for ${seconds(failingMs)}, under the ${seconds(settings.recoveryWindowMs)} window; ${cause}${also}`,
    run,
    fast.gone,
  );
}

/** The fast path's part of one canary's vote: transport failures for the fast window, beacon failing. */
function goneVote(
  vantage: string,
  primary: readonly ProbeRecord[],
  beacons: readonly ProbeRecord[],
  now: number,
  settings: GateSettings,
): { gone: boolean; reason: string } {
  const { run } = trailingRun(primary, (p) => p.layer === 'transport', settings.maxProbeGapMs);
  // The primary answers (sick, not gone): nothing to say about the fast path.
  if (run.length === 0) return { gone: false, reason: '' };
  const transportMs = now - run[0].startedAt;
  if (transportMs < settings.fastWindowMs) {
    return {
      gone: false,
      reason: `front door gone for ${seconds(transportMs)}, under the ${seconds(settings.fastWindowMs)} fast window`,
    };
  }
  // Every beacon probe since the front door went must have failed too.
  const beaconRecent = beacons.filter((b) => b.startedAt >= run[0].startedAt);
  const latestBeacon = beaconRecent.at(-1);
  if (!latestBeacon || now - latestBeacon.startedAt > settings.maxProbeGapMs) {
    return { gone: false, reason: `no fresh beacon probe from ${vantage}` };
  }
  const answered = beaconRecent.filter((b) => b.layer !== 'transport');
  if (answered.length > 0) {
    return {
      gone: false,
      reason: `the us-east-1 beacon answers from ${vantage} (${answered.at(-1)!.detail}): our front door, not the region`,
    };
  }
  return {
    gone: true,
    reason: `front door and beacon gone for ${seconds(transportMs)} (fast window ${seconds(settings.fastWindowMs)})`,
  };
}

/** Route 53's verdict on the primary: a corroboration when readable, never a vote. */
export function route53Verdict(reading: Route53Reading | undefined): 'down' | 'up' | 'unknown' {
  if (!reading || reading.kind === 'unreadable' || reading.checkers < ROUTE53_MIN_CHECKERS) return 'unknown';
  return reading.healthyCheckers / reading.checkers > ROUTE53_HEALTHY_FRACTION ? 'up' : 'down';
}

export interface GateInput {
  readonly now: number;
  readonly settings: GateSettings;
  readonly probes: readonly ProbeRecord[];
  readonly route53?: Route53Reading;
  readonly accelerator?: AcceleratorReading;
  readonly failoverRecord?: FailoverRecordReading;
}

/**
 * Slow path open only when at least {@link REQUIRED_DOWN_VOTES} canaries vote down and none votes
 * up: a fresh success anywhere means users can still reach the primary (a partition, not an
 * outage). Fast path open only when every required canary says the region is gone and an
 * AWS-side signal agrees. Route 53 and the accelerator corroborate; neither ever replaces a canary.
 */
export function evaluateGate(input: GateInput): GateVerdict {
  const votes = input.settings.vantages.map((v) => canaryVote(v, input.probes, input.now, input.settings));
  const sources = (v: Vote) => votes.filter((x) => x.vote === v).map((x) => x.source);
  const down = sources('down');
  const up = sources('up');
  const gone = votes.filter((v) => v.gone).map((v) => v.source);
  const corroboration: string[] = [];
  if (input.accelerator?.kind === 'read' && !input.accelerator.primaryHealthy) {
    corroboration.push(`accelerator (us-west-2 API): ${input.accelerator.detail}`);
  }
  if (input.failoverRecord?.kind === 'read' && input.failoverRecord.answersSecondary) {
    corroboration.push(`failover record (DNS): ${input.failoverRecord.detail}`);
  }
  if (route53Verdict(input.route53) === 'down' && input.route53?.kind === 'read') {
    corroboration.push(
      `route53: ${input.route53.healthyCheckers} of ${input.route53.checkers} checkers see the primary healthy`,
    );
  }
  const open = up.length === 0 && down.length >= REQUIRED_DOWN_VOTES;
  const reason =
    up.length > 0
      ? `primary still reachable from ${up.join(', ')}`
      : open
        ? `primary down for the whole recovery window from ${down.join(', ')}`
        : `${down.length} of ${REQUIRED_DOWN_VOTES} required down votes${down.length ? ` (${down.join(', ')})` : ''}`;
  const regionGone = up.length === 0 && gone.length >= REQUIRED_DOWN_VOTES && corroboration.length > 0;
  const goneReason =
    up.length > 0
      ? `primary still reachable from ${up.join(', ')}`
      : gone.length < REQUIRED_DOWN_VOTES
        ? `${gone.length} of ${REQUIRED_DOWN_VOTES} canaries see the region gone${gone.length ? ` (${gone.join(', ')})` : ''}`
        : corroboration.length === 0
          ? `canaries ${gone.join(', ')} see the region gone, but no AWS-side signal agrees (${describeCorroborators(input)})`
          : `region gone: canaries ${gone.join(', ')}; ${corroboration.join('; ')}`;
  return {
    open,
    reason,
    regionGone,
    goneReason,
    downVotes: down.length,
    upVotes: up.length,
    votes,
    corroboration,
  };
}

function describeCorroborators(input: GateInput): string {
  const a = input.accelerator;
  const accelerator = !a
    ? 'accelerator not read'
    : a.kind === 'unreadable'
      ? `accelerator unreadable: ${a.reason}`
      : `accelerator: ${a.detail}`;
  const r = input.failoverRecord;
  const record = !r
    ? 'failover record not read'
    : r.kind === 'unreadable'
      ? `failover record unreadable: ${r.reason}`
      : `failover record: ${r.detail}`;
  const verdict = route53Verdict(input.route53);
  return `${accelerator}; ${record}; route53 ${verdict === 'unknown' ? 'unknown' : `sees it ${verdict}`}`;
}

/** The failover record's CNAME answer against the secondary's load balancer name. */
export function failoverRecordReading(answers: readonly string[], secondaryTarget: string): FailoverRecordReading {
  const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');
  const answersSecondary = answers.some((a) => norm(a) === norm(secondaryTarget));
  return {
    kind: 'read',
    answersSecondary,
    detail: `answers ${answers.join(', ') || 'nothing'}${answersSecondary ? ' (the secondary)' : ''}`,
  };
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

/**
 * The primary endpoint group's health as DescribeEndpointGroup reports it (`EndpointDescriptions`,
 * each with `HealthState` HEALTHY | UNHEALTHY | INITIAL): gone only when it has endpoints and none
 * is healthy. (API reference: Global Accelerator EndpointDescription.HealthState.)
 */
export function acceleratorReading(
  endpoints: readonly { readonly endpointId?: string; readonly healthState?: string }[] | undefined,
): AcceleratorReading {
  if (!endpoints || endpoints.length === 0) {
    return { kind: 'read', primaryHealthy: true, detail: 'no endpoint described: not a verdict' };
  }
  const healthy = endpoints.filter((e) => e.healthState !== 'UNHEALTHY');
  return healthy.length === 0
    ? { kind: 'read', primaryHealthy: false, detail: `all ${endpoints.length} primary endpoint(s) UNHEALTHY` }
    : {
        kind: 'read',
        primaryHealthy: true,
        detail: `${healthy.length} of ${endpoints.length} primary endpoint(s) not UNHEALTHY`,
      };
}
