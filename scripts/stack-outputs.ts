/**
 * A deployed stack's outputs, as `npm run verify`, `npm run status` and `npm run keys` read them:
 * `pulumi stack output --json --stack NAME` (the Pulumi CLI, logged in to the stack's backend),
 * or a file saved from that command (`--outputs FILE`, for a machine without the CLI).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { parseArgs } from 'util';
import { z } from 'zod';

export type StackOutputs = Readonly<Record<string, unknown>>;

/** How the outputs are fetched; tests pass their own. */
export type PulumiRunner = (args: readonly string[]) => string;

const runPulumi: PulumiRunner = (args) =>
  execFileSync('pulumi', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export class StackOutputsError extends Error {}

export function readStackOutputs(
  source: { readonly stack: string; readonly file?: string },
  run: PulumiRunner = runPulumi,
): StackOutputs {
  let text: string;
  try {
    text = source.file
      ? fs.readFileSync(source.file, 'utf8')
      : run(['stack', 'output', '--json', '--stack', source.stack]);
  } catch (e) {
    const how = source.file
      ? `cannot read ${source.file}`
      : `\`pulumi stack output --json --stack ${source.stack}\` failed (is the Pulumi CLI installed and logged in? Or save its output and pass --outputs FILE)`;
    throw new StackOutputsError(`${how}: ${(e as Error).message.split('\n')[0]}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StackOutputsError('the stack outputs are not JSON (expected `pulumi stack output --json`)');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new StackOutputsError('the stack outputs are not a JSON object (expected `pulumi stack output --json`)');
  return parsed as StackOutputs;
}

/**
 * The outputs `schema` needs, or an error naming every missing or malformed key: a stack deployed
 * from an older version of this program lacks some.
 */
export function pickOutputs<S extends z.ZodRawShape>(outputs: StackOutputs, schema: S): z.infer<z.ZodObject<S>> {
  const result = z.object(schema).safeParse(outputs);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new StackOutputsError(
    `the stack outputs lack what this command reads (deployed from an older version? run pulumi up): ${problems.join('; ')}`,
  );
}

/** `region -> value` maps in the outputs (alarm topics, dashboards, regional names). */
export const byRegion = z.record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region name'), z.string().min(1));

/** What `--stack NAME [--outputs FILE]` commands take, plus their boolean `flags`. */
export interface StackArguments {
  readonly source: { readonly stack: string; readonly file?: string };
  readonly flags: ReadonlySet<string>;
}

/** The arguments, or the message to print with the usage (exit 64). */
export function stackArguments(argv: readonly string[], flags: readonly string[] = []): StackArguments | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: 'string' },
        outputs: { type: 'string' },
        ...Object.fromEntries(flags.map((f) => [f, { type: 'boolean' as const }])),
      },
    }));
  } catch (e) {
    return (e as Error).message;
  }
  const stack = values.stack;
  if (typeof stack !== 'string' || !stack) return '--stack is required';
  const file = typeof values.outputs === 'string' ? values.outputs : undefined;
  return {
    source: { stack, ...(file && { file }) },
    flags: new Set(flags.filter((f) => values[f] === true)),
  };
}
