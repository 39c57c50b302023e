/**
 * Calibration: game-day measurements replace exactly the model inputs they measure, a results
 * file that does not fit the schema is refused naming the field, and the plan says which inputs
 * are estimates and which are calibrated (from how many runs, when).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Calibration, calibrationFrom, calibrationReport, ignoredRuns } from '../lib/model/calibration';
import { GameDayResults, GameDayResultsError, measuredFrom, parseGameDayResults } from '../lib/model/game-day-results';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH } from '../lib/model/rto';
import { GATE_DECISION_PATH, rtoDistribution, sampleRto } from '../lib/model/rto-model';
import { PlanIo, planCli } from '../scripts/plan';
import { planConfig } from './helpers/plan';

/** The dev stack's RTO inputs (Pulumi.yaml defaults the tests below reason about). */
const INPUTS = rtoInputsFromSettings({
  albHealthCheckIntervalSeconds: 5,
  albHealthCheckTimeoutSeconds: 2,
  albUnhealthyThreshold: 2,
  acceleratorReactionSeconds: 30,
  route53HealthCheckIntervalSeconds: 10,
  route53FailureThreshold: 2,
  dnsTtlSeconds: 10,
  failoverProbeIntervalSeconds: 5,
  failoverRecoveryWindowSeconds: 30,
  failoverFastWindowSeconds: 15,
  dbPromotionEstimateSeconds: 120,
  rtoTargetSeconds: 60,
});

const measured = (values: number[]) => ({ values, dates: ['2026-12-05'], offline: false });
const path_ = (calibration: Calibration | undefined, name: string) =>
  sampleRto(INPUTS, { samples: 2000, calibration }).find((p) => p.name === name)!.seconds;

const run = (over: Record<string, unknown> = {}) => ({
  experiment: 'app-unreachable',
  source: 'aws',
  startedAt: '2026-12-05T10:00:00Z',
  finishedAt: '2026-12-05T10:12:00Z',
  outcome: 'completed',
  measured: { promotionSeconds: 52, trafficShiftSeconds: 14, dnsSwitchSeconds: 8 },
  timeline: [{ at: '2026-12-05T10:00:00Z', event: 'fault-start' }],
  ...over,
});
const file = (runs: unknown[], over: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, stack: 'dev', runs, ...over });

describe('the RTO model, calibrated', () => {
  it("a measured traffic shift replaces the fault-to-UNHEALTHY span (ALB detection and pickup), on the accelerator path and the fast path's corroboration", () => {
    const slow = path_({ trafficShiftSeconds: measured([20]) }, 'traffic: Global Accelerator');
    const fast = path_({ trafficShiftSeconds: measured([5]) }, 'traffic: Global Accelerator');
    for (let k = 0; k < slow.length; k++) expect(slow[k] - fast[k]).toBeCloseTo(15, 9);
    // The measurement starts at the fault: the ALB's own detection (at least one 5 s interval and
    // the 2 s timeout here) is inside it, not added to it. Left is the client's retry (0-5 s) and,
    // for pinned clients, their 10 s timeout.
    expect(Math.min(...slow)).toBeLessThan(20 + 5 + 2);
    expect(slow.every((s) => s >= 20 && s <= 20 + 10 + 5)).toBe(true);
    // The ALB's settings no longer move it; the gate's fast path reads the same draw.
    const slowAlb = sampleRto(
      { ...INPUTS, albIntervalSeconds: 30 },
      { samples: 2000, calibration: { trafficShiftSeconds: measured([20]) } },
    ).find((p) => p.name === 'traffic: Global Accelerator')!.seconds;
    expect(slowAlb).toEqual(slow);
    expect(path_({ trafficShiftSeconds: measured([5]) }, GATE_DECISION_PATH)).not.toEqual(
      path_(undefined, GATE_DECISION_PATH),
    );
    // Route 53 and Aurora do not read it.
    expect(path_({ trafficShiftSeconds: measured([20]) }, 'traffic: Route 53 failover')).toEqual(
      path_(undefined, 'traffic: Route 53 failover'),
    );
    expect(path_({ trafficShiftSeconds: measured([20]) }, AURORA_PATH)).toEqual(path_(undefined, AURORA_PATH));
  });

  it("a measured DNS switch replaces Route 53's detection (fault to the record answering the secondary); the resolvers' cache stays the TTL", () => {
    const slow = path_({ dnsSwitchSeconds: measured([9]) }, 'traffic: Route 53 failover');
    const fast = path_({ dnsSwitchSeconds: measured([1]) }, 'traffic: Route 53 failover');
    for (let k = 0; k < slow.length; k++) expect(slow[k] - fast[k]).toBeCloseTo(8, 9);
    // Route 53's checkers (here at least one 10 s interval and the 4 s connect timeout) are inside
    // the measurement; the resolver's cache (U(0, 10 s)) and the client (up to 15 s) come after it.
    expect(Math.min(...slow)).toBeLessThan(9 + 14);
    expect(slow.every((s) => s >= 9 && s <= 9 + 10 + 15)).toBe(true);
    const longTtl = sampleRto(
      { ...INPUTS, dnsTtlSeconds: 60 },
      { samples: 2000, calibration: { dnsSwitchSeconds: measured([9]) } },
    ).find((p) => p.name === 'traffic: Route 53 failover')!.seconds;
    expect(Math.max(...longTtl)).toBeGreaterThan(Math.max(...slow) + 30);
    expect(path_({ dnsSwitchSeconds: measured([9]) }, 'traffic: Global Accelerator')).toEqual(
      path_(undefined, 'traffic: Global Accelerator'),
    );
  });

  it("a measured promotion moves the Aurora path's median by the difference of medians", () => {
    const estimate = rtoDistribution(INPUTS);
    const calibrated = rtoDistribution(INPUTS, { calibration: { promotionSeconds: measured([40, 50, 60]) } });
    const p50 = (d: typeof estimate, name: string) => d.paths.find((p) => p.name === name)!.p50;
    // Estimate median 120 s, measured median 50 s: about 70 s sooner at the median.
    expect(p50(estimate, AURORA_PATH) - p50(calibrated, AURORA_PATH)).toBeGreaterThan(60);
    expect(p50(estimate, AURORA_PATH) - p50(calibrated, AURORA_PATH)).toBeLessThan(80);
    // The trading path does not wait for Aurora.
    expect(p50(calibrated, FIRST_LIVE_ORDER_PATH)).toBe(p50(estimate, FIRST_LIVE_ORDER_PATH));
  });

  it('several measurements are resampled: every drawn pickup is one of them', () => {
    const values = [6, 11, 17];
    const base = path_({ trafficShiftSeconds: measured([0.000001]) }, 'traffic: Global Accelerator');
    const drawn = path_({ trafficShiftSeconds: measured(values) }, 'traffic: Global Accelerator');
    const seen = new Set<number>();
    for (let k = 0; k < base.length; k++) {
      const pickup = Math.round((drawn[k] - base[k]) * 1000) / 1000;
      expect(values).toContain(pickup);
      seen.add(pickup);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(values);
  });
});

describe('game-day results files', () => {
  const parse = (text: string) => parseGameDayResults(text, 'gameday/dev.json', 'dev');
  const problems = (text: string) => {
    try {
      parse(text);
    } catch (e) {
      if (e instanceof GameDayResultsError) return e.problems;
      throw e;
    }
    return [];
  };

  it('reads a well-formed file into a calibration: values, run count, dates', () => {
    const results = parse(
      file([
        run(),
        run({
          startedAt: '2026-12-07T09:00:00Z',
          finishedAt: '2026-12-07T09:10:00Z',
          measured: { promotionSeconds: 61 },
        }),
      ]),
    );
    const c = calibrationFrom(results);
    expect(c.promotionSeconds).toEqual({ values: [52, 61], dates: ['2026-12-05', '2026-12-07'], offline: false });
    expect(c.trafficShiftSeconds).toEqual({ values: [14], dates: ['2026-12-05'], offline: false });
  });

  it("leaves out a span measured under other health-check settings than the stack's now; a run without settings counts", () => {
    const now = {
      albHealthCheckIntervalSeconds: 5,
      albHealthCheckTimeoutSeconds: 2,
      albUnhealthyThreshold: 2,
      route53HealthCheckIntervalSeconds: 10,
      route53FailureThreshold: 2,
    };
    const results = parse(
      file([
        run({ settings: now }),
        // Measured with the ALB checking every 10 s: its traffic shift says nothing about 5 s checks.
        run({
          measured: { promotionSeconds: 70, trafficShiftSeconds: 31, dnsSwitchSeconds: 9 },
          settings: { ...now, albHealthCheckIntervalSeconds: 10 },
        }),
        run({ measured: { trafficShiftSeconds: 15 } }),
      ]),
    );
    const c = calibrationFrom(results, now);
    expect(c.trafficShiftSeconds?.values).toEqual([14, 15]);
    // The other spans do not depend on the ALB's checks: that run's promotion and DNS answer count.
    expect(c.promotionSeconds?.values).toEqual([52, 70]);
    expect(c.dnsSwitchSeconds?.values).toEqual([8, 9]);
    expect(ignoredRuns(results, now)).toEqual({
      trafficShiftSeconds: '1 run left out, measured under other settings (albHealthCheckIntervalSeconds 10 -> 5)',
    });
    const dnsChanged = { ...now, route53FailureThreshold: 3 };
    expect(calibrationFrom(results, dnsChanged).dnsSwitchSeconds).toBeUndefined();
    expect(ignoredRuns(results, dnsChanged).dnsSwitchSeconds).toBe(
      '2 runs left out, measured under other settings (route53FailureThreshold 2 -> 3)',
    );
    const report = calibrationReport(
      INPUTS,
      calibrationFrom(results, dnsChanged),
      'dev.json',
      ignoredRuns(results, dnsChanged),
    );
    expect(report.find((l) => l.includes("Route 53's failover answer"))).toMatch(
      /estimate: .*; 2 runs left out, measured under other settings \(route53FailureThreshold 2 -> 3\)$/,
    );
    expect(problems(file([run({ settings: { ...now, albUnhealthyThreshold: 0 } })]))).toEqual([
      'runs[0].settings.albUnhealthyThreshold: must be above 0',
    ]);
    expect(problems(file([run({ settings: { ...now, dnsTtlSeconds: 10 } })]))[0]).toMatch(
      /^runs\[0\]\.settings: .*dnsTtlSeconds/,
    );
  });

  it('refuses a malformed file, naming every bad field', () => {
    expect(problems(file([run({ measured: { promotionSeconds: 'fast' } })]))).toEqual([
      'runs[0].measured.promotionSeconds: must be a number of seconds',
    ]);
    expect(problems(file([run({ measured: { promotionSeconds: -3 } })]))).toEqual([
      'runs[0].measured.promotionSeconds: must be a number of seconds above 0',
    ]);
    expect(problems(file([run({ experiment: 'region-on-fire' })]))[0]).toMatch(
      /^runs\[0\]\.experiment: must be one of app-unreachable/,
    );
    expect(problems(file([run({ startedAt: 'yesterday' })]))[0]).toMatch(
      /^runs\[0\]\.startedAt: must be an ISO 8601 date-time/,
    );
    expect(problems(file([run({ timeline: [{ at: '2026-12-05T10:00:00Z', event: 'panic' }] })]))[0]).toMatch(
      /^runs\[0\]\.timeline\[0\]\.event: must be one of fault-start/,
    );
    expect(problems(file([run({ finishedAt: '2026-12-05T09:00:00Z' })]))).toEqual([
      'runs[0].finishedAt: finishedAt is before startedAt',
    ]);
    expect(problems(file([run()], { version: 2 }))).toEqual(['version: must be 1']);
    expect(problems(file([run({ measured: { promotionSecs: 50 } })]))[0]).toMatch(
      /^runs\[0\]\.measured: .*promotionSecs/,
    );
    expect(problems(file([run()], { stack: 'prod' }))).toEqual(['stack: is "prod", this is stack "dev"']);
    expect(problems('{ not json')[0]).toMatch(/^not JSON/);
  });

  it('a timeline measures the spans whose two events it holds: the traffic spans from the fault', () => {
    expect(
      measuredFrom([
        { at: '2026-12-05T10:00:00.000Z', event: 'fault-start' },
        { at: '2026-12-05T10:00:20.000Z', event: 'alb-unhealthy' },
        // The dial moved by the orchestrator first: a shift, but not the accelerator's health verdict.
        { at: '2026-12-05T10:00:25.000Z', event: 'accelerator-shifted' },
        { at: '2026-12-05T10:00:31.500Z', event: 'accelerator-unhealthy' },
        { at: '2026-12-05T10:00:33.000Z', event: 'route53-unhealthy' },
        { at: '2026-12-05T10:00:34.000Z', event: 'dns-answers-secondary' },
        { at: '2026-12-05T10:01:00.000Z', event: 'promotion-started' },
        { at: '2026-12-05T10:01:48.000Z', event: 'promotion-complete' },
      ]),
    ).toEqual({ trafficShiftSeconds: 31.5, dnsSwitchSeconds: 34, promotionSeconds: 48 });
    expect(
      measuredFrom([
        { at: '2026-12-05T10:00:00.000Z', event: 'fault-start' },
        { at: '2026-12-05T10:00:25.000Z', event: 'accelerator-shifted' },
      ]),
    ).toEqual({});
  });
});

describe('the plan says which inputs are estimates and which are calibrated', () => {
  it('without results every measurable input is an estimate', () => {
    const lines = calibrationReport(INPUTS);
    expect(lines[0]).toMatch(/^RTO model inputs: 0 of 3 measurable inputs calibrated by game days \(no results file\)/);
    expect(lines.slice(1).every((l) => /estimate: /.test(l))).toBe(true);
  });

  it('npm run plan with a results file: calibrated rows with their run count and dates, a changed Aurora p50', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-'));
    const good = path.join(dir, 'dev.json');
    const results: GameDayResults = JSON.parse(
      file([run(), run({ startedAt: '2026-12-06T10:00:00Z', finishedAt: '2026-12-06T10:12:00Z' })]),
    );
    fs.writeFileSync(good, JSON.stringify(results));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, file([run({ measured: { dnsSwitchSeconds: 0 } })]));
    const cli = async (args: string[]) => {
      let stdout = '';
      let stderr = '';
      const io: PlanIo = {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        env: {},
        runOffline: (config, stack) => planConfig(config, stack),
      };
      return { code: await planCli(args, io), stdout, stderr };
    };
    const estimate = await cli([]);
    const calibrated = await cli(['--gameday', good]);
    expect(estimate.stdout).toMatch(/RTO model inputs: 0 of 3 measurable inputs calibrated/);
    expect(calibrated.stdout).toMatch(/RTO model inputs: 3 of 3 measurable inputs calibrated by game days/);
    expect(calibrated.stdout).toMatch(
      /Aurora cross-region promotion\s+calibrated: median 52 s \(spread assumed\), 2 runs, 2026-12-05 to 2026-12-06/,
    );
    const auroraP50 = (out: string) =>
      Number(
        // The distribution's row (p50, p99, max), not the worst-case budget's.
        new RegExp(`${AURORA_PATH.replace(/[()]/g, '\\$&')}\\s+([\\d.]+) s\\s+[\\d.]+ s\\s+[\\d.]+ s`).exec(out)![1],
      );
    expect(auroraP50(estimate.stdout) - auroraP50(calibrated.stdout)).toBeGreaterThan(50);
    const refused = await cli(['--gameday', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr + refused.stdout).toMatch(
      /runs\[0\]\.measured\.dnsSwitchSeconds: must be a number of seconds above 0/,
    );
  });
});
