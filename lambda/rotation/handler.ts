/** Secrets Manager -> Lambda adapter of the rotation function. */
import type { Context } from 'aws-lambda';
import { createLogger } from '../shared/logger';
import { connect } from '../shared/postgres';
import { connectionTarget, secretsClient } from '../shared/secret-login';
import { parseRotationEnvironment, RotationEnvironment } from './environment';
import { rotate } from './rotation';

const logger = createLogger('rotation');
const secrets = secretsClient();
let environment: RotationEnvironment | undefined;

export async function handler(event: unknown, context: Context): Promise<void> {
  logger.addContext(context);
  const env = (environment ??= parseRotationEnvironment(process.env));
  const e = event as { SecretId?: unknown; Step?: unknown } | undefined;
  logger.appendKeys({ secretId: String(e?.SecretId ?? ''), step: String(e?.Step ?? '') });
  try {
    await rotate(event, {
      secrets,
      logger,
      // The host is the one in the secret: the global writer endpoint, whichever region writes.
      connect: (c) => connect(connectionTarget(c), env.DB_SSL),
    });
  } catch (error) {
    logger.error('rotation step failed', { error: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    logger.resetKeys();
  }
}
