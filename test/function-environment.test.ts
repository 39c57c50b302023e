import * as pulumi from '@pulumi/pulumi';
import { functionEnvironment } from '../lib/functions/function-environment';
import { canaryEnvironment } from '../lambda/canary/environment';
import { canaryConfigFromEnv } from '../lambda/canary/config';
import { parseRotationEnvironment, rotationEnvironment } from '../lambda/rotation/environment';
import { parseSchemaEnvironment, schemaEnvironment } from '../lambda/schema/environment';
import { ofType, plan } from './helpers/plan';

/** The planned environment of each function built by `code` (POWERTOOLS_SERVICE_NAME is the code). */
async function plannedEnvironments(code: string): Promise<Record<string, string>[]> {
  const run = await plan();
  return ofType(run, 'aws:lambda/function:Function')
    .map((f) => f.inputs.environment.variables as Record<string, string>)
    .filter((env) => env.POWERTOOLS_SERVICE_NAME === code);
}

describe('function environments: one contract, built and read through the same schema', () => {
  it.each([
    ['rotation', parseRotationEnvironment, 2],
    ['schema', parseSchemaEnvironment, 1],
  ] as const)('the planned %s function environment parses with its own schema', async (code, parse, count) => {
    const envs = await plannedEnvironments(code);
    expect(envs).toHaveLength(count);
    for (const env of envs) expect(parse(env).DB_SSL).toBe('verify-full');
  });

  it('the schema function is told its region master secret', async () => {
    const [env] = await plannedEnvironments('schema');
    expect(parseSchemaEnvironment(env).MASTER_SECRET_ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:/);
  });

  it('a value outside the contract fails when the component builds it, naming the variable', () => {
    expect(() =>
      functionEnvironment('schema', schemaEnvironment, {
        MASTER_SECRET_ARN: 'arn:aws:iam::123456789012:role/not-a-secret',
        DB_SSL: 'verify-full',
      }),
    ).toThrow(/^invalid schema environment: MASTER_SECRET_ARN must be a Secrets Manager secret ARN/);
    expect(() => functionEnvironment('rotation', rotationEnvironment, { DB_SSL: 'prefer' as 'require' })).toThrow(
      'invalid rotation environment: DB_SSL must be one of disable, require, verify-full',
    );
  });

  it('every bad known value is named at once; a variable outside the contract is refused', () => {
    expect(() =>
      functionEnvironment('schema', schemaEnvironment, { MASTER_SECRET_ARN: 'x', DB_SSL: 'prefer' as 'require' }),
    ).toThrow(/MASTER_SECRET_ARN must be .*; DB_SSL must be one of/);
    expect(() =>
      functionEnvironment('rotation', rotationEnvironment, { DB_SSL: 'verify-full', DB_HOST: 'h' } as never),
    ).toThrow('invalid rotation environment: DB_HOST is not a variable of this function');
  });

  it('an output value is passed on as the string Lambda stores is what the function parses', async () => {
    const good = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:secret-db-master-dev-AbCdEf';
    const env = functionEnvironment('schema', schemaEnvironment, { MASTER_SECRET_ARN: pulumi.output(good) });
    const resolved = async (v: pulumi.Input<string>) =>
      pulumi.Output.isInstance(v) ? await (v as unknown as { promise(): Promise<string> }).promise() : v;
    expect(await resolved(env.MASTER_SECRET_ARN)).toBe(good);
    expect(env.DB_SSL).toBeUndefined(); // the default lives in the schema, applied where it is parsed
  });

  it('the canary: its planned environment is the contract (nothing spelled outside it), read by its parser with the metric namespace', async () => {
    const envs = await plannedEnvironments('canary');
    expect(envs).toHaveLength(2);
    for (const env of envs) {
      const own = Object.keys(env).filter((k) => !/^(POWERTOOLS_|NODE_)/.test(k));
      expect(own.filter((k) => !(k in canaryEnvironment.shape))).toEqual([]);
      expect(canaryConfigFromEnv({ ...env, AWS_REGION: 'us-west-2' }).metricNamespace).toBe(env.METRIC_NAMESPACE);
    }
    expect(() =>
      functionEnvironment('canary', canaryEnvironment, {
        TARGET_REGION: 'us-east-1',
        PROBE_PROTOCOL: 'https',
        PROBE_CONNECT_HOST: 'alb.example.com',
        PROBE_HOSTNAME: 'api.example.com',
        PROBE_INTERVAL_SECONDS: 61,
        EVIDENCE_TABLE: 'evidence',
        EVIDENCE_TABLE_REGION: 'us-east-1',
        ENVIRONMENT: 'dev',
      }),
    ).toThrow('invalid canary environment: PROBE_INTERVAL_SECONDS must be at most 60');
  });
});
