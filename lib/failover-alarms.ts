import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AlarmFactory } from './alarms';
import { Settings } from './config';
import { FAILOVER_METRIC_NAMESPACE, FailoverStack } from './failover-stack';
import { Namer } from './naming';

export interface FailoverAlarmsArgs {
  readonly settings: Settings;
  /** Namer of the region the orchestrator runs in. */
  readonly name: Namer;
  /** That region's alarm topic (its MonitoringStack's). */
  readonly topic: aws.sns.Topic;
  readonly failover: FailoverStack;
}

/**
 * The failover orchestrator watched like every other function (errors, throttles, duration),
 * plus its decisions: a promotion, and an AWS call it was denied. In the orchestrator's region,
 * on that region's alarm topic.
 */
export class FailoverAlarms extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: FailoverAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:FailoverAlarms', name, {}, opts);
    const { settings, name: n, topic, failover } = args;
    const alarms = new AlarmFactory(n, topic, { parent: this });
    this.alarms = alarms.alarms;

    alarms.functionAlarms('failover', failover.orchestrator);
    for (const [metricName, what] of [
      ['FailoverInitiated', 'The orchestrator promoted this region'],
      ['PermissionError', 'The orchestrator was denied an AWS call'],
    ] as const) {
      alarms.alarm(`failover-${metricName.toLowerCase()}`, {
        alarmDescription: what,
        namespace: FAILOVER_METRIC_NAMESPACE,
        metricName,
        dimensions: { Environment: settings.environmentSuffix },
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
    this.registerOutputs({ alarmCount: this.alarms.length });
  }
}
