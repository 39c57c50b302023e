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
 * 5xx responses of an ALB as a percentage of the requests it answered. The ALB publishes its
 * counts only for minutes with a non-zero value (Reporting criteria "There is a nonzero value":
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html),
 * so every operand is FILLed, and `RequestCount` leaves out requests the ALB answered itself
 * without choosing a target (503 with no healthy target): those are added to the denominator,
 * or the alarm would stay quiet exactly when every target is down. The IF guards the division
 * when nothing was served. Only documented metric math: FILL(m, value), IF(condition, a, b),
 * arithmetic and comparison operators
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
 */
export function albErrorRate(loadBalancerArnSuffix: pulumi.Input<string>, percent: number): AlarmSpec {
  const metric = (id: string, metricName: string) => ({
    id,
    metric: {
      namespace: 'AWS/ApplicationELB',
      metricName,
      dimensions: { LoadBalancer: loadBalancerArnSuffix },
      period: 60,
      stat: 'Sum',
    },
  });
  return {
    alarmDescription: `5xx responses above ${percent}% of requests`,
    comparisonOperator: 'GreaterThanThreshold',
    threshold: percent,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    metricQueries: [
      { id: 'errors', expression: 'FILL(elb, 0) + FILL(target, 0)', label: '5xx responses' },
      { id: 'answered', expression: 'FILL(requests, 0) + FILL(elb, 0)', label: 'requests answered' },
      { id: 'rate', expression: 'IF(answered > 0, 100 * errors / answered, 0)', label: '5xx %', returnData: true },
      metric('elb', 'HTTPCode_ELB_5XX_Count'),
      metric('target', 'HTTPCode_Target_5XX_Count'),
      metric('requests', 'RequestCount'),
    ],
  };
}

/**
 * The alarms of one region, all alike: named `alarm-<qualifier>-<region>-<env>`, notifying one
 * topic when they fire and when they clear, and treating missing data as fine unless a spec
 * says otherwise (a metric that only exists while something is wrong).
 */
export class AlarmFactory {
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  private readonly byQualifier = new Map<string, aws.cloudwatch.MetricAlarm>();

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
    this.byQualifier.set(qualifier, alarm);
    return alarm;
  }

  /** The alarm made under `qualifier` (what an experiment's stop condition watches). */
  named(qualifier: string): aws.cloudwatch.MetricAlarm {
    const alarm = this.byQualifier.get(qualifier);
    if (!alarm) throw new Error(`no alarm "${qualifier}"; there are: ${[...this.byQualifier.keys()].join(', ')}`);
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
