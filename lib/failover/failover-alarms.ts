import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { alarmTopic } from '../alarms/alarm-topic';
import { AlarmFactory } from '../alarms/alarms';
import { Canary } from './canary';
import { Settings } from '../config';
import { METRIC_NAMESPACES, METRIC_SERVICES } from '../../lambda/facts/metrics';
import { PROMOTION_STUCK_SECONDS } from '../../lambda/facts/timing';
import { FailoverStack } from './failover-stack';
import { Namer } from '../config/naming';

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
 * plus its decisions, from its Powertools metrics (namespace TAP/Failover, dimensions `service`
 * and Environment): a promotion, a denied AWS call, a promotion waiting for approval. In the
 * orchestrator's region, on that region's alarm topic. Canaries: see `CanaryAlarms`.
 */
export class FailoverAlarms extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: FailoverAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:FailoverAlarms', name, {}, opts);
    const { settings, name: n, topic, failover } = args;
    const environment = settings.environmentSuffix;
    const alarms = new AlarmFactory(n, topic, { parent: this });
    this.alarms = alarms.alarms;

    alarms.functionAlarms('failover', failover.orchestrator);
    const orchestratorMetric = (metricName: string, alarmDescription: string) =>
      alarms.alarm(`failover-${metricName.toLowerCase()}`, {
        alarmDescription,
        namespace: METRIC_NAMESPACES.failover,
        metricName,
        dimensions: { service: METRIC_SERVICES.orchestrator, Environment: environment },
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
    orchestratorMetric('FailoverInitiated', 'The orchestrator promoted this region');
    orchestratorMetric('PermissionError', 'The orchestrator was denied an AWS call');
    orchestratorMetric('ApprovalRequested', 'The gate opened in approval mode: an operator must approve the promotion');
    orchestratorMetric(
      'PromotionRefused',
      'FailoverGlobalCluster was refused (reason in the orchestrator log): approval mode, approve a retry or detach and promote',
    );
    orchestratorMetric(
      'PromotionStuck',
      `A failover or switchover the orchestrator requested is still in flight after ${PROMOTION_STUCK_SECONDS / 60} minutes: runbook, promotion stuck`,
    );

    this.registerOutputs({ alarmCount: this.alarms.length });
  }
}

export interface CanaryAlarmsArgs {
  readonly settings: Settings;
  readonly canary: Canary;
  /** The vantage region's alarm topic; a region without a MonitoringStack (us-west-2) gets its own. */
  readonly topic?: aws.sns.Topic;
}

/**
 * One canary watched in its own region (metrics and alarms are regional, and CloudWatch notifies
 * only topics of its region): function errors, throttles and duration, probes it could not record
 * (a gap in the evidence keeps the gate shut, so a real outage would not be promoted) and
 * inconclusive probes (a misconfiguration, never an outage vote).
 */
export class CanaryAlarms extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[];
  readonly topic: aws.sns.Topic;

  constructor(name: string, args: CanaryAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:CanaryAlarms', name, {}, opts);
    const { settings, canary } = args;
    const { region, name: n } = canary.vantage;
    const child = { parent: this };
    this.topic =
      args.topic ??
      alarmTopic({ name: n, kind: 'alarmTopic', settings, description: `failover canary in ${region}` }, child).topic;
    const alarms = new AlarmFactory(n, this.topic, child);
    this.alarms = alarms.alarms;

    alarms.functionAlarms('canary', canary.fn);
    const dimensions = {
      service: METRIC_SERVICES.canary,
      Environment: settings.environmentSuffix,
      Vantage: region,
    };
    alarms.alarm('canary-probe-not-recorded', {
      alarmDescription: `Canary in ${region} could not record probes: the promotion gate cannot open`,
      namespace: METRIC_NAMESPACES.failover,
      metricName: 'ProbeNotRecorded',
      dimensions,
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
    // A passing inconclusive probe (a DNS hiccup) is not worth a page; three minutes of them are.
    alarms.alarm('canary-probe-inconclusive', {
      alarmDescription: `Canary in ${region} cannot tell up from down: check its target, hostname and certificate`,
      namespace: METRIC_NAMESPACES.failover,
      metricName: 'ProbeInconclusive',
      dimensions,
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
    this.registerOutputs({ alarmCount: this.alarms.length, alarmTopicArn: this.topic.arn });
  }
}
