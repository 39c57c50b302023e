/**
 * Pure formatting of the offline plan, read top-down: summary sections first (config in effect,
 * counts, verdicts, RTO, cost, deploy time), the resource tree last. Coloured only on a TTY.
 */
import * as crypto from 'crypto';
import type { QuotaVerdict } from '../lib/preflight/quota-preflight';
import { CostEstimate } from '../lib/model/cost';
import { RtoBudget } from '../lib/model/rto';
import { Verdict } from '../policy/rules';
import { CriticalPath } from './analysis';
import { RecordedResource } from './offline';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const COLOR: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
};
const identity = (s: string) => s;
export const PLAIN: Style = { bold: identity, dim: identity, red: identity, green: identity, yellow: identity };

/** `aws:ec2/vpc:Vpc` -> `aws:ec2:Vpc`, the short form `pulumi preview` shows. */
export function shortType(type: string): string {
  const match = /^([^:]+):([^/:]+)\/[^:]+:(.+)$/.exec(type);
  return match ? `${match[1]}:${match[2]}:${match[3]}` : type;
}

/** The service a type belongs to: `aws:ec2/vpc:Vpc` -> `ec2`, `random:index/...` -> `random`. */
export function serviceOf(type: string): string {
  if (type.startsWith('pulumi:providers:')) return 'providers';
  const [pkg, mod] = type.split(':');
  return pkg === 'aws' ? (mod?.split('/')[0] ?? pkg) : pkg;
}

/** Display width: colour codes take no room on screen. */
// eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
const visible = (s: string) => s.replace(/\u001b\[\d+m/g, '').length;

/** Lay rows out in columns, two spaces apart; `right` columns are right-aligned (numbers). */
export function table(rows: string[][], indent = '  ', right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => {
          const pad = ' '.repeat(widths[i] - visible(cell));
          if (right.includes(i)) return pad + cell;
          return i === row.length - 1 ? cell : cell + pad;
        })
        .join('  ')
    ).trimEnd(),
  );
}

export const NOT_IN_AWS = 'not in AWS';
export const NO_PROVIDER = 'no provider (!)';

/** Region of a custom resource as the plan reports it. */
export function regionKey(r: RecordedResource): string {
  // Only the random passwords have no region: they never leave the Pulumi state.
  return r.region ?? (r.type.startsWith('aws:') ? NO_PROVIDER : NOT_IN_AWS);
}

/** Regions in reading order: the given ones first (primary, secondary), the rest by name, non-AWS last. */
export function orderRegions(regions: Iterable<string>, first: readonly string[]): string[] {
  const rank = (r: string) => {
    const i = first.indexOf(r);
    return i >= 0 ? i : r === NOT_IN_AWS || r === NO_PROVIDER ? first.length + 1 : first.length;
  };
  return [...new Set(regions)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function groupByRegion(
  resources: readonly RecordedResource[],
  first: readonly string[] = [],
): Map<string, RecordedResource[]> {
  const groups = new Map<string, RecordedResource[]>();
  for (const r of resources.filter((x) => x.custom)) groups.set(regionKey(r), [...(groups.get(regionKey(r)) ?? []), r]);
  return new Map(orderRegions(groups.keys(), first).map((k) => [k, groups.get(k)!]));
}

/** A unit price: as many decimals as it has, up to four significant digits. */
const unitUsd = (n: number) => `$${Number(n.toPrecision(4))}`;
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const minutes = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
  /** The Pulumi.yaml default; undefined for a required key. */
  readonly default?: string;
  readonly source: string;
}

/** The config in effect, as far as it differs from Pulumi.yaml's defaults (required keys included). */
export function configReport(
  entries: readonly ConfigEntry[],
  otherNamespaces: Readonly<Record<string, string>>,
  style: Style,
): string[] {
  const differing = entries.filter((e) => e.value !== e.default);
  const rows = differing.map((e) => [
    e.key,
    e.value,
    e.default === undefined
      ? style.dim('(required, no default)')
      : style.dim(`default ${e.default === '' ? '(empty)' : e.default}`),
    style.dim(e.source),
  ]);
  const lines = [
    style.bold(
      `Config in effect: ${differing.length} of ${entries.length} keys differ from Pulumi.yaml defaults (all keys: --json)`,
    ),
    ...table(rows),
  ];
  for (const [key, value] of Object.entries(otherNamespaces))
    lines.push(`  ${key}  ${value}  ${style.dim('(not this project)')}`);
  return lines;
}

/** Resources per service and region, regions as columns in reading order. */
export function countsReport(
  resources: readonly RecordedResource[],
  regionLabels: ReadonlyMap<string, string>,
  style: Style,
): string[] {
  const custom = resources.filter((r) => r.custom);
  const regions = [...regionLabels.keys()];
  const services = [...new Set(custom.map((r) => serviceOf(r.type)))].sort();
  const count = (service: string, region?: string) =>
    custom.filter((r) => serviceOf(r.type) === service && (region === undefined || regionKey(r) === region)).length;
  const rows = [
    ['service', ...regions.map((r) => regionLabels.get(r)!), 'total'],
    ...services.map((s) => [s, ...regions.map((r) => String(count(s, r) || '')), String(count(s))]),
    ['total', ...regions.map((r) => String(custom.filter((x) => regionKey(x) === r).length)), String(custom.length)],
  ];
  const components = resources.filter((r) => !r.custom).length;
  const right = rows[0].map((_, i) => i).filter((i) => i > 0);
  const out = table(rows, '  ', right);
  return [
    style.bold(`Resources: ${custom.length} in ${components} components`),
    style.dim(out[0]),
    ...out.slice(1, -1),
    style.bold(out[out.length - 1]),
  ];
}

/** Policy verdicts: one line per policy, then each violation. */
export function policyReport(verdicts: readonly Verdict[], configFile: string, style: Style): string[] {
  const failed = verdicts.filter((v) => v.enforcementLevel === 'mandatory' && v.violations.length > 0);
  const rows = verdicts.map((v) => [
    v.enforcementLevel === 'disabled'
      ? style.dim('OFF ')
      : v.violations.length === 0
        ? style.green('PASS')
        : v.enforcementLevel === 'advisory'
          ? style.yellow('WARN')
          : style.red('FAIL'),
    v.policy,
    v.violations.length === 0 ? '' : `${v.violations.length} violation(s)`,
  ]);
  const lines = [
    style.bold(
      `Policies: ${failed.length === 0 ? 'all pass' : `${failed.length} of ${verdicts.length} fail`} (policy/rules.ts with ${configFile}, as pulumi preview --policy-pack policy --policy-pack-config ${configFile})`,
    ),
    ...table(rows),
  ];
  for (const v of verdicts)
    for (const x of v.violations) lines.push(`    ${style.red('x')} ${v.policy}: ${x.name}: ${x.message}`);
  return lines;
}

/** The account preflight's verdicts: each quota the stack needs in each region, against the account's. */
export function preflightReport(verdicts: readonly QuotaVerdict[], style: Style): string[] {
  const lines = [
    style.bold(
      `Account preflight: ${verdicts.length} quota(s) read at plan time (Service Quotas; the offline plan answers with AWS's defaults, --set offline:<quota code>=N to change one)`,
    ),
  ];
  for (const v of verdicts) lines.push(`  ${v.fits ? style.green('FITS') : style.red('SHORT')}  ${v.message}`);
  return lines;
}

export function rtoReport(budget: RtoBudget, style: Style): string[] {
  const head = `Failover RTO: traffic ${budget.trafficSeconds} s of the ${budget.targetSeconds} s target, first live order ${budget.firstLiveOrderSeconds} s (worst-case sums)`;
  const lines = [style.bold(budget.withinTarget ? head : `${head}: OVER TARGET`)];
  for (const p of budget.paths) {
    const verdict = !p.bound
      ? style.dim('(not bound: off the trading path)')
      : p.totalSeconds <= budget.targetSeconds
        ? style.green('within target')
        : style.red('OVER TARGET');
    lines.push(
      `  ${p.name.padEnd(30)} ${String(p.totalSeconds).padStart(4)} s  ${verdict}  ${style.dim(p.description)}`,
    );
    for (const t of p.terms)
      lines.push(
        `      ${String(t.seconds).padStart(4)} s  ${t.label}${t.estimate ? style.yellow('  (estimate, from config)') : ''}`,
      );
  }
  const g = budget.gate;
  lines.push(
    `  Promotion gate: probes every ${g.probeIntervalSeconds} s from each canary, fast window ${g.fastWindowSeconds} s (the book's writer moves), recovery window ${g.recoveryWindowSeconds} s; worst case to FailoverGlobalCluster ${g.worstCaseToPromotionSeconds} s in automatic mode (RTO target ${budget.targetSeconds} s binds traffic and the first live order, not Aurora)`,
  );
  return lines;
}

/** Monthly cost: per service and region, then the assumptions and what is left out. */
export function costReport(cost: CostEstimate, regionLabels: ReadonlyMap<string, string>, style: Style): string[] {
  const regions = orderRegions(Object.keys(cost.byRegion), [...regionLabels.keys()]);
  const services = Object.entries(cost.byService)
    .sort(([, a], [, b]) => b - a)
    .map(([s]) => s);
  const cell = (service: string, region: string) => {
    const n = cost.lines
      .filter((l) => l.service === service && l.region === region)
      .reduce((a, l) => a + l.monthlyUsd, 0);
    return n ? usd(n) : '';
  };
  const rows = [
    ['service', ...regions.map((r) => regionLabels.get(r) ?? r), 'total'],
    ...services.map((s) => [s, ...regions.map((r) => cell(s, r)), usd(cost.byService[s])]),
    ['total', ...regions.map((r) => usd(cost.byRegion[r])), usd(cost.totalUsd)],
  ];
  const out = table(
    rows,
    '  ',
    rows[0].map((_, i) => i).filter((i) => i > 0),
  );
  const lines = [
    style.bold(
      `Monthly cost estimate: ${usd(cost.totalUsd)} (on-demand, ${cost.hoursPerMonth} h/month; ${Math.round(cost.confirmedShare * 100)}% of it at prices a stored source confirmed, lib/model/prices.json of ${cost.priceTable.compiled})`,
    ),
    style.dim(out[0]),
    ...out.slice(1, -1),
    style.bold(out[out.length - 1]),
    `  ${style.dim('assumes:')} ${cost.assumptions.join('; ')}`,
    `  ${style.dim('left out (usage-based):')} ${[
      ...new Map(cost.usage.map((u) => [u.item, `${u.item} ${unitUsd(u.unitUsd)}/${u.per}`])).values(),
    ].join('; ')}`,
  ];
  for (const u of cost.unpriced) lines.push(`  ${style.yellow('not priced:')} ${u}`);
  return lines;
}

export function criticalPathReport(cp: CriticalPath, style: Style): string[] {
  const lines = [
    style.bold(
      `Deploy time: about ${minutes(cp.totalSeconds)} for pulumi up; Aurora primary + secondary alone take ${minutes(cp.auroraSeconds)} (ratio ${cp.ratio.toFixed(2)}x, target 1.0x)`,
    ),
  ];
  const rows = cp.path
    .filter((step) => step.seconds > 0)
    .map((step) => [minutes(step.finishSeconds), shortType(step.type), step.name]);
  lines.push(...table(rows));
  return lines;
}

/**
 * The resource tree per region, primary first: each region shows the components (by parent)
 * that hold its resources, so `pulumi preview`'s nesting is visible region by region.
 */
export function resourceTree(
  resources: readonly RecordedResource[],
  regionLabels: ReadonlyMap<string, string>,
  style: Style,
): string[] {
  const children = new Map<string | undefined, RecordedResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const root = resources.find((r) => r.type === 'pulumi:pulumi:Stack');
  const lines: string[] = [style.bold('Resource tree (by region, primary first; components hold their children)')];
  for (const [region, members] of groupByRegion(resources, [...regionLabels.keys()])) {
    const inRegion = new Set(members.map((m) => m.urn));
    const holds = (r: RecordedResource): boolean => inRegion.has(r.urn) || (children.get(r.urn) ?? []).some(holds);
    lines.push('', style.bold(`${regionLabels.get(region) ?? region}: ${members.length} resources`));
    const walk = (parent: string | undefined, depth: number) => {
      const kids = (children.get(parent) ?? [])
        .filter(holds)
        .sort(
          (a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
        );
      for (const k of kids) {
        const label = k.custom ? `${shortType(k.type)}  ${k.name}` : style.bold(`${k.type}  ${k.name}`);
        lines.push(`${'  '.repeat(depth)}${label}`);
        walk(k.urn, depth + 1);
      }
    };
    walk(root?.urn, 1);
  }
  return lines;
}

/** Strings this long are bundled code (the EC2 server bundle is ~1 MB): size and digest instead. */
export const INLINE_LIMIT = 16 * 1024;

export function withoutBundles(value: unknown): unknown {
  if (typeof value === 'string' && value.length > INLINE_LIMIT)
    return {
      omitted: 'bundled content',
      bytes: Buffer.byteLength(value),
      sha256: crypto.createHash('sha256').update(value).digest('hex'),
    };
  if (Array.isArray(value)) return value.map(withoutBundles);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBundles(v)]));
  return value;
}
