/**
 * Stack files the CI workflow derives (.github/workflows/ci.yml):
 * - `pr-stack <number>`: Pulumi.pr-<number>.yaml for a pull request's short-lived stack, from the
 *   dev stack's: its own environmentSuffix and zone, plain HTTP (nobody delegates a pull
 *   request's zone). The account's AWS Config recorder (dev made it) is found at plan time
 *   and left in place (`awsConfigRecorder: auto`).
 * - `policy-config <stack>`: the policy pack's config for a stack (every policy, its suffix).
 * - `new-stack <name> [--domain D] [--tls acm|provided|none] [--protected] [--set key=value]...`
 *   (`npm run new-stack -- NAME ...`): writes Pulumi.<name>.yaml (the dev stack's file with its
 *   own environmentSuffix, domain and choices) and policy/config.<name>.json, after validating
 *   the stack's whole config; refuses to overwrite either.
 * Prints to stdout; exit 2 on bad arguments.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml, parseDocument } from 'yaml';
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

export interface NewStackOptions {
  /** Default: `<name>.` + the dev stack's domain. */
  readonly domainName?: string;
  /** Default: the dev stack's (none). */
  readonly tls?: string;
  readonly protected?: boolean;
  /** Any other key (`keyAdminRoleArns` takes a JSON array), as `pulumi config set` would. */
  readonly set?: Readonly<Record<string, unknown>>;
}

/**
 * A new stack's Pulumi.<name>.yaml text (from the dev stack file's text, comments kept) and its
 * policy config. The whole config is validated first (ConfigError naming each bad key), so a
 * name that is no valid environmentSuffix or a protected stack without key administrators is
 * refused before any file is written.
 */
export function newStackFiles(
  devStackFile: string,
  name: string,
  options: NewStackOptions = {},
): { stackFile: string; policyConfig: Record<string, unknown> } {
  const doc = parseDocument(devStackFile);
  const devDomain = String(doc.getIn(['config', 'tap:domainName']));
  doc.commentBefore = ` Stack ${name}: written by npm run new-stack (from Pulumi.dev.yaml).`;
  doc.setIn(['config', 'tap:environmentSuffix'], name);
  doc.setIn(['config', 'tap:domainName'], options.domainName ?? `${name}.${devDomain}`);
  if (options.tls) doc.setIn(['config', 'tap:tls'], options.tls);
  if (options.protected) doc.setIn(['config', 'tap:dataProtection'], 'protected');
  for (const [key, value] of Object.entries(options.set ?? {}))
    doc.setIn(['config', key.includes(':') ? key : `tap:${key}`], value);
  const stackFile = doc.toString();
  const config = (parseYaml(stackFile) as { config: Record<string, unknown> }).config;
  const settings = parseSettings(readRawConfig('tap', stackConfig('', config)));
  return { stackFile, policyConfig: policyConfig(settings.environmentSuffix, settings.dataProtection) };
}

/** Parses `new-stack`'s arguments after the name. */
export function newStackOptions(args: readonly string[]): NewStackOptions {
  const set: Record<string, unknown> = {};
  let domainName: string | undefined;
  let tls: string | undefined;
  let isProtected = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--protected') isProtected = true;
    else if (arg === '--domain' && args[i + 1]) domainName = args[++i];
    else if (arg === '--tls' && args[i + 1]) tls = args[++i];
    else if (arg === '--set' && /^[^=]+=/.test(args[i + 1] ?? '')) {
      const [key, ...rest] = args[++i].split('=');
      const value = rest.join('=');
      set[key] = value.startsWith('[') ? (JSON.parse(value) as unknown) : value;
    } else throw new Error(`new-stack: unexpected argument ${arg}`);
  }
  return { domainName, tls, protected: isProtected, set };
}

/** Writes the new stack's two files into `dir`; refuses to overwrite. Returns their paths. */
export function writeNewStack(name: string, options: NewStackOptions, dir = PROJECT_DIR): string[] {
  const files = {
    stack: path.join(dir, `Pulumi.${name}.yaml`),
    policy: path.join(dir, 'policy', `config.${name}.json`),
  };
  for (const file of Object.values(files))
    if (fs.existsSync(file)) throw new Error(`new-stack: ${path.relative(dir, file)} exists; not overwriting it`);
  const { stackFile, policyConfig: policy } = newStackFiles(
    fs.readFileSync(path.join(dir, 'Pulumi.dev.yaml'), 'utf8'),
    name,
    options,
  );
  fs.writeFileSync(files.stack, stackFile);
  fs.writeFileSync(files.policy, `${JSON.stringify(policy, null, 2)}\n`);
  return Object.values(files);
}

const USAGE = `Usage: tsx scripts/stack-config.ts pr-stack NUMBER | policy-config STACK | new-stack NAME [options]

  pr-stack NUMBER      print Pulumi.pr-NUMBER.yaml for a pull request's stack (from Pulumi.dev.yaml)
  policy-config STACK  print policy/config.STACK.json for Pulumi.STACK.yaml
  new-stack NAME       write Pulumi.NAME.yaml and policy/config.NAME.json (npm run new-stack -- NAME)
      --domain D         the stack's domain (default: NAME.<the dev stack's domain>)
      --tls T            acm, provided or none (default: the dev stack's, none)
      --protected        dataProtection: protected (needs --set 'keyAdminRoleArns=["arn:..."]')
      --set KEY=VALUE    any other key; a JSON array for list keys
  -h, --help           show this help`;

function main(args: string[]): number {
  exitOnHelp(USAGE, args);
  const [command, value] = args;
  if (command === 'pr-stack' && /^\d+$/.test(value ?? '')) {
    const dev = fs.readFileSync(path.join(PROJECT_DIR, 'Pulumi.dev.yaml'), 'utf8');
    process.stdout.write(pullRequestStackFile(dev, Number(value)));
    return 0;
  }
  if (command === 'new-stack' && value && !value.startsWith('-')) {
    try {
      const written = writeNewStack(value, newStackOptions(args.slice(2)));
      process.stdout.write(
        `${written.map((f) => `wrote ${path.relative(PROJECT_DIR, f)}`).join('\n')}\n` +
          `next: pulumi stack init ${value}; npm run plan -- --stack ${value}; docs/deploy.md\n`,
      );
      return 0;
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 1;
    }
  }
  if (command === 'policy-config' && value) {
    process.stdout.write(`${JSON.stringify(policyConfigOfStack(value), null, 2)}\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
