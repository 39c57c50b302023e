/**
 * The failover orchestrator's environment: its contract with the component that deploys it
 * (lib/failover/failover-stack.ts builds it through this schema at plan time) and with its
 * handler (config.ts parses process.env through it, then checks the variables against each
 * other). Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { awsRegion as region, parseEnv, requiredText as text, wholeNumber } from '../facts/env';
import { MAX_FAST_WINDOW_SECONDS, MIN_FAST_WINDOW_SECONDS } from '../facts/failover-window';

const seconds = (min: number, max: number) => wholeNumber(min, max, 'seconds');
const arn = (service: string) => text.regex(new RegExp(`^arn:aws[a-z-]*:${service}:`), `must be an ${service} ARN`);

export const orchestratorEnvironment = z.object({
  GLOBAL_CLUSTER_ID: text,
  PRIMARY_CLUSTER_ARN: arn('rds'),
  SECONDARY_CLUSTER_ARN: arn('rds'),
  PRIMARY_REGION: region,
  CANARY_VANTAGES: text.transform((v) => v.split(',').map((r) => r.trim())).pipe(z.array(region)),
  PROBE_INTERVAL_SECONDS: seconds(5, 60),
  RECOVERY_WINDOW_SECONDS: seconds(60, 3600),
  FAST_WINDOW_SECONDS: seconds(MIN_FAST_WINDOW_SECONDS, MAX_FAST_WINDOW_SECONDS),
  PROMOTION_MODE: z.enum(['automatic', 'approval'], { message: 'must be automatic or approval' }).default('automatic'),
  LEASE_SECONDS: seconds(60, 3600),
  PRIMARY_ENDPOINT_GROUP_ARN: arn('globalaccelerator'),
  SECONDARY_ENDPOINT_GROUP_ARN: arn('globalaccelerator'),
  ROUTE53_HEALTH_CHECK_ID: z.string().trim().optional(),
  FAILOVER_RECORD_NAME: z.string().trim().optional(),
  SECONDARY_RECORD_TARGET: z.string().trim().optional(),
  TOPIC_ARN: arn('sns'),
  ENVIRONMENT: text,
  EVIDENCE_TABLE: text.describe('The evidence store: probes, lease, fence record, action journal'),
  EVIDENCE_TABLE_REGION: region.optional().describe("The evidence table's region (the function's own when unset)"),
  BOOK_TABLE_NAME: text.describe("The live order book's global table: the fast path moves its writer item"),
  BOOK_REGIONS: text
    .transform((v) => v.split(',').map((r) => r.trim()))
    .pipe(z.array(region).min(2, 'must name at least two regions'))
    .describe('Every region with a replica of the book (the writer item is written in each)'),
  ORDER_DURABILITY: z
    .enum(['cross-region', 'regional'], { message: 'must be cross-region or regional' })
    .default('cross-region')
    .describe('The configured orderDurability: what planned moves and the return after a takeover aim for'),
  ARBITER_TABLE: text.describe(
    "The arbiter (lambda/shared/arbiter.ts): a takeover takes it, never while the primary keeper's lease runs",
  ),
  ARBITER_TABLE_REGION: region.describe("The arbiter table's region (a third one: us-west-2)"),
  METRIC_NAMESPACE: text.optional().describe('Where Powertools publishes the orchestrator metrics'),
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
});

export type OrchestratorEnvironment = z.output<typeof orchestratorEnvironment>;

export function parseOrchestratorEnvironment(env: Record<string, string | undefined>): OrchestratorEnvironment {
  return parseEnv('orchestrator', orchestratorEnvironment, env);
}
