/**
 * `npm run markdown`: every Markdown file of the repository renders as written. Each file is
 * parsed as CommonMark (markdown-it, the parser family GitHub's renderer follows) and refused when
 *
 * - a code fence never closes (CommonMark then runs it to the end of the document), or a code
 *   block holds a line that looks like a fence (a fence that was meant to close or open one, as
 *   a 4-backtick opener closed by 3 backticks hides everything up to the next 4-backtick line);
 * - a line written as a heading (`## ...` to `###### ...`, outside code) does not parse as one,
 *   or the file does not start with exactly one `# ` title;
 * - a relative link or image names a file that does not exist, or an anchor (`#part`) that is
 *   not a heading's GitHub slug in the file it points to.
 *
 * Exit 0 when every file passes, 1 with every problem otherwise. CI runs it (`.ci/run`), and
 * test/markdown.test.ts runs the same checks.
 */
import * as fs from 'fs';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import * as path from 'path';

const md = new MarkdownIt('commonmark');

/** Folders never checked: installed packages, reports and other generated output. */
const SKIP = new Set(['node_modules', '.git', '.plan', 'reports', '.stryker-tmp', 'coverage']);

/** Every `.md` file under `root`, as paths relative to it, sorted. */
export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) found.push(rel);
    }
  };
  walk('');
  return found.sort();
}

/** Text of an inline token tree as GitHub reads it for a slug. */
const inlineText = (t: Token): string =>
  (t.children ?? []).map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : '')).join('');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function slugs(markdown: string): Set<string> {
  const tokens = md.parse(markdown, {});
  const seen = new Map<string, number>();
  const out = new Set<string>();
  tokens.forEach((t, i) => {
    if (t.type !== 'heading_open') return;
    const base = inlineText(tokens[i + 1])
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  });
  // Explicit HTML anchors count as well.
  for (const m of markdown.matchAll(/<a (?:id|name)="([^"]+)"/g)) out.add(m[1]);
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Problems in one file, each as `file:line: what`. `read` resolves other files for links. */
export function checkMarkdown(file: string, text: string, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  const at = (line: number, what: string) => problems.push(`${file}:${line + 1}: ${what}`);
  const lines = text.split('\n');
  const tokens = md.parse(text, {});

  // Fences: closed, and holding no fence-looking line.
  const inCode = new Set<number>();
  for (const t of tokens) {
    if ((t.type !== 'fence' && t.type !== 'code_block') || !t.map) continue;
    const [start, end] = t.map;
    for (let l = start; l < end; l++) inCode.add(l);
    if (t.type !== 'fence') continue;
    const closing = lines[end - 1] ?? '';
    const closer = new RegExp(`^ {0,3}${t.markup[0] === '`' ? '`' : '~'}{${t.markup.length},}\\s*$`);
    if (end - 1 === start || !closer.test(closing))
      at(start, `code fence ${t.markup}${t.info} is never closed (it runs to the end of its container)`);
    for (let l = start + 1; l < end - 1; l++)
      if (FENCE.test(lines[l]))
        at(l, `a fence marker inside the code block opened at line ${start + 1} (${t.markup} vs ${lines[l].trim()})`);
  }

  // Headings: the title first, and every heading-looking line outside code parsed as a heading.
  const headingLines = new Set(tokens.filter((t) => t.type === 'heading_open' && t.map).map((t) => t.map![0]));
  const titles = tokens.filter((t) => t.type === 'heading_open' && t.tag === 'h1');
  const first = tokens.find((t) => t.type === 'heading_open' || t.type === 'paragraph_open' || t.type === 'fence');
  if (!first || first.type !== 'heading_open' || first.tag !== 'h1') at(0, 'the file does not start with a `# ` title');
  if (titles.length > 1) at(titles[1].map![0], 'a second `# ` title (use `## ` for sections)');
  lines.forEach((line, l) => {
    if (/^#{2,6}\s+\S/.test(line) && !inCode.has(l) && !headingLines.has(l))
      at(l, `"${line.slice(0, 60)}" is written as a heading but does not render as one`);
  });

  // Relative links and images: the file exists, and so does the anchor.
  const own = slugs(text);
  const links: { href: string; line: number }[] = [];
  const visit = (ts: Token[], line: number) => {
    for (const t of ts) {
      const l = t.map ? t.map[0] : line;
      const href = t.type === 'link_open' ? t.attrGet('href') : t.type === 'image' ? t.attrGet('src') : null;
      if (href) links.push({ href, line: l });
      if (t.children) visit(t.children, l);
    }
  };
  visit(tokens, 0);
  for (const { href, line } of links) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue;
    const [target, anchor] = href.split('#', 2);
    const resolved = target ? path.normalize(path.join(path.dirname(file), decodeURIComponent(target))) : file;
    const content = target ? read(resolved) : text;
    if (content === undefined) {
      at(line, `link to ${href}: ${resolved} does not exist`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && !(target ? slugs(content) : own).has(decodeURIComponent(anchor)))
      at(line, `link to ${href}: ${resolved} has no heading with the anchor #${anchor}`);
  }
  return problems;
}

/** Every problem of every Markdown file under `root`. */
export function checkRepository(root: string): { files: string[]; problems: string[] } {
  const files = markdownFiles(root);
  const read = (rel: string) => {
    const full = path.join(root, rel);
    if (!fs.existsSync(full)) return undefined;
    return fs.statSync(full).isDirectory() ? '' : fs.readFileSync(full, 'utf8');
  };
  return { files, problems: files.flatMap((f) => checkMarkdown(f, read(f)!, read)) };
}

const USAGE = `Usage: npm run markdown [-- --help]

Checks every Markdown file of the repository: CommonMark parse with no unclosed or broken code
fences, headings that render as headings, one title per file, and every relative link and
anchor resolving. Exit 0 when all pass, 1 with every problem listed.`;

export function main(argv: readonly string[], root: string, print: (line: string) => void): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    print(USAGE);
    return 0;
  }
  if (argv.length > 0) {
    print(`Unknown argument ${argv[0]}\n\n${USAGE}`);
    return 64;
  }
  const { files, problems } = checkRepository(root);
  for (const p of problems) print(p);
  print(`${files.length} Markdown files, ${problems.length} problem(s).`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module)
  process.exit(main(process.argv.slice(2), path.join(__dirname, '..'), (l) => console.log(l)));
