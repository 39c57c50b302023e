/** Pure formatting of the offline plan: tables per region, aligned, coloured only on a TTY. */
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
