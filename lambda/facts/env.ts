/**
 * Building blocks of the functions' environment schemas (lambda/<function>/environment.ts), and
 * one way to report what is wrong. Imports nothing but zod: lib/ builds environments through
 * these schemas at plan time (lib/functions/function-environment.ts).
 */
import { z } from 'zod';

export const requiredText = z.string().trim().min(1, 'must be set');

/** A whole number from `min` to `max`, parsed from its string; `unit` names it in the message. */
export const wholeNumber = (min: number, max: number, unit?: string) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int(unit ? `must be a whole number of ${unit}` : 'must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
export const awsRegion = requiredText.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

/**
 * A Secrets Manager secret ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`
 * (AWS API reference, Secret.secretArn pattern `arn:(aws|aws-us-gov):secretsmanager:[A-Za-z0-9-]{1,64}:[0-9]{12}:secret:[a-zA-Z0-9-_/+=.@!]+`;
 * CreateSecret: "the name of the secret followed by six random characters").
 */
export const secretArn = z
  .string({ message: 'must be set' })
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]{1,64}:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$/,
    'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
  );

/** TLS modes lambda/shared/postgres.ts knows: verify-full in AWS; disable only for a local PostgreSQL. */
export const DB_SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export const dbSsl = z
  .enum(DB_SSL_MODES, { message: `must be one of ${DB_SSL_MODES.join(', ')}` })
  .default('verify-full')
  .describe('TLS to PostgreSQL: verify-full against Aurora (the RDS CA bundle), disable for a local server');

/** A function's environment is refused whole: every problem at once, each naming its variable. */
export class EnvError extends Error {
  constructor(
    fn: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${fn} environment: ${problems.join('; ')}`);
    this.name = 'EnvError';
  }
}

/** `env` parsed by `schema`, or an EnvError listing each problem as `VARIABLE message`. */
export function parseEnv<S extends z.ZodType>(
  fn: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new EnvError(
      fn,
      parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`),
    );
  return parsed.data;
}
