/** Secrets Manager -> Lambda adapter of the rotation function. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger } from '../shared/logger';
import { connect } from '../shared/postgres';
import { rotate } from './rotation';

const logger = createLogger('rotation');
const secrets = new SecretsManagerClient({});

export async function handler(event: unknown): Promise<void> {
  const e = event as { SecretId?: string; Step?: string };
  logger.appendKeys({ secretId: e?.SecretId, step: e?.Step });
  try {
    await rotate(event, {
      secrets,
      logger,
      connect: (c) =>
        connect(
          { host: c.host, port: c.port, database: c.dbname, user: c.username, password: c.password },
          process.env.DB_SSL,
        ),
    });
  } catch (error) {
    logger.error('rotation step failed', { error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}
