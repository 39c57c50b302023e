/**
 * Every random variable of the RTO model (rto-paths.ts), with its distribution and its source:
 * the README's table is generated from this list. A change to a draw in rto-paths.ts changes its
 * line here.
 */
import { WRITER_MOVE_MAX_SECONDS } from './rto';
import {
  ACCELERATOR_PICKUP_MAX_SECONDS,
  ACTION_MAX_SECONDS,
  ACTION_MIN_SECONDS,
  CANARY_VANTAGE_COUNT,
  CLAMPING_RESOLVER_SECONDS,
  CLIENT_REQUEST_TIMEOUT_SECONDS,
  CLIENT_RETRY_SECONDS,
  PINNED_CLIENT_SHARE,
  PROMOTION_SIGMA,
  ROUTE53_CHECKERS,
  ROUTE53_CONNECT_TIMEOUT_SECONDS,
  ROUTE53_HEALTHY_FRACTION,
  type RtoModelInputs,
} from './rto-paths';

export interface RandomVariable {
  readonly name: string;
  readonly paths: string;
  readonly distribution: string;
  readonly source: string;
}

/** Every random variable of the model, as the README table shows it (values from `i`). */
export function randomVariables(i: RtoModelInputs): RandomVariable[] {
  return [
    {
      name: 'Failure moment vs. ALB health-check schedule',
      paths: 'Global Accelerator',
      distribution: `U(0, ${i.albIntervalSeconds} s), then ${i.albUnhealthyThreshold - 1} more interval(s) and the ${i.albTimeoutSeconds} s check timeout`,
      source: 'config (albHealthCheck*); checks are periodic, failures are not',
    },
    {
      name: 'Global Accelerator pickup after the ALB marks targets unhealthy',
      paths: 'Global Accelerator',
      distribution: `U(0, ${ACCELERATOR_PICKUP_MAX_SECONDS} s)`,
      source: 'undocumented; AWS workshop: "up to 30 s" (aws-facts.md)',
    },
    {
      name: 'Route 53 checker phases',
      paths: 'Route 53',
      distribution: `${ROUTE53_CHECKERS} independent U(0, ${i.route53IntervalSeconds} s), each failing after ${i.route53FailureThreshold} checks and a ${ROUTE53_CONNECT_TIMEOUT_SECONDS} s connect timeout`,
      source: 'AWS: about 15 checkers, not coordinated; connect within 4 s (aws-facts.md)',
    },
    {
      name: 'Route 53 verdict',
      paths: 'Route 53',
      distribution: `unhealthy once at most ${Math.floor(ROUTE53_HEALTHY_FRACTION * ROUTE53_CHECKERS)} of ${ROUTE53_CHECKERS} checkers see it healthy (order statistic)`,
      source: 'AWS: healthy while more than 18 % of checkers say so',
    },
    {
      name: "Resolver's cached answer",
      paths: 'Route 53',
      distribution: `U(0, ${i.dnsTtlSeconds} s) left of the TTL; sensitivity line: U(0, ${Math.max(i.dnsTtlSeconds, CLAMPING_RESOLVER_SECONDS)} s) for a resolver that holds answers ${CLAMPING_RESOLVER_SECONDS} s`,
      source: 'config (dnsTtlSeconds); some resolvers clamp low TTLs to 30-300 s (aws-facts.md)',
    },
    {
      name: 'Keep-alive request to the dead region',
      paths: 'all',
      distribution: `${CLIENT_REQUEST_TIMEOUT_SECONDS} s (client timeout) for ${PINNED_CLIENT_SHARE * 100} % of clients, else 0`,
      source: 'assumption (existing flows are not moved; measure in a game day)',
    },
    {
      name: 'Client retry',
      paths: 'all',
      distribution: `U(0, ${CLIENT_RETRY_SECONDS} s)`,
      source: "the API's Retry-After header (lambda/trading/api.ts)",
    },
    {
      name: 'Failover record answering the secondary (fast-path corroboration)',
      paths: 'first live order',
      distribution: `the Route 53 detection above, then U(0, ${i.dnsTtlSeconds} s) of the orchestrator resolver's cache`,
      source: 'DNS data plane, not us-east-1 control plane (lambda/orchestrator/gate.ts)',
    },
    {
      name: 'Accelerator endpoint health (fast-path corroboration)',
      paths: 'first live order',
      distribution: 'the ALB detection and accelerator pickup above (same draw)',
      source: 'DescribeEndpointGroup HealthState through the us-west-2 API',
    },
    {
      name: 'Gate decision, fast path (region gone)',
      paths: 'first live order',
      distribution: `max(first failed canary probe + ${i.fastWindowSeconds} s fast window, first corroboration) + U(0, ${i.probeIntervalSeconds} s) evaluation phase`,
      source: 'config (failoverFastWindowSeconds, failoverProbeIntervalSeconds)',
    },
    {
      name: "Move the order book's writer and the dials",
      paths: 'first live order',
      distribution: `U(${ACTION_MIN_SECONDS}, ${WRITER_MOVE_MAX_SECONDS} s)`,
      source: 'assumption: one conditional write and two dial updates',
    },
    {
      name: 'First failed canary probe',
      paths: 'first live order, Aurora',
      distribution: `max of ${CANARY_VANTAGE_COUNT} independent U(0, ${i.probeIntervalSeconds} s), then the ${i.recoveryWindowSeconds} s recovery window`,
      source: 'config (failoverProbeIntervalSeconds, the gate window; lambda/facts/timing.ts)',
    },
    {
      name: 'Orchestrator evaluation phase',
      paths: 'Aurora',
      distribution: `U(0, ${i.probeIntervalSeconds} s)`,
      source: 'the orchestrator evaluates the gate once per probe interval',
    },
    {
      name: 'Fence and FailoverGlobalCluster calls',
      paths: 'Aurora',
      distribution: `U(${ACTION_MIN_SECONDS}, ${ACTION_MAX_SECONDS} s)`,
      source: 'assumption, within the 20 s action budget (lambda/facts/timing.ts)',
    },
    {
      name: 'Aurora cross-region promotion',
      paths: 'Aurora',
      distribution: `lognormal, median ${i.dbPromotionEstimateSeconds} s, sigma ${PROMOTION_SIGMA} (p99 about ${Math.round(i.dbPromotionEstimateSeconds * Math.exp(2.326 * PROMOTION_SIGMA))} s)`,
      source: 'config (dbPromotionEstimateSeconds); AWS: "in the order of minutes"; spread is an assumption',
    },
  ];
}
