/**
 * The runbooks (docs/runbooks/), checked as an engineer at 3 a.m. needs them: every `aws` command
 * against the AWS CLI's own synopsis of that command (docs/aws-cli-synopsis.json), and against
 * the platform the program builds (names, metrics, triggers, stack outputs, config keys).
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_KEYS } from '../lib/config';
import { METRIC_NAMESPACES } from '../lambda/facts/metrics';
import { parseSynopsis, SynopsisFile } from '../scripts/aws-cli-synopsis';
import { OfflineRun, PROJECT_DIR } from '../scripts/offline';
import { markdownFiles } from '../scripts/markdown-check';
import {
  AwsCommand,
  bindArguments,
  expand,
  parseRunbooks,
  readRunbooks,
  runbookFiles,
  tokenize,
} from '../scripts/runbook';
import { plan } from './helpers/plan';

/** The runbooks (docs/runbooks/, the index's shell names first) and every other Markdown file's text. */
const RUNBOOKS = readRunbooks(PROJECT_DIR);
const ALL_DOCS = markdownFiles(PROJECT_DIR)
  .map((f) => fs.readFileSync(path.join(PROJECT_DIR, f), 'utf8'))
  .join('\n');
const SYNOPSIS: SynopsisFile = JSON.parse(
  fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'aws-cli-synopsis.json'), 'utf8'),
);
/** The dev stack's names; a fixed account id for ARNs. */
const VARS = { SUFFIX: 'dev', ACCOUNT: '123456789012' };
/** The runbooks, each command's words bound as the CLI binds them (flags, lists, positionals). */
const runbooks = (() => {
  const parsed = parseRunbooks(RUNBOOKS, VARS);
  const commands = parsed.commands.map((c): AwsCommand => {
    const s = SYNOPSIS.commands[`${c.service} ${c.operation}`];
    if (!s) return c;
    return { ...c, ...bindArguments(c.args, (o) => (s.flags.includes(o) ? 0 : s.lists.includes(o) ? 'list' : 1)) };
  });
  return { ...parsed, commands };
})();
const name = (c: AwsCommand) => `${c.service} ${c.operation}`;
const where = (c: AwsCommand) => `${c.section}: ${c.text}`;
/** Services with one global endpoint: no region to choose. */
const GLOBAL_SERVICES = ['route53'];

describe('runbook commands match the AWS CLI v2 synopsis', () => {
  it('the runbooks hold commands, each one the synopsis file knows', () => {
    expect(runbooks.commands.length).toBeGreaterThan(40);
    const unknown = runbooks.commands.map(name).filter((n) => !(n in SYNOPSIS.commands));
    expect({ unknown, fix: 'npm run runbook-synopsis' }).toEqual({ unknown: [], fix: expect.any(String) });
  });

  it('every required option is given, and no option the command does not have', () => {
    for (const c of runbooks.commands) {
      const s = SYNOPSIS.commands[name(c)];
      const known = new Set([...s.required, ...s.optional, ...SYNOPSIS.v2GlobalOptions.options]);
      const used = [...c.options.keys()];
      expect({ command: where(c), missing: s.required.filter((o) => !c.options.has(o)) }).toEqual({
        command: where(c),
        missing: [],
      });
      expect({ command: where(c), unknown: used.filter((o) => !known.has(o)) }).toEqual({
        command: where(c),
        unknown: [],
      });
      expect({ command: where(c), positionals: c.positionals.length }).toEqual({
        command: where(c),
        positionals: s.positional.length,
      });
    }
  });

  it('every regional call names its region (two regions: a default is a trap); Global Accelerator goes to us-west-2', () => {
    for (const c of runbooks.commands.filter((x) => !GLOBAL_SERVICES.includes(x.service))) {
      expect({ command: where(c), region: c.options.get('--region')?.length }).toEqual({
        command: where(c),
        region: 1,
      });
      if (c.service === 'globalaccelerator')
        expect({ command: where(c), region: c.options.get('--region') }).toEqual({
          command: where(c),
          region: ['us-west-2'],
        });
    }
  });

  it('a JSON payload is sent raw (CLI v2 reads --payload as base64 otherwise)', () => {
    const payloads = runbooks.commands.filter((c) => c.options.has('--payload'));
    expect(payloads.length).toBeGreaterThan(0);
    for (const c of payloads)
      expect({ command: where(c), format: c.options.get('--cli-binary-format') }).toEqual({
        command: where(c),
        format: ['raw-in-base64-out'],
      });
  });

  it('a desired capacity is always set with the minimum (below the minimum it is refused)', () => {
    const resizes = runbooks.commands.filter((c) => c.options.has('--desired-capacity'));
    expect(resizes.length).toBeGreaterThan(0);
    for (const c of resizes)
      expect({ command: where(c), min: c.options.has('--min-size') }).toEqual({ command: where(c), min: true });
  });

  it('switchover and failover name the global cluster and the target', () => {
    for (const op of ['switchover-global-cluster', 'failover-global-cluster']) {
      const calls = runbooks.commands.filter((c) => c.operation === op);
      expect(calls.length).toBeGreaterThan(0);
      for (const c of calls) expect(c.options.get('--global-cluster-identifier')).toEqual(['aurora-global-dev']);
    }
  });
});

describe('runbook commands match the platform the program builds', () => {
  let run: OfflineRun;
  let names: Set<string>;
  beforeAll(async () => {
    run = await plan();
    names = new Set<string>();
    const collect = (v: unknown): void => {
      if (typeof v === 'string') names.add(v);
      else if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    for (const r of run.resources) {
      names.add(r.name);
      collect(r.inputs);
    }
  });

  it('every resource name in a command is one the program creates (runbook-* names are the runbooks’ own)', () => {
    for (const c of runbooks.commands) {
      const text = expand(c.text, { ...runbooks.variables, ...VARS });
      for (const [found] of text.matchAll(/(?<![a-z0-9-])[a-z][a-z0-9-]*-dev(?![a-z0-9-])/g))
        if (!found.startsWith('runbook-'))
          expect({ command: where(c), name: found, exists: names.has(found) }).toEqual({
            command: where(c),
            name: found,
            exists: true,
          });
    }
    for (const c of runbooks.commands.filter((x) => x.options.has('--log-group-name')))
      expect(names.has(c.options.get('--log-group-name')![0])).toBe(true);
  });

  it('the kill switch stops every trigger of every function that EventBridge or SNS invokes, and resumes them', () => {
    const permissions = run.resources.filter(
      (r) =>
        r.type === 'aws:lambda/permission:Permission' &&
        ['events.amazonaws.com', 'sns.amazonaws.com'].includes(r.inputs.principal),
    );
    const triggered = [...new Set(permissions.map((p) => p.inputs.function as string))];
    expect(triggered.length).toBeGreaterThan(0);
    const stop = runbooks.commands.filter((c) => /kill switch/.test(c.section));
    for (const fn of triggered) {
      expect(
        stop.some(
          (c) =>
            c.operation === 'put-function-concurrency' &&
            c.options.get('--function-name')?.[0] === fn &&
            c.options.get('--reserved-concurrent-executions')?.[0] === '0',
        ),
      ).toBe(true);
      const rules = run.resources.filter(
        (r) => r.type === 'aws:cloudwatch/eventTarget:EventTarget' && String(r.inputs.arn).endsWith(`:function:${fn}`),
      );
      for (const rule of rules.map((t) => t.inputs.rule as string))
        for (const op of ['disable-rule', 'enable-rule'])
          expect({
            rule,
            op,
            listed: stop.some((c) => c.operation === op && c.options.get('--name')?.[0] === rule),
          }).toEqual({
            rule,
            op,
            listed: true,
          });
    }
  });

  it('the failover metrics the runbooks read are published under that name and dimension set', () => {
    // Powertools publishes each metric under `service` plus the handler's default dimensions.
    const lambdaDir = path.join(PROJECT_DIR, 'lambda');
    const publishers = fs.readdirSync(lambdaDir).map((dir) => {
      const read = (f: string) =>
        fs.existsSync(path.join(lambdaDir, dir, f)) ? fs.readFileSync(path.join(lambdaDir, dir, f), 'utf8') : '';
      const source = fs.readdirSync(path.join(lambdaDir, dir)).map(read).join('\n');
      const handler = read('handler.ts');
      const service = /serviceName: '([^']+)'/.exec(handler)?.[1];
      const defaults = /setDefaultDimensions\(\{([^}]*)\}\)/.exec(handler)?.[1] ?? '';
      const dimensions = ['service', ...[...defaults.matchAll(/(\w+):/g)].map((m) => m[1])].sort();
      return { source, service, dimensions };
    });
    const reads = runbooks.commands.filter(
      (c) => c.options.get('--namespace')?.[0] === METRIC_NAMESPACES.failover && c.options.has('--metric-name'),
    );
    expect(reads.length).toBeGreaterThan(0);
    for (const c of reads) {
      const metric = c.options.get('--metric-name')![0];
      const publisher = publishers.find((p) => p.source.includes(`addMetric('${metric}'`));
      expect({ metric, published: Boolean(publisher) }).toEqual({ metric, published: true });
      const given = Object.fromEntries(
        (c.options.get('--dimensions') ?? []).map((d) => /^Name=([^,]+),Value=(.*)$/.exec(d)!.slice(1)),
      );
      expect({ metric, dimensions: Object.keys(given).sort(), service: given.service }).toEqual({
        metric,
        dimensions: publisher!.dimensions,
        service: publisher!.service,
      });
    }
  });

  it('the log query reads fields the orchestrator logs', () => {
    const source = fs
      .readdirSync(path.join(PROJECT_DIR, 'lambda', 'orchestrator'))
      .map((f) => fs.readFileSync(path.join(PROJECT_DIR, 'lambda', 'orchestrator', f), 'utf8'))
      .join('\n');
    const queries = runbooks.commands.filter((c) => c.operation === 'start-query');
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries)
      for (const [, field] of q.options.get('--query-string')![0].matchAll(/ispresent\((\w+)\)/g))
        expect({ field, logged: new RegExp(`logger\\.\\w+\\([^;]*\\b${field}\\b`).test(source) }).toEqual({
          field,
          logged: true,
        });
  });

  it('the drill’s listener rule takes a priority the program leaves free', () => {
    const used = run.resources
      .filter((r) => r.type === 'aws:lb/listenerRule:ListenerRule')
      .map((r) => String(r.inputs.priority));
    const drills = runbooks.commands.filter((c) => c.operation === 'create-rule');
    expect(drills.length).toBeGreaterThan(0);
    for (const c of drills) expect(used).not.toContain(c.options.get('--priority')![0]);
  });

  it('every `pulumi stack output` and `pulumi config get/set` in the docs names a real output or key', () => {
    const outputs = [...ALL_DOCS.matchAll(/pulumi stack output ([A-Za-z0-9]+)/g)].map((m) => m[1]);
    expect(outputs.length).toBeGreaterThan(0);
    for (const o of outputs) expect(Object.keys(run.outputs)).toContain(o);
    const keys = [...ALL_DOCS.matchAll(/pulumi config (?:get|set) ([A-Za-z0-9]+)/g)].map((m) => m[1]);
    for (const k of keys) expect(CONFIG_KEYS as string[]).toContain(k);
  });
});

describe('runbooks under pressure', () => {
  const docs = markdownFiles(PROJECT_DIR).map((f) => ({
    file: f,
    text: fs.readFileSync(path.join(PROJECT_DIR, f), 'utf8'),
  }));
  /** Every line of every shell block in every Markdown file. */
  const shellLines = docs.flatMap(({ file, text }) =>
    [...text.matchAll(/^```(?:bash|sh|shell)\n([\s\S]*?)^```/gm)].flatMap((m) =>
      m[1].split('\n').map((line) => ({ file, line })),
    ),
  );

  it('no GNU-only or BSD-only date arithmetic (date -d/--date is GNU, date -v is BSD): times are $(( $(date +%s) - N ))', () => {
    const nonPortable = shellLines.filter(({ line }) => /\bdate\b[^|;)]*\s(-d|--date|-v)\b/.test(line));
    expect(nonPortable).toEqual([]);
    // The runbooks do read times, portably.
    expect(RUNBOOKS).toMatch(/\$\(\( \$\(date \+%s\) - \d+ \)\)/);
  });

  it('a list-* lookup selects by an exact name, never by position (the first match may be another stack’s)', () => {
    const lookups = docs.flatMap(({ file, text }) =>
      parseRunbooks(text, VARS)
        .commands.filter((c) => c.operation.startsWith('list-') && c.options.has('--query'))
        .map((c) => ({ file, operation: c.operation, query: c.options.get('--query')![0] })),
    );
    expect(lookups.length).toBeGreaterThan(3);
    expect(lookups.filter((l) => /\[-?\d+\]|starts_with|contains\(/.test(l.query))).toEqual([]);
    // The hosted zone in particular: list-hosted-zones-by-name returns the next zones alphabetically too.
    const zones = lookups.filter((l) => l.operation === 'list-hosted-zones-by-name');
    expect(zones.length).toBeGreaterThan(0);
    for (const z of zones) expect(z.query).toMatch(/\?Name=='[^']+\.'\]/);
  });

  it('every runbook freezes the deploy pipeline first: its first command disables the workflow that runs pulumi up', () => {
    const workflow = path.join(PROJECT_DIR, '.github', 'workflows', 'ci.yml');
    expect(fs.readFileSync(workflow, 'utf8')).toMatch(/pulumi\/actions|pulumi up|command: up/);
    const runbookDocs = runbookFiles(PROJECT_DIR).filter((f) => !/(README|freeze-deploys)\.md$/.test(f.file));
    expect(runbookDocs.length).toBeGreaterThan(5);
    for (const { file, text } of runbookDocs) {
      const firstBlock = /^```(?:bash|sh|shell)\n([\s\S]*?)^```/m.exec(text);
      const firstCommand = firstBlock?.[1].split('\n').find((l) => l.trim() && !l.trim().startsWith('#'));
      expect({ file, firstCommand: firstCommand?.replace(/\s+#.*$/, '') }).toEqual({
        file,
        firstCommand: 'gh workflow disable ci.yml --repo $REPO',
      });
    }
    const freeze = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'runbooks', 'freeze-deploys.md'), 'utf8');
    expect(freeze).toContain('gh workflow enable ci.yml --repo $REPO');
  });
});

describe('the runbook parser', () => {
  it('tokenizes as a shell does: quotes, $(...), operators, comments', () => {
    expect(tokenize(`aws x y --q 'a | b' --s "c d" $(date -u +%s); echo hi # done`)).toEqual([
      'aws',
      'x',
      'y',
      '--q',
      'a | b',
      '--s',
      'c d',
      '$(date -u +%s)',
      ';',
      'echo',
      'hi',
    ]);
  });

  it('finds commands after operators, keywords and inside $(...), with their options', () => {
    const { commands } = parseRunbooks(
      [
        '# S',
        '```bash',
        'export A=$(aws sts get-caller-identity --region r --query Account --output text)',
        'if [ x ]; then aws lambda invoke --function-name f \\',
        '  --payload \'{"a":1}\' out.json; fi',
        '```',
      ].join('\n'),
    );
    expect(commands.map((c) => [c.service, c.operation, [...c.options.keys()], c.positionals, c.section])).toEqual([
      ['sts', 'get-caller-identity', ['--region', '--query', '--output'], [], 'S'],
      ['lambda', 'invoke', ['--function-name', '--payload'], ['out.json'], 'S'],
    ]);
  });

  it('reads a synopsis: bare options are required, bracketed ones optional, <name> positional', () => {
    const bold = (s: string) => [...s].map((c) => `${c}\b${c}`).join('');
    const help = `${bold('SYNOPSIS')}\n            invoke\n          --function-name <value>\n          [--payload <value>]\n          [--debug | --no-debug]\n          <outfile>\n          [--v2-debug]\n\n${bold('OPTIONS')}\n`;
    expect(parseSynopsis(help)).toEqual({
      required: ['--function-name'],
      optional: ['--payload', '--debug', '--no-debug'],
      positional: ['outfile'],
      flags: ['--debug', '--no-debug'],
      lists: [],
    });
  });
});
