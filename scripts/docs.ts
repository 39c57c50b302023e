/**
 * `npm run docs`: regenerate what the README and docs/ show from their sources, so it cannot
 * drift: generated blocks (`<!-- gen:NAME:begin -->` ... `<!-- gen:NAME:end -->`: the config
 * reference from Pulumi.yaml, the RTO table, the failover timeline and the dev/prod cost
 * comparison from the plans, the drill's scenarios and the RTO distribution), inline numbers
 * (`<!-- fact:NAME -->value<!-- /fact -->`) in any Markdown file, and docs/architecture.svg.
 * Each block lives in exactly one file; a fact may be quoted anywhere.
 * `npm run docs -- --check` fails when any is stale (CI runs it).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as prettier from 'prettier';
import { CostEstimate, estimateCost } from '../lib/model/cost';
import { parseSettings, readRawConfig } from '../lib/config';
import { AURORA_PATH, FIRST_LIVE_ORDER_PATH, rtoBudget, RtoBudget } from '../lib/model/rto';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { GATE_DECISION_PATH, rtoDistribution, rtoHeadline, rtoModelMarkdown } from '../lib/model/rto-model';
import { POLICIES } from '../policy/rules';
import { maxSuffixLength, NAME_RULES, tightestName } from '../lib/config/naming';
import { criticalPath, failoverTimeline, rtoInputsFromPlan } from './analysis';
import { gameDayTable, rtoBasis } from './gameday/game-day-docs';
import { stackCalibration } from './gameday/results-file';
import { architectureGraph, renderSvg } from './diagram';
import { outputsTable } from './outputs-table';
import { OfflineRun, PROJECT_DIR, readProject, runOffline, stackConfig } from './offline';
import { INLINE_LIMIT } from './report';
import { drillScenarios, drillSettings } from './drill/index';
import { exitOnHelp } from './cli';
import { markdownFiles } from './markdown-check';
import { signingFacts, signingVectorsMarkdown } from './signing-vectors';
import { render } from './render-generated';

const SVG = path.join(PROJECT_DIR, 'docs', 'architecture.svg');

/** Pulumi.yaml's config keys grouped by its `# --- area` comments, in file order. */
export function configAreas(yamlText: string): { area: string; keys: string[] }[] {
  const areas: { area: string; keys: string[] }[] = [];
  let inConfig = false;
  for (const line of yamlText.split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) inConfig = line.startsWith('config:');
    if (!inConfig) continue;
    const area = /^ {2}# --- (.+)$/.exec(line);
    if (area) areas.push({ area: area[1].trim(), keys: [] });
    const key = /^ {2}([A-Za-z][A-Za-z0-9]*):/.exec(line);
    if (key) {
      if (areas.length === 0) areas.push({ area: 'general', keys: [] });
      areas[areas.length - 1].keys.push(key[1]);
    }
  }
  return areas.filter((a) => a.keys.length > 0);
}

/** How to set a key with the Pulumi CLI: arrays by path, the rest as plain values. */
const setWith = (key: string, type: string) =>
  type === 'array' ? `\`pulumi config set --path '${key}[0]' VALUE\`` : `\`pulumi config set ${key} VALUE\``;

/** The config reference: one table per area of Pulumi.yaml. */
export function configTable(): string {
  const config = readProject().config ?? {};
  const text = fs.readFileSync(path.join(PROJECT_DIR, 'Pulumi.yaml'), 'utf8');
  return configAreas(text)
    .map(({ area, keys }) => {
      const rows = keys.map((key) => {
        const spec = config[key];
        const def =
          spec.default === undefined
            ? '**required**'
            : spec.default === ''
              ? '(empty)'
              : `\`${typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default)}\``;
        return `| \`${key}\` | ${spec.type} | ${def} | ${cell(String(spec.description ?? ''))} ${spec.type === 'array' ? `Set with ${setWith(key, spec.type)}.` : ''} |`;
      });
      const title = area.charAt(0).toUpperCase() + area.slice(1);
      return [`### ${title}`, '', '| key | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join(
        '\n',
      );
    })
    .join('\n\n');
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
  const suffix = new RegExp(`-${plan.stack}$`);
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
  const functions = of(dev, 'aws:lambda/function:Function');
  const orchestrator = functions.find((f) =>
    of(dev, 'aws:cloudwatch/eventTarget:EventTarget').some((t) => String(t.inputs.arn).endsWith(`:function:${f.name}`)),
  );
  const invokeConfig = of(dev, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').find(
    (c) => c.inputs.functionName === orchestrator?.name,
  );
  if (!orchestrator || !invokeConfig)
    throw new Error('the dev plan has no scheduled orchestrator with an invoke config');
  const albCheck = of(dev, 'aws:lb/targetGroup:TargetGroup').find((t) => t.inputs.healthCheck)!.inputs.healthCheck;
  const failoverRecord = of(dev, 'aws:route53/record:Record').find((r) => r.inputs.failoverRoutingPolicies?.length);
  // Email subscriptions: each one asks its recipient to confirm, once per topic.
  const emails = of(dev, 'aws:sns/topicSubscription:TopicSubscription').filter((t) => t.inputs.protocol === 'email');
  const emailRegions = [...new Set(emails.map((e) => e.region))].sort();
  return {
    'sns-email-confirmations': String(emails.length),
    'sns-email-regions': emailRegions.join(', '),
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
    'drill-scenario-count': String(drillScenarios(drillSettings('dev')).length),
  };
}

/** Every block in exactly one file: a missing block is stale, a repeated one is a copy to keep in step. */
export function blockPlacement(used: Record<string, string[]>, blocks: readonly string[]): string[] {
  const where = (b: string) => Object.keys(used).filter((f) => used[f].includes(b));
  return blocks.flatMap((b) => {
    const files = where(b);
    if (files.length === 0) return [`no Markdown file holds the generated block "${b}"`];
    if (files.length > 1 || used[files[0]].filter((x) => x === b).length > 1)
      return [`the generated block "${b}" appears more than once (${files.join(', ')}): link to it instead`];
    return [];
  });
}

async function main(): Promise<number> {
  exitOnHelp(`Usage: npm run docs [-- --check]

Regenerates the generated blocks and facts of every Markdown file and docs/architecture.svg
from Pulumi.yaml, the dev and prod plans and the models.
  --check     change nothing; exit 1 when anything is stale (CI)
  -h, --help  show this help`);
  const check = process.argv.includes('--check');
  const [dev, prod] = [await planStack('dev'), await planStack('prod')];
  const devSettings = parseSettings(readRawConfig(dev.run.project, stackConfig('dev')));
  const blocks = {
    'config-table': configTable(),
    'rto-table': rtoTable(dev.budget),
    'failover-timeline': timelineTable(dev),
    'cost-comparison': costComparison([dev, prod]),
    'ignore-changes': ignoreChangesTable(dev),
    'drill-scenarios': drillScenarioTable('dev'),
    'stack-outputs': outputsTable(dev.run.outputs),
    'rto-distribution': rtoModelMarkdown(rtoInputsFromSettings(devSettings)),
    'signing-vectors': signingVectorsMarkdown(),
    'game-day-experiments': gameDayTable(),
  };
  // The README's numbers follow the dev stack's game-day results when it has any (and say so).
  const measured = stackCalibration('dev', devSettings);
  const distribution = rtoDistribution(rtoInputsFromSettings(devSettings), { calibration: measured.calibration });
  const p99 = (prefix: string) => {
    const found = distribution.paths.find((p) => p.name.startsWith(prefix));
    if (!found) throw new Error(`the RTO model has no path "${prefix}"`);
    return String(found.p99);
  };
  const values = {
    ...facts(dev, prod),
    ...signingFacts(),
    'p99-ga': p99('traffic: Global Accelerator'),
    'p99-dns': p99('traffic: Route 53 failover'),
    'p99-gate': p99(GATE_DECISION_PATH),
    'p99-first-live': p99(FIRST_LIVE_ORDER_PATH),
    'p99-aurora': p99(AURORA_PATH),
    'rto-headline': rtoHeadline(distribution),
    'rto-basis': rtoBasis('dev', measured),
  };
  const stale: string[] = [];
  const used: Record<string, string[]> = {};
  const writes: [string, string][] = [];
  for (const rel of markdownFiles(PROJECT_DIR)) {
    const file = path.join(PROJECT_DIR, rel);
    const current = fs.readFileSync(file, 'utf8');
    const rendered = render(rel, current, blocks, values);
    used[rel] = rendered.used;
    if (rendered.text === current) continue;
    // Formatted as the lint step expects, so the generated text and prettier agree.
    const next = await prettier.format(rendered.text, { ...(await prettier.resolveConfig(file)), filepath: file });
    if (next !== current) {
      stale.push(`${rel} generated blocks and facts`);
      writes.push([file, next]);
    }
  }
  const placement = blockPlacement(used, Object.keys(blocks));
  if (placement.length > 0) {
    process.stderr.write(`${placement.join('\n')}\n`);
    return 1;
  }
  const svg = await renderSvg(architectureGraph(dev.run.resources), 'Trading platform (dev stack)');
  if (!fs.existsSync(SVG) || fs.readFileSync(SVG, 'utf8') !== svg) stale.push('docs/architecture.svg');
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`Stale generated docs: ${stale.join(', ')}. Run npm run docs and commit.\n`);
      return 1;
    }
    process.stdout.write('Generated docs are current.\n');
    return 0;
  }
  for (const [file, text] of writes) fs.writeFileSync(file, text);
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
