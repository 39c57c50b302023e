import fc from 'fast-check';
import type { GlobalCluster } from '@aws-sdk/client-rds';
import {
  decideInFlight,
  decideOperatorRequest,
  decidePromotion,
  decideReconcile,
} from '../../lambda/orchestrator/decide';
import { PROMOTION_STUCK_SECONDS } from '../../lambda/facts/timing';
import {
  canaryVote as canaryVoteOf,
  evaluateGate as evaluateGateOf,
  evidenceHorizon,
  GateInput,
  GateSettings,
  gateSettings,
  GateVerdict,
  ProbeLayer,
  ProbeRecord,
  route53Reading,
  route53Verdict,
} from '../../lambda/orchestrator/gate';
import { summariseEvents, type PrimaryDatabaseReading } from '../../lambda/orchestrator/primary-database';
import { ClusterReading, readGlobalCluster } from '../../lambda/orchestrator/global-cluster';
import {
  ACTION_BUDGET_SECONDS,
  DEFAULT_RECOVERY_WINDOW_SECONDS,
  gateSettingsProblems,
  leaseSeconds,
  LOOP_WINDOW_SECONDS,
  maxProbeGapMs,
  MIN_RECOVERY_WINDOW_SECONDS,
  probeTimeoutMs,
  windowProblems,
  worstCaseTimeToPromotion,
} from '../../lambda/facts/timing';
import { GLOBAL_CLUSTER_ID, PRIMARY_CLUSTER_ARN, SECONDARY_CLUSTER_ARN } from '../helpers/failover-fixtures';

/** A slow-path gate open on both canaries' votes (no region-gone evidence). */
function openGate(reason: string): GateVerdict {
  return {
    open: true,
    reason,
    regionGone: false,
    goneReason: 'not gone',
    downVotes: 2,
    upVotes: 0,
    votes: [],
    corroboration: [],
  };
}

const EU = 'eu-west-1';
const USW2 = 'us-west-2';
const T0 = Date.UTC(2030, 0, 1);
const S = 1000;
const settings: GateSettings = gateSettings(
  { failoverProbeIntervalSeconds: 10, failoverRecoveryWindowSeconds: 90, failoverFastWindowSeconds: 20 },
  [EU, USW2],
);

/** What these tests speak of: a primary probe that succeeded, failed (an HTTP 503) or could not tell. */
type ProbeOutcome = 'up' | 'down' | 'inconclusive';
const layerOf = (o: ProbeOutcome): ProbeLayer => (o === 'down' ? 'sick' : o);

/** Every canary's control target answers at `now` (its own network is fine), unless a test says otherwise. */
const controls = (now: number): ProbeRecord[] =>
  [EU, USW2].map((vantage) => ({ vantage, target: 'control', startedAt: now, layer: 'up', detail: 'HTTP 200' }));
const canaryVote = (vantage: string, probes: readonly ProbeRecord[], now: number, s: GateSettings) =>
  canaryVoteOf(vantage, [...probes, ...controls(now)], now, s);
const evaluateGate = (input: GateInput) =>
  evaluateGateOf({ ...input, probes: [...input.probes, ...controls(input.now)] });

/** Probes from `vantage` every `every` ms over [from, to] (relative to T0), all with one outcome. */
function run(vantage: string, from: number, to: number, outcome: ProbeOutcome, every = 10 * S): ProbeRecord[] {
  const probes: ProbeRecord[] = [];
  for (let t = from; t <= to; t += every) {
    probes.push({
      vantage,
      target: 'primary',
      startedAt: T0 + t,
      layer: layerOf(outcome),
      detail: outcome === 'up' ? 'HTTP 200' : 'HTTP 503',
    });
  }
  return probes;
}
const both = (from: number, to: number, outcome: ProbeOutcome) => [
  ...run(EU, from, to, outcome),
  ...run(USW2, from + 3 * S, to, outcome),
];
const gateAt = (t: number, probes: ProbeRecord[], route53?: GateInput['route53']) =>
  evaluateGate({ now: T0 + t, settings, probes, route53 });

describe('timing', () => {
  it('a probe answers within half its interval, at most 4 s; a run tolerates one missed probe', () => {
    expect(probeTimeoutMs(10)).toBe(4000);
    expect(probeTimeoutMs(5)).toBe(2500);
    expect(maxProbeGapMs(10)).toBe(24_000);
  });

  it('the default window outlasts an in-region failover (60 s) plus a patch restart (30 s)', () => {
    expect(DEFAULT_RECOVERY_WINDOW_SECONDS).toBeGreaterThanOrEqual(60 + 30);
  });

  it('worst case to promotion = gap + window + gap + action budget, and grows with every input', () => {
    const timing = worstCaseTimeToPromotion({ failoverProbeIntervalSeconds: 10, failoverRecoveryWindowSeconds: 90 });
    expect(timing.totalSeconds).toBe(24 + 90 + 24 + ACTION_BUDGET_SECONDS);
    expect(timing.terms.reduce((s, t) => s + t.seconds, 0)).toBe(timing.totalSeconds);
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 59 }), fc.integer({ min: 60, max: 3599 }), (i, w) => {
        const base = worstCaseTimeToPromotion({ failoverProbeIntervalSeconds: i, failoverRecoveryWindowSeconds: w });
        const slowerProbe = worstCaseTimeToPromotion({
          failoverProbeIntervalSeconds: i + 1,
          failoverRecoveryWindowSeconds: w,
        });
        const longerWindow = worstCaseTimeToPromotion({
          failoverProbeIntervalSeconds: i,
          failoverRecoveryWindowSeconds: w + 1,
        });
        return slowerProbe.totalSeconds > base.totalSeconds && longerWindow.totalSeconds > base.totalSeconds;
      }),
    );
  });

  it('rejects settings that cannot work: short windows, sparse probes, timeouts shorter than a loop plus an action', () => {
    const ok = {
      failoverProbeIntervalSeconds: 10,
      failoverRecoveryWindowSeconds: 90,
      orchestratorTimeoutSeconds: 90,
      canaryTimeoutSeconds: 75,
    };
    expect(gateSettingsProblems(ok)).toEqual([]);
    const keys = (s: typeof ok) => gateSettingsProblems(s).map(([key]) => key);
    expect(keys({ ...ok, failoverRecoveryWindowSeconds: 45 })).toContain('failoverRecoveryWindowSeconds');
    expect(keys({ ...ok, failoverProbeIntervalSeconds: 60, failoverRecoveryWindowSeconds: 90 })).toEqual([
      'failoverRecoveryWindowSeconds',
    ]);
    expect(keys({ ...ok, orchestratorTimeoutSeconds: LOOP_WINDOW_SECONDS + ACTION_BUDGET_SECONDS - 1 })).toEqual([
      'orchestratorTimeoutSeconds',
    ]);
    expect(keys({ ...ok, canaryTimeoutSeconds: 60 })).toEqual(['canaryTimeoutSeconds']);
  });

  it('issue 10: interval 30 s with the 90 s timeout is judged on the loop, not on probes x failures', () => {
    // The old alarm path needed 30 s x 4 probes (94 s) inside one 90 s invocation; the gate now keeps
    // its evidence in the store, so an invocation is a one-minute loop plus one action at most.
    const problems = gateSettingsProblems({
      failoverProbeIntervalSeconds: 30,
      failoverRecoveryWindowSeconds: 120,
      orchestratorTimeoutSeconds: 90,
      canaryTimeoutSeconds: 75,
    });
    expect(problems).toEqual([]);
    expect(
      gateSettingsProblems({
        failoverProbeIntervalSeconds: 30,
        failoverRecoveryWindowSeconds: 120,
        orchestratorTimeoutSeconds: 60,
        canaryTimeoutSeconds: 75,
      }).map(([k]) => k),
    ).toEqual(['orchestratorTimeoutSeconds']);
  });
});

describe('a canary vote', () => {
  it('is down only after failing continuously for the whole window', () => {
    expect(canaryVote(EU, run(EU, 0, 80 * S, 'down'), T0 + 89 * S, settings).vote).toBe('abstain');
    expect(canaryVote(EU, run(EU, 0, 90 * S, 'down'), T0 + 90 * S, settings).vote).toBe('down');
  });

  it('issue 10: two failures, then one six hours later, never count as a run', () => {
    const probes = [...run(EU, 40 * S, 50 * S, 'down'), ...run(EU, 6 * 3600 * S, 6 * 3600 * S, 'down')];
    const vote = canaryVote(EU, probes, T0 + 6 * 3600 * S, settings);
    expect(vote.vote).toBe('abstain');
    expect(vote.evidence.every((p) => p.startedAt > T0 + 3600 * S)).toBe(true);
    const gate = evaluateGate({
      now: T0 + 6 * 3600 * S,
      settings,
      probes: [...probes, ...probes.map((p) => ({ ...p, vantage: USW2 }))],
    });
    expect(gate.open).toBe(false);
  });

  it('a canary that stopped probing breaks the run (a gap is not evidence)', () => {
    const probes = [...run(EU, 0, 40 * S, 'down'), ...run(EU, 70 * S, 120 * S, 'down')];
    const vote = canaryVote(EU, probes, T0 + 120 * S, settings);
    expect(vote.vote).toBe('abstain');
    expect(vote.reason).toMatch(/gap/);
  });

  it('stale evidence abstains: a run that ended is not a current outage', () => {
    expect(canaryVote(EU, run(EU, 0, 100 * S, 'down'), T0 + 130 * S, settings).vote).toBe('abstain');
  });

  it('a fresh success is an up vote; inconclusive probes never count as failures', () => {
    expect(
      canaryVote(EU, [...run(EU, 0, 90 * S, 'down'), ...run(EU, 100 * S, 100 * S, 'up')], T0 + 100 * S, settings).vote,
    ).toBe('up');
    const tlsMismatch = run(EU, 0, 300 * S, 'inconclusive');
    expect(canaryVote(EU, tlsMismatch, T0 + 300 * S, settings).vote).toBe('abstain');
    const mixed = [...run(EU, 0, 300 * S, 'down', 20 * S), ...run(EU, 10 * S, 290 * S, 'inconclusive', 20 * S)];
    expect(canaryVote(EU, mixed, T0 + 300 * S, settings).vote).toBe('abstain');
  });

  it('ignores probes from the future (clock skew) and from other vantages', () => {
    const probes = [...run(EU, 0, 90 * S, 'down'), ...run(USW2, 0, 90 * S, 'up')];
    expect(canaryVote(EU, probes, T0 + 90 * S, settings).vote).toBe('down');
    expect(canaryVote(EU, run(EU, 100 * S, 200 * S, 'down'), T0 + 50 * S, settings).vote).toBe('abstain');
  });
});

describe('the gate', () => {
  it('opens when both canaries saw the primary down for the whole window', () => {
    const gate = gateAt(95 * S, both(0, 95 * S, 'down'));
    expect(gate.open).toBe(true);
    expect(gate.votes.filter((v) => v.vote === 'down').map((v) => v.source)).toEqual([EU, USW2]);
  });

  it('issue 10: in-region events (25 s, 50 s, 89 s of 503) never open it', () => {
    for (const outage of [25, 50, 89]) {
      const probes = [
        ...both(-300 * S, -1, 'up'),
        ...both(0, (outage - 1) * S, 'down'),
        ...both(outage * S, 600 * S, 'up'),
      ];
      for (let t = 0; t <= 600 * S; t += S) expect(gateAt(t, probes).open).toBe(false);
    }
  });

  it('issue 10: a partition between eu-west-1 and us-east-1 does not open it', () => {
    const probes = [...run(EU, 0, 600 * S, 'down'), ...run(USW2, 0, 600 * S, 'up')];
    const gate = gateAt(600 * S, probes, { kind: 'read', healthyCheckers: 12, checkers: 15 });
    expect(gate.open).toBe(false);
    expect(gate.reason).toBe('primary still reachable from us-west-2');
    // Even with us-west-2's canary silent, Route 53 seeing the primary healthy keeps it shut.
    expect(gateAt(600 * S, run(EU, 0, 600 * S, 'down'), { kind: 'read', healthyCheckers: 12, checkers: 15 }).open).toBe(
      false,
    );
  });

  it('issue 23: two canaries, always: Route 53 corroborates but never replaces a canary, and its absence never blocks', () => {
    const euOnly = run(EU, 0, 600 * S, 'down');
    expect(gateAt(600 * S, euOnly).open).toBe(false);
    expect(gateAt(600 * S, euOnly, { kind: 'unreadable', reason: 'us-east-1 is down' }).open).toBe(false);
    // us-west-2's canary abstains (silent): Route 53 seeing the primary down does not stand in for it.
    const withRoute53 = gateAt(600 * S, euOnly, { kind: 'read', healthyCheckers: 1, checkers: 15 });
    expect(withRoute53.open).toBe(false);
    expect(withRoute53.votes.map((v) => v.source)).toEqual([EU, USW2]);
    expect(gateAt(600 * S, both(0, 600 * S, 'down'), { kind: 'unreadable', reason: 'timeout' }).open).toBe(true);
  });

  it('issue 10: a canary whose TLS check fails (misconfigured) cannot open it, however long', () => {
    const probes = [...run(EU, 0, 3600 * S, 'inconclusive'), ...run(USW2, 0, 3600 * S, 'inconclusive')];
    expect(gateAt(3600 * S, probes, { kind: 'read', healthyCheckers: 0, checkers: 15 }).open).toBe(false);
  });

  it('property: the gate never opens without two down votes, any up vote, or a full window of failures', () => {
    const probe = fc.record({
      vantage: fc.constantFrom(EU, USW2, 'us-east-1'),
      startedAt: fc.integer({ min: T0 - 400 * S, max: T0 }),
      target: fc.constantFrom<ProbeRecord['target']>('primary', 'control', 'beacon'),
      layer: fc.constantFrom<ProbeLayer>('up', 'transport', 'tls', 'inconclusive', 'sick'),
      detail: fc.constant('x'),
    });
    const r53 = fc.option(
      fc.oneof(
        fc.constant({ kind: 'unreadable' as const, reason: 'x' }),
        fc
          .integer({ min: 0, max: 16 })
          .chain((checkers) =>
            fc
              .integer({ min: 0, max: checkers })
              .map((healthy) => ({ kind: 'read' as const, checkers, healthyCheckers: healthy })),
          ),
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.array(probe, { maxLength: 80 }), r53, (probes, route53) => {
        const gate = evaluateGate({ now: T0, settings, probes, route53 });
        if (!gate.open) return true;
        const canaryDown = gate.votes.filter((v) => v.vote === 'down' && v.source !== 'route53');
        return (
          gate.upVotes === 0 &&
          gate.downVotes >= 2 &&
          canaryDown.length >= 1 &&
          canaryDown.every((v) => {
            const evidence = v.evidence;
            const first = evidence[0].startedAt;
            const gaps = evidence
              .slice(1)
              .every((p, i) => p.startedAt - evidence[i].startedAt <= settings.maxProbeGapMs);
            return (
              evidence.every(
                (p) =>
                  (p.layer === 'sick' || p.layer === 'transport') &&
                  p.target === 'primary' &&
                  p.vantage === v.source &&
                  p.startedAt > evidenceHorizon(T0, settings),
              ) &&
              T0 - first >= settings.recoveryWindowMs &&
              T0 - evidence.at(-1)!.startedAt <= settings.maxProbeGapMs &&
              gaps
            );
          })
        );
      }),
      { numRuns: 500 },
    );
  });

  it('property: adding a fresh success from any vantage closes an open gate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 400 }), fc.constantFrom(EU, USW2), (outage, who) => {
        const probes = both(0, outage * S, 'down');
        const open = gateAt(outage * S, probes);
        const withSuccess = gateAt(outage * S + 1, [
          ...probes,
          { vantage: who, target: 'primary', startedAt: T0 + outage * S + 1, layer: 'up', detail: 'HTTP 200' },
        ]);
        return open.open && !withSuccess.open;
      }),
    );
  });
});

describe('Route 53 reading', () => {
  it('counts only fresh checker reports, healthy above 18 %', () => {
    const now = T0;
    const obs = (n: number, status: string, age = 5 * S) =>
      Array.from({ length: n }, () => ({ status, checkedAt: now - age }));
    const reading = route53Reading(
      [
        ...obs(2, 'Success: HTTP Status Code 200, OK'),
        ...obs(13, 'Failure: Connection timed out'),
        ...obs(5, 'Success: old', 600 * S),
      ],
      now,
      90 * S,
    );
    expect(reading).toEqual({ kind: 'read', checkers: 15, healthyCheckers: 2 });
    expect(route53Verdict(reading)).toBe('down');
    expect(route53Verdict({ kind: 'read', checkers: 15, healthyCheckers: 3 })).toBe('up');
    expect(route53Verdict({ kind: 'read', checkers: 2, healthyCheckers: 0 })).toBe('unknown');
  });
});

describe('reading the global cluster', () => {
  const identity = {
    globalClusterId: GLOBAL_CLUSTER_ID,
    primaryClusterArn: PRIMARY_CLUSTER_ARN,
    secondaryClusterArn: SECONDARY_CLUSTER_ARN,
  };
  const healthy = (over: Partial<GlobalCluster> = {}): GlobalCluster => ({
    GlobalClusterIdentifier: identity.globalClusterId,
    Status: 'available',
    GlobalClusterMembers: [
      { DBClusterArn: identity.primaryClusterArn, IsWriter: true },
      { DBClusterArn: identity.secondaryClusterArn, IsWriter: false },
    ],
    ...over,
  });
  const read = (c: GlobalCluster[] | undefined) => readGlobalCluster(c, identity);

  it('understands exactly one writer among the two known members, available, nothing in flight', () => {
    expect(read([healthy()])).toEqual({ kind: 'primary-writer' });
    expect(
      read([
        healthy({
          GlobalClusterMembers: [
            { DBClusterArn: identity.primaryClusterArn, IsWriter: false },
            { DBClusterArn: identity.secondaryClusterArn, IsWriter: true },
          ],
        }),
      ]),
    ).toEqual({ kind: 'secondary-writer' });
  });

  const refused: [string, GlobalCluster[] | undefined, RegExp][] = [
    ['missing', undefined, /not found/],
    ['deleting', [healthy({ Status: 'deleting' })], /status is deleting/],
    ['inaccessible', [healthy({ Status: 'inaccessible' })], /status is inaccessible/],
    ['failing over', [healthy({ Status: 'failing-over' })], /status is failing-over/],
    ['modifying', [healthy({ Status: 'modifying' })], /status is modifying/],
    ['no status', [healthy({ Status: undefined })], /status is unknown/],
    [
      'FailoverState pending',
      [healthy({ FailoverState: { Status: 'pending', IsDataLossAllowed: true } })],
      /failover is pending/,
    ],
    [
      'switchover in flight',
      [healthy({ FailoverState: { Status: 'switching-over' as never, IsDataLossAllowed: false } })],
      /switchover is switching-over/,
    ],
    ['cancelling', [healthy({ FailoverState: { Status: 'cancelling' } })], /cancelling/],
    [
      'two writers',
      [
        healthy({
          GlobalClusterMembers: [
            { DBClusterArn: identity.primaryClusterArn, IsWriter: true },
            { DBClusterArn: identity.secondaryClusterArn, IsWriter: true },
          ],
        }),
      ],
      /2 members are marked writer/,
    ],
    [
      'no writer',
      [
        healthy({
          GlobalClusterMembers: [
            { DBClusterArn: identity.primaryClusterArn, IsWriter: false },
            { DBClusterArn: identity.secondaryClusterArn, IsWriter: false },
          ],
        }),
      ],
      /no member is the writer/,
    ],
    [
      'unknown writer',
      [
        healthy({
          GlobalClusterMembers: [
            { DBClusterArn: 'arn:aws:rds:us-west-2:123456789012:cluster:other', IsWriter: true },
            { DBClusterArn: identity.secondaryClusterArn, IsWriter: false },
          ],
        }),
      ],
      /unknown member/,
    ],
    [
      'member without ARN',
      [healthy({ GlobalClusterMembers: [{ IsWriter: true }, { DBClusterArn: identity.secondaryClusterArn }] })],
      /unknown member/,
    ],
    [
      'secondary detached',
      [healthy({ GlobalClusterMembers: [{ DBClusterArn: identity.primaryClusterArn, IsWriter: true }] })],
      /missing/,
    ],
    [
      'a third member',
      [
        healthy({
          GlobalClusterMembers: [
            ...healthy().GlobalClusterMembers!,
            { DBClusterArn: 'arn:aws:rds:ap-south-1:1:cluster:x' },
          ],
        }),
      ],
      /unknown member/,
    ],
    [
      'duplicate member',
      [
        healthy({
          GlobalClusterMembers: [...healthy().GlobalClusterMembers!, { DBClusterArn: identity.primaryClusterArn }],
        }),
      ],
      /listed twice/,
    ],
    ['another global cluster', [healthy({ GlobalClusterIdentifier: 'someone-else' })], /not aurora-global-dev/],
    ['two answers', [healthy(), healthy()], /2 global clusters/],
  ];
  it.each(refused)('refuses to act on %s', (_name, described, reason) => {
    const reading = read(described);
    expect(reading.kind).toBe('not-understood');
    expect(reading.kind === 'not-understood' && reading.reason).toMatch(reason);
  });
});

/** The primary database reports nothing (its region's API is gone): what a lost region looks like. */
const unreachable: PrimaryDatabaseReading = { kind: 'unreachable', reason: 'us-east-1 RDS API: timeout' };

describe('decisions', () => {
  const open = openGate('down from eu-west-1, us-west-2');
  const closed: GateVerdict = { ...open, open: false, reason: '1 of 2' };
  const primary: ClusterReading = { kind: 'primary-writer' };
  const secondary: ClusterReading = { kind: 'secondary-writer' };
  const odd: ClusterReading = { kind: 'not-understood', reason: 'status is deleting, not available' };

  it('promotes only with the gate open on an understood primary, and waits for approval in approval mode', () => {
    const unfenced = { fenced: false, failbackRequested: false };
    const kind = (gate: GateVerdict, cluster: ClusterReading, mode: 'automatic' | 'approval', approved: boolean) =>
      decidePromotion({ gate, cluster, mode, approved, database: unreachable, fence: unfenced, now: 0 }).kind;
    expect(kind(open, primary, 'automatic', false)).toBe('promote');
    expect(kind(closed, primary, 'automatic', true)).toBe('none');
    expect(kind(open, odd, 'automatic', true)).toBe('report');
    expect(kind(open, secondary, 'automatic', true)).toBe('none');
    expect(kind(open, primary, 'approval', false)).toBe('await-approval');
    expect(kind(open, primary, 'approval', true)).toBe('promote');
  });

  it('operator requests act only from understood states', () => {
    const none = { fenced: false, failbackRequested: false };
    const fenced = { fenced: true, failbackRequested: false };
    expect(decideOperatorRequest('switchover', primary, none, 0).kind).toBe('switchover');
    expect(decideOperatorRequest('switchover', secondary, none, 0).kind).toBe('none');
    expect(decideOperatorRequest('failback', secondary, fenced, 0).kind).toBe('failback');
    expect(decideOperatorRequest('failback', primary, fenced, 0).kind).toBe('restore-traffic');
    expect(decideOperatorRequest('failback', primary, none, 0).kind).toBe('none');
    expect(decideOperatorRequest('failback', odd, fenced, 0).kind).toBe('report');
  });

  it('traffic follows the writer, and returns only after an operator asked for a failback', () => {
    expect(decideReconcile(secondary, { fenced: false, failbackRequested: false }, 0).kind).toBe('fence');
    expect(decideReconcile(secondary, { fenced: true, failbackRequested: false }, 0).kind).toBe('none');
    expect(decideReconcile(primary, { fenced: true, failbackRequested: false }, 0).kind).toBe('none');
    expect(decideReconcile(primary, { fenced: true, failbackRequested: true }, 0).kind).toBe('restore-traffic');
    expect(decideReconcile(odd, { fenced: true, failbackRequested: true }, 0).kind).toBe('none');
  });
});

describe('the gate at its exact boundaries', () => {
  // settings: window W = 90 s, gap G = 24 s, so the evidence horizon is now - 114 s.
  const W = settings.recoveryWindowMs;
  const G = settings.maxProbeGapMs;
  const now = T0 + 1000 * S;
  const probe = (vantage: string, startedAt: number, outcome: ProbeOutcome, detail = 'HTTP 503'): ProbeRecord => ({
    vantage,
    target: 'primary',
    startedAt,
    layer: layerOf(outcome),
    detail,
  });
  /** Failures from `first` to now, `step` apart, ending exactly at now. */
  const failures = (vantage: string, first: number, step: number): ProbeRecord[] => {
    const out: ProbeRecord[] = [];
    for (let t = now; t >= first; t -= step) out.unshift(probe(vantage, t, 'down'));
    return out;
  };

  it('the window: a run of exactly W is down, a run 1 ms shorter abstains and says why', () => {
    expect(canaryVote(EU, failures(EU, now - W, 10 * S), now, settings)).toEqual({
      source: EU,
      vote: 'down',
      gone: false,
      reason: '10 failed probes over 90 s (window 90 s)',
      evidence: failures(EU, now - W, 10 * S),
    });
    const short = [probe(EU, now - W + 1, 'down'), ...failures(EU, now - 80 * S, 10 * S)];
    expect(canaryVote(EU, short, now, settings)).toEqual({
      source: EU,
      vote: 'abstain',
      gone: false,
      reason: 'failing for 90 s, under the 90 s window; no older evidence in the window',
      evidence: short,
    });
  });

  it('the gap: probes exactly G apart make one run, G + 1 ms apart do not', () => {
    const tail = failures(EU, now - 70 * S, 10 * S);
    const withGap = (gap: number) => [probe(EU, now - 70 * S - gap, 'down'), ...tail];
    expect(canaryVote(EU, withGap(G), now, settings)).toMatchObject({
      vote: 'down',
      reason: '9 failed probes over 94 s (window 90 s)',
      evidence: withGap(G),
    });
    const vote = canaryVote(EU, withGap(G + 1), now, settings);
    expect(vote.vote).toBe('abstain');
    expect(vote.reason).toBe('failing for 70 s, under the 90 s window; preceded by a 24 s gap without probes');
    expect(vote.evidence).toEqual(tail);
  });

  it('the latest probe may be exactly G old; 1 ms older and the canary abstains as stopped', () => {
    const run90 = failures(EU, now - W, 10 * S);
    expect(canaryVote(EU, run90, now + G, settings).vote).toBe('down');
    const stale = canaryVote(EU, run90, now + G + 1, settings);
    expect(stale.vote).toBe('abstain');
    expect(stale.reason).toBe('latest probe is 24 s old (limit 24 s)');
  });

  it('the horizon: a probe exactly W + G old never counts; one 1 ms younger does', () => {
    const horizon = now - W - G;
    expect(evidenceHorizon(now, settings)).toBe(horizon);
    const atHorizon = canaryVote(EU, [probe(EU, horizon, 'down')], now, settings);
    expect(atHorizon).toEqual({
      source: EU,
      vote: 'abstain',
      gone: false,
      reason: 'no probe in the last 114 s',
      evidence: [],
    });
    // The run (horizon, now] is complete without the horizon probe; it must not be part of the evidence.
    const run = [probe(EU, horizon, 'down'), ...failures(EU, horizon + G, 10 * S)];
    expect(run[1].startedAt).toBe(horizon + G);
    const vote = canaryVote(EU, run, now, settings);
    expect(vote.vote).toBe('down');
    expect(vote.evidence).toEqual(run.slice(1));
    const justInside = canaryVote(EU, [probe(EU, horizon + 1, 'down')], horizon + 1 + G, settings);
    expect(justInside.evidence).toHaveLength(1);
  });

  it('a probe started exactly now counts; one 1 ms in the future does not', () => {
    const run90 = failures(EU, now - W, 10 * S);
    const upNow = canaryVote(EU, [...run90, probe(EU, now, 'up', 'HTTP 200')], now, settings);
    expect(upNow).toEqual({
      source: EU,
      vote: 'up',
      gone: false,
      reason: 'primary answers: HTTP 200',
      evidence: [probe(EU, now, 'up', 'HTTP 200')],
    });
    expect(canaryVote(EU, [...run90, probe(EU, now + 1, 'up', 'HTTP 200')], now, settings).vote).toBe('down');
  });

  it('explains an abstention after a success or an inconclusive probe, and an inconclusive latest probe', () => {
    const afterUp = [probe(EU, now - 30 * S, 'up', 'HTTP 200'), ...failures(EU, now - 20 * S, 10 * S)];
    expect(canaryVote(EU, afterUp, now, settings).reason).toBe(
      'failing for 20 s, under the 90 s window; preceded by a success (HTTP 200)',
    );
    expect(canaryVote(EU, afterUp, now, settings).evidence).toEqual(afterUp.slice(1));
    const afterTls = [probe(EU, now - 30 * S, 'inconclusive', 'TLS bad'), ...failures(EU, now - 20 * S, 10 * S)];
    expect(canaryVote(EU, afterTls, now, settings).reason).toBe(
      'failing for 20 s, under the 90 s window; preceded by a inconclusive probe (TLS bad)',
    );
    const latestTls = [...failures(EU, now - W, 10 * S).slice(0, -1), probe(EU, now, 'inconclusive', 'DNS')];
    expect(canaryVote(EU, latestTls, now, settings)).toEqual({
      source: EU,
      vote: 'abstain',
      gone: false,
      reason: 'latest probe inconclusive: DNS',
      evidence: latestTls,
    });
  });

  it('durations in reasons are rounded to a tenth of a second', () => {
    const vote = canaryVote(EU, [probe(EU, now - 12_345, 'down')], now, settings);
    expect(vote.reason).toBe('failing for 12.3 s, under the 90 s window; no older evidence in the window');
  });

  it('a vote sorts its evidence by time, whatever order the store returned it in', () => {
    const run90 = failures(EU, now - W, 10 * S);
    const vote = canaryVote(EU, [...run90].reverse(), now, settings);
    expect(vote.vote).toBe('down');
    expect(vote.evidence).toEqual(run90);
  });

  it('Route 53: three fresh checkers make a verdict, and exactly 18 % healthy is down', () => {
    expect(route53Verdict({ kind: 'read', checkers: 3, healthyCheckers: 0 })).toBe('down');
    expect(route53Verdict({ kind: 'read', checkers: 2, healthyCheckers: 2 })).toBe('unknown');
    expect(route53Verdict({ kind: 'read', checkers: 50, healthyCheckers: 9 })).toBe('down');
    expect(route53Verdict({ kind: 'read', checkers: 50, healthyCheckers: 10 })).toBe('up');
    expect(route53Verdict({ kind: 'unreadable', reason: 'timeout' })).toBe('unknown');
    expect(route53Verdict(undefined)).toBe('unknown');
  });

  it('Route 53 reading: a report exactly maxAge old counts, and only a status starting with Success is healthy', () => {
    const reading = route53Reading(
      [
        { status: 'Success: HTTP Status Code 200', checkedAt: now - 90 * S },
        { status: 'Success: too old', checkedAt: now - 90 * S - 1 },
        { status: 'Failure: the string Success was not found in the body', checkedAt: now },
        { checkedAt: now },
        { status: 'Success: no timestamp' },
      ],
      now,
      90 * S,
    );
    expect(reading).toEqual({ kind: 'read', checkers: 3, healthyCheckers: 1 });
  });

  it('the verdict names the sources behind it', () => {
    const eu = failures(EU, now - W, 10 * S);
    const us = failures(USW2, now - W, 10 * S);
    const open = evaluateGate({ now, settings, probes: [...eu, ...us] });
    expect(open).toMatchObject({
      open: true,
      reason: 'primary down for the whole recovery window from eu-west-1, us-west-2',
      downVotes: 2,
      upVotes: 0,
    });
    expect(open.votes.map((v) => [v.source, v.vote])).toEqual([
      [EU, 'down'],
      [USW2, 'down'],
    ]);
    expect(evaluateGate({ now, settings, probes: eu })).toMatchObject({
      open: false,
      reason: '1 of 2 required down votes (eu-west-1)',
      downVotes: 1,
      upVotes: 0,
    });
    expect(evaluateGate({ now, settings, probes: [] })).toMatchObject({
      open: false,
      reason: '0 of 2 required down votes',
      downVotes: 0,
    });
    const partition = evaluateGate({
      now,
      settings,
      probes: [...eu, probe(USW2, now, 'up', 'HTTP 200')],
      route53: { kind: 'read', checkers: 15, healthyCheckers: 0 },
    });
    expect(partition).toMatchObject({
      open: false,
      reason: 'primary still reachable from us-west-2',
      downVotes: 1, // Route 53 never votes: it corroborates
      corroboration: ['route53: 0 of 15 checkers see the primary healthy'],
      upVotes: 1,
    });
  });

  it('only the configured vantages vote: probes from the primary region itself are ignored', () => {
    const fromPrimary = failures('us-east-1', now - W, 10 * S);
    const eu = failures(EU, now - W, 10 * S);
    const gate = evaluateGate({ now, settings, probes: [...eu, ...fromPrimary] });
    expect(gate.open).toBe(false);
    expect(gate.votes.map((v) => v.source)).toEqual([EU, USW2]);
  });
});

describe('timing at its boundaries', () => {
  const ok = {
    failoverProbeIntervalSeconds: 10,
    failoverRecoveryWindowSeconds: 90,
    orchestratorTimeoutSeconds: 90,
    canaryTimeoutSeconds: 75,
  };

  it('probe timeout is capped at 4 s from an 8 s interval up', () => {
    expect(probeTimeoutMs(8)).toBe(4000);
    expect(probeTimeoutMs(7)).toBe(3500);
    expect(probeTimeoutMs(30)).toBe(4000);
    expect(maxProbeGapMs(5)).toBe(12_500);
  });

  it('gate settings carry the window in ms, the gap and the vantages', () => {
    expect(
      gateSettings(
        { failoverProbeIntervalSeconds: 5, failoverRecoveryWindowSeconds: 60, failoverFastWindowSeconds: 20 },
        ['a', 'b'],
      ),
    ).toEqual({
      recoveryWindowMs: 60_000,
      fastWindowMs: 20_000,
      maxProbeGapMs: 12_500,
      vantages: ['a', 'b'],
    });
  });

  it('worst case names each term', () => {
    expect(worstCaseTimeToPromotion({ failoverProbeIntervalSeconds: 5, failoverRecoveryWindowSeconds: 60 })).toEqual({
      totalSeconds: 12.5 + 60 + 12.5 + ACTION_BUDGET_SECONDS,
      terms: [
        { label: 'first failed probe (gap: 2 x 5 s + probe timeout)', seconds: 12.5 },
        { label: 'recovery window', seconds: 60 },
        { label: 'next evaluation (same gap)', seconds: 12.5 },
        { label: 'fence and promotion calls', seconds: ACTION_BUDGET_SECONDS },
      ],
    });
  });

  it('the lease outlives two orchestrator timeouts', () => {
    expect(leaseSeconds(90)).toBe(180);
  });

  it('accepts each limit exactly and rejects one second under it, with the message naming the rule', () => {
    expect(gateSettingsProblems({ ...ok, failoverRecoveryWindowSeconds: MIN_RECOVERY_WINDOW_SECONDS })).toEqual([]);
    expect(gateSettingsProblems({ ...ok, failoverRecoveryWindowSeconds: MIN_RECOVERY_WINDOW_SECONDS - 1 })).toEqual([
      ['failoverRecoveryWindowSeconds', "must be at least 60 s: Aurora's in-region failover alone takes up to that"],
    ]);
    expect(
      gateSettingsProblems({ ...ok, failoverProbeIntervalSeconds: 45, failoverRecoveryWindowSeconds: 90 }),
    ).toEqual([]);
    expect(
      gateSettingsProblems({ ...ok, failoverProbeIntervalSeconds: 46, failoverRecoveryWindowSeconds: 91 }),
    ).toEqual([
      [
        'failoverRecoveryWindowSeconds',
        'must be at least 2 x failoverProbeIntervalSeconds (92 s) so each canary needs three failed probes',
      ],
    ]);
    expect(windowProblems({ failoverProbeIntervalSeconds: 40, failoverRecoveryWindowSeconds: 59 })).toHaveLength(2);
    expect(gateSettingsProblems({ ...ok, orchestratorTimeoutSeconds: 80 })).toEqual([]);
    expect(gateSettingsProblems({ ...ok, orchestratorTimeoutSeconds: 79 })).toEqual([
      ['orchestratorTimeoutSeconds', 'must be at least 80 s (a 60 s evaluation loop + 20 s to act)'],
    ]);
    // canary: 60 s loop + 4 s probe timeout + 5 s to record = 69 s; at 5 s intervals the timeout is 2.5 s.
    expect(gateSettingsProblems({ ...ok, canaryTimeoutSeconds: 69 })).toEqual([]);
    expect(gateSettingsProblems({ ...ok, canaryTimeoutSeconds: 68 })).toEqual([
      ['canaryTimeoutSeconds', 'must be at least 69 s (a 60 s probe loop + probe timeout + 5 s to record)'],
    ]);
    expect(
      gateSettingsProblems({
        ...ok,
        failoverProbeIntervalSeconds: 5,
        failoverRecoveryWindowSeconds: 60,
        canaryTimeoutSeconds: 67,
      }),
    ).toEqual([
      ['canaryTimeoutSeconds', 'must be at least 67.5 s (a 60 s probe loop + probe timeout + 5 s to record)'],
    ]);
  });
});

describe('decisions, with the reasons the operators read', () => {
  const open = openGate('down from a, b');
  const closed: GateVerdict = { ...open, open: false, reason: '1 of 2' };
  const primary: ClusterReading = { kind: 'primary-writer' };
  const secondary: ClusterReading = { kind: 'secondary-writer' };
  const odd: ClusterReading = { kind: 'not-understood', reason: 'status is deleting' };
  const none = { fenced: false, failbackRequested: false };
  const fenced = { fenced: true, failbackRequested: false };
  const failback = { fenced: true, failbackRequested: true };

  it('promotion', () => {
    const promotion = (gate: GateVerdict, cluster: ClusterReading, mode: 'automatic' | 'approval', approved: boolean) =>
      decidePromotion({ gate, cluster, mode, approved, database: unreachable, fence: none, now: 0 });
    expect(promotion(closed, odd, 'approval', true)).toEqual({ kind: 'none', reason: 'gate closed: 1 of 2' });
    expect(promotion(open, odd, 'automatic', true)).toEqual({
      kind: 'report',
      reason: 'gate open but the global cluster is not understood: status is deleting',
    });
    expect(promotion(open, secondary, 'approval', false)).toEqual({
      kind: 'none',
      reason: 'the secondary already writes',
    });
    expect(promotion(open, primary, 'approval', false)).toEqual({
      kind: 'await-approval',
      reason: 'gate open (down from a, b); promotion waits for an operator',
    });
    expect(promotion(open, primary, 'automatic', false)).toEqual({
      kind: 'promote',
      reason: 'down from a, b; us-east-1 RDS API: timeout',
    });
  });

  it('operator requests', () => {
    expect(decideOperatorRequest('switchover', odd, none, 0)).toEqual({
      kind: 'report',
      reason: 'switchover refused: the global cluster is not understood: status is deleting',
    });
    expect(decideOperatorRequest('switchover', primary, fenced, 0)).toEqual({
      kind: 'switchover',
      reason: 'operator requested a planned switchover',
    });
    expect(decideOperatorRequest('switchover', secondary, fenced, 0)).toEqual({
      kind: 'none',
      reason: 'the secondary already writes',
    });
    expect(decideOperatorRequest('failback', secondary, none, 0)).toEqual({
      kind: 'failback',
      reason: 'operator requested a failback',
    });
    expect(decideOperatorRequest('failback', primary, fenced, 0)).toEqual({
      kind: 'restore-traffic',
      reason: 'the primary writes again: restoring the recorded traffic dials',
    });
    expect(decideOperatorRequest('failback', primary, none, 0)).toEqual({
      kind: 'none',
      reason: 'the primary already writes and no traffic change is recorded',
    });
  });

  it('reconcile', () => {
    expect(decideReconcile(secondary, failback, 0)).toEqual({ kind: 'none', reason: 'traffic matches the writer' });
    expect(decideReconcile(secondary, none, 0)).toEqual({
      kind: 'fence',
      reason: 'the secondary writes but traffic still favours the primary',
    });
    expect(decideReconcile(primary, failback, 0)).toEqual({
      kind: 'restore-traffic',
      reason: 'failback complete: the primary writes again',
    });
    expect(decideReconcile(primary, { fenced: false, failbackRequested: true }, 0).kind).toBe('none');
    expect(decideReconcile(odd, none, 0).kind).toBe('none');
  });
});

describe('reading the global cluster: the reasons reported to operators', () => {
  const identity = {
    globalClusterId: GLOBAL_CLUSTER_ID,
    primaryClusterArn: PRIMARY_CLUSTER_ARN,
    secondaryClusterArn: SECONDARY_CLUSTER_ARN,
  };
  const healthy = (over: Partial<GlobalCluster> = {}): GlobalCluster => ({
    GlobalClusterIdentifier: identity.globalClusterId,
    Status: 'available',
    GlobalClusterMembers: [
      { DBClusterArn: identity.primaryClusterArn, IsWriter: true },
      { DBClusterArn: identity.secondaryClusterArn, IsWriter: false },
    ],
    ...over,
  });
  const reason = (c: GlobalCluster[] | undefined) => {
    const reading = readGlobalCluster(c, identity);
    return reading.kind === 'not-understood' ? reading.reason : reading.kind;
  };

  it('names what it saw', () => {
    expect(reason([])).toBe(`global cluster ${GLOBAL_CLUSTER_ID} not found`);
    expect(reason([healthy(), healthy()])).toBe('2 global clusters returned for one identifier');
    expect(reason([healthy({ GlobalClusterIdentifier: 'x' })])).toBe(`described x, not ${GLOBAL_CLUSTER_ID}`);
    expect(reason([healthy({ GlobalClusterIdentifier: undefined })])).toBe(
      `described an unnamed cluster, not ${GLOBAL_CLUSTER_ID}`,
    );
    expect(reason([healthy({ Status: 'modifying' })])).toBe('status is modifying, not available');
    expect(
      reason([
        healthy({
          FailoverState: {
            Status: 'failing-over',
            IsDataLossAllowed: true,
            FromDbClusterArn: 'arn:from',
            ToDbClusterArn: 'arn:to',
          },
        }),
      ]),
    ).toBe('a failover is failing-over (arn:from -> arn:to)');
    expect(reason([healthy({ FailoverState: { Status: 'pending' } })])).toBe('a switchover is pending (? -> ?)');
    expect(reason([healthy({ FailoverState: {} })])).toBe('primary-writer');
    expect(reason([healthy({ GlobalClusterMembers: [{ IsWriter: true }, { DBClusterArn: 'arn:x' }] })])).toBe(
      'unknown member(s): (no ARN), arn:x',
    );
    expect(reason([healthy({ GlobalClusterMembers: undefined })])).toBe(
      `member(s) missing from the global cluster: ${PRIMARY_CLUSTER_ARN}, ${SECONDARY_CLUSTER_ARN}`,
    );
    expect(
      reason([
        healthy({
          GlobalClusterMembers: [{ DBClusterArn: PRIMARY_CLUSTER_ARN }, { DBClusterArn: PRIMARY_CLUSTER_ARN }],
        }),
      ]),
    ).toBe('a member is listed twice');
    expect(
      reason([
        healthy({
          GlobalClusterMembers: [
            { DBClusterArn: PRIMARY_CLUSTER_ARN, IsWriter: true },
            { DBClusterArn: SECONDARY_CLUSTER_ARN, IsWriter: true },
          ],
        }),
      ]),
    ).toBe('2 members are marked writer');
  });
});

describe('a failover or switchover in flight (decideInFlight)', () => {
  const identity = {
    globalClusterId: GLOBAL_CLUSTER_ID,
    primaryClusterArn: PRIMARY_CLUSTER_ARN,
    secondaryClusterArn: SECONDARY_CLUSTER_ARN,
  };
  const inFlight = (IsDataLossAllowed: boolean, from = PRIMARY_CLUSTER_ARN, to = SECONDARY_CLUSTER_ARN) =>
    readGlobalCluster(
      [
        {
          GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
          Status: IsDataLossAllowed ? 'failing-over' : 'switching-over',
          FailoverState: { Status: 'failing-over', FromDbClusterArn: from, ToDbClusterArn: to, IsDataLossAllowed },
        },
      ],
      identity,
    );

  it('reads a change between the two configured members as in flight, anything else as not understood', () => {
    expect(inFlight(true)).toMatchObject({
      kind: 'in-flight',
      operation: 'failover',
      toClusterArn: SECONDARY_CLUSTER_ARN,
    });
    expect(inFlight(false, SECONDARY_CLUSTER_ARN, PRIMARY_CLUSTER_ARN)).toMatchObject({
      kind: 'in-flight',
      operation: 'switchover',
    });
    expect(inFlight(true, PRIMARY_CLUSTER_ARN, 'arn:aws:rds:eu-west-1:1:cluster:other').kind).toBe('not-understood');
    expect(inFlight(true, PRIMARY_CLUSTER_ARN, PRIMARY_CLUSTER_ARN).kind).toBe('not-understood');
  });

  const reading = inFlight(true);
  if (reading.kind !== 'in-flight') throw new Error('fixture');
  const at = 1_000_000;
  const ours = { fenced: true, failbackRequested: false, clusterChange: { at, operation: 'failover' as const } };

  it("waits for its own change, pages it as stuck from the bound on, reports anyone else's", () => {
    expect(decideInFlight(reading, ours, at + 30_000)).toEqual({
      kind: 'none',
      reason: 'the failover this orchestrator requested is failing-over (30 s)',
    });
    expect(decideInFlight(reading, ours, at + (PROMOTION_STUCK_SECONDS - 1) * 1000).kind).toBe('none');
    const stuck = decideInFlight(reading, ours, at + PROMOTION_STUCK_SECONDS * 1000);
    expect(stuck.kind).toBe('promotion-stuck');
    expect(stuck.reason).toMatch(/requested 15 min ago is still failing-over/);
    expect(decideInFlight(reading, { fenced: true, failbackRequested: false }, at).kind).toBe('report');
    const switchover = { ...ours, clusterChange: { at, operation: 'switchover' as const } };
    expect(decideInFlight(reading, switchover, at).kind).toBe('report');
  });

  it('every decision routes an in-flight change through it', () => {
    const open = openGate('down');
    const database = { kind: 'unreachable', reason: 'timeout' } as const;
    const late = at + PROMOTION_STUCK_SECONDS * 1000;
    expect(
      decidePromotion({
        gate: open,
        cluster: reading,
        mode: 'automatic',
        approved: true,
        database,
        fence: ours,
        now: at,
      }).kind,
    ).toBe('none');
    expect(decideReconcile(reading, ours, late).kind).toBe('promotion-stuck');
    expect(decideOperatorRequest('failback', reading, ours, at).reason).toMatch(/^failback waits: the failover/);
    expect(decideOperatorRequest('failback', reading, ours, late).kind).toBe('promotion-stuck');
  });
});

describe('events of several sources (summariseEvents)', () => {
  const event = (source: string, message: string, at: number) => ({
    SourceType: 'db-instance' as const,
    SourceIdentifier: source,
    Message: message,
    EventCategories: ['recovery'],
    Date: new Date(at),
  });

  it("one instance's end does not end another's event in progress", () => {
    // RDS-EVENT-0020's whole text: its second sentence says "recovered", and is not an end.
    const started =
      'Recovery of the DB instance has started. Recovery time will vary with the amount of data to be recovered.';
    const summary = summariseEvents([event('a', started, 1000), event('b', 'DB instance restarted', 2000)]);
    expect(summary.inProgress?.message).toBe(started);
    expect(summary.lastEnd?.at).toBe(2000);
    expect(
      summariseEvents([
        ...[event('a', 'Recovery of the DB instance has started.', 1000)],
        event('a', 'Recovery of the DB instance is complete.', 3000),
      ]).inProgress,
    ).toBeUndefined();
  });
});

describe('a failback that has just completed', () => {
  it('restores traffic instead of asking for approval, though the fenced primary opened the gate', () => {
    const open = openGate('sick from eu-west-1, us-west-2');
    const database = { kind: 'healthy', reason: 'available' } as const;
    const primary: ClusterReading = { kind: 'primary-writer' };
    const decide = (failbackRequested: boolean) =>
      decidePromotion({
        gate: open,
        cluster: primary,
        mode: 'automatic',
        approved: false,
        database,
        fence: { fenced: true, failbackRequested },
        now: 0,
      }).kind;
    expect(decide(true)).toBe('restore-traffic');
    expect(decide(false)).toBe('await-approval');
  });
});
