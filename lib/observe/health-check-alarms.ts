import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AlarmFactory, healthCheckFailing } from '../alarms/alarms';
import { RegionRole } from '../config';
import { Namer } from '../config/naming';

export interface HealthCheckAlarmsArgs {
  /** Namer of us-east-1, where Route 53 publishes health-check metrics. */
  readonly name: Namer;
  /** us-east-1's alarm topic (the primary's MonitoringStack's). */
  readonly topic: aws.sns.Topic;
  readonly healthChecks: Readonly<Record<RegionRole, aws.route53.HealthCheck>>;
}

/**
 * An alarm per Route 53 health check, telling operators which region Route 53 sees failing.
 * Route 53 publishes these metrics only in us-east-1, so this component lives there whatever
 * region the check watches.
 */
export class HealthCheckAlarms extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: HealthCheckAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:HealthCheckAlarms', name, {}, opts);
    const alarms = new AlarmFactory(args.name, args.topic, { parent: this });
    this.alarms = alarms.alarms;
    for (const [role, check] of Object.entries(args.healthChecks)) {
      alarms.alarm(`r53-${role}-unhealthy`, {
        alarmDescription: `Route 53 health check of the ${role} region failing`,
        ...healthCheckFailing(check.id),
      });
    }
    this.registerOutputs({ alarmCount: this.alarms.length });
  }
}
