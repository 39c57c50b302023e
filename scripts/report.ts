/** Pure formatting of the offline plan: tables per region, aligned, coloured only on a TTY. */
import { RtoBudget } from '../lib/rto';
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

/** Lay rows out in columns, left-aligned, two spaces apart. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '),
  );
}

export function groupByRegion(resources: readonly RecordedResource[]): Map<string, RecordedResource[]> {
  const groups = new Map<string, RecordedResource[]>();
  for (const r of resources.filter((r) => r.custom)) {
    // Only the random passwords have no region: they never leave the Pulumi state.
    const key = r.region ?? (r.type.startsWith('aws:') ? 'no provider (!)' : 'not in AWS');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** The resource section of the plan: one table per region, then totals. */
export function resourceReport(resources: readonly RecordedResource[], style: Style): string[] {
  const lines: string[] = [];
  const groups = groupByRegion(resources);
  for (const [region, members] of groups) {
    lines.push(style.bold(`${region}  (${members.length} resources)`));
    const rows = [...members]
      .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name))
      .map((r) => [shortType(r.type), r.name]);
    lines.push(...table(rows), '');
  }
  const components = resources.filter((r) => !r.custom).length;
  const custom = resources.length - components;
  const perRegion = [...groups.entries()].map(([region, members]) => `${region} ${members.length}`).join(', ');
  lines.push(style.bold(`Total: ${custom} resources (${perRegion}) in ${components} components`));
  return lines;
}

/** Policy verdicts: one line per policy, then each violation. */
export function policyReport(verdicts: readonly Verdict[], style: Style): string[] {
  const rows = verdicts.map((v) => [
    v.violations.length === 0 ? style.green('PASS') : style.red('FAIL'),
    v.policy,
    v.violations.length === 0 ? '' : `${v.violations.length} violation(s)`,
  ]);
  const lines = [
    style.bold('Policy verdicts (policy/rules.ts, same as pulumi preview --policy-pack policy)'),
    ...table(rows),
  ];
  for (const v of verdicts)
    for (const x of v.violations) lines.push(`    ${style.red('x')} ${v.policy}: ${x.name}: ${x.message}`);
  return lines;
}

export function rtoReport(budget: RtoBudget, style: Style): string[] {
  const lines = [style.bold(`Failover (RTO) budget, target ${budget.targetSeconds} s on every traffic path`)];
  for (const p of budget.paths) {
    const verdict = !p.bound
      ? style.dim('(not bound)')
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
  const summary = `Traffic RTO: ${budget.trafficSeconds} s of ${budget.targetSeconds} s`;
  lines.push(`  ${budget.withinTarget ? style.green(summary) : style.red(`${summary}: exceeds the target`)}`);
  const g = budget.gate;
  lines.push(
    `  Promotion gate: probes every ${g.probeIntervalSeconds} s from each canary, recovery window ${g.recoveryWindowSeconds} s, ${g.promotionMode}; worst case to FailoverGlobalCluster ${g.worstCaseToPromotionSeconds} s (RTO target ${budget.targetSeconds} s binds traffic only)`,
  );
  return lines;
}

const minutes = (s: number) => `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;

export function criticalPathReport(cp: CriticalPath, style: Style): string[] {
  const lines = [style.bold('Deploy critical path (typical AWS creation times, scripts/analysis.ts)')];
  const rows = cp.path
    .filter((step) => step.seconds > 0)
    .map((step) => [minutes(step.finishSeconds), shortType(step.type), step.name]);
  lines.push(...table(rows));
  lines.push(
    `  Expected pulumi up: ${minutes(cp.totalSeconds)}; Aurora primary + secondary alone: ${minutes(cp.auroraSeconds)}; ratio ${cp.ratio.toFixed(2)}x (target 1.0x)`,
  );
  return lines;
}
