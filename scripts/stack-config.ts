/**
 * Stack files the CI workflow derives (.github/workflows/ci.yml):
 * - `pr-stack <number>`: Pulumi.pr-<number>.yaml for a pull request's short-lived stack, from the
 *   dev stack's: its own environmentSuffix and zone, plain HTTP (nobody delegates a pull
 *   request's zone). The account's AWS Config recorder (dev made it) is found at plan time
 *   and left in place (`awsConfigRecorder: auto`).
 * - `policy-config <stack>`: the policy pack's config for a stack (every policy, its suffix).
 * Prints to stdout; exit 2 on bad arguments.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { parseSettings, readRawConfig } from '../lib/config';
import { POLICIES } from '../policy/rules';
import { PROJECT_DIR, stackConfig } from './offline';
import { exitOnHelp } from './cli';

/** The stack name (and environmentSuffix) of a pull request. */
export function pullRequestStackName(number: number): string {
  if (!Number.isInteger(number) || number < 1) throw new Error(`not a pull request number: ${number}`);
  return `pr-${number}`;
}

/** Pulumi.pr-<n>.yaml as text, from the dev stack file's text (comments kept). */
export function pullRequestStackFile(devStackFile: string, number: number): string {
  const stack = pullRequestStackName(number);
  const doc = parseDocument(devStackFile);
  const domain = String(doc.getIn(['config', 'tap:domainName']));
  doc.setIn(['config', 'tap:environmentSuffix'], stack);
  doc.setIn(['config', 'tap:domainName'], `${stack}.${domain}`);
  doc.setIn(['config', 'tap:tls'], 'none');
  return doc.toString();
}

/**
 * The policy pack's config for a stack: every policy mandatory, with the stack's suffix and,
 * when it is protected, its data protection (the pack's default is ephemeral).
 */
export function policyConfig(
  environmentSuffix: string,
  dataProtection: 'ephemeral' | 'protected' = 'ephemeral',
): Record<string, unknown> {
  const values = dataProtection === 'protected' ? { environmentSuffix, dataProtection } : { environmentSuffix };
  return { all: 'mandatory', ...Object.fromEntries(POLICIES.map((p) => [p.name, values])) };
}

/** The policy config of a stack whose Pulumi.<stack>.yaml is in `dir`, read off its settings. */
export function policyConfigOfStack(stack: string, dir = PROJECT_DIR): Record<string, unknown> {
  const settings = parseSettings(readRawConfig('tap', stackConfig(stack, {}, dir)));
  return policyConfig(settings.environmentSuffix, settings.dataProtection);
}

const USAGE = `Usage: tsx scripts/stack-config.ts pr-stack NUMBER | policy-config STACK

  pr-stack NUMBER      print Pulumi.pr-NUMBER.yaml for a pull request's stack (from Pulumi.dev.yaml)
  policy-config STACK  print policy/config.STACK.json for Pulumi.STACK.yaml
  -h, --help           show this help`;

function main(args: string[]): number {
  exitOnHelp(USAGE, args);
  const [command, value] = args;
  if (command === 'pr-stack' && /^\d+$/.test(value ?? '')) {
    const dev = fs.readFileSync(path.join(PROJECT_DIR, 'Pulumi.dev.yaml'), 'utf8');
    process.stdout.write(pullRequestStackFile(dev, Number(value)));
    return 0;
  }
  if (command === 'policy-config' && value) {
    process.stdout.write(`${JSON.stringify(policyConfigOfStack(value), null, 2)}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
