import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { BuiltFunction } from '../functions/lambda-function';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';

export type AlarmSpec = Omit<aws.cloudwatch.MetricAlarmArgs, 'name' | 'alarmActions' | 'okActions'>;

/**
 * A Route 53 health check failing (HealthCheckStatus under 1). Route 53 publishes the status
 * every minute while the check exists, so silence counts as a failure too.
 */
export function healthCheckFailing(healthCheckId: pulumi.Input<string>): AlarmSpec {
  return {
    namespace: 'AWS/Route53',
    metricName: 'HealthCheckStatus',
    dimensions: { HealthCheckId: healthCheckId },
    statistic: 'Minimum',
    period: 60,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'LessThanThreshold',
    treatMissingData: 'breaching',
  };
}

/**
 * The alarms of one region, all alike: named `alarm-<qualifier>-<region>-<env>`, notifying one
 * topic when they fire and when they clear, and treating missing data as fine unless a spec
 * says otherwise (a metric that only exists while something is wrong).
 */
export class AlarmFactory {
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];

  constructor(
    private readonly n: Namer,
    private readonly topic: aws.sns.Topic,
    private readonly opts: pulumi.CustomResourceOptions,
  ) {}

  alarm(qualifier: string, spec: AlarmSpec): aws.cloudwatch.MetricAlarm {
    const alarmName = this.n('alarm', qualifier);
    const alarm = new aws.cloudwatch.MetricAlarm(
      alarmName,
      {
        name: alarmName,
        alarmActions: [this.topic.arn],
        okActions: [this.topic.arn],
        treatMissingData: 'notBreaching',
        ...spec,
      },
      { ...this.opts, ...DELETE_BEFORE_REPLACE },
    );
    this.alarms.push(alarm);
    return alarm;
  }

  /** Errors, throttles and p99 duration of one function, labelled `fn-<label>-<metric>`. */
  functionAlarms(label: string, built: BuiltFunction): void {
    const lambdaAlarm = (metric: string, spec: Partial<AlarmSpec>) =>
      this.alarm(`fn-${label}-${metric.toLowerCase()}`, {
        namespace: 'AWS/Lambda',
        metricName: metric,
        dimensions: { FunctionName: built.fn.name },
        period: 60,
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanThreshold',
        statistic: 'Sum',
        threshold: 0,
        ...spec,
      });
    lambdaAlarm('Errors', { alarmDescription: `${label} function errors` });
    lambdaAlarm('Throttles', { alarmDescription: `${label} function throttled` });
    lambdaAlarm('Duration', {
      alarmDescription: `${label} function duration p99 above ${built.durationAlarmMs} ms`,
      statistic: undefined,
      extendedStatistic: 'p99',
      evaluationPeriods: 3,
      threshold: built.durationAlarmMs,
    });
  }
}
