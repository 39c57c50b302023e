/**
 * Metric-math alarms fire on the data AWS actually publishes. ALB count metrics are published
 * only for periods with a non-zero value ("Reporting criteria: There is a nonzero value",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html),
 * so an expression must give a value when either operand is missing (FILL) and must not divide
 * by zero when there is no traffic. The expressions are evaluated datapoint by datapoint by
 * test/helpers/metric-math.ts, which accepts only documented metric math forms.
 */
import { evaluateAlarm, parse, Query, Series } from './helpers/metric-math';
import { ofType, plan } from './helpers/plan';

const missing = undefined;

describe('the metric math evaluator', () => {
  it('refuses forms the metric math reference does not document (a scalar inside an array)', () => {
    expect(() => parse('100 * (elb + target) / MAX([requests, 1])')).toThrow(/not a metric math form/);
  });

  it('an operation with a missing operand has no datapoint, unless FILL gives one', () => {
    const queries: Query[] = [
      { id: 'a', metric: {} },
      { id: 'b', metric: {} },
      { id: 'sum', expression: 'a + b', returnData: true },
    ];
    expect(evaluateAlarm(queries, { a: [1, missing], b: [missing, 2] }, 2)).toEqual([missing, missing]);
    const filled = queries.map((q) => (q.id === 'sum' ? { ...q, expression: 'FILL(a, 0) + FILL(b, 0)' } : q));
    expect(evaluateAlarm(filled, { a: [1, missing], b: [missing, 2] }, 2)).toEqual([1, 2]);
  });

  it('IF takes the branch its condition picks, so a guarded division never divides by zero', () => {
    const queries: Query[] = [
      { id: 'n', metric: {} },
      { id: 'r', expression: 'IF(FILL(n, 0) > 0, 10 / FILL(n, 0), 0)', returnData: true },
    ];
    expect(evaluateAlarm(queries, { n: [missing, 5] }, 2)).toEqual([0, 2]);
    expect(() =>
      evaluateAlarm([queries[0], { id: 'r', expression: '10 / FILL(n, 0)', returnData: true }], {}, 1),
    ).toThrow(/division by zero/);
  });
});

describe('every metric-math alarm of the plan, fed the shapes AWS publishes', () => {
  const mathAlarms = async () =>
    ofType(await plan(), 'aws:cloudwatch/metricAlarm:MetricAlarm').filter((a) => a.inputs.metricQueries);

  it('survives any metric being missing in any period: every combination gives a value', async () => {
    const alarms = await mathAlarms();
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      const queries = alarm.inputs.metricQueries as Query[];
      const metricIds = queries.filter((q) => q.metric).map((q) => q.id);
      // Each metric either published (7) or not in each of 2^n periods: every combination once.
      const periods = 2 ** metricIds.length;
      const data = Object.fromEntries(
        metricIds.map((id, bit) => [id, Array.from({ length: periods }, (_, p) => ((p >> bit) & 1 ? 7 : missing))]),
      );
      const values = evaluateAlarm(queries, data, periods);
      expect({ alarm: alarm.name, undefinedAt: values.flatMap((v, i) => (v === undefined ? [i] : [])) }).toEqual({
        alarm: alarm.name,
        undefinedAt: [],
      });
    }
  });

  it('the ALB 5xx rate: quiet on healthy traffic and on no traffic, fires on target errors and on a load balancer with no healthy target', async () => {
    const alarm = (await mathAlarms()).find((a) => a.name.startsWith('alarm-alb-5xx-rate-'))!;
    const queries = alarm.inputs.metricQueries as Query[];
    const threshold = alarm.inputs.threshold as number;
    const idOf = (metricName: string) => queries.find((q: any) => q.metric?.metricName === metricName)!.id;
    const [requests, elb, target] = ['RequestCount', 'HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count'].map(idOf);
    const rate = (series: Record<string, Series>) => evaluateAlarm(queries, series, 3);

    // Healthy: requests every minute, no 5xx published at all.
    expect(rate({ [requests]: [100, 120, 90] })).toEqual([0, 0, 0]);
    // No traffic: nothing published.
    expect(rate({})).toEqual([0, 0, 0]);
    // 10 target errors in 100 requests: 10 %, over the threshold.
    const errors = rate({ [requests]: [100, 100, 100], [target]: [10, 10, 10] });
    expect(errors).toEqual([10, 10, 10]);
    expect(errors.every((v) => v! > threshold)).toBe(true);
    // No healthy target: the ALB answers 503 itself and RequestCount, which counts only requests
    // that reached a target, publishes nothing: 100 %.
    expect(rate({ [elb]: [50, 40, 30] })).toEqual([100, 100, 100]);
    // ELB errors in one minute, target errors in another: each minute has its own rate.
    expect(
      rate({ [requests]: [95, 100, 100], [elb]: [5, missing, missing], [target]: [missing, 20, missing] }),
    ).toEqual([5, 20, 0]);
  });
});
