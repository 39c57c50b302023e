/**
 * `npm run runbook-synopsis`: records the AWS CLI's own synopsis of every command the
 * runbooks (docs/runbooks/) use (required options, optional options, positional arguments) in
 * docs/aws-cli-synopsis.json, which test/runbooks.test.ts checks the runbooks against offline.
 * Needs an `aws` CLI on PATH (its `help` text is generated from the same service models as
 * CLI v2); options only CLI v2 has are listed separately, from the v2 reference.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_DIR } from './stack-files';
import { exitOnHelp } from './cli';
import { parseRunbooks, readRunbooks } from './runbook';

export const SYNOPSIS_FILE = path.join(PROJECT_DIR, 'docs', 'aws-cli-synopsis.json');

export interface CommandSynopsis {
  readonly required: string[];
  readonly optional: string[];
  /** Positional arguments, e.g. lambda invoke's `outfile`. */
  readonly positional: string[];
  /** Options that take no value (booleans) and options that take several (lists). */
  readonly flags: string[];
  readonly lists: string[];
}

export interface SynopsisFile {
  readonly source: string;
  readonly generated: string;
  /** Global options of AWS CLI v2 that v1's help does not list. */
  readonly v2GlobalOptions: { readonly options: string[]; readonly source: string };
  readonly commands: Record<string, CommandSynopsis>;
  /** Result of comparing with a CLI v2 binary (AWS_CLI_V2=path), when one was given. */
  readonly crossCheck?: { readonly cli: string; readonly differences: string[] };
}

/** Options CLI v1 has and v2 removed: a runbook must not use them. */
const V1_ONLY = ['--v2-debug'];

/** The SYNOPSIS block of `aws <service> <operation> help`, man-page overstrikes removed. */
export function parseSynopsis(help: string): CommandSynopsis {
  // Man pages embolden by overstriking: "X", backspace, "X".
  // eslint-disable-next-line no-control-regex
  const text = help.replace(/.\u0008/g, '');
  const block = /^SYNOPSIS\s*\n([\s\S]*?)\n(?:OPTIONS|GLOBAL OPTIONS)\s*\n/m.exec(text);
  if (!block) throw new Error('no SYNOPSIS section in the help text');
  const [, ...lines] = block[1]
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const required: string[] = [];
  const optional: string[] = [];
  const positional: string[] = [];
  // OPTIONS lines read `--name (type)` or `--name | --no-name (boolean)`.
  const flags: string[] = [];
  const lists: string[] = [];
  for (const m of text.matchAll(/^\s*(--[a-z0-9-]+)(?:\s*\|\s*(--[a-z0-9-]+))?\s+\((boolean|list|map)\)/gm)) {
    const names = [m[1], m[2]].filter((n): n is string => Boolean(n));
    if (m[3] === 'boolean') flags.push(...names);
    else if (m[3] === 'list') lists.push(...names);
  }
  for (const line of lines) {
    const names = [...line.matchAll(/--[a-z0-9-]+/g)].map((m) => m[0]).filter((n) => !V1_ONLY.includes(n));
    if (line.startsWith('[')) optional.push(...names);
    else if (names.length > 0) required.push(...names);
    else if (/^<[a-z-]+>$/.test(line)) positional.push(line.slice(1, -1));
  }
  // Global flags (--debug, --no-paginate, ...) are documented elsewhere: any synopsis option shown without <value>.
  for (const line of lines)
    if (!line.includes('<value>'))
      for (const n of line.matchAll(/--[a-z0-9-]+/g))
        if (!flags.includes(n[0]) && !V1_ONLY.includes(n[0])) flags.push(n[0]);
  return { required, optional, positional, flags: [...new Set(flags)].filter((f) => !V1_ONLY.includes(f)), lists };
}

async function main() {
  exitOnHelp(`Usage: npm run runbook-synopsis

Records the AWS CLI's synopsis of every aws command in docs/runbooks/ in
docs/aws-cli-synopsis.json (needs aws on PATH). AWS_CLI_V2=/path/to/aws also compares the
required options and positionals with that CLI.
  -h, --help  show this help`);
  const wanted = [
    ...new Set(parseRunbooks(readRunbooks(PROJECT_DIR)).commands.map((c) => `${c.service} ${c.operation}`)),
  ].sort();
  const env = { ...process.env, PAGER: 'cat', AWS_PAGER: '', MANPAGER: 'cat' };
  const version = execFileSync('aws', ['--version'], { encoding: 'utf8', env }).trim();
  const commands: Record<string, CommandSynopsis> = {};
  for (const name of wanted) {
    const help = execFileSync('aws', [...name.split(' '), 'help'], { encoding: 'utf8', env });
    commands[name] = parseSynopsis(help);
  }
  // Optional: compare required options and positionals with an (older or newer) CLI v2 binary.
  const v2 = process.env.AWS_CLI_V2;
  const crossCheck = v2
    ? {
        cli: execFileSync(v2, ['--version'], { encoding: 'utf8', env }).trim(),
        differences: wanted.flatMap((name) => {
          let other: CommandSynopsis;
          try {
            const help = execFileSync(v2, [...name.split(' '), 'help'], { encoding: 'utf8', env, stdio: 'pipe' });
            other = parseSynopsis(help);
          } catch {
            return [`${name}: not in this CLI version`];
          }
          const mine = commands[name];
          const same = (a: string[], b: string[]) => JSON.stringify(a) === JSON.stringify(b);
          return same(mine.required, other.required) && same(mine.positional, other.positional)
            ? []
            : [`${name}: required ${JSON.stringify(other.required)} there, ${JSON.stringify(mine.required)} here`];
        }),
      }
    : undefined;
  const file: SynopsisFile = {
    source: `\`aws <service> <operation> help\` of ${version}`,
    generated: new Date().toISOString().slice(0, 10),
    v2GlobalOptions: {
      options: [
        '--cli-input-yaml',
        '--cli-binary-format',
        '--no-cli-pager',
        '--cli-auto-prompt',
        '--no-cli-auto-prompt',
      ],
      source: 'https://docs.aws.amazon.com/cli/latest/reference/lambda/put-function-concurrency.html (CLI v2 synopsis)',
    },
    commands,
    ...(crossCheck ? { crossCheck } : {}),
  };
  // Loaded here, not at import: the tests import this module and prettier cannot load under jest.
  const prettier = await import('prettier');
  const text = await prettier.format(JSON.stringify(file), {
    ...(await prettier.resolveConfig(SYNOPSIS_FILE)),
    filepath: SYNOPSIS_FILE,
  });
  fs.writeFileSync(SYNOPSIS_FILE, text);
  process.stdout.write(`Wrote ${Object.keys(commands).length} command synopses to ${SYNOPSIS_FILE}\n`);
}

if (require.main === module) void main();
