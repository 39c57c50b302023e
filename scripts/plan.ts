/**
 * `npm run plan`: the real program, run in-process under Pulumi's mocks, reported per region.
 * Exit codes: 0 plan fine, 1 the plan has violations, 2 bad config or bad arguments.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { ConfigError, parseSettings, readRawConfig, MIN_ENGINE_VERSION } from '../lib/config';
import { rtoBudget } from '../lib/rto';
import { rtoDistribution, rtoDistributionReport, rtoModelInputsFromSettings } from '../lib/rto-model';
import { evaluatePolicies } from '../policy/rules';
import { criticalPath, policyResources, rtoInputsFromPlan } from './analysis';
import { architectureGraph, renderSvg } from './diagram';
import { runOffline, stackConfig } from './offline';
import { COLOR, criticalPathReport, PLAIN, policyReport, resourceReport, rtoReport } from './report';

const HELP = `Usage: npm run plan -- [options]

Runs the Pulumi program offline (mocked AWS, no credentials) and reports what it would create.

Options:
  --stack NAME        stack whose Pulumi.NAME.yaml to read (default: dev)
  --set KEY=VALUE     override one config key (repeatable), e.g. --set natStrategy=perAz
  --json FILE         write every registered resource as JSON to FILE
  --diagram FILE.svg  render the architecture diagram from the plan
  --no-color          plain output even on a terminal
  -h, --help          show this help

Exit codes: 0 ok, 1 policy violation or RTO budget exceeded, 2 invalid config or arguments.`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: 'string', default: 'dev' },
        set: { type: 'string', multiple: true, default: [] },
        json: { type: 'string' },
        diagram: { type: 'string' },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const style = process.stdout.isTTY && !args['no-color'] && !process.env.NO_COLOR ? COLOR : PLAIN;
  const overrides: Record<string, string> = {};
  for (const pair of args.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) {
      process.stderr.write(`--set takes KEY=VALUE, got "${pair}"\n`);
      return 2;
    }
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }

  const progress = process.stderr.isTTY
    ? setTimeout(() => process.stderr.write('Planning (running the program under mocks)...\n'), 500)
    : undefined;
  const config = stackConfig(args.stack!, overrides);
  let run;
  try {
    run = await runOffline(config, args.stack!);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${style.red(e.message)}\n`);
      return 2;
    }
    throw e;
  } finally {
    clearTimeout(progress);
  }

  const settings = parseSettings(readRawConfig(run.project, config));
  const verdicts = evaluatePolicies(policyResources(run.resources), {
    environmentSuffix: settings.environmentSuffix,
    publicPorts: [80, 443],
    rotationDays: settings.secretRotationDays,
    engineVersion: MIN_ENGINE_VERSION,
    dataProtection: settings.dataProtection,
  });
  const budget = rtoBudget(
    rtoInputsFromPlan(run.resources, {
      acceleratorReactionSeconds: settings.acceleratorReactionSeconds,
      dbPromotionEstimateSeconds: settings.dbPromotionEstimateSeconds,
      targetSeconds: settings.rtoTargetSeconds,
    }),
  );
  const lines = [
    style.bold(`Plan for stack "${run.stack}" of project "${run.project}" (offline, mocked AWS)`),
    '',
    ...resourceReport(run.resources, style),
    '',
    ...policyReport(verdicts, style),
    '',
    ...rtoReport(budget, style),
    '',
    ...rtoDistributionReport(rtoDistribution(rtoModelInputsFromSettings(settings))),
    '',
    ...criticalPathReport(criticalPath(run.resources), style),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const violations = verdicts.reduce((n, v) => n + v.violations.length, 0);

  if (args.json) {
    const resources = run.resources.map(({ urn, type, name, region, parent, dependsOn, inputs }) => ({
      urn,
      type,
      name,
      // Explicit nulls: every entry has the same keys (the root stack has neither).
      region: region ?? null,
      parent: parent ?? null,
      dependsOn,
      inputs,
    }));
    fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    fs.writeFileSync(args.json, `${JSON.stringify({ resources }, null, 2)}\n`);
    process.stdout.write(`\nWrote ${resources.length} resources to ${args.json}\n`);
  }
  if (args.diagram) {
    fs.mkdirSync(path.dirname(path.resolve(args.diagram)), { recursive: true });
    fs.writeFileSync(
      args.diagram,
      await renderSvg(architectureGraph(run.resources), `Trading platform (${settings.environmentSuffix})`),
    );
    process.stdout.write(`Wrote the architecture diagram to ${args.diagram}\n`);
  }
  if (violations > 0 || !budget.withinTarget) {
    process.stderr.write(
      style.red(
        `\nPlan rejected: ${violations} policy violation(s)${budget.withinTarget ? '' : ', traffic RTO over target'}\n`,
      ),
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`plan failed: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  },
);
