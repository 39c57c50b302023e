/**
 * The runbooks' commands as data: every `aws ...` command in the shell blocks of
 * docs/runbooks/*.md, tokenized as a shell would (quotes, `$(...)`, line continuations,
 * `;`/`&&`/`|`, if/then/else), with the shell variables the runbooks export expanded.
 * test/runbooks.test.ts checks them against the AWS CLI's synopsis (docs/aws-cli-synopsis.json,
 * made by scripts/aws-cli-synopsis.ts).
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where the runbooks live, relative to the project. Its README.md (the index) sets the shell's names. */
export const RUNBOOK_DIR = path.join('docs', 'runbooks');

/** Each runbook file (relative path and text): the index first, then the runbooks by name. */
export function runbookFiles(root: string): { file: string; text: string }[] {
  const dir = path.join(root, RUNBOOK_DIR);
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  return ['README.md', ...names.sort()].map((f) => ({
    file: path.join(RUNBOOK_DIR, f),
    text: fs.readFileSync(path.join(dir, f), 'utf8'),
  }));
}

/** Every runbook as one Markdown text, in the order of `runbookFiles` (variables flow down). */
export const readRunbooks = (root: string): string =>
  runbookFiles(root)
    .map((f) => f.text)
    .join('\n');

export interface AwsCommand {
  readonly service: string;
  readonly operation: string;
  /** Words after the operation, as the shell passes them. */
  readonly args: readonly string[];
  /** `--name` -> its values (empty for a flag); repeated options collect their values. */
  readonly options: ReadonlyMap<string, string[]>;
  readonly positionals: readonly string[];
  /** The command as written (continuations joined). */
  readonly text: string;
  /** The `### ` heading the command sits under. */
  readonly section: string;
}

const OPERATORS = [';', '&&', '||', '|'];
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'for', '!']);

/** Shell words of one logical line: quotes kept as their content, `$(...)` kept whole. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let word = '';
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push(word);
    word = '';
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '#' && !inWord) break;
    if (/\s/.test(c)) {
      flush();
      continue;
    }
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (op) {
      flush();
      tokens.push(op);
      i += op.length - 1;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in: ${line}`);
      word += line.slice(i + 1, end);
      i = end;
    } else if (c === '$' && line[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')' && --depth === 0) break;
        else if (line[j] === "'" || line[j] === '"') j = line.indexOf(line[j], j + 1);
      }
      if (depth !== 0) throw new Error(`unbalanced $( in: ${line}`);
      word += line.slice(i, j + 1);
      i = j;
    } else word += c;
  }
  flush();
  return tokens;
}

/** Replace `$NAME` and `${NAME}` by known values; unknown variables stay as written. */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (m, name: string) => vars[name] ?? m);
}

function commandsOf(tokens: string[], section: string, text: string): AwsCommand[] {
  const found: AwsCommand[] = [];
  // Commands inside $(...) are commands too.
  for (const t of tokens)
    for (const m of t.matchAll(/\$\((.*)\)/g)) found.push(...commandsOf(tokenize(m[1]), section, m[1]));
  let start = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (OPERATORS.includes(t) || KEYWORDS.has(t)) {
      start = true;
      continue;
    }
    if (start && /^[A-Z_][A-Z0-9_]*=/.test(t)) continue; // VAR=value prefix
    if (start && t === 'aws') {
      let j = i + 1;
      const words: string[] = [];
      while (j < tokens.length && !OPERATORS.includes(tokens[j]) && !(KEYWORDS.has(tokens[j]) && tokens[j] !== '!'))
        words.push(tokens[j++]);
      const [service, operation, ...args] = words;
      found.push({ service, operation, args, ...bindArguments(args), text, section });
      i = j - 1;
    }
    start = false;
  }
  return found;
}

/** How many values an option takes: 0 (a flag), 1, or any number (a list). */
export type Arity = (option: string) => 0 | 1 | 'list';

/**
 * Options and positionals of a command's words. Without the command's synopsis an option takes
 * one value when one follows; with it, flags take none and lists take every following word.
 */
export function bindArguments(
  args: readonly string[],
  arity: Arity = () => 1,
): { options: Map<string, string[]>; positionals: string[] } {
  const options = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const w = args[k];
    if (!w.startsWith('--')) {
      positionals.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const name = eq > 0 ? w.slice(0, eq) : w;
    const values = options.get(name) ?? [];
    const takes = arity(name);
    if (eq > 0) values.push(w.slice(eq + 1));
    else if (takes === 'list') while (k + 1 < args.length && !args[k + 1].startsWith('--')) values.push(args[++k]);
    else if (takes === 1 && k + 1 < args.length && !args[k + 1].startsWith('--')) values.push(args[++k]);
    options.set(name, values);
  }
  return { options, positionals };
}

export interface Runbooks {
  readonly commands: AwsCommand[];
  /** Variables the runbooks `export`, expanded in order (values as written, $(...) kept). */
  readonly variables: Readonly<Record<string, string>>;
  /** `pulumi stack output NAME` references. */
  readonly stackOutputs: string[];
}

/** Every aws command in the shell blocks of `markdown`, with `vars` (and exported ones) expanded. */
export function parseRunbooks(markdown: string, vars: Readonly<Record<string, string>> = {}): Runbooks {
  const body = markdown;
  const variables: Record<string, string> = { ...vars };
  const commands: AwsCommand[] = [];
  const stackOutputs: string[] = [];
  let section = '';
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('#')) section = lines[i].replace(/^#+\s*/, '');
    if (!/^```(bash|sh|shell)\s*$/.test(lines[i])) continue;
    let logical = '';
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) {
      const line = lines[i].trimEnd();
      if (line.endsWith('\\')) {
        logical += `${line.slice(0, -1)} `;
        continue;
      }
      logical += line;
      const expanded = expand(logical, variables);
      // `[export] NAME=value` sets a variable for the lines below (values given by the caller win).
      const words = tokenize(logical);
      for (const w of words[0] === 'export' ? words.slice(1) : words.slice(0, 1)) {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(w);
        if (m && !(m[1] in vars)) variables[m[1]] = expand(m[2], variables);
      }
      for (const m of logical.matchAll(/pulumi stack output\s+([A-Za-z0-9]+)/g)) stackOutputs.push(m[1]);
      commands.push(...commandsOf(tokenize(expanded), section, logical.trim()));
      logical = '';
    }
  }
  return { commands, variables, stackOutputs };
}
