/**
 * Lambda adapter of the schema function, invoked once per deploy (aws.lambda.Invocation).
 * The event carries nothing it needs: the master secret is named in its environment (environment.ts).
 */
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { connect } from '../shared/postgres';
import { connectionTarget, secretsClient } from '../shared/secret-login';
import { parseSchemaEnvironment, SchemaEnvironment } from './environment';
import { applySchema, SchemaResult } from './migrate';

const logger = createLogger('schema');
const secrets = secretsClient();
/** DDL may wait for the advisory lock held by a concurrent run or for a table lock. */
const STATEMENT_TIMEOUT_MS = 60_000;
let environment: SchemaEnvironment | undefined;

export async function handler(_event: unknown, context: Context): Promise<SchemaResult> {
  logger.addContext(context);
  const env = (environment ??= parseSchemaEnvironment(process.env));
  try {
    return await applySchema(
      {
        secrets,
        logger,
        connect: (c) => connect(connectionTarget(c), env.DB_SSL, STATEMENT_TIMEOUT_MS),
      },
      env.MASTER_SECRET_ARN,
    );
  } catch (error) {
    logger.error('schema migration failed', { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
