import * as aws from '@pulumi/aws';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { BuiltFunction } from '../functions/lambda-function';
import { METRIC_NAMESPACES, ORDER_FLOW_METRICS, ORDER_REFUSAL_DIMENSION } from '../../lambda/facts/metrics';

/**
 * The order flow of one region as metrics, from the order API's log lines (lambda/trading/api.ts:
 * one line per answered order; the ALB sends every /orders request to the trading Lambda):
 * live, replayed, refused by reason, outcome unknown. The dashboard draws them; no alarm here (the
 * book's alarms and the ALB's 5xx alarm already page on what matters).
 *
 * Filters with `dimensions` publish one series per value of the field; CloudWatch Logs refuses a
 * `defaultValue` beside dimensions (PutMetricFilter, MetricTransformation: "If you specify
 * dimensions, you can't specify a defaultValue"), so none is set.
 */
/** Each filter: its name qualifier, the API's log message it counts, its metric, and its dimension. */
export const ORDER_FLOW_FILTERS = [
  { qualifier: 'orders-live', message: 'order accepted', metric: ORDER_FLOW_METRICS.live },
  { qualifier: 'orders-replayed', message: 'order replayed', metric: ORDER_FLOW_METRICS.replayed },
  {
    qualifier: 'orders-refused',
    message: 'order not taken',
    metric: ORDER_FLOW_METRICS.refused,
    dimensions: { [ORDER_REFUSAL_DIMENSION]: '$.refusal' },
  },
  { qualifier: 'orders-unknown', message: 'order outcome unknown', metric: ORDER_FLOW_METRICS.unknown },
] as const;

export function orderFlowMetrics(name: Namer, trading: BuiltFunction): aws.cloudwatch.LogMetricFilter[] {
  return ORDER_FLOW_FILTERS.map(
    (f) =>
      new aws.cloudwatch.LogMetricFilter(
        name('metricFilter', f.qualifier),
        {
          name: name('metricFilter', f.qualifier),
          logGroupName: trading.logGroup.name,
          pattern: `{ $.message = "${f.message}" }`,
          metricTransformation: {
            name: f.metric,
            namespace: METRIC_NAMESPACES.book,
            value: '1',
            ...('dimensions' in f && { dimensions: f.dimensions }),
          },
        },
        { parent: trading.logGroup, ...DELETE_BEFORE_REPLACE },
      ),
  );
}
