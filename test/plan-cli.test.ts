import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_DIR, stackConfig } from '../scripts/offline';
import { PlanIo, planCli } from '../scripts/plan';
import { INLINE_LIMIT, withoutBundles } from '../scripts/report';
import { tokenize } from '../scripts/runbook';
import { planConfig } from './helpers/plan';

const TSX = path.join(PROJECT_DIR, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plan-'));

/**
 * `npm run plan` as a user runs it with its output piped (plain text), in this process: the
 * program's offline runs are shared with the other test files (test/helpers/plan.ts). Only what
 * needs a process of its own spawns one (the exit status, a module hook, a terminal).
 */
async function plan(args: string[], runOffline: PlanIo['runOffline'] = (config, stack) => planConfig(config, stack)) {
  let stdout = '';
  let stderr = '';
  const code = await planCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    runOffline,
  });
  return { code, stdout, stderr };
}

/** Section headings in the order a reader meets them. */
const HEADINGS = [
  /^Plan for stack "dev"/m,
  /^Result: /m,
  /^Config in effect: /m,
  /^Resources: \d+ in \d+ components$/m,
  /^Policies: /m,
  /^Account preflight: \d+ quota\(s\) read at plan time/m,
  /^Failover RTO: /m,
  /^Monthly cost estimate: /m,
  /^Deploy time: /m,
  /^Resource tree /m,
];

describe('npm run plan: a summary first, then the tree', () => {
  const dir = tmp();
  const file = path.join(dir, 'plan.json');
  let run: Awaited<ReturnType<typeof plan>>;
  beforeAll(async () => {
    run = await plan(['--json', file, '--set', 'trafficPolicy=active-active']);
  });

  it('passes, and reads top-down: verdict, config, counts, policies, RTO, cost, deploy time, resource tree', () => {
    expect(run.code).toBe(0);
    const at = HEADINGS.map((h) => run.stdout.search(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(run.stdout).not.toContain('\u001b['); // no colour when piped
  });

  it('shows the config in effect: what differs from Pulumi.yaml and where it came from', () => {
    expect(run.stdout).toMatch(/^ {2}trafficPolicy +active-active +default active-passive +--set$/m);
    expect(run.stdout).toMatch(/^ {2}instanceType +t3\.medium +default m6i\.large +Pulumi\.dev\.yaml$/m);
    expect(run.stdout).toMatch(/^ {2}environmentSuffix +dev +\(required, no default\) +Pulumi\.dev\.yaml$/m);
    expect(run.stdout).toMatch(/^ {2}pulumi:disable-default-providers +\["\*"\]/m);
  });

  it('the tree lists the primary region first, with components holding their resources', () => {
    const tree = run.stdout.slice(run.stdout.search(/^Resource tree /m));
    const regions = [...tree.matchAll(/^(\S+)[^\n]*: \d+ resources$/gm)].map((m) => m[1]);
    expect(regions.slice(0, 3)).toEqual(['us-east-1', 'eu-west-1', 'us-west-2']);
    // TapStack > NetworkStack > VPC, each one level deeper.
    expect(tree).toMatch(
      /^ {2}tap:index:TapStack {2}tap\n(?: {4}.*\n)*? {4}tap:network:NetworkStack .*\n(?: {6}.*\n)*? {6}aws:ec2:Vpc {2}vpc-use1-dev$/m,
    );
  });

  it('--json holds the same summary and every resource, without inlined bundles', () => {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const { summary, resources } = json;
    expect(summary.result).toEqual({ exitCode: 0, ok: true, reasons: [] });
    expect(summary.config.effective.trafficPolicy).toBe('active-active');
    expect(summary.config.differsFromDefaults).toEqual(
      expect.arrayContaining([
        { key: 'trafficPolicy', value: 'active-active', default: 'active-passive', source: '--set' },
      ]),
    );
    expect(run.stdout).toContain(
      `traffic ${summary.rto.trafficSeconds} s of the ${summary.rto.targetSeconds} s target`,
    );
    const total = summary.cost.totalUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(run.stdout).toContain(`Monthly cost estimate: $${total}`);
    expect(summary.counts.resources).toBe(
      resources.filter((r: { type: string }) => !r.type.startsWith('tap:') && r.type !== 'pulumi:pulumi:Stack').length,
    );
    expect(summary.policies.verdicts.map((v: { violations: unknown[] }) => v.violations)).toEqual(
      summary.policies.verdicts.map(() => []),
    );
    const vpcs = resources.filter((r: { type: string }) => r.type === 'aws:ec2/vpc:Vpc');
    expect(vpcs.map((v: { region: string }) => v.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const r of resources)
      expect(Object.keys(r).sort()).toEqual(['dependsOn', 'inputs', 'name', 'parent', 'region', 'type', 'urn']);
    // The server bundle is a digest now; the file stays small.
    const artifact = resources.find((r: { type: string }) => r.type === 'aws:s3/bucketObjectv2:BucketObjectv2');
    expect(artifact.inputs.content).toEqual({
      omitted: 'bundled content',
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(fs.statSync(file).size).toBeLessThan(1024 * 1024);
  });
});

describe('npm run plan: one exit code per outcome, a clean message for each', () => {
  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

  it('unknown stack: 3, names the stacks there are', async () => {
    const run = await plan(['--stack', 'staging']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('Unknown stack "staging": there is no Pulumi.staging.yaml. Stacks: dev, prod.\n');
    expect(run.stdout).toBe('');
  });

  it('an account whose quotas do not fit the stack: 1, each short quota with its code, the need and the fix', async () => {
    const run = await plan(['--set', 'offline:L-B99A9384=50']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Account preflight: the account's service quotas do not fit this stack:/);
    expect(run.stderr).toMatch(
      /- eu-west-1 Lambda concurrent executions: needs \d+ .* quota is 50\. Request an increase of lambda L-B99A9384/,
    );
    noStackTrace(run.stderr);
  });

  it('invalid config: 2 with every problem, nothing planned', async () => {
    const run = await plan(['--set', 'azCount=2', '--set', 'secondaryVpcCidr=10.0.0.0/16']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Invalid configuration \(2 problems\)/);
    expect(run.stdout).toBe('');
    noStackTrace(run.stderr);
  });

  it('a config over the RTO target is invalid config (2), blamed on the key that causes it', async () => {
    const run = await plan(['--set', 'dnsTtlSeconds=300']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/dnsTtlSeconds: puts the path "traffic: Route 53 failover" at 320 s/);
  });

  it('a policy config that disagrees with the stack: 2, before anything is planned', async () => {
    const run = await plan(['--set', 'environmentSuffix=pr-42']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^Policy pack config policy\/config\.dev\.json does not match the stack .*\n {2}- environmentSuffix is "dev" but the stack's environmentSuffix is "pr-42" \(every policy\)$/m,
    );
    expect(run.stdout).toBe('');
  });

  it('a policy violation: 1, the plan printed with the violation, the reason on stderr', async () => {
    const file = path.join(tmp(), 'policy.json');
    const dev = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'policy', 'config.dev.json'), 'utf8'));
    dev['rotation-every-30-days'] = { ...dev['rotation-every-30-days'], rotationDays: 20 };
    fs.writeFileSync(file, JSON.stringify(dev));
    const run = await plan(['--policy-config', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^Result: REJECTED \(exit 1\): policy rotation-every-30-days: 2 violation\(s\)\.$/m);
    expect(run.stdout).toMatch(/x rotation-every-30-days: secret-db-master-dev: rotates every 30 days, more than 20/);
    expect(run.stderr).toBe('Plan rejected: policy rotation-every-30-days: 2 violation(s)\n');
  });

  it('bad arguments: 64 with the usage', async () => {
    const run = await plan(['--bogus']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^Unknown option '--bogus'/);
    expect(await plan(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('--policy-config FILE') });
  });

  it('a crash: 70, says it is a bug, one frame, on stderr (on a terminal, after the progress line)', () => {
    const hook = path.join(tmp(), 'crash.cjs');
    // Makes the program itself throw, as a bug would; the process's exit status is what a user sees.
    fs.writeFileSync(
      hook,
      `const Module = require('module'); const load = Module._load;
       Module._load = function (request, ...rest) {
         if (/\\/tap-stack$/.test(request)) return { TapStack: class { constructor() { throw new TypeError('boom'); } } };
         return load.call(this, request, ...rest);
       };`,
    );
    // One process proves what needs one: the exit status, the module hook and a real terminal.
    // `script` gives the plan a pseudo-terminal, as a user's shell would; stdout goes to a file,
    // so the terminal shows stderr alone.
    const stdoutFile = path.join(tmp(), 'stdout');
    const result = spawnSync(
      'script',
      ['-qec', `${process.execPath} ${TSX} scripts/plan.ts --no-color > ${stdoutFile}`, '/dev/null'],
      {
        cwd: PROJECT_DIR,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, NODE_OPTIONS: `--require ${hook}` },
      },
    );
    expect(result.status).toBe(70);
    expect(fs.readFileSync(stdoutFile, 'utf8')).toBe('');
    // The terminal: the progress line while the program ran, cleared when it stopped, then the crash.
    const screen = result.stdout.replace(/\r\n/g, '\n').split('\r\u001b[2K');
    expect(screen.slice(0, 2)).toEqual([
      '',
      expect.stringMatching(/^Planning stack dev: \d+ resources registered \(\d+\.\d s\)$/),
    ]);
    const stderr = screen.at(-1)!;
    expect(stderr).toMatch(
      /^plan crashed \(a bug in the program or in scripts\/plan\.ts, not in your config\): TypeError: boom\n {2}at /,
    );
    expect(stderr.match(/^\s+at /gm)).toHaveLength(1);
  });

  it('a crash with --debug: the whole stack', async () => {
    const boom = async () => {
      throw new TypeError('boom');
    };
    const debug = await plan(['--debug'], boom);
    expect(debug.code).toBe(70);
    expect(debug.stderr.match(/^\s+at /gm)!.length).toBeGreaterThan(1);
  });
});

describe('npm run plan on a terminal', () => {
  it('shows progress on stderr while the program registers resources, then clears it; none on stdout', async () => {
    // The shared run first: the line's 250 ms redraw would fire while another test file plans it.
    await planConfig(stackConfig('dev'));
    // The clock the progress line reads: 1.5 s pass halfway through the program's registrations.
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    let half = 0;
    let stderr = '';
    let stdout = '';
    try {
      const code = await planCli(['--no-color'], {
        stdout: { write: (text: string) => (stdout += text), isTTY: false },
        stderr: { write: (text: string) => (stderr += text), isTTY: true },
        env: {},
        // The real program's resources (the shared run), pushed one by one as runOffline pushes
        // each when it registers (test/offline.test.ts holds runOffline to that).
        runOffline: async (config, stack, registered) => {
          const run = await planConfig(config, stack);
          half = Math.floor(run.resources.length / 2);
          run.resources.forEach((r, k) => {
            if (k === half) now += 1500;
            registered.push(r);
          });
          return run;
        },
      });
      expect(code).toBe(0);
    } finally {
      clock.mockRestore();
    }
    expect(stderr.split('\r\u001b[2K')).toEqual([
      '',
      'Planning stack dev: 0 resources registered (0.0 s)',
      `Planning stack dev: ${half + 1} resources registered (1.5 s)`,
      '',
    ]);
    expect(stdout).toMatch(/^Result: OK\./m);
    expect(stdout).not.toContain('Planning stack');
  });
});

describe('docs/configuration.md shows real plan output', () => {
  it('the config-errors example is what the plan prints for those arguments', async () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'configuration.md'), 'utf8');
    const block = /<!-- example:config-errors -->\s*```text\n\$ npm run plan -- (.*)\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const run = await plan(tokenize(block![1]));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(block![2]);
  });
});

describe('--json without bundles', () => {
  it('replaces only strings over the limit, by their size and SHA-256', () => {
    const bundle = 'x'.repeat(INLINE_LIMIT + 1);
    expect(withoutBundles({ a: [bundle, 'short'], b: { c: 1 } })).toEqual({
      a: [
        {
          omitted: 'bundled content',
          bytes: INLINE_LIMIT + 1,
          sha256: crypto.createHash('sha256').update(bundle).digest('hex'),
        },
        'short',
      ],
      b: { c: 1 },
    });
    expect(withoutBundles('y'.repeat(INLINE_LIMIT))).toHaveLength(INLINE_LIMIT);
  });
});
