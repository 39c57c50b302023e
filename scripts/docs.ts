/**
 * `npm run docs`: regenerate what the README shows from its sources, so it cannot drift:
 * generated blocks (`<!-- gen:NAME:begin -->` ... `<!-- gen:NAME:end -->`: the config table from
 * Pulumi.yaml, the RTO table, the failover timeline and the dev/prod cost comparison from the
 * plans, the drill's scenarios and the RTO distribution), inline numbers (`<!-- fact:NAME -->value<!-- /fact -->`) and docs/architecture.svg.
 * `npm run docs -- --check` fails when any is stale (CI runs it).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as prettier from 'prettier';
import { CostEstimate, estimateCost } from '../lib/model/cost';
import { parseSettings, readRawConfig } from '../lib/config';
import { rtoBudget, RtoBudget } from '../lib/model/rto';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoModelMarkdown } from '../lib/model/rto-model';
import { POLICIES } from '../policy/rules';
import { maxSuffixLength, NAME_RULES, tightestName } from '../lib/config/naming';
import { criticalPath, failoverTimeline, rtoInputsFromPlan } from './analysis';
import { architectureGraph, renderSvg } from './diagram';
import { OfflineRun, PROJECT_DIR, readProject, runOffline, stackConfig } from './offline';
import { INLINE_LIMIT } from './report';
import { drillScenarios, drillSettings } from './drill/index';

const README = path.join(PROJECT_DIR, 'README.md');
const SVG = path.join(PROJECT_DIR, 'docs', 'architecture.svg');

export function configTable(): string {
  const rows = Object.entries(readProject().config ?? {}).map(([key, spec]) => {
    const def =
      spec.default === undefined
        ? '**required**'
        : spec.default === ''
          ? '(empty)'
          : `\`${typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)}\``;
    return `| \`${key}\` | ${spec.type} | ${def} | ${String(spec.description ?? '').replace(/\|/g, '\\|')} |`;
  });
  return ['| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

const usd = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
/** A table cell: pipes escaped, and `<...>` placeholders kept visible (not read as HTML tags). */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;');

interface StackPlan {
  readonly stack: string;
  readonly run: OfflineRun;
  readonly budget: RtoBudget;
  readonly cost: CostEstimate;
  readonly primary: string;
}

async function planStack(stack: string): Promise<StackPlan> {
  const config = stackConfig(stack);
  const run = await runOffline(config, stack);
  const settings = parseSettings(readRawConfig(run.project, config));
  const budget = rtoBudget(rtoInputsFromPlan(run.resources, settings));
  const cost = estimateCost(run.resources.filter((r) => r.custom));
  return { stack, run, budget, cost, primary: settings.primaryRegion };
}

export function costComparison(plans: readonly StackPlan[]): string {
  const head = `| | ${plans.map((p) => `\`${p.stack}\``).join(' | ')} |\n| --- | ${plans.map(() => '---:').join(' | ')} |`;
  const keys = (pick: (c: CostEstimate) => Record<string, number>) => [
    ...new Set(
      plans.flatMap((p) =>
        Object.entries(pick(p.cost))
          .sort(([, a], [, b]) => b - a)
          .map(([k]) => k),
      ),
    ),
  ];
  const row = (label: string, value: (c: CostEstimate) => number | undefined) =>
    `| ${label} | ${plans.map((p) => (value(p.cost) ? usd(value(p.cost)!) : '')).join(' | ')} |`;
  const lines = [
    head,
    ...keys((c) => c.byService).map((s) => row(s, (c) => c.byService[s])),
    ...keys((c) => c.byRegion).map((r) => row(`_${r}_`, (c) => c.byRegion[r])),
    row('**total per month**', (c) => c.totalUsd),
  ];
  const [first] = plans;
  const sources = Object.values(first.cost.priceTable.sources)
    .map((s) => `${s.what} (${s.where}; ${s.date})`)
    .join('; ');
  return [
    lines.join('\n'),
    '',
    `Assumptions: ${first.cost.assumptions.join('; ')}. Prices confirmed by a stored source cover ${plans.map((p) => `${Math.round(p.cost.confirmedShare * 100)}% of \`${p.stack}\``).join(' and ')}; the rest (notably Aurora instance hours and every eu-west-1 price) are list prices no stored source confirmed, each marked in \`lib/model/prices.json\` with the AWS pricing page to check. Price table compiled ${first.cost.priceTable.compiled} from: ${sources}.`,
  ].join('\n');
}

export function rtoTable(budget: RtoBudget): string {
  const rows = budget.paths.map((p) => {
    const terms = p.terms.map((t) => `${t.label} = ${t.seconds} s${t.estimate ? ' (estimate)' : ''}`).join(' + ');
    return `| ${cell(p.name)} | ${cell(p.description)} | ${cell(terms)} | **${p.totalSeconds} s**${p.bound ? '' : ' (not bound by the target)'} |`;
  });
  return ['| path | what moves | terms | total |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The drill's scenarios with what each must show (scripts/drill/scenarios.ts). */
export function drillScenarioTable(stack: string): string {
  const settings = drillSettings(stack);
  const rows = drillScenarios(settings).map(
    (s) =>
      `| \`${s.name}\` | ${cell(s.title)} | ${s.orderDurability ?? settings.orderDurability} | ${s.expect.promotions} | ${cell(s.proves)} |`,
  );
  return [
    '| scenario | fault | orderDurability | promotions | what passing proves |',
    '| --- | --- | --- | ---: | --- |',
    ...rows,
  ].join('\n');
}

export function timelineTable(plan: StackPlan): string {
  const rows = failoverTimeline(plan.run.resources, plan.budget, plan.primary).map(
    (e) => `| ${e.seconds} s${e.estimate ? ' (estimate)' : ''} | ${cell(e.region)} | ${cell(e.event)} |`,
  );
  return ['| earliest | where | what happens |', '| ---: | --- | --- |', ...rows].join('\n');
}

/** Inputs `pulumi up` leaves alone (the engine honours ignoreChanges; everything else it reverts). */
export function ignoreChangesTable(plan: StackPlan): string {
  const suffix = new RegExp(`-${plan.stack}(\\.fifo)?$`);
  const rows = new Map<string, Set<string>>();
  for (const r of plan.run.resources.filter((x) => x.ignoreChanges.length > 0)) {
    const key = `| \`${r.type}\` | \`${r.ignoreChanges.join('`, `')}\` |`;
    rows.set(key, new Set([...(rows.get(key) ?? []), r.name.replace(suffix, '-<suffix>')]));
  }
  return [
    '| resource type | inputs `pulumi up` never reverts | resources |',
    '| --- | --- | --- |',
    ...[...rows].map(([row, names]) => `${row.slice(0, -1)}| ${cell([...names].sort().join(', '))} |`),
  ].join('\n');
}

/** Numbers the README's prose quotes, each computed from the plans. */
export function facts(dev: StackPlan, prod: StackPlan): Record<string, string> {
  const of = (p: StackPlan, type: string) => p.run.resources.filter((r) => r.type === type);
  const interfaces = of(dev, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter((e) => e.inputs.vpcEndpointType === 'Interface');
  const perRegion = interfaces.filter((e) => e.region === dev.primary);
  const services = perRegion.map((e) => String(e.inputs.serviceName).split('.').pop()).sort();
  const aurora = of(dev, 'aws:rds/clusterInstance:ClusterInstance');
  const [ga, dns] = dev.budget.paths;
  const deploy = criticalPath(dev.run.resources);
  // The orchestrator: the function the canary schedule invokes.
  const rule = of(dev, 'aws:cloudwatch/eventTarget:EventTarget')[0];
  const orchestrator = of(dev, 'aws:lambda/function:Function').find((f) =>
    String(rule?.inputs.arn ?? '').endsWith(`:function:${f.name}`),
  );
  const invokeConfig = of(dev, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').find(
    (c) => c.inputs.functionName === orchestrator?.name,
  );
  if (!orchestrator || !invokeConfig)
    throw new Error('the dev plan has no scheduled orchestrator with an invoke config');
  const albCheck = of(dev, 'aws:lb/targetGroup:TargetGroup').find((t) => t.inputs.healthCheck)!.inputs.healthCheck;
  const failoverRecord = of(dev, 'aws:route53/record:Record').find((r) => r.inputs.failoverRoutingPolicies?.length);
  return {
    'max-suffix': String(maxSuffixLength()),
    'tightest-name': tightestName(),
    'tightest-limit': String(NAME_RULES[tightestName()].limit),
    'alb-interval': String(albCheck.interval),
    'alb-threshold': String(albCheck.unhealthyThreshold),
    'dns-ttl': String(failoverRecord?.inputs.ttl),
    'json-inline-kib': String(INLINE_LIMIT / 1024),
    'orchestrator-timeout': String(orchestrator.inputs.timeout),
    'orchestrator-event-age': String(invokeConfig.inputs.maximumEventAgeInSeconds),
    'orchestrator-retries': String(invokeConfig.inputs.maximumRetryAttempts),
    'interface-endpoint-count': String(perRegion.length),
    'interface-endpoint-services': services.join(', '),
    'interface-endpoint-enis': String(interfaces.reduce((n, e) => n + (e.inputs.subnetIds ?? []).length, 0)),
    'aurora-instances': `${aurora.length} x ${aurora[0]?.inputs.instanceClass}`,
    'nat-gateways-dev': String(of(dev, 'aws:ec2/natGateway:NatGateway').length),
    'nat-gateways-prod': String(of(prod, 'aws:ec2/natGateway:NatGateway').length),
    'ga-seconds': String(ga.totalSeconds),
    'dns-seconds': String(dns.totalSeconds),
    'traffic-rto': String(dev.budget.trafficSeconds),
    'rto-target': String(dev.budget.targetSeconds),
    'deploy-minutes': String(Math.round(deploy.totalSeconds / 60)),
    'resources-dev': String(dev.run.resources.filter((r) => r.custom).length),
    'resources-prod': String(prod.run.resources.filter((r) => r.custom).length),
    'cost-dev': usd(dev.cost.totalUsd),
    'cost-prod': usd(prod.cost.totalUsd),
    'policy-count': String(POLICIES.length),
  };
}

/** Replace every generated block and inline fact; unknown names are an error, not silence. */
export function render(readme: string, blocks: Record<string, string>, values: Record<string, string>): string {
  const used = new Set<string>();
  let out = readme.replace(
    /(<!-- gen:([a-z-]+):begin[^>]*-->)[\s\S]*?(<!-- gen:\2:end -->)/g,
    (_m, begin: string, name: string, end: string) => {
      if (!(name in blocks))
        throw new Error(`README.md has a generated block "${name}" that scripts/docs.ts does not know`);
      used.add(name);
      return `${begin}\n\n${blocks[name]}\n\n${end}`;
    },
  );
  out = out.replace(/<!-- fact:([a-z-]+) -->[\s\S]*?<!-- \/fact -->/g, (_m, name: string) => {
    if (!(name in values)) throw new Error(`README.md quotes a fact "${name}" that scripts/docs.ts does not compute`);
    return `<!-- fact:${name} -->${values[name]}<!-- /fact -->`;
  });
  const missing = Object.keys(blocks).filter((b) => !used.has(b));
  if (missing.length) throw new Error(`README.md lacks the generated block(s) ${missing.join(', ')}`);
  return out;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const readme = fs.readFileSync(README, 'utf8');
  const [dev, prod] = [await planStack('dev'), await planStack('prod')];
  const next = render(
    readme,
    {
      'config-table': configTable(),
      'rto-table': rtoTable(dev.budget),
      'failover-timeline': timelineTable(dev),
      'cost-comparison': costComparison([dev, prod]),
      'ignore-changes': ignoreChangesTable(dev),
      'drill-scenarios': drillScenarioTable('dev'),
      'rto-distribution': rtoModelMarkdown(
        rtoInputsFromSettings(parseSettings(readRawConfig(dev.run.project, stackConfig('dev')))),
      ),
    },
    facts(dev, prod),
  );
  // Formatted as the lint step expects, so the generated text and prettier agree.
  const nextReadme = await prettier.format(next, { ...(await prettier.resolveConfig(README)), filepath: README });
  const svg = await renderSvg(architectureGraph(dev.run.resources), 'Trading platform (dev stack)');
  const stale = [
    nextReadme !== readme && 'README.md generated blocks and facts',
    (!fs.existsSync(SVG) || fs.readFileSync(SVG, 'utf8') !== svg) && 'docs/architecture.svg',
  ].filter(Boolean);
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`Stale generated docs: ${stale.join(', ')}. Run npm run docs and commit.\n`);
      return 1;
    }
    process.stdout.write('Generated docs are current.\n');
    return 0;
  }
  fs.writeFileSync(README, nextReadme);
  fs.mkdirSync(path.dirname(SVG), { recursive: true });
  fs.writeFileSync(SVG, svg);
  process.stdout.write(`Updated ${stale.length ? stale.join(', ') : 'nothing (already current)'}\n`);
  return 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(2);
    },
  );
