/**
 * The stack outputs as a Markdown table (docs/deploy.md, block `stack-outputs`): every key the
 * program exports, read off the offline dev plan, with the shape of its value, so the list in
 * the docs is the code's and cannot miss one.
 */

/** A value's shape for the table: a string as planned offline, an object by its keys. */
function shape(value: unknown): string {
  if (Array.isArray(value)) return `list of ${value.length}`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length > 4 ? `${keys.length} entries (${keys.slice(0, 2).join(', ')}, ...)` : `by ${keys.join(', ')}`;
  }
  return `\`${String(value)}\``;
}

export function outputsTable(outputs: Readonly<Record<string, unknown>>): string {
  const rows = Object.keys(outputs)
    .sort()
    .map((key) => `| \`${key}\` | ${shape(outputs[key]).replace(/\|/g, '\\|')} |`);
  return ['| Output | Value in the offline dev plan |', '| --- | --- |', ...rows].join('\n');
}
