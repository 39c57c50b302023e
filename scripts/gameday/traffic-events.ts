/**
 * What the game day's traffic watchers conclude from one reading (issue 27): whether Global
 * Accelerator and Route 53 have stopped sending users to the primary. Pure: readings in,
 * conditions out; each verdict is the orchestrator's own (lambda/orchestrator/gate.ts), called,
 * not copied, so the game day measures what the gate acts on.
 *
 * - `accelerator-unhealthy`: DescribeEndpointGroup of the primary group (us-west-2 API) reports
 *   every endpoint UNHEALTHY (acceleratorReading): the accelerator's own health verdict.
 * - `accelerator-shifted`: the accelerator stops sending new connections to the primary, by that
 *   health verdict or because the primary group's traffic dial is 0 (the orchestrator's fence
 *   moves the dials; Global Accelerator API reference, EndpointGroup.TrafficDialPercentage).
 * - `route53-unhealthy`: GetHealthCheckStatus of the primary health check at or under Route 53's
 *   healthy fraction (route53Reading, route53Verdict: more than 18 % of the checkers must say
 *   healthy).
 * - `dns-answers-secondary`: the failover record's CNAME answers the secondary's load balancer
 *   (failoverRecordReading), as read from the zone's name servers where the stack exports them.
 *
 * A reading that cannot be made is no condition: unreadable is not unhealthy.
 */
import type { FailoverStatus } from '../../lambda/orchestrator/failover-status';
import {
  acceleratorReading,
  type FailoverRecordReading,
  type Route53Reading,
  route53Verdict,
} from '../../lambda/orchestrator/gate';

export const TRAFFIC_EVENTS = [
  'accelerator-unhealthy',
  'accelerator-shifted',
  'route53-unhealthy',
  'dns-answers-secondary',
] as const;

export type TrafficEvent = (typeof TRAFFIC_EVENTS)[number];

/** The readings besides the dials (which `npm run status` reads already: FailoverStatus.dials). */
export interface TrafficReading {
  /** Route 53's checkers on the primary (the orchestrator's EvidenceReader.readRoute53); absent: no health check. */
  readonly route53?: Route53Reading;
  /** The failover record's answer (EvidenceReader.readFailoverRecord); absent: no record configured. */
  readonly record?: FailoverRecordReading;
  /** Which name servers answered the record (said in the event's detail). */
  readonly resolver?: string;
}

export interface TrafficConditions {
  /** Each condition that holds in this reading, with what shows it. */
  readonly holds: Partial<Record<TrafficEvent, string>>;
  /** Conditions this reading could not judge (an API unreachable, too few fresh checkers). */
  readonly unknown: readonly TrafficEvent[];
}

export function trafficConditions(dials: FailoverStatus['dials'], traffic: TrafficReading = {}): TrafficConditions {
  const holds: Partial<Record<TrafficEvent, string>> = {};
  const unknown: TrafficEvent[] = [];
  const primary = dials.flatMap((d) => (d.ok && d.value.group === 'primary' ? [d.value] : []))[0];
  if (primary) {
    const health = acceleratorReading(primary.endpoints.map((e) => ({ endpointId: e.id, healthState: e.health })));
    const unhealthy = health.kind === 'read' && !health.primaryHealthy;
    if (unhealthy) holds['accelerator-unhealthy'] = `DescribeEndpointGroup: ${health.detail}`;
    const dialZero = primary.trafficDialPercentage === 0;
    if (unhealthy || dialZero)
      holds['accelerator-shifted'] = [
        ...(unhealthy ? [health.detail] : []),
        ...(dialZero ? ['primary traffic dial 0'] : []),
      ].join('; ');
  } else unknown.push('accelerator-unhealthy', 'accelerator-shifted');
  const { route53, record } = traffic;
  const verdict = route53Verdict(route53);
  if (verdict === 'down' && route53?.kind === 'read')
    holds['route53-unhealthy'] =
      `GetHealthCheckStatus: ${route53.healthyCheckers} of ${route53.checkers} checkers see the primary healthy`;
  else if (route53 && verdict === 'unknown') unknown.push('route53-unhealthy');
  if (record?.kind === 'read' && record.answersSecondary)
    holds['dns-answers-secondary'] = `${record.detail}${traffic.resolver ? ` from ${traffic.resolver}` : ''}`;
  else if (record?.kind === 'unreadable') unknown.push('dns-answers-secondary');
  return { holds, unknown };
}
