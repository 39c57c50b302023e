/**
 * Lambda adapter of the schema function, invoked once per deploy (aws.lambda.Invocation).
 * The event carries nothing it needs: the master secret is named by MASTER_SECRET_ARN.
 */
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { connect } from '../shared/postgres';
import { connectionTarget, secretsClient } from '../shared/secret-login';
import { applySchema, SchemaResult } from './migrate';

const logger = createLogger('schema');
const secrets = secretsClient();
/** DDL may wait for the advisory lock held by a concurrent run or for a table lock. */
const STATEMENT_TIMEOUT_MS = 60_000;

export async function handler(_event: unknown, context: Context): Promise<SchemaResult> {
  logger.addContext(context);
  const masterSecretArn = process.env.MASTER_SECRET_ARN;
  if (!masterSecretArn) throw new Error('missing environment: MASTER_SECRET_ARN');
  try {
    return await applySchema(
      {
        secrets,
        logger,
        connect: (c) => connect(connectionTarget(c), process.env.DB_SSL, STATEMENT_TIMEOUT_MS),
      },
      masterSecretArn,
    );
  } catch (error) {
    logger.error('schema migration failed', { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
