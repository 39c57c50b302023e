/**
 * What the load balancer's target groups ask, in one place. Every target group on an ALB must
 * answer "can this region accept orders now" the same way: Global Accelerator counts an ALB
 * endpoint healthy only if EACH of its target groups has a healthy target, so a Lambda target
 * group that times out while the EC2 one answers takes the whole region out of the accelerator
 * while Route 53 and the canaries still see it up. Hence one health check for both groups, with a
 * timeout that covers the order API's bounded health answer plus a Lambda invocation
 * (lib/model/health-timeout.ts, which the configuration checks).
 */
import { HEALTH_PATH } from './order-api';

export interface HealthSettings {
  readonly albHealthCheckIntervalSeconds: number;
  readonly albHealthCheckTimeoutSeconds: number;
  readonly albHealthyThreshold: number;
  readonly albUnhealthyThreshold: number;
}

/** The one health check of every target group (EC2 and Lambda): same path, timing, thresholds. */
export function targetHealthCheck(s: HealthSettings) {
  return {
    enabled: true,
    path: HEALTH_PATH,
    interval: s.albHealthCheckIntervalSeconds,
    timeout: s.albHealthCheckTimeoutSeconds,
    healthyThreshold: s.albHealthyThreshold,
    unhealthyThreshold: s.albUnhealthyThreshold,
    // 200 while the region takes or queues orders; 503 otherwise (lambda/trading/api.ts health()).
    matcher: '200',
  };
}
