/** Building blocks of the functions' environment schemas, and one way to report what is wrong. */
import { z } from 'zod';

export const requiredText = z.string().trim().min(1, 'must be set');
export const awsRegion = requiredText.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1');

/** A function's environment is refused whole: every problem at once, each naming its variable. */
export class EnvError extends Error {
  constructor(fn: string, problems: readonly string[]) {
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
