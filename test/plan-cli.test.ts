import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_DIR } from '../scripts/offline';

/** `npm run plan` as a user runs it: a separate process, plain output when piped. */
function plan(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    [path.join(PROJECT_DIR, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/plan.ts', ...args],
    {
      cwd: PROJECT_DIR,
      encoding: 'utf8',
      timeout: 90_000,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run plan', () => {
  it('prints resources per region, verdicts, the RTO budget and the critical path; --json holds every resource with its region', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-')), 'plan.json');
    const run = plan('--json', file);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^us-east-1 {2}\(\d+ resources\)$/m);
    expect(run.stdout).toMatch(/^eu-west-1 {2}\(\d+ resources\)$/m);
    expect(run.stdout).toMatch(/PASS {2}no-admin-iam/);
    expect(run.stdout).toMatch(/Traffic RTO: 30 s of 60 s/);
    expect(run.stdout).toMatch(/ratio 1\.0\dx \(target 1\.0x\)/);
    expect(run.stdout).not.toContain('\u001b['); // no colour when piped
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const vpcs = json.resources.filter((r: { type: string }) => r.type === 'aws:ec2/vpc:Vpc');
    expect(vpcs.map((v: { region: string }) => v.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(Object.keys(json.resources[0]).sort()).toEqual([
      'dependsOn',
      'inputs',
      'name',
      'parent',
      'region',
      'type',
      'urn',
    ]);
  });

  it('bad config: exit 2 with the validation message and no table', () => {
    const run = plan('--set', 'azCount=2', '--set', 'secondaryVpcCidr=10.0.0.0/16');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Invalid configuration \(2 problems\)/);
    expect(run.stdout).not.toMatch(/resources\)/);
  });

  it('a config over the RTO target is rejected before planning', () => {
    const run = plan('--set', 'dnsTtlSeconds=300');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/dnsTtlSeconds: puts the path "traffic: Route 53 failover" at 320 s/);
  });

  it('--help explains the options; unknown options exit 2', () => {
    expect(plan('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('--diagram FILE.svg') });
    expect(plan('--bogus').code).toBe(2);
  });
});
