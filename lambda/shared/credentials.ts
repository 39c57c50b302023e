/** Database credentials in the JSON layout AWS's rotation functions use. */
import { z } from 'zod';

export const credentialsSchema = z.object({
  engine: z.literal('postgres', { message: 'engine must be "postgres"' }),
  host: z.string({ message: 'host is required' }).min(1, { message: 'host is required' }),
  port: z.coerce.number().int().positive().default(5432),
  username: z.string({ message: 'username is required' }).min(1, { message: 'username is required' }),
  password: z.string({ message: 'password is required' }).min(1, { message: 'password is required' }),
  dbname: z.string({ message: 'dbname must be a string' }).min(1).default('postgres'),
  masterarn: z.string().optional(),
});

export type Credentials = z.output<typeof credentialsSchema>;

export class MalformedSecretError extends Error {
  constructor(detail: string) {
    super(`secret is not a PostgreSQL credential: ${detail}`);
    this.name = 'MalformedSecretError';
  }
}

export function parseCredentials(secretString: string | undefined): Credentials {
  if (!secretString) throw new MalformedSecretError('it has no SecretString');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new MalformedSecretError('SecretString is not JSON');
  }
  const result = credentialsSchema.safeParse(json);
  if (!result.success) throw new MalformedSecretError(result.error.issues.map((i) => i.message).join('; '));
  return result.data;
}
