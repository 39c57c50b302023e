import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { parseSettings, readRawConfig } from '../lib/config';
import {
  ACCELERATOR_PICKUP_MAX_SECONDS,
  CLIENT_REQUEST_TIMEOUT_SECONDS,
  CLIENT_RETRY_SECONDS,
  PINNED_CLIENT_SHARE,
  ROUTE53_CONNECT_TIMEOUT_SECONDS,
  ROUTE53_HEALTHY_FRACTION,
  RtoModelInputs,
  rtoDistribution,
  rtoDistributionReport,
  rtoModelMarkdown,
  quantile,
  sampleRto,
  seededRandom,
  GATE_DECISION_PATH,
  ACTION_MIN_SECONDS,
} from '../lib/model/rto-model';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH, WRITER_MOVE_MAX_SECONDS } from '../lib/model/rto';
import { ROUTE53_HEALTHY_FRACTION as GATE_ROUTE53_FRACTION } from '../lambda/orchestrator/gate';
import { RETRY_AFTER_SECONDS } from '../lambda/facts/order-api';
import { stackConfig } from '../scripts/offline';

const defaults: RtoModelInputs = {
  albIntervalSeconds: 5,
  albTimeoutSeconds: 2,
  albUnhealthyThreshold: 2,
  route53IntervalSeconds: 10,
  route53FailureThreshold: 2,
  dnsTtlSeconds: 10,
  probeIntervalSeconds: 10,
  recoveryWindowSeconds: 90,
  fastWindowSeconds: 20,
  dbPromotionEstimateSeconds: 120,
  targetSeconds: 60,
};

const inputs = fc.record({
  albIntervalSeconds: fc.integer({ min: 5, max: 60 }),
  albTimeoutSeconds: fc.integer({ min: 2, max: 4 }),
  albUnhealthyThreshold: fc.integer({ min: 2, max: 10 }),
  route53IntervalSeconds: fc.constantFrom(10, 30),
  route53FailureThreshold: fc.integer({ min: 1, max: 10 }),
  dnsTtlSeconds: fc.integer({ min: 1, max: 300 }),
  probeIntervalSeconds: fc.integer({ min: 5, max: 60 }),
  recoveryWindowSeconds: fc.integer({ min: 60, max: 600 }),
  fastWindowSeconds: fc.integer({ min: 10, max: 60 }),
  dbPromotionEstimateSeconds: fc.integer({ min: 1, max: 900 }),
  targetSeconds: fc.integer({ min: 1, max: 3600 }),
});

/** One simulation of `i`; each path's samples by its name or a pattern of it. */
const sampled = (i: RtoModelInputs) => {
  const paths = sampleRto(i, { samples: 400 });
  return (name: string | RegExp) =>
    paths.find((p) => (typeof name === 'string' ? p.name === name : name.test(p.name)))!.seconds;
};
/** The samples that break `holds`: one assertion per path (a failure lists them), not one per sample. */
const breaking = (samples: Float64Array, holds: (t: number) => boolean) => Array.from(samples).filter((t) => !holds(t));
const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('RTO Monte Carlo', () => {
  it('is reproducible: the same seed gives the same table, another seed a close one', () => {
    expect(rtoDistribution(defaults)).toEqual(rtoDistribution(defaults));
    const a = rtoDistribution(defaults, { seed: 1 });
    const b = rtoDistribution(defaults, { seed: 2 });
    expect(a).not.toEqual(b);
    // Sampling noise only: medians agree within 3 %.
    a.paths.forEach((p, k) => expect(Math.abs(p.p50 - b.paths[k].p50) / p.p50).toBeLessThan(0.03));
  });

  it('a slower setting never gives a faster p50 or p99 on any path (common random numbers)', () => {
    const slower: [keyof RtoModelInputs, number][] = [
      ['albIntervalSeconds', 7],
      ['albUnhealthyThreshold', 1],
      ['albTimeoutSeconds', 1],
      ['route53FailureThreshold', 1],
      ['dnsTtlSeconds', 30],
      ['probeIntervalSeconds', 5],
      ['recoveryWindowSeconds', 60],
      ['fastWindowSeconds', 10],
      ['dbPromotionEstimateSeconds', 100],
    ];
    fc.assert(
      fc.property(inputs, fc.constantFrom(...slower), (i, [key, step]) => {
        const base = rtoDistribution(i, { samples: 400 });
        const worse = rtoDistribution({ ...i, [key]: i[key] + step }, { samples: 400 });
        base.paths.forEach((p, k) => {
          expect(worse.paths[k].p50).toBeGreaterThanOrEqual(p.p50);
          expect(worse.paths[k].p99).toBeGreaterThanOrEqual(p.p99);
        });
      }),
      { numRuns: 40 },
    );
  });

  it('every sample lies between the best and the worst case the configured values allow', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const clientMax = CLIENT_REQUEST_TIMEOUT_SECONDS + CLIENT_RETRY_SECONDS;
        const samplesOf = sampled(i);
        const albMin = (i.albUnhealthyThreshold - 1) * i.albIntervalSeconds + i.albTimeoutSeconds;
        const albMax = albMin + i.albIntervalSeconds + ACCELERATOR_PICKUP_MAX_SECONDS + clientMax;
        expect(breaking(samplesOf(/Global Accelerator/), (t) => t >= albMin && t <= albMax)).toEqual([]);
        const r53Min = (i.route53FailureThreshold - 1) * i.route53IntervalSeconds + ROUTE53_CONNECT_TIMEOUT_SECONDS;
        const r53Max = r53Min + i.route53IntervalSeconds + i.dnsTtlSeconds + clientMax;
        expect(breaking(samplesOf(/Route 53 failover/), (t) => t >= r53Min && t <= r53Max)).toEqual([]);
        expect(breaking(samplesOf(/^Aurora/), (t) => t > i.recoveryWindowSeconds)).toEqual([]);
        // The first live order: after the fast window and the writer move, never after the slowest
        // canary + fast window (or the accelerator's health), the next evaluation, the move and the client.
        const albHealthMax = albMin + i.albIntervalSeconds + ACCELERATOR_PICKUP_MAX_SECONDS;
        const liveMax =
          Math.max(
            Math.max(i.probeIntervalSeconds + i.fastWindowSeconds, albHealthMax) +
              i.probeIntervalSeconds +
              WRITER_MOVE_MAX_SECONDS,
            albHealthMax,
          ) + clientMax;
        const liveMin = i.fastWindowSeconds + ACTION_MIN_SECONDS;
        expect(breaking(samplesOf(/first live order/), (t) => t >= liveMin && t <= liveMax)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('Route 53 turns unhealthy at the 13th of 15 checkers (more than 18 % must see it healthy)', () => {
    // One check to fail, no TTL to speak of: detection is the 13th order statistic of 15
    // U(0, 10), whose mean is 10 x 13 / 16; a rule of "any checker" would give 10 / 16.
    const i = { ...defaults, route53FailureThreshold: 1, dnsTtlSeconds: 1 };
    const detection =
      mean(sampleRto(i, { samples: 20_000 }).find((p) => p.name === 'traffic: Route 53 failover')!.seconds) -
      ROUTE53_CONNECT_TIMEOUT_SECONDS -
      0.5 * i.dnsTtlSeconds -
      PINNED_CLIENT_SHARE * CLIENT_REQUEST_TIMEOUT_SECONDS -
      0.5 * CLIENT_RETRY_SECONDS;
    expect(detection).toBeCloseTo((10 * 13) / 16, 0);
  });

  it('uses the same constants as the code it models', () => {
    expect(CLIENT_RETRY_SECONDS).toBe(RETRY_AFTER_SECONDS);
    expect(ROUTE53_HEALTHY_FRACTION).toBe(GATE_ROUTE53_FRACTION);
  });

  it('the default stack: medians near the arithmetic budget, tails within the 60 s target', () => {
    const s = parseSettings(readRawConfig('tap', stackConfig('dev')));
    const d = rtoDistribution(rtoInputsFromSettings(s));
    expect(rtoInputsFromSettings({ ...s, failoverRecoveryWindowSeconds: 120 }).recoveryWindowSeconds).toBe(120);
    expect(d.withinTarget).toBe(true);
    for (const p of d.paths) expect(p.p99).toBeGreaterThan(p.p50);
    // Resolvers that hold answers for 60 s push the Route 53 tail past the target (reported, not bound).
    expect(d.paths.find((p) => /resolver holding/.test(p.name))!.p99).toBeGreaterThan(s.rtoTargetSeconds);
  });
});

describe('what docs/failover-drill.md and the plan show', () => {
  /** Markdown tables compared cell by cell (prettier pads cells and separator rows). */
  const cells = (markdown: string) =>
    markdown
      .trim()
      .split('\n')
      .map((line) =>
        line.startsWith('|')
          ? line
              .split(/(?<!\\)\|/)
              .slice(1, -1)
              .map((c) => (/^\s*:?-+:?\s*$/.test(c) ? '---' : c.trim()))
          : [line.trim()],
      );

  it("docs/failover-drill.md's RTO distribution is this model's table and variables for the dev stack", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'docs', 'failover-drill.md'), 'utf8');
    const block = /<!-- gen:rto-distribution:begin[^>]*-->([\s\S]*?)<!-- gen:rto-distribution:end -->/.exec(readme);
    expect(block).not.toBeNull();
    const dev = rtoInputsFromSettings(parseSettings(readRawConfig('tap', stackConfig('dev'))));
    expect(cells(block![1])).toEqual(cells(rtoModelMarkdown(dev)));
  });

  it('the plan prints p50, p99 and max of every path, and which are held to the target', () => {
    const d = rtoDistribution(defaults);
    const [title, header, ...rows] = rtoDistributionReport(d);
    expect(title).toBe(`RTO distribution (Monte Carlo, ${d.samples} simulated regional failures, seed ${d.seed})`);
    expect(header.trim().split(/\s{2,}/)).toEqual(['path', 'p50', 'p99', 'max', 'held to target']);
    expect(rows.map((r) => r.trim().split(/\s{2,}/))).toEqual(
      d.paths.map((p) => [p.name, `${p.p50} s`, `${p.p99} s`, `${p.max} s`, p.bound ? 'yes (60 s)' : 'no']),
    );
  });
});

describe('the sampler against arithmetic it does not share', () => {
  it('draws mulberry32: the values an independent implementation gives for the same seeds', () => {
    // Reference values from a separate Python implementation of mulberry32.
    const first = (seed: number, n: number) => Array.from({ length: n }, seededRandom(seed));
    expect(first(1, 3)).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    expect(first(20_260_105, 2)).toEqual([0.49561649770475924, 0.19239253317937255]);
  });

  it('quantiles are nearest-rank', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, k) => k + 1);
    expect([0, 0.01, 0.5, 0.99, 1].map((q) => quantile(sorted, q))).toEqual([1, 1, 50, 99, 100]);
    expect(quantile(Float64Array.of(7), 0.99)).toBe(7);
  });

  const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it.each([
    ['the default stack', defaults],
    [
      'slower settings',
      {
        ...defaults,
        albIntervalSeconds: 10,
        albUnhealthyThreshold: 3,
        route53IntervalSeconds: 30,
        route53FailureThreshold: 3,
        dnsTtlSeconds: 60,
        probeIntervalSeconds: 20,
      },
    ],
  ])("each path's mean is the sum of its variables' means: %s", (_label, i) => {
    const client = PINNED_CLIENT_SHARE * CLIENT_REQUEST_TIMEOUT_SECONDS + CLIENT_RETRY_SECONDS / 2;
    // The 13th of 15 uniform checker phases (13 / 16 of the interval on average) decides.
    const route53Detect =
      (13 / 16) * i.route53IntervalSeconds +
      (i.route53FailureThreshold - 1) * i.route53IntervalSeconds +
      ROUTE53_CONNECT_TIMEOUT_SECONDS;
    const expected = {
      'traffic: Global Accelerator':
        (i.albUnhealthyThreshold - 0.5) * i.albIntervalSeconds +
        i.albTimeoutSeconds +
        ACCELERATOR_PICKUP_MAX_SECONDS / 2 +
        client,
      'traffic: Route 53 failover': route53Detect + i.dnsTtlSeconds / 2 + client,
      'traffic: Route 53, resolver holding 60 s': route53Detect + Math.max(i.dnsTtlSeconds, 60) / 2 + client,
      // First failure: the later of two canaries (2/3 of an interval), the window, the next
      // evaluation, the calls (1-10 s), a lognormal promotion (mean = median x e^(sigma^2 / 2)).
      [AURORA_PATH]:
        (2 / 3) * i.probeIntervalSeconds +
        i.recoveryWindowSeconds +
        i.probeIntervalSeconds / 2 +
        5.5 +
        i.dbPromotionEstimateSeconds * Math.exp(0.4 ** 2 / 2) +
        CLIENT_RETRY_SECONDS / 2,
    };
    const measured = Object.fromEntries(sampleRto(i).map((p) => [p.name, mean(p.seconds)]));
    for (const [name, value] of Object.entries(expected)) {
      // Standard errors over 4,000 samples: about 0.1 s for traffic, about 1 s for writes.
      const tolerance = name === AURORA_PATH ? 3 : 0.35;
      expect([name, Math.abs(measured[name] - value) < tolerance]).toEqual([name, true]);
    }
  });

  it('promotion times are lognormal around the configured median: p99 / p50 is e^(2.326 sigma)', () => {
    // A promotion so long that it is the whole write path.
    const writes = sampleRto({ ...defaults, dbPromotionEstimateSeconds: 1e6 }).find((p) => p.name === AURORA_PATH)!;
    const sorted = writes.seconds.slice().sort();
    expect(quantile(sorted, 0.5) / 1e6).toBeCloseTo(1, 1);
    expect(quantile(sorted, 0.99) / quantile(sorted, 0.5)).toBeCloseTo(Math.exp(2.326 * 0.4), 1);
  });

  it('summarises the samples it was asked for: bound paths, their worst p99, the target inclusive', () => {
    const d = rtoDistribution(defaults, { samples: 500, seed: 7 });
    expect([d.samples, d.seed]).toEqual([500, 7]);
    // Gate decision, the two traffic paths, the clamping resolver, the first live order, Aurora.
    expect(d.paths.map((p) => p.bound)).toEqual([false, true, true, false, true, false]);
    expect(d.trafficP99).toBe(Math.max(d.paths[1].p99, d.paths[2].p99, d.paths[4].p99));
    for (const p of d.paths) expect(p.max).toBeGreaterThanOrEqual(p.p99);
    expect(rtoDistribution({ ...defaults, targetSeconds: d.trafficP99 }, { samples: 500, seed: 7 }).withinTarget).toBe(
      true,
    );
    expect(
      rtoDistribution({ ...defaults, targetSeconds: d.trafficP99 - 0.1 }, { samples: 500, seed: 7 }).withinTarget,
    ).toBe(false);
  });
});

describe('issue 23: the model samples the gate it describes', () => {
  const path = (d: ReturnType<typeof rtoDistribution>, name: string) => d.paths.find((p) => p.name === name)!;
  it('the first live order is held to the target and waits for the fast path, never for Aurora', () => {
    const d = rtoDistribution(defaults);
    const live = path(d, FIRST_LIVE_ORDER_PATH);
    expect(live.bound).toBe(true);
    expect(path(d, AURORA_PATH).bound).toBe(false);
    // Aurora's promotion (minutes) is not on it: a slower promotion leaves the first live order as it is.
    expect(path(rtoDistribution({ ...defaults, dbPromotionEstimateSeconds: 900 }), FIRST_LIVE_ORDER_PATH)).toEqual(
      live,
    );
    // The fast window is: ten more seconds of it move the first live order's p50 later.
    const slower = path(rtoDistribution({ ...defaults, fastWindowSeconds: 40 }), FIRST_LIVE_ORDER_PATH);
    expect(slower.p50).toBeGreaterThan(live.p50);
    // And it comes after the gate's decision, sample by sample.
    const samplesOf = sampled(defaults);
    const decisions = samplesOf(GATE_DECISION_PATH);
    const lives = samplesOf(FIRST_LIVE_ORDER_PATH);
    expect(Array.from(decisions).filter((t, k) => !(lives[k] > t))).toEqual([]);
  });

  it('the decision waits for the fast window after the canaries first fail, whatever the corroboration', () => {
    const decisions = sampleRto({ ...defaults, fastWindowSeconds: 50 }, { samples: 400 }).find(
      (p) => p.name === GATE_DECISION_PATH,
    )!.seconds;
    expect(breaking(decisions, (t) => t >= 50)).toEqual([]);
  });
});
