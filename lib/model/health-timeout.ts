/**
 * How long a target-group health check must wait for an answer: the order API's bounded health
 * answer plus a Lambda invocation. Pure, so the configuration (lib/config/cross-checks.ts) and the
 * load balancer's check (lib/app/health.ts) read one rule.
 */
import { HEALTH_DEADLINE_MS } from '../../lambda/facts/order-api';

/**
 * Time a Lambda target needs on top of the handler's own answer: the ALB's invocation and, after
 * an idle spell, the function's cold start (module load; the database wait is inside the deadline).
 */
export const LAMBDA_INVOKE_MARGIN_MS = 1_000;

/** The shortest target-group health-check timeout that never cuts off a bounded health answer. */
export function minimumHealthTimeoutSeconds(): number {
  return Math.ceil((HEALTH_DEADLINE_MS + LAMBDA_INVOKE_MARGIN_MS) / 1000);
}
