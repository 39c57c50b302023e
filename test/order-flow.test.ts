/**
 * The order flow on the dashboard (issue 26): each region's metric filters on the order API's log
 * group, and the dashboard (both copies) drawing them. The API's own log lines are matched against
 * the same filter table in test/lambda/trading-book.test.ts.
 */
import { METRIC_NAMESPACES, ORDER_FLOW_METRICS, ORDER_REFUSALS } from '../lambda/facts/metrics';
import { ORDER_FLOW_FILTERS } from '../lib/observe/order-flow';
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const FILTER = 'aws:cloudwatch/logMetricFilter:LogMetricFilter';

it.each([
  ['use1', PRIMARY],
  ['euw1', SECONDARY],
])('%s: live, replayed, refused by reason and unknown counted from the trading log group', async (code, region) => {
  const run = await plan();
  for (const f of ORDER_FLOW_FILTERS) {
    const filter = named(run, FILTER, `metric-filter-${f.qualifier}-${code}-dev`);
    expect(filter.region).toBe(region);
    expect(filter.inputs.logGroupName).toBe(`/aws/lambda/fn-trading-${code}-dev`);
    expect(filter.inputs.pattern).toBe(`{ $.message = "${f.message}" }`);
    expect(filter.inputs.metricTransformation).toEqual({
      name: f.metric,
      namespace: METRIC_NAMESPACES.book,
      value: '1',
      // CloudWatch Logs refuses a defaultValue beside dimensions (PutMetricFilter).
      ...('dimensions' in f ? { dimensions: { Reason: '$.refusal' } } : {}),
    });
  }
});

it('both dashboards show each region’s order flow, every refusal reason a line of its own', async () => {
  const run = await plan();
  const dashboards = ofType(run, 'aws:cloudwatch/dashboard:Dashboard');
  expect(dashboards).toHaveLength(2);
  for (const d of dashboards) {
    const widgets = JSON.parse(d.inputs.dashboardBody).widgets as any[];
    for (const region of [PRIMARY, SECONDARY]) {
      const flow = widgets.find((w) => w.properties.region === region && /^Order flow/.test(w.properties.title));
      expect(flow.properties.metrics).toEqual([
        [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.live],
        [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.replayed],
        ...ORDER_REFUSALS.map((r) => [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.refused, 'Reason', r]),
        [METRIC_NAMESPACES.book, ORDER_FLOW_METRICS.unknown],
      ]);
      expect(flow.properties.stat).toBe('Sum');
    }
  }
});
