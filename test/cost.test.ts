import {
  CostEstimate,
  estimateCost,
  GLOBAL,
  healthCheckFeatures,
  HOURS_PER_MONTH,
  invocationsPerMonth,
  PriceTable,
} from '../lib/model/cost';
import PRICES from '../lib/model/prices.json';
import { OfflineRun, stackConfig } from '../scripts/offline';
import { ofType, plan, planConfig } from './helpers/plan';

const table = PRICES as PriceTable;
const price = (region: string, key: string) => table.regions[region][key].usd;
const estimate = (run: OfflineRun) => estimateCost(run.resources.filter((r) => r.custom));
const line = (e: CostEstimate, region: string, item: RegExp) =>
  e.lines.filter((l) => l.region === region && item.test(l.item));

describe('monthly cost estimate', () => {
  let dev: OfflineRun;
  let prod: OfflineRun;
  beforeAll(async () => {
    dev = await plan();
    prod = await planConfig(stackConfig('prod'), 'prod');
  });

  it('prices every instance class and type of both example stacks in both regions', () => {
    for (const run of [dev, prod]) expect(estimate(run).unpriced).toEqual([]);
  });

  it('totals add up per region and per service', () => {
    const e = estimate(dev);
    const sum = (xs: Record<string, number>) => Object.values(xs).reduce((a, b) => a + b, 0);
    expect(sum(e.byRegion)).toBeCloseTo(e.totalUsd, 6);
    expect(sum(e.byService)).toBeCloseTo(e.totalUsd, 6);
    // us-west-2: the failover canary voting from there (and its alarms).
    expect(Object.keys(e.byRegion).sort()).toEqual(['eu-west-1', GLOBAL, 'us-east-1', 'us-west-2']);
  });

  it('each fixed-price resource type in the plan is priced, from its own inputs', () => {
    const e = estimate(dev);
    for (const region of ['us-east-1', 'eu-west-1']) {
      const instances = ofType(dev, 'aws:rds/clusterInstance:ClusterInstance', region);
      const [aurora] = line(e, region, /db\.r6g\.large instance/);
      expect(aurora.quantity).toBe(instances.length * HOURS_PER_MONTH);
      expect(aurora.monthlyUsd).toBeCloseTo(instances.length * HOURS_PER_MONTH * price(region, 'rds:db.r6g.large'), 6);

      const enis = ofType(dev, 'aws:ec2/vpcEndpoint:VpcEndpoint', region)
        .filter((v) => v.inputs.vpcEndpointType === 'Interface')
        .reduce((n, v) => n + v.inputs.subnetIds.length, 0);
      expect(line(e, region, /interface endpoint/)[0].quantity).toBe(enis * HOURS_PER_MONTH);

      const keys = ofType(dev, 'aws:kms/key:Key', region).length;
      expect(line(e, region, /customer managed key/)[0].quantity).toBe(keys);
    }
    // Secrets live in us-east-1; each replica is billed as a secret in eu-west-1.
    expect(line(e, 'eu-west-1', /secret \(replica\)/)[0].quantity).toBe(
      ofType(dev, 'aws:secretsmanager/secret:Secret').length,
    );
    expect(line(e, GLOBAL, /fixed fee/)[0].monthlyUsd).toBeCloseTo(
      HOURS_PER_MONTH * price('global', 'globalaccelerator:fixed'),
      6,
    );
  });

  it('the production-like stack costs more where its settings say so: larger database, more instances; neither pays for NAT', () => {
    const [d, p] = [estimate(dev), estimate(prod)];
    for (const e of [d, p]) expect(e.lines.filter((l) => /NAT/.test(l.service))).toEqual([]);
    expect(line(p, 'us-east-1', /db\.r6g\.xlarge instance/)).toHaveLength(1);
    expect(p.byService.EC2).toBeGreaterThan(d.byService.EC2);
    expect(p.totalUsd).toBeGreaterThan(d.totalUsd);
  });

  it('removing one interface endpoint saves exactly its three ENIs', async () => {
    const run = await plan();
    const without = run.resources.filter((r) => r.name !== 'vpce-kms-euw1-dev');
    const saved = estimate(run).totalUsd - estimateCost(without.filter((r) => r.custom)).totalUsd;
    expect(saved).toBeCloseTo(3 * HOURS_PER_MONTH * price('eu-west-1', 'vpce:interface-az'), 6);
  });

  it('an instance class the table lacks is named and left out, not guessed', () => {
    const e = estimateCost([
      {
        type: 'aws:rds/clusterInstance:ClusterInstance',
        name: 'db-x',
        region: 'eu-west-1',
        inputs: { instanceClass: 'db.x2g.16xlarge' },
      },
    ]);
    expect(e.totalUsd).toBe(0);
    expect(e.unpriced).toEqual([
      'db-x (db.x2g.16xlarge instance, eu-west-1): no rds:db.x2g.16xlarge in lib/model/prices.json',
    ]);
  });

  it('states its assumptions and the usage-based charges it leaves out', () => {
    const e = estimate(dev);
    expect(e.assumptions[0]).toMatch(/^730 hours a month, on-demand/);
    expect(e.usage.map((u) => u.item)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^inter-region data transfer/), 'Aurora storage']),
    );
    expect(e.confirmedShare).toBeGreaterThan(0);
    expect(e.confirmedShare).toBeLessThan(1);
  });
});

describe('cost helpers', () => {
  it.each([
    ['rate(1 minute)', 43_800],
    ['rate(5 minutes)', 8_760],
    ['rate(1 hour)', 730],
    ['rate(1 day)', 730 / 24],
    ['cron(0 12 * * ? *)', undefined],
  ])('%s runs %s times a month', (expression, expected) => {
    expect(invocationsPerMonth(expression)).toBe(expected);
  });

  it('counts each optional Route 53 feature', () => {
    expect(healthCheckFeatures({ type: 'HTTP', requestInterval: 30 })).toEqual([]);
    expect(
      healthCheckFeatures({ type: 'HTTPS_STR_MATCH', searchString: 'ok', requestInterval: 10, measureLatency: true }),
    ).toEqual(['HTTPS', 'string matching', 'fast interval', 'latency measurement']);
  });
});

describe('price table (lib/model/prices.json)', () => {
  it('names a known source for every price, and a page to check for every unconfirmed one', () => {
    for (const [region, prices] of Object.entries(table.regions))
      for (const [key, p] of Object.entries(prices)) {
        expect({ region, key, source: p.source in table.sources }).toEqual({ region, key, source: true });
        if (!p.confirmed)
          expect({ region, key, check: p.check }).toEqual({
            region,
            key,
            check: expect.stringMatching(/^https:\/\/aws\.amazon\.com\//),
          });
      }
    for (const s of Object.values(table.sources)) expect(s.date).toBeTruthy();
  });

  it('both regions price the same things (the dashboard is billed once, in us-east-1)', () => {
    const keys = (region: string) => Object.keys(table.regions[region]).filter((k) => k !== 'cloudwatch:dashboard');
    expect(keys('eu-west-1').sort()).toEqual(keys('us-east-1').sort());
  });
});
