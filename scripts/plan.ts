/**
 * `npm run plan`: the real program, run in-process under Pulumi's mocks, reported top-down:
 * the verdict and summary first, the resource tree last. See HELP for options and exit codes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { parse as parseYaml } from 'yaml';
import { estimateCost } from '../lib/model/cost';
import { PreflightError, QuotaVerdict } from '../lib/preflight/quota-preflight';
import { CONFIG_KEYS, ConfigError, parseSettings, readRawConfig, Settings } from '../lib/config';
import { rtoBudget } from '../lib/model/rto';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoDistribution, rtoDistributionReport, rtoHeadline } from '../lib/model/rto-model';
import { calibrationReport } from '../lib/model/calibration';
import { GameDayResultsError } from '../lib/model/game-day-results';
import { MissingResultsFile, StackCalibration, stackCalibration } from './gameday/results-file';
import { configurePolicies, ConfiguredPolicy, evaluatePolicies } from '../policy/rules';
import { PolicyConfigError } from '../policy/schema';
import { criticalPath, policyResources, rtoInputsFromPlan } from './analysis';
import { architectureGraph, renderSvg } from './diagram';
import { OfflineRun, PROJECT_DIR, readProject, RecordedResource, runOffline, stackConfig } from './offline';
import {
  COLOR,
  ConfigEntry,
  configReport,
  costReport,
  countsReport,
  criticalPathReport,
  groupByRegion,
  PLAIN,
  policyReport,
  preflightReport,
  regionKey,
  resourceTree,
  rtoReport,
  serviceOf,
  Style,
  withoutBundles,
} from './report';

/** Exit codes, one per kind of outcome (README "Plan" documents them). */
export const EXIT = {
  ok: 0,
  rejected: 1,
  invalidConfig: 2,
  unknownStack: 3,
  usage: 64,
  crash: 70,
} as const;

const HELP = `Usage: npm run plan -- [options]

Runs the Pulumi program offline (mocked AWS, no credentials) and reports, top-down: the verdict,
the config in effect, resource counts, policy verdicts, the account preflight (quotas), the failover RTO budget, the monthly
cost estimate, the deploy time, then the resource tree.

Options:
  --stack NAME          stack whose Pulumi.NAME.yaml to read (default: dev)
  --set KEY=VALUE       override one config key (repeatable), e.g. --set azCount=3
  --policy-config FILE  policy pack config (default: policy/config.NAME.json, as given to
                        pulumi preview --policy-pack-config)
  --gameday FILE        game-day results calibrating the RTO model (default: gameday/NAME.json
                        when it exists; written by npm run gameday)
  --json FILE           write the same summary plus every resource as JSON to FILE
  --diagram FILE.svg    render the architecture diagram from the plan
  --no-color            plain output even on a terminal
  --debug               print the stack trace of a crash
  -h, --help            show this help

Exit codes:
  ${EXIT.ok}   the plan passes every policy and the RTO target
  ${EXIT.rejected}   policy violation (mandatory), an account quota the stack does not fit, or traffic RTO over target
  ${EXIT.invalidConfig}   invalid config: stack config, --set values, the policy config or the game-day results
  ${EXIT.unknownStack}   unknown stack: no Pulumi.NAME.yaml (or no policy config for it)
  ${EXIT.usage}  bad command-line arguments
  ${EXIT.crash}  crash: a bug in the program or this script, not in your config`;

/** A problem the user fixes; `code` says which kind. */
class PlanError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function listStacks(): string[] {
  return fs
    .readdirSync(PROJECT_DIR)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => Boolean(s))
    .sort();
}

/** Every key of this project with its value, Pulumi.yaml default and where the value came from. */
function configEntries(
  project: string,
  config: Record<string, string>,
  stack: string,
  overrides: Record<string, string>,
): { entries: ConfigEntry[]; other: Record<string, string> } {
  const declared = readProject().config ?? {};
  const stackFile = parseYaml(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config?: Record<string, unknown>;
  } | null;
  const inStack = new Set(Object.keys(stackFile?.config ?? {}));
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const entries = CONFIG_KEYS.map((key) => {
    const full = `${project}:${key}`;
    const def = declared[key]?.default;
    return {
      key,
      value: config[full] ?? '',
      default: def === undefined ? undefined : text(def),
      source:
        key in overrides || full in overrides ? '--set' : inStack.has(full) ? `Pulumi.${stack}.yaml` : 'Pulumi.yaml',
    };
  });
  const other = Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith(`${project}:`)));
  return { entries, other };
}

/** The policy pack's config, resolved as Pulumi resolves it, and checked against the stack's own settings. */
function readPolicyConfig(file: string, settings: Settings): Map<string, ConfiguredPolicy> {
  const source = path.relative(PROJECT_DIR, path.resolve(file));
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PlanError(EXIT.invalidConfig, `Invalid policy pack config ${source}: ${(e as Error).message}`);
  }
  let configured: Map<string, ConfiguredPolicy>;
  try {
    configured = configurePolicies(parsed, source);
  } catch (e) {
    if (e instanceof PolicyConfigError) throw new PlanError(EXIT.invalidConfig, e.message);
    throw e;
  }
  // A policy setting that is also a stack setting must agree, or plan and pack judge different stacks.
  const mismatches = new Map<string, string[]>();
  const stackValues = settings as unknown as Record<string, unknown>;
  for (const [name, { config }] of configured)
    for (const [key, value] of Object.entries(config))
      if (key in stackValues && stackValues[key] !== value) {
        const what = `${key} is ${JSON.stringify(value)} but the stack's ${key} is ${JSON.stringify(stackValues[key])}`;
        mismatches.set(what, [...(mismatches.get(what) ?? []), name]);
      }
  const problems = [...mismatches].map(
    ([what, names]) => `${what} (${names.length === configured.size ? 'every policy' : names.join(', ')})`,
  );
  if (problems.length > 0)
    throw new PlanError(
      EXIT.invalidConfig,
      `Policy pack config ${source} does not match the stack (edit the file, or pass --policy-config FILE):\n  - ${problems.join('\n  - ')}`,
    );
  return configured;
}

/**
 * The stack's game-day results (`--gameday FILE`, else gameday/<stack>.json when it exists): what
 * calibrates the RTO model. A file that does not fit the schema stops the plan, naming the field.
 */
function readGameDays(file: string | undefined, stack: string, settings: Settings): StackCalibration {
  try {
    return stackCalibration(stack, settings, file);
  } catch (e) {
    if (e instanceof GameDayResultsError || e instanceof MissingResultsFile)
      throw new PlanError(EXIT.invalidConfig, e.message);
    throw e;
  }
}

/** Where the plan writes and what it runs: the process's own, or a test's. */
export interface PlanIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Runs the program offline (tests pass one that shares runs between test files). */
  readonly runOffline: (
    config: Record<string, string>,
    stack: string,
    registered: RecordedResource[],
  ) => Promise<OfflineRun>;
}

const PROCESS_IO: PlanIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, runOffline };

/**
 * Stderr progress on a terminal: the count of registered resources, redrawn as they register
 * (bundling and the mocks keep the event loop busy, so a timer alone would rarely fire).
 */
function progress(io: PlanIo, stack: string, resources: RecordedResource[]): () => void {
  const { stderr } = io;
  if (!stderr.isTTY) return () => undefined;
  const started = Date.now();
  let drawn = 0;
  const draw = () => {
    drawn = Date.now();
    stderr.write(
      `\r\u001b[2KPlanning stack ${stack}: ${resources.length} resources registered (${((drawn - started) / 1000).toFixed(1)} s)`,
    );
  };
  const push = resources.push.bind(resources);
  resources.push = (...items) => {
    const n = push(...items);
    if (Date.now() - drawn > 100) draw();
    return n;
  };
  draw();
  const timer = setInterval(draw, 250);
  return () => {
    clearInterval(timer);
    stderr.write('\r\u001b[2K');
  };
}

async function main(argv: string[], io: PlanIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string', default: 'dev' },
        set: { type: 'string', multiple: true, default: [] },
        'policy-config': { type: 'string' },
        json: { type: 'string' },
        gameday: { type: 'string' },
        diagram: { type: 'string' },
        'no-color': { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new PlanError(EXIT.usage, `${(e as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    io.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  const style: Style = io.stdout.isTTY && !args['no-color'] && !io.env.NO_COLOR ? COLOR : PLAIN;
  const stack = args.stack!;
  const overrides: Record<string, string> = {};
  for (const pair of args.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new PlanError(EXIT.usage, `--set takes KEY=VALUE, got "${pair}"`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (!fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`)))
    throw new PlanError(
      EXIT.unknownStack,
      `Unknown stack "${stack}": there is no Pulumi.${stack}.yaml. Stacks: ${listStacks().join(', ')}.`,
    );
  const policyFile = args['policy-config'] ?? path.join(PROJECT_DIR, 'policy', `config.${stack}.json`);
  if (!fs.existsSync(policyFile))
    throw new PlanError(
      EXIT.unknownStack,
      `Stack "${stack}" has no policy pack config ${path.relative(PROJECT_DIR, path.resolve(policyFile))}: copy policy/config.dev.json and set its environmentSuffix (or pass --policy-config FILE).`,
    );

  const project = readProject().name;
  const config = stackConfig(stack, overrides);
  // Both configs are checked before the program runs: a bad one fails in a moment, not after the plan.
  let settings: Settings;
  try {
    settings = parseSettings(readRawConfig(project, config));
  } catch (e) {
    if (e instanceof ConfigError) throw new PlanError(EXIT.invalidConfig, e.message);
    throw e;
  }
  const policies = readPolicyConfig(policyFile, settings);
  const gameDays = readGameDays(args.gameday, stack, settings);
  const policySource = path.relative(PROJECT_DIR, path.resolve(policyFile));

  const registered: RecordedResource[] = [];
  const stopProgress = progress(io, stack, registered);
  let run;
  try {
    run = await io.runOffline(config, stack, registered);
  } catch (e) {
    // The account's quotas do not fit the stack: a verdict on the plan, like a policy violation.
    if (e instanceof PreflightError) throw new PlanError(EXIT.rejected, e.message);
    throw e;
  } finally {
    stopProgress();
  }

  const verdicts = evaluatePolicies(policyResources(run.resources), policies);
  const budget = rtoBudget(rtoInputsFromPlan(run.resources, settings));
  const distribution = rtoDistribution(rtoInputsFromSettings(settings), { calibration: gameDays.calibration });
  const custom = run.resources.filter((r) => r.custom);
  const cost = estimateCost(custom);
  const deploy = criticalPath(run.resources);
  const { entries, other } = configEntries(project, config, stack, overrides);

  const [primary, secondary] = settings.regions.map((r) => r.region);
  const regionLabels = new Map<string, string>();
  for (const region of groupByRegion(run.resources, [primary, secondary]).keys()) {
    const services = new Set(
      custom.filter((r) => regionKey(r) === region && !r.type.startsWith('pulumi:')).map((r) => serviceOf(r.type)),
    );
    const role =
      region === primary ? 'primary' : region === secondary ? 'secondary' : services.size === 1 ? [...services][0] : '';
    regionLabels.set(region, role ? `${region} (${role})` : region);
  }
  // Global services (Route 53, Global Accelerator) are billed once, whatever region their API is in.
  const costLabels = new Map([...regionLabels, ['global', 'global']]);

  const failing = verdicts.filter((v) => v.enforcementLevel === 'mandatory' && v.violations.length > 0);
  const violations = failing.reduce((n, v) => n + v.violations.length, 0);
  const reasons = [
    ...failing.map((v) => `policy ${v.policy}: ${v.violations.length} violation(s)`),
    ...budget.paths
      .filter((p) => p.bound && p.totalSeconds > budget.targetSeconds)
      .map((p) => `RTO path "${p.name}" ${p.totalSeconds} s over the ${budget.targetSeconds} s target`),
    ...distribution.paths
      .filter((p) => p.bound && p.p99 > distribution.targetSeconds)
      .map((p) => `RTO path "${p.name}" p99 ${p.p99} s over the ${distribution.targetSeconds} s target`),
  ];
  const code = reasons.length > 0 ? EXIT.rejected : EXIT.ok;
  const verdictLine =
    code === EXIT.ok
      ? style.green(
          `Result: OK. ${verdicts.length} policies pass; RTO ${rtoHeadline(distribution)}; ${custom.length} resources, about $${Math.round(cost.totalUsd).toLocaleString('en-US')}/month.`,
        )
      : style.red(`Result: REJECTED (exit ${EXIT.rejected}): ${reasons.join('; ')}.`);

  const sections = [
    [
      style.bold(`Plan for stack "${stack}" of project "${project}" (offline: the real program under Pulumi mocks)`),
      verdictLine,
    ],
    configReport(entries, other, style),
    countsReport(run.resources, regionLabels, style),
    policyReport(verdicts, policySource, style),
    preflightReport(run.outputs.preflight as QuotaVerdict[], style),
    rtoReport(budget, style),
    rtoDistributionReport(distribution),
    calibrationReport(rtoInputsFromSettings(settings), gameDays.calibration, gameDays.file, gameDays.ignored),
    costReport(cost, costLabels, style),
    criticalPathReport(deploy, style),
    resourceTree(run.resources, regionLabels, style),
  ];
  io.stdout.write(`${sections.map((s) => s.join('\n')).join('\n\n')}\n`);

  if (args.json) {
    const summary = {
      stack,
      project,
      result: { exitCode: code, ok: code === EXIT.ok, reasons },
      config: {
        effective: Object.fromEntries(entries.map((e) => [e.key, e.value])),
        differsFromDefaults: entries.filter((e) => e.value !== e.default),
        otherNamespaces: other,
      },
      counts: {
        resources: custom.length,
        components: run.resources.length - custom.length,
        byRegion: Object.fromEntries(
          [...groupByRegion(run.resources, [primary, secondary])].map(([r, m]) => [r, m.length]),
        ),
        byService: Object.fromEntries(
          [...new Set(custom.map((r) => serviceOf(r.type)))].sort().map((s) => [
            s,
            Object.fromEntries(
              [
                ...groupByRegion(
                  custom.filter((r) => serviceOf(r.type) === s),
                  [primary, secondary],
                ),
              ].map(([r, m]) => [r, m.length]),
            ),
          ]),
        ),
      },
      policies: { configFile: policySource, violations, verdicts },
      rto: budget,
      calibration: { file: gameDays.file ?? null, inputs: gameDays.calibration },
      cost,
      deploy,
    };
    const resources = run.resources.map(({ urn, type, name, region, parent, dependsOn, inputs }) => ({
      urn,
      type,
      name,
      // Explicit nulls: every entry has the same keys (the root stack has neither).
      region: region ?? null,
      parent: parent ?? null,
      dependsOn,
      inputs: withoutBundles(inputs),
    }));
    fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    fs.writeFileSync(args.json, `${JSON.stringify({ summary, resources }, null, 2)}\n`);
    io.stdout.write(`\nWrote the summary and ${resources.length} resources to ${args.json}\n`);
  }
  if (args.diagram) {
    fs.mkdirSync(path.dirname(path.resolve(args.diagram)), { recursive: true });
    fs.writeFileSync(
      args.diagram,
      await renderSvg(architectureGraph(run.resources), `Trading platform (${settings.environmentSuffix})`),
    );
    io.stdout.write(`Wrote the architecture diagram to ${args.diagram}\n`);
  }
  if (code !== EXIT.ok) io.stderr.write(`${style.red(`Plan rejected: ${reasons.join('; ')}`)}\n`);
  return code;
}

/**
 * `npm run plan` with these arguments: writes the report and returns the exit code. A problem the
 * user fixes is one clean message; anything else is a crash (a bug), one frame unless --debug.
 */
export async function planCli(argv: string[], io: PlanIo = PROCESS_IO): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    if (e instanceof PlanError) {
      io.stderr.write(`${e.message}\n`);
      return e.code;
    }
    const err = e as Error;
    const frame = err.stack?.split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
    io.stderr.write(
      argv.includes('--debug')
        ? `plan crashed: ${err.stack ?? err}\n`
        : `plan crashed (a bug in the program or in scripts/plan.ts, not in your config): ${err.name}: ${err.message}\n  ${frame.trim()}\nRerun with --debug for the full stack trace, and report it.\n`,
    );
    return EXIT.crash;
  }
}

if (require.main === module) void planCli(process.argv.slice(2)).then((code) => process.exit(code));
