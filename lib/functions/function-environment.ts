/**
 * A function's environment, built through the function's own contract.
 *
 * THE PATTERN (one contract per function; rotation and schema follow it):
 * 1. `lambda/<function>/environment.ts` declares the environment once: a zod object
 *    `<fn>Environment` with every variable, its type and range (and `.describe()` where the name
 *    does not say it), the parsed type `<Fn>Environment`, and
 *    `parse<Fn>Environment(env) = parseEnv('<fn>', <fn>Environment, env)`. It imports nothing but
 *    zod, `lambda/facts/env.ts` (building blocks: requiredText, awsRegion, secretArn, dbSsl) and
 *    other `lambda/facts/*` modules, so lib/ may import it without loading the function.
 * 2. The component sets the variables through it:
 *    `environment: functionEnvironment('<fn>', <fn>Environment, { VAR: typedValue, ... })`.
 *    Values are typed by the schema's output (a number stays a number, an enum its union); each
 *    is turned into the string Lambda stores and parsed by the same schema, so a bad value
 *    fails `npm run plan` naming the variable (known values before any resource is registered,
 *    outputs once resolved).
 * 3. The handler parses `process.env` through it once (first invocation) and passes the typed
 *    result to its core; no other `process.env` read.
 * 4. Tests and the drill build environments with `functionEnvironment` (or the parser), never
 *    by spelling variable names again; a plan test parses the planned environment with the
 *    function's parser.
 * Variables the platform adds for every function (POWERTOOLS_*, NODE_EXTRA_CA_CERTS) are set by
 * buildFunction and are not part of a function's contract.
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { EnvError, parseEnv } from '../../lambda/facts/env';

/** A function's environment schema: an object of variables, each parsed from its string. */
export type EnvironmentSchema = z.ZodObject<Record<string, z.ZodType>>;

/** The values a component sets: typed by the schema's output; optional where the schema has a default. */
export type EnvironmentValues<S extends EnvironmentSchema> = {
  [K in keyof z.input<S>]: pulumi.Input<z.output<S>[K & keyof z.output<S>]>;
};

/** The string map for `aws.lambda.Function` `environment.variables`, checked by the function's own schema. */
export function functionEnvironment<S extends EnvironmentSchema>(
  fn: string,
  schema: S,
  values: EnvironmentValues<S>,
): Record<string, pulumi.Input<string>> {
  const entries = Object.entries(values as Record<string, pulumi.Input<unknown> | undefined>).filter(
    (entry): entry is [string, pulumi.Input<unknown>] => entry[1] !== undefined,
  );
  const unknownKeys = entries.map(([key]) => key).filter((key) => !(key in schema.shape));
  if (unknownKeys.length > 0) {
    throw new EnvError(
      fn,
      unknownKeys.map((key) => `${key} is not a variable of this function`),
    );
  }
  const check = (key: string, value: string) => parseEnv(fn, z.object({ [key]: schema.shape[key] }), { [key]: value });
  const known: Record<string, string> = {};
  const variables: Record<string, pulumi.Input<string>> = {};
  for (const [key, value] of entries) {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) {
      variables[key] = pulumi.output(value).apply((resolved) => {
        const text = String(resolved);
        check(key, text);
        return text;
      });
    } else {
      known[key] = variables[key] = String(value);
    }
  }
  // Known values are checked now, together, so every problem is named before anything is registered.
  const problems = Object.keys(known).flatMap((key) => {
    try {
      check(key, known[key]);
      return [];
    } catch (e) {
      return [(e as EnvError).problems.join('; ')];
    }
  });
  if (problems.length > 0) throw new EnvError(fn, problems);
  return variables;
}
