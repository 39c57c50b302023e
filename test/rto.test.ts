import { parseSettings, readRawConfig } from '../lib/config';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoDistribution } from '../lib/model/rto-model';
import { worstCaseTimeToPromotion } from '../lambda/facts/timing';
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH, rtoBudget } from '../lib/model/rto';
import { rtoInputsFromPlan } from '../scripts/analysis';
import { stackConfig } from '../scripts/offline';
import { PLAIN, rtoReport } from '../scripts/report';
import { plan } from './helpers/plan';

const settings = (overrides: Record<string, string> = {}) =>
  parseSettings({ ...readRawConfig('tap', stackConfig('dev')), ...overrides });

describe('RTO budget', () => {
  it('default config: both traffic paths well under 60 s; the database path is reported, not bound', () => {
    const budget = rtoBudget(rtoInputsFromSettings(settings()));
    expect(budget.paths.map((p) => [p.name, p.totalSeconds, p.bound])).toEqual([
      ['traffic: Global Accelerator', 20, true],
      ['traffic: Route 53 failover', 30, true],
      // Issue 23: the gate's fast path: max(canaries 10 s + fast window 20 s, first corroboration
      // (ALB 10 s + accelerator pickup 30 s, or Route 53 20 s + TTL 10 s) = 30 s) + next
      // evaluation 10 s + writer move 10 s.
      [FIRST_LIVE_ORDER_PATH, 50, true],
      // The gate's worst case (lambda/facts/timing.ts: W + 2G + A = 90 + 2 x 24 + 20 = 158 s)
      // then Aurora's promotion estimate (120 s): off the trading path.
      [AURORA_PATH, 278, false],
    ]);
    expect(budget.gate).toMatchObject({
      probeIntervalSeconds: 10,
      recoveryWindowSeconds: 90,
      fastWindowSeconds: 20,
      worstCaseToPromotionSeconds: worstCaseTimeToPromotion({
        failoverProbeIntervalSeconds: 10,
        failoverRecoveryWindowSeconds: 90,
      }).totalSeconds,
    });
    expect(budget.gate.worstCaseToPromotionSeconds).toBe(158);
    expect(budget.trafficSeconds).toBe(30);
    expect(budget.firstLiveOrderSeconds).toBe(50);
    expect(budget.withinTarget).toBe(true);
    expect(budget.paths[0].terms.find((t) => t.label === 'accelerator reaction')!.estimate).toBe(true);
    expect(budget.paths[3].terms.find((t) => t.label === 'FailoverGlobalCluster')!.estimate).toBe(true);
  });

  it('is computed from what the program registers, and matches the configured budget', async () => {
    const run = await plan();
    const s = settings();
    const fromPlan = rtoInputsFromPlan(run.resources, s);
    expect(fromPlan).toEqual(rtoInputsFromSettings(s));
  });

  it('the Monte Carlo reads the planned inputs too: the ALB check timeout comes off the target groups', async () => {
    const run = await plan();
    const s = settings();
    const fromPlan = rtoInputsFromPlan(run.resources, s);
    expect(fromPlan.albTimeoutSeconds).toBe(s.albHealthCheckTimeoutSeconds);
    expect(rtoDistribution(fromPlan, { samples: 200 })).toEqual(
      rtoDistribution(rtoInputsFromSettings(s), { samples: 200 }),
    );
  });

  it.each([
    [
      'slow DNS: 10 s checks x 5 + 60 s TTL',
      { route53FailureThreshold: '5', dnsTtlSeconds: '60' },
      // No single input brings both the sum and the p99 under 60 s: the target is named.
      /- rtoTargetSeconds: puts the path "traffic: Route 53 failover" at 110 s .* Fix: raise rtoTargetSeconds to 124 /,
    ],
    [
      'slow ALB checks: 30 s x 3',
      { albHealthCheckIntervalSeconds: '30', albUnhealthyThreshold: '3' },
      // The interval alone would fit the accelerator's path, but not the first live order, which
      // also waits for the accelerator (issue 23): the target is named.
      /- rtoTargetSeconds: puts the path "traffic: Global Accelerator" at 100 s[^\n]*\n\s+- rtoTargetSeconds: puts the path "writes: first live order \(.*\)" at 100 s/,
    ],
    [
      'a tighter target',
      { rtoTargetSeconds: '25' },
      /"traffic: Route 53 failover" at 30 s .* over rtoTargetSeconds \(25 s\)/,
    ],
  ])('rejects a config that breaks the traffic target: %s', (_label, overrides, message) => {
    expect(() => settings(overrides)).toThrow(message);
  });

  it('the write path follows the gate settings: a longer window adds exactly its difference', () => {
    const base = rtoBudget(rtoInputsFromSettings(settings())).paths[3];
    const slower = rtoBudget(rtoInputsFromSettings(settings({ failoverRecoveryWindowSeconds: '300' }))).paths[3];
    expect(slower.totalSeconds - base.totalSeconds).toBe(210);
    expect(slower.terms.map((t) => t.label)).toContain('gate: recovery window');
  });

  it('the plan prints the gate settings and the worst case next to the RTO budget', () => {
    const lines = rtoReport(
      rtoBudget(rtoInputsFromSettings(settings({ failoverRecoveryWindowSeconds: '120' }))),
      PLAIN,
    );
    expect(lines.join('\n')).toMatch(
      /Promotion gate: probes every 10 s from each canary, fast window 20 s \(the book's writer moves\), recovery window 120 s; worst case to FailoverGlobalCluster 188 s in automatic mode \(RTO target 60 s binds traffic and the first live order, not Aurora\)/,
    );
  });

  it('a longer database promotion estimate is reported but does not reject the config', () => {
    const budget = rtoBudget(rtoInputsFromSettings(settings({ dbPromotionEstimateSeconds: '600' })));
    expect(budget.paths[3].totalSeconds).toBe(158 + 600);
    expect(budget.withinTarget).toBe(true);
  });
});
