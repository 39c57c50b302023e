/** Lambda adapter of the primary's keeper (scheduled once a minute in the primary region). */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { METRIC_SERVICES } from '../facts/metrics';
import { sdkOptions } from '../orchestrator/aws';
import { systemClock } from '../orchestrator/clock';
import { arbiter } from '../shared/arbiter';
import { bookWriter } from '../shared/book-writer';
import { createLogger } from '../shared/logger';
import { keeperConfigFromEnv } from './config';
import { runKeeper } from './keeper';

const logger = createLogger('keeper');
const settings = keeperConfigFromEnv(process.env);
const metrics = new Metrics({ namespace: settings.metricNamespace, serviceName: METRIC_SERVICES.keeper });
metrics.setDefaultDimensions({ Environment: settings.environment });

// One short attempt each: the next look (a few seconds later) is the retry.
const client = (region: string) => new DynamoDBClient({ ...sdkOptions(region), maxAttempts: 1 });
const replicas = new Map([settings.region, settings.peer].map((r) => [r, client(r)]));
const book = bookWriter({
  tableName: settings.bookTable,
  regions: [settings.region, settings.peer],
  client: (region) => replicas.get(region)!,
});
const lease = arbiter({ tableName: settings.arbiter.tableName, client: client(settings.arbiter.region) });

export async function handler(_event: unknown, context: Context): Promise<{ looks: number; failed: number }> {
  logger.addContext(context);
  try {
    const looks = await runKeeper({
      region: settings.region,
      peer: settings.peer,
      book,
      arbiter: lease,
      clock: systemClock,
      metrics,
      logger,
    });
    const failed = looks.filter((l) => l.result.startsWith('failed')).length;
    // Counted as a function error (its alarm), after the whole minute of looks.
    if (failed > 0) throw new Error(`keeper: ${failed} of ${looks.length} actions failed (see the log)`);
    return { looks: looks.length, failed };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
