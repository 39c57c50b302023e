/**
 * The schema function's environment: its contract with the component that deploys it
 * (lib/data/database-schema.ts builds it through this schema at plan time) and with its handler
 * (which parses process.env through it once). Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { dbSsl, parseEnv, secretArn } from '../facts/env';

export const schemaEnvironment = z.object({
  MASTER_SECRET_ARN: secretArn.describe(
    'The master credential (Secrets Manager) the migrations log in with: the schema owner is master',
  ),
  DB_SSL: dbSsl,
});

export type SchemaEnvironment = z.output<typeof schemaEnvironment>;

export function parseSchemaEnvironment(env: Record<string, string | undefined>): SchemaEnvironment {
  return parseEnv('schema', schemaEnvironment, env);
}
