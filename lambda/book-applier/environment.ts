/**
 * The book applier's environment: its contract with the component that deploys it
 * (lib/data/book-applier.ts builds it through this schema at plan time) and with its handler
 * (which parses process.env through it once). Pattern: lib/functions/function-environment.ts.
 */
import { z } from 'zod';
import { awsRegion, dbSsl, parseEnv, requiredText, secretArn } from '../facts/env';

export const bookApplierEnvironment = z.object({
  REGION_NAME: awsRegion.describe('The region of the replica stream this applier reads'),
  DB_SECRET_ARN: secretArn.describe("The application credential (this region's copy of the secret)"),
  DB_HOST: requiredText.describe(
    "This region's own cluster endpoint, never the global writer endpoint: the applier inserts only while its own cluster is the writer, and otherwise only confirms that the order reached it",
  ),
  DB_PORT: z.coerce
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be a TCP port')
    .max(65535, 'must be a TCP port'),
  DB_NAME: requiredText,
  DB_SSL: dbSsl,
  BOOK_SIGNING_SECRET_ARN: secretArn.describe(
    'The order book signing key (this region’s copy): items without its signature are refused',
  ),
});

export type BookApplierEnvironment = z.output<typeof bookApplierEnvironment>;

export function parseBookApplierEnvironment(env: Record<string, string | undefined>): BookApplierEnvironment {
  return parseEnv('book-applier', bookApplierEnvironment, env);
}
