/** Lambda adapter of the failover orchestrator (schedule, SNS alarm, or operator invoke). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { Resolver } from 'node:dns/promises';
import { arbiter } from '../shared/arbiter';
import { createLogger } from '../shared/logger';
import { DNS_RESOLVER_OPTIONS, GLOBAL_ACCELERATOR_API_REGION, ROUTE53_API_REGION, sdkOptions } from './aws';
import { configFromEnv, type OrchestratorConfig } from './config';
import { bookControlFor } from './book-control';
import { systemClock } from './clock';
import { handleEvent, Outcome } from './orchestrator';
import { DynamoEvidenceStore } from './store';

const logger = createLogger('orchestrator');
const metrics = new Metrics({ namespace: process.env.METRIC_NAMESPACE, serviceName: 'orchestrator' });
const config = configFromEnv(process.env);
metrics.setDefaultDimensions({ Environment: config.environment });

const rds = new RDSClient(sdkOptions());
// The primary's own RDS API: one short attempt (a region that is gone must not stall the decision).
const primaryRds = new RDSClient({ ...sdkOptions(config.primaryRegion), maxAttempts: 1 });
const ga = new GlobalAcceleratorClient(sdkOptions(GLOBAL_ACCELERATOR_API_REGION));
// Absence of Route 53's vote never blocks: one quick attempt, no retries.
const route53 = new Route53Client({ ...sdkOptions(ROUTE53_API_REGION), maxAttempts: 1 });
const sns = new SNSClient(sdkOptions());
// One short DNS attempt: the failover record's answer corroborates, its absence never blocks.
const resolver = new Resolver(DNS_RESOLVER_OPTIONS);
const store = new DynamoEvidenceStore(
  DynamoDBDocumentClient.from(new DynamoDBClient(sdkOptions(config.evidenceTable?.region)), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  requireEvidenceTable(config.evidenceTable),
);
const book = bookControlFor(config.book);
// One short attempt: the arbiter not answering refuses the takeover for this evaluation only.
const takeover =
  config.arbiter &&
  arbiter({
    tableName: config.arbiter.tableName,
    client: new DynamoDBClient({ ...sdkOptions(config.arbiter.region), maxAttempts: 1 }),
  });

function requireEvidenceTable(table: OrchestratorConfig['evidenceTable']): string {
  if (!table) throw new Error('invalid orchestrator environment: EVIDENCE_TABLE must be set');
  return table.name;
}

export async function handler(event: unknown, context: Context): Promise<Outcome> {
  logger.addContext(context);
  try {
    return await handleEvent(event, {
      config,
      clock: systemClock,
      store,
      ...(book && { book }),
      ...(takeover && { arbiter: takeover }),
      rds,
      primaryRds,
      resolveCname: (name) => resolver.resolveCname(name),
      ga,
      route53,
      sns,
      metrics,
      logger,
      remainingMs: () => context.getRemainingTimeInMillis(),
      newOwnerId: () => context.awsRequestId,
    });
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
