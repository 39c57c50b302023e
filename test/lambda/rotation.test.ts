import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { Credentials } from '../../lambda/shared/credentials';
import { connect } from '../../lambda/shared/postgres';
import { rotate, RotationDeps, RotationRequestError, STEPS } from '../../lambda/rotation/rotation';
import { startPostgres, TestPostgres } from '../helpers/postgres';
import { FakeSecretsManager } from '../helpers/secrets';

const DB = 'trading';
let pg: TestPostgres;
let sm: FakeSecretsManager;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
  return {
    secrets: sm.client,
    logger: quiet,
    connect: (c: Credentials) =>
      connect({ host: c.host, port: c.port, database: c.dbname, user: c.username, password: c.password }, 'disable'),
    ...overrides,
  };
}

async function canLogin(user: string, password: string): Promise<boolean> {
  try {
    const c = new Client({ host: pg.host, port: pg.port, user, password, database: DB });
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function fullRotation(arn: string, d = deps()): Promise<string> {
  const token = sm.startRotation(arn);
  for (const Step of STEPS) await rotate({ SecretId: arn, ClientRequestToken: token, Step }, d);
  return token;
}

const creds = (username: string, password: string, extra: object = {}) => ({
  engine: 'postgres',
  host: pg.host,
  port: pg.port,
  username,
  password,
  dbname: DB,
  ...extra,
});

beforeAll(async () => {
  pg = await startPostgres();
  await pg.createDatabase(DB);
  const admin = await pg.admin();
  await admin.query("CREATE ROLE tapadmin LOGIN CREATEROLE PASSWORD 'master-initial'");
  await admin.query(`GRANT ALL ON DATABASE ${DB} TO tapadmin`);
  await admin.end();
  const dbAdmin = await pg.admin(DB);
  await dbAdmin.query('GRANT ALL ON SCHEMA public TO tapadmin WITH GRANT OPTION');
  await dbAdmin.end();
});

beforeEach(() => {
  sm = new FakeSecretsManager();
});

afterEach(() => sm.restore());
afterAll(() => pg.stop());

describe('rotation of the master user (single user, logs in as itself)', () => {
  it('a full rotation changes the password: the old one is refused, the new one works', async () => {
    const arn = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    const token = await fullRotation(arn);
    const next = sm.current(arn);
    expect(next.password).not.toBe('master-initial');
    expect(String(next.password)).not.toMatch(/[/@"'\\ ]/);
    expect(await canLogin('tapadmin', 'master-initial')).toBe(false);
    expect(await canLogin('tapadmin', String(next.password))).toBe(true);
    const stages = sm.stagesOf(arn);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
  });

  it('every step run again is a no-op', async () => {
    const arn = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    // Start from a known password.
    const admin = await pg.admin();
    await admin.query("ALTER ROLE tapadmin PASSWORD 'master-known'");
    await admin.end();
    sm.setCurrent(arn, creds('tapadmin', 'master-known'));

    const token = sm.startRotation(arn);
    const d = deps();
    for (const Step of STEPS) {
      await rotate({ SecretId: arn, ClientRequestToken: token, Step }, d);
      const snapshot = JSON.stringify(sm.stagesOf(arn));
      const current = sm.current(arn).password;
      const writes = sm.writes.length;
      await rotate({ SecretId: arn, ClientRequestToken: token, Step }, d);
      expect(JSON.stringify(sm.stagesOf(arn))).toBe(snapshot);
      expect(sm.current(arn).password).toBe(current);
      expect(sm.writes.length).toBe(writes);
    }
    expect(await canLogin('tapadmin', String(sm.current(arn).password))).toBe(true);
    // Reset the role for the tests after this one.
    const reset = await pg.admin();
    await reset.query("ALTER ROLE tapadmin PASSWORD 'master-initial'");
    await reset.end();
  });
});

describe('rotation of the application user (through the master credential)', () => {
  it('creates the application user on first rotation, then re-keys it', async () => {
    const master = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    const app = sm.create('secret-db-app', creds('tapapp', 'never-set', { masterarn: master }));
    expect(await canLogin('tapapp', 'never-set')).toBe(false);

    await fullRotation(app);
    const first = String(sm.current(app).password);
    expect(await canLogin('tapapp', first)).toBe(true);
    expect(sm.current(app).masterarn).toBe(master);

    await fullRotation(app);
    const second = String(sm.current(app).password);
    expect(second).not.toBe(first);
    expect(await canLogin('tapapp', first)).toBe(false);
    expect(await canLogin('tapapp', second)).toBe(true);
  });
});

describe('failures leave AWSCURRENT working and lose nothing', () => {
  it('setSecret failing (database unreachable) changes neither the password nor AWSCURRENT', async () => {
    const arn = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    const token = sm.startRotation(arn);
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps());
    const unreachable = deps({
      connect: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    });
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'setSecret' }, unreachable)).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(sm.current(arn).password).toBe('master-initial');
    expect(await canLogin('tapadmin', 'master-initial')).toBe(true);
    expect(sm.mock.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('testSecret failing (pending password not accepted) stops before finishSecret; AWSCURRENT still logs in', async () => {
    const arn = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    const token = sm.startRotation(arn);
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps());
    // setSecret skipped (as if it had failed silently): the database never got the pending password.
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'testSecret' }, deps())).rejects.toThrow(
      /password authentication failed/,
    );
    expect(sm.current(arn).password).toBe('master-initial');
    expect(await canLogin('tapadmin', 'master-initial')).toBe(true);
    // Retrying the whole rotation from setSecret completes it.
    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const)
      await rotate({ SecretId: arn, ClientRequestToken: token, Step }, deps());
    expect(await canLogin('tapadmin', String(sm.current(arn).password))).toBe(true);
    const reset = await pg.admin();
    await reset.query("ALTER ROLE tapadmin PASSWORD 'master-initial'");
    await reset.end();
  });
});

describe('bad requests get a clear error and change nothing', () => {
  it.each([
    [
      'unknown step',
      { Step: 'dropSecret' },
      /Step "dropSecret" is not one of createSecret, setSecret, testSecret, finishSecret/,
    ],
    ['missing token', { ClientRequestToken: undefined }, /ClientRequestToken is missing/],
    ['missing secret id', { SecretId: '' }, /SecretId is missing/],
  ])('%s', async (_label, patch, message) => {
    const arn = sm.create('secret-db-master', creds('tapadmin', 'master-initial'));
    const token = sm.startRotation(arn);
    const event = { SecretId: arn, ClientRequestToken: token, Step: 'createSecret', ...patch };
    await expect(rotate(event, deps())).rejects.toThrow(RotationRequestError);
    await expect(rotate(event, deps())).rejects.toThrow(message);
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('a malformed secret fails createSecret with a clear error and writes nothing', async () => {
    const arn = sm.create('secret-db-master', { engine: 'mysql', host: pg.host, username: 'tapadmin' });
    const token = sm.startRotation(arn);
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps())).rejects.toThrow(
      /secret is not a PostgreSQL credential: engine must be "postgres"; password/,
    );
    expect(sm.writes).toEqual([]);
  });

  it('refuses when rotation is not enabled or the version is not pending', async () => {
    const disabled = sm.create('secret-off', creds('tapadmin', 'master-initial'), false);
    await expect(
      rotate({ SecretId: disabled, ClientRequestToken: sm.startRotation(disabled), Step: 'createSecret' }, deps()),
    ).rejects.toThrow(/rotation is not enabled/);
    const arn = sm.create('secret-on', creds('tapadmin', 'master-initial'));
    await expect(
      rotate({ SecretId: arn, ClientRequestToken: 'no-such-version', Step: 'createSecret' }, deps()),
    ).rejects.toThrow(/is not a version of/);
    expect(sm.writes).toEqual([]);
  });
});
