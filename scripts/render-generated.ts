/** Filling a Markdown file's generated blocks and inline facts (used by scripts/docs.ts). */

/**
 * Replace every generated block and inline fact of one Markdown file; unknown names are an
 * error, not silence. Returns the text and the blocks it holds.
 */
export function render(
  file: string,
  text: string,
  blocks: Record<string, string>,
  values: Record<string, string>,
): { text: string; used: string[] } {
  const used: string[] = [];
  let out = text.replace(
    /(<!-- gen:([a-z0-9-]+):begin[^>]*-->)[\s\S]*?(<!-- gen:\2:end -->)/g,
    (_m, begin: string, name: string, end: string) => {
      if (!(name in blocks))
        throw new Error(`${file} has a generated block "${name}" that scripts/docs.ts does not know`);
      used.push(name);
      return `${begin}\n\n${blocks[name]}\n\n${end}`;
    },
  );
  // Any marker the patterns below would skip (a name they cannot read) is an error too.
  for (const [, kind, name] of out.matchAll(/<!-- (gen|fact):(\S*?)(?::begin|:end| -->)/g))
    if (!/^[a-z0-9-]+$/.test(name))
      throw new Error(`${file} has a ${kind} marker "${name}" that is not a name of a-z, 0-9 and -`);
  out = out.replace(/<!-- fact:([a-z0-9-]+) -->[\s\S]*?<!-- \/fact -->/g, (_m, name: string) => {
    if (!(name in values)) throw new Error(`${file} quotes a fact "${name}" that scripts/docs.ts does not compute`);
    return `<!-- fact:${name} -->${values[name]}<!-- /fact -->`;
  });
  return { text: out, used };
}
