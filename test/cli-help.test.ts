/**
 * Every command line of the project answers `--help` with its usage and exit 0, before doing
 * any work: the npm scripts that start a script of scripts/, and every script there that runs
 * itself (`require.main === module`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_DIR } from '../scripts/stack-files';

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/** The files behind the command lines: npm scripts first, then self-running scripts. */
function commandLines(): string[] {
  const fromNpm = Object.values(pkg.scripts)
    .map((s) => /^(?:tsx )?(scripts\/\S+\.(?:ts|sh))$/.exec(s)?.[1])
    .filter((f): f is string => Boolean(f));
  const selfRunning = fs
    .readdirSync(path.join(PROJECT_DIR, 'scripts'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `scripts/${f}`)
    .filter((f) => fs.readFileSync(path.join(PROJECT_DIR, f), 'utf8').includes('require.main === module'));
  return [...new Set([...fromNpm, ...selfRunning])].sort();
}

it('finds the command lines: every npm script of scripts/ and every self-running script', () => {
  const files = commandLines();
  for (const expected of ['scripts/plan.ts', 'scripts/order-client.ts', 'scripts/stack-config.ts', 'scripts/mutate.sh'])
    expect(files).toContain(expected);
});

/** Each command line's `--help`: the scripts in one tsx process (test/helpers/help-runner.ts), shell scripts with bash. */
const answers = new Map<string, { status: number | null; stdout: string; stderr: string }>();

beforeAll(() => {
  const files = commandLines();
  const typescript = files.filter((f) => f.endsWith('.ts'));
  const run = (cmd: string, args: string[]) =>
    spawnSync(cmd, args, {
      cwd: PROJECT_DIR,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
  // tsx's loader in this one node process: its command line would start a second node to run it in.
  const scripts = run(process.execPath, [
    '--import',
    'tsx',
    path.join('test', 'helpers', 'help-runner.ts'),
    ...typescript,
  ]);
  if (scripts.status !== 0) throw new Error(`help-runner exited ${scripts.status}: ${scripts.stderr}`);
  for (const line of scripts.stdout.split('\n').filter(Boolean)) {
    const { file, ...answer } = JSON.parse(line) as {
      file: string;
      status: number | null;
      stdout: string;
      stderr: string;
    };
    answers.set(file, answer);
  }
  for (const file of files.filter((f) => f.endsWith('.sh'))) {
    const result = run('bash', [file, '--help']);
    answers.set(file, { status: result.status, stdout: result.stdout, stderr: result.stderr });
  }
}, 200_000);

it.each(commandLines())('%s --help prints its usage and exits 0', (file) => {
  const answer = answers.get(file);
  expect({ file, status: answer?.status, stderr: answer?.stderr.trim() }).toEqual({ file, status: 0, stderr: '' });
  expect(answer!.stdout).toMatch(/^usage/im);
});
