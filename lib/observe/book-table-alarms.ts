import * as pulumi from '@pulumi/pulumi';
import { AlarmFactory } from '../alarms/alarms';

/**
 * The order book's replica in this region as DynamoDB reports it (AWS/DynamoDB, per table, one
 * datapoint a minute; "DynamoDB Metrics and dimensions", Amazon DynamoDB Developer Guide):
 * - `WriteThrottleEvents`: writes DynamoDB throttled. An order whose write is throttled is
 *   answered 503 "overloaded" (lambda/shared/write-errors.ts): the book is refusing trading.
 * - `TransactionConflict`: item-level requests rejected because concurrent transactions met on
 *   the same item. Every acknowledging write is a transaction that checks the book's one writer
 *   item, so concurrent orders share that item; a conflict is answered 503 "overloaded" and the
 *   client retries. How often concurrent ConditionChecks of one item conflict at the order rates
 *   you run is not documented: this alarm is how a deployment finds out (docs/order-book.md).
 */
export function bookTableAlarms(alarms: AlarmFactory, tableName: pulumi.Input<string>): void {
  const table = { TableName: tableName };
  alarms.alarm('book-write-throttled', {
    alarmDescription: "Order book writes throttled in this region's replica: orders answered 503 overloaded",
    namespace: 'AWS/DynamoDB',
    metricName: 'WriteThrottleEvents',
    dimensions: table,
    statistic: 'Sum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
  });
  alarms.alarm('book-transaction-conflicts', {
    alarmDescription:
      "Order book transactions rejected for conflicting on one item (the book's writer item) in 3 of 5 minutes: orders answered 503 overloaded",
    namespace: 'AWS/DynamoDB',
    metricName: 'TransactionConflict',
    dimensions: table,
    statistic: 'Sum',
    period: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    threshold: 0,
    comparisonOperator: 'GreaterThanThreshold',
  });
}
