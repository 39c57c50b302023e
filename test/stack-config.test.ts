import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { parseSettings, readRawConfig } from '../lib/config';
import { evaluatePolicies } from '../policy/rules';
import { policyResources } from '../scripts/analysis';
import { PROJECT_DIR, runOffline, stackConfig } from '../scripts/offline';
import * as os from 'os';
import {
  newStackOptions,
  policyConfig,
  policyConfigOfStack,
  pullRequestStackFile,
  pullRequestStackName,
  writeNewStack,
} from '../scripts/stack-config';

const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), 'utf8');
const workflow = parseYaml(read('.github/workflows/ci.yml')) as any;
/** Every step of a job that runs the Pulumi action. */
const pulumiSteps = (job: string) =>
  (workflow.jobs[job].steps as any[]).filter((s) => String(s.uses).startsWith('pulumi/actions@'));

describe('a short-lived stack per pull request', () => {
  const file = pullRequestStackFile(read('Pulumi.dev.yaml'), 42);
  const config = (parseYaml(file) as { config: Record<string, unknown> }).config;

  it('is the dev stack with its own environmentSuffix and zone, plain HTTP; the Config recorder is decided at plan time', () => {
    expect(config).toMatchObject({
      'pulumi:disable-default-providers': ['*'],
      'tap:environmentSuffix': 'pr-42',
      'tap:domainName': 'pr-42.dev.tap-trading.example.com',
      'tap:tls': 'none',
    });
    // auto (the default) finds the dev stack's recorder and leaves it: no key forces reuse.
    expect(config['tap:awsConfigRecorder']).toBeUndefined();
    expect(() => pullRequestStackName(0)).toThrow(/not a pull request number/);
  });

  it('plans offline and passes every policy with its own suffix', async () => {
    const overrides = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v]));
    const full = stackConfig('dev', overrides);
    // The account as the dev stack left it: its recorder in each region, which auto leaves in place.
    const run = await runOffline(
      {
        ...full,
        'offline:configRecorder@us-east-1': 'config-recorder-use1-dev',
        'offline:configRecorder@eu-west-1': 'config-recorder-euw1-dev',
      },
      'pr-42',
    );
    const settings = parseSettings(readRawConfig('tap', full));
    expect(settings.environmentSuffix).toBe('pr-42');
    const verdicts = evaluatePolicies(policyResources(run.resources), {
      environmentSuffix: 'pr-42',
      publicPorts: [80, 443],
      rotationDays: settings.secretRotationDays,
      engineVersion: settings.dbEngineVersion,
      dataProtection: settings.dataProtection,
      route53RequestIntervalSeconds: settings.route53HealthCheckIntervalSeconds,
    });
    expect(verdicts.flatMap((v) => v.violations)).toEqual([]);
    expect(run.resources.filter((r) => r.type === 'aws:cfg/recorder:Recorder')).toEqual([]);
  });
});

describe('the CI workflow runs one stack per environmentSuffix', () => {
  it('the long-lived stacks are exactly the stack files next to Pulumi.yaml', () => {
    const files = fs
      .readdirSync(PROJECT_DIR)
      .map((f) => /^Pulumi\.([a-z0-9-]+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined && !s.startsWith('pr-'));
    expect([...workflow.jobs.deploy.strategy.matrix.stack].sort()).toEqual(files.sort());
    for (const stack of files)
      expect(parseYaml(read(`Pulumi.${stack}.yaml`)).config['tap:environmentSuffix']).toBe(stack);
  });

  it('pull requests get pr-<number>, previewed on each push and removed when closed', () => {
    const on = workflow.on.pull_request.types;
    expect(on).toEqual(expect.arrayContaining(['opened', 'synchronize', 'reopened', 'closed']));
    const preview = workflow.jobs['pull-request-preview'];
    expect(preview.env.STACK).toBe('pr-${{ github.event.pull_request.number }}');
    expect(preview.if).toContain("github.event.action != 'closed'");
    expect(pulumiSteps('pull-request-preview').map((s) => s.with)).toEqual([
      expect.objectContaining({ command: 'preview', 'stack-name': '${{ env.STACK }}', upsert: true }),
    ]);
    const remove = workflow.jobs['pull-request-stack-remove'];
    expect(remove.if).toContain("github.event.action == 'closed'");
    expect(pulumiSteps('pull-request-stack-remove').map((s) => s.with)).toEqual([
      { command: 'destroy', 'stack-name': '${{ env.STACK }}', remove: true },
    ]);
    // A preview and the removal of one pull request's stack never run at once.
    expect(remove.concurrency.group).toBe(preview.concurrency.group);
  });

  it('every preview and update runs with the policy pack', () => {
    for (const job of ['deploy', 'pull-request-preview'])
      for (const step of pulumiSteps(job)) expect(step.with).toMatchObject({ policyPacks: 'policy' });
  });

  it('the generated policy config covers every policy; the checked-in dev config matches it', () => {
    expect(policyConfigOfStack('dev')).toEqual(JSON.parse(read('policy/config.dev.json')));
    expect(policyConfig('prod', 'protected')['data-protection']).toEqual({
      environmentSuffix: 'prod',
      dataProtection: 'protected',
    });
  });
});

describe('npm run new-stack -- NAME', () => {
  /** A scratch project: Pulumi.yaml, the dev stack file and an empty policy/ folder. */
  const scratch = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'new-stack-'));
    for (const file of ['Pulumi.yaml', 'Pulumi.dev.yaml'])
      fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(dir, file));
    fs.mkdirSync(path.join(dir, 'policy'));
    return dir;
  };

  it('writes the stack file (dev’s, with its own suffix and domain) and the policy config that stack file implies', () => {
    const dir = scratch();
    writeNewStack('staging', newStackOptions(['--domain', 'staging.trading.example.com', '--tls', 'acm']), dir);
    const config = (parseYaml(fs.readFileSync(path.join(dir, 'Pulumi.staging.yaml'), 'utf8')) as any).config;
    expect(config).toMatchObject({
      'pulumi:disable-default-providers': ['*'],
      'tap:environmentSuffix': 'staging',
      'tap:domainName': 'staging.trading.example.com',
      'tap:tls': 'acm',
    });
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'policy/config.staging.json'), 'utf8'));
    expect(written).toEqual(policyConfigOfStack('staging', dir));
    expect(written).toEqual(policyConfig('staging'));
    // A second run would overwrite: refused.
    expect(() => writeNewStack('staging', {}, dir)).toThrow(/Pulumi\.staging\.yaml exists; not overwriting it/);
  });

  it('a protected stack carries its data protection into the policy config, and needs its key administrators', () => {
    const dir = scratch();
    expect(() => writeNewStack('prod2', newStackOptions(['--protected']), dir)).toThrow(/keyAdminRoleArns/);
    expect(fs.existsSync(path.join(dir, 'Pulumi.prod2.yaml'))).toBe(false);
    writeNewStack(
      'prod2',
      newStackOptions([
        '--protected',
        '--set',
        'keyAdminRoleArns=["arn:aws:iam::123456789012:role/key-admin"]',
        '--set',
        'clientKeyAdminRoleArns=["arn:aws:iam::123456789012:role/api-key-admin"]',
      ]),
      dir,
    );
    const written = JSON.parse(fs.readFileSync(path.join(dir, 'policy/config.prod2.json'), 'utf8'));
    expect(written).toEqual(policyConfig('prod2', 'protected'));
  });

  it('refuses a name that is no valid environmentSuffix, naming the key, and writes nothing', () => {
    const dir = scratch();
    expect(() => writeNewStack('Bad_Name', {}, dir)).toThrow(/environmentSuffix/);
    expect(fs.readdirSync(path.join(dir, 'policy'))).toEqual([]);
    expect(() => newStackOptions(['--colour', 'blue'])).toThrow(/unexpected argument --colour/);
  });
});
