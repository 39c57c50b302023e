import * as aws from '@pulumi/aws';
import { Settings } from '../config';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { BuiltFunction } from '../functions/lambda-function';
import { AlarmFactory } from '../alarms/alarms';
import {
  BOOK_APPLIER_METRICS,
  BOOK_REGIONAL_ACKS_METRIC,
  METRIC_NAMESPACES,
  METRIC_SERVICES,
} from '../../lambda/facts/metrics';

export interface BookAlarmsArgs {
  readonly settings: Pick<Settings, 'alarmBookApplyLagSeconds'>;
  readonly name: Namer;
  /** This region's book applier. */
  readonly applier: BuiltFunction;
  /** The order API's Lambda in this region: its "order accepted" log line carries the durability. */
  readonly trading: BuiltFunction;
}

/**
 * The live order book as one region's operator watches it:
 * - the ledger's lag behind the book: the applier's IteratorAge (age of the newest record of the
 *   last batch when it was read, AWS/Lambda, DynamoDB stream sources): orders acknowledged but
 *   not yet in (or confirmed in) this region's cluster;
 * - acknowledgements with regional durability (the peer replica was down): RPO > 0 while it lasts;
 * - items the applier refused (not signed by the order API: a forged order) and ledger rows that
 *   differ from the book.
 */
export function bookAlarms(alarms: AlarmFactory, args: BookAlarmsArgs): void {
  const { settings, name: n, applier, trading } = args;
  alarms.alarm('book-apply-lag', {
    alarmDescription: `Orders in the book not in this region's cluster after ${settings.alarmBookApplyLagSeconds} s (book applier iterator age)`,
    namespace: 'AWS/Lambda',
    metricName: 'IteratorAge',
    dimensions: { FunctionName: applier.fn.name },
    statistic: 'Maximum',
    period: 60,
    evaluationPeriods: 1,
    threshold: settings.alarmBookApplyLagSeconds * 1000,
    comparisonOperator: 'GreaterThanThreshold',
  });

  new aws.cloudwatch.LogMetricFilter(
    n('metricFilter', 'book-regional-acks'),
    {
      name: n('metricFilter', 'book-regional-acks'),
      logGroupName: trading.logGroup.name,
      // lambda/trading/api.ts logs each acknowledgement with its durability.
      pattern: '{ ($.message = "order accepted") && ($.durability = "regional") }',
      metricTransformation: { name: BOOK_REGIONAL_ACKS_METRIC, namespace: METRIC_NAMESPACES.book, value: '1' },
    },
    { parent: trading.logGroup, ...DELETE_BEFORE_REPLACE },
  );
  alarms.alarm('book-regional-durability', {
    alarmDescription:
      'Orders acknowledged with regional durability only (the peer replica is down): acknowledged orders can be lost with this region',
    namespace: METRIC_NAMESPACES.book,
    metricName: BOOK_REGIONAL_ACKS_METRIC,
    statistic: 'Sum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
  });

  for (const [qualifier, metricName, what] of [
    [
      'book-items-refused',
      BOOK_APPLIER_METRICS.refused,
      'Book items refused by the applier: not signed by the order API',
    ],
    ['book-ledger-mismatch', BOOK_APPLIER_METRICS.mismatched, 'Ledger rows that differ from the order book item'],
  ] as const) {
    alarms.alarm(qualifier, {
      alarmDescription: what,
      namespace: METRIC_NAMESPACES.book,
      metricName,
      dimensions: { service: METRIC_SERVICES.bookApplier },
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }
}
