/**
 * The policy pack started the way Pulumi starts it: the `pulumi-analyzer-policy` plugin resolves
 * `@pulumi/pulumi/cmd/run-policy-pack` from the pack's folder and runs
 * `node <that> <engine address> . -typescript=true` with the pack's folder as working directory
 * (runtime options of PulumiPolicy.yaml become `-key=value` flags). The pack answers on the gRPC
 * port it prints; this test then speaks the engine's side of the Analyzer protocol to it:
 * GetAnalyzerInfo, Configure (with a stack's policy config, resolved as the plan resolves it) and
 * Analyze. `npm pack`, which `pulumi policy publish` runs, must produce a self-contained pack.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { configurePolicies, POLICIES } from '../policy/rules';
import { POLICY_CONFIG_SCHEMA } from '../policy/schema';
import { PROJECT_DIR } from '../scripts/offline';

const PACK_DIR = path.join(PROJECT_DIR, 'policy');
const pulumiDir = path.dirname(require.resolve('@pulumi/pulumi/package.json', { paths: [PACK_DIR] }));
// The engine's side uses the very grpc and protobuf modules @pulumi/pulumi's stubs were built with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));
const grpc = fromPulumi('@grpc/grpc-js');
const analyzerRpc = fromPulumi('@pulumi/pulumi/proto/analyzer_grpc_pb');
const analyzerProto = fromPulumi('@pulumi/pulumi/proto/analyzer_pb');
const { Struct } = fromPulumi('google-protobuf/google/protobuf/struct_pb');
const { Empty } = fromPulumi('google-protobuf/google/protobuf/empty_pb');

function call<T>(client: any, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

let pack: ChildProcess;
let client: any;
let stderr = '';

beforeAll(async () => {
  const runtime = parseYaml(fs.readFileSync(path.join(PACK_DIR, 'PulumiPolicy.yaml'), 'utf8')).runtime;
  const flags = Object.entries(runtime.options ?? {}).map(([k, v]) => `-${k}=${v}`);
  // What the analyzer plugin script does: resolve the runner from the pack's own folder.
  const runner = require.resolve('@pulumi/pulumi/cmd/run-policy-pack', { paths: [PACK_DIR] });
  // An engine address nobody listens on: a policy pack only serves, it never dials the engine.
  pack = spawn(process.execPath, [runner, '127.0.0.1:1', '.', ...flags], { cwd: PACK_DIR });
  pack.stderr!.on('data', (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    pack.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(line.trim());
    });
    pack.on('exit', (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}`)));
  });
  expect(port).toMatch(/^\d+$/);
  client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 90_000);

// Wait for the pack to be gone: a child still running when the file ends keeps jest's worker from
// exiting ("A worker process has failed to exit gracefully and has been force exited").
afterAll(async () => {
  client?.close();
  if (!pack || pack.exitCode !== null || pack.signalCode !== null) return;
  const exited = new Promise((resolve) => pack.once('exit', resolve));
  pack.kill();
  await exited;
});

function configureRequest(file: Record<string, unknown>, source: string) {
  const request = new analyzerProto.ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  const levels: Record<string, number> = {
    advisory: analyzerProto.EnforcementLevel.ADVISORY,
    mandatory: analyzerProto.EnforcementLevel.MANDATORY,
    disabled: analyzerProto.EnforcementLevel.DISABLED,
  };
  for (const [name, { enforcementLevel, config }] of configurePolicies(file, source)) {
    const policyConfig = new analyzerProto.PolicyConfig();
    policyConfig.setEnforcementlevel(levels[enforcementLevel]);
    policyConfig.setProperties(Struct.fromJavaScript({ ...config }));
    map.set(name, policyConfig);
  }
  return request;
}

async function analyze(type: string, name: string, props: Record<string, unknown>) {
  const request = new analyzerProto.AnalyzeRequest();
  request.setType(type);
  request.setName(name);
  request.setUrn(`urn:pulumi:test::tap::${type}::${name}`);
  request.setProperties(Struct.fromJavaScript(props));
  // The engine always sends resource options (an empty set is enough here).
  request.setOptions(new analyzerProto.AnalyzerResourceOptions());
  const response = await call<any>(client, 'analyze', request);
  // A diagnostic's message is the policy's description, a newline, then what was reported.
  return response
    .getDiagnosticsList()
    .map((d: any) => `${d.getPolicyname()}: ${d.getMessage().split('\n').pop()}`) as string[];
}

describe('the policy pack as Pulumi runs it', () => {
  it('loads, reports its name, version and every policy with the shared config schema', async () => {
    const info = await call<any>(client, 'getAnalyzerInfo', new Empty());
    const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, 'package.json'), 'utf8'));
    expect(info.getName()).toBe('tap-invariants');
    expect(info.getVersion()).toBe(pkg.version);
    const policies = info.getPoliciesList();
    expect(policies.map((p: any) => p.getName())).toEqual(POLICIES.map((p) => p.name));
    for (const p of policies) {
      expect(p.getEnforcementlevel()).toBe(analyzerProto.EnforcementLevel.MANDATORY);
      const schema = p.getConfigschema();
      expect(schema.getRequiredList()).toEqual(POLICY_CONFIG_SCHEMA.required);
      expect(schema.getProperties().toJavaScript()).toEqual(
        JSON.parse(JSON.stringify(POLICY_CONFIG_SCHEMA.properties)),
      );
    }
  });

  it.each(['dev', 'prod'])(
    'configured with policy/config.%s.json, it judges resources with that stack’s settings',
    async (stack) => {
      const file = JSON.parse(fs.readFileSync(path.join(PACK_DIR, `config.${stack}.json`), 'utf8'));
      await call(client, 'configure', configureRequest(file, `policy/config.${stack}.json`));
      const other = stack === 'dev' ? 'prod' : 'dev';
      expect(await analyze('aws:lb/loadBalancer:LoadBalancer', 'alb', { name: `alb-use1-${stack}` })).toEqual([]);
      expect(await analyze('aws:lb/loadBalancer:LoadBalancer', 'alb', { name: `alb-use1-${other}` })).toEqual([
        `names-carry-suffix: name "alb-use1-${other}" does not end in -${stack}`,
      ]);
      // The rotation limit arrives as the schema's default: the one the config validator uses.
      expect(
        await analyze('aws:secretsmanager/secretRotation:SecretRotation', 'rot', {
          rotationRules: { automaticallyAfterDays: 31 },
        }),
      ).toEqual([expect.stringMatching(/^rotation-every-30-days: rotates every 31 days, more than 30/)]);
      const secret = await analyze('aws:secretsmanager/secret:Secret', `secret-${stack}`, {
        name: `secret-${stack}`,
        kmsKeyId: 'k',
        recoveryWindowInDays: 0,
      });
      expect(secret).toEqual(stack === 'prod' ? ['data-protection: secret recovery window is 0 days, not 30'] : []);
    },
  );
});

describe('the published pack', () => {
  it('npm pack (what pulumi policy publish runs) holds every module the pack imports, and nothing outside policy/', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PACK_DIR,
      encoding: 'utf8',
      env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
    });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'PulumiPolicy.yaml', 'index.ts']));
    for (const file of files.filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(PACK_DIR, file), 'utf8');
      for (const [, spec] of source.matchAll(/from '(\.[^']+)'/g)) {
        expect({ file, import: spec, packed: files.includes(`${path.join(path.dirname(file), spec)}.ts`) }).toEqual({
          file,
          import: spec,
          packed: true,
        });
      }
    }
  });

  it('declares the dependencies it loads, in ranges the installed versions satisfy', () => {
    const semver = fromPulumi('semver');
    const pkg = JSON.parse(fs.readFileSync(path.join(PACK_DIR, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@pulumi/policy', '@pulumi/pulumi', 'typescript']);
    for (const [name, range] of Object.entries<string>(pkg.dependencies)) {
      const installed = JSON.parse(
        fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [PACK_DIR] }), 'utf8'),
      ).version;
      expect({ name, installed, satisfies: semver.satisfies(semver.coerce(installed), range) }).toEqual({
        name,
        installed,
        satisfies: true,
      });
    }
  });
});
