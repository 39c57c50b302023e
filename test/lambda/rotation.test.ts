import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { Client } from 'pg';
import { handler } from '../../lambda/rotation/handler';
import { rotate, RotationDeps, RotationRequestError, STEPS } from '../../lambda/rotation/rotation';
import { scramSha256Verifier } from '../../lambda/rotation/scram';
import { APP_ROLE } from '../../lambda/schema/roles';
import { Credentials } from '../../lambda/shared/credentials';
import { connect } from '../../lambda/shared/postgres';
import { connectionTarget, secretsClient } from '../../lambda/shared/secret-login';
import { startPostgres, TestPostgres } from '../../scripts/local/postgres';
import { FakeSecretsManager } from '../../scripts/local/secrets';
import { createMasterAndDatabase, DB_NAME as DB, MASTER_PASSWORD, MASTER_USER } from '../../scripts/local/trading-db';

let pg: TestPostgres;
let sm: FakeSecretsManager;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const connectAs = (c: Credentials) => connect(connectionTarget(c), 'disable');

function deps(overrides: Partial<RotationDeps> = {}): RotationDeps {
  return { secrets: sm.client, logger: quiet, connect: connectAs, ...overrides };
}

/** Deps that record every statement sent to the server and every log line written. */
function recording(options: { failFirstAlterRole?: boolean } = {}) {
  const statements: string[] = [];
  const logs: string[] = [];
  const logins: string[] = [];
  let failNext = options.failFirstAlterRole ?? false;
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      void logs.push(JSON.stringify([level, ...args]));
  const d = deps({
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    connect: async (c) => {
      logins.push(`${c.username}@${c.host}`);
      const client = await connectAs(c);
      const send = client.query.bind(client) as (text: string, values?: unknown[]) => Promise<unknown>;
      const query = async (text: string, values?: unknown[]) => {
        statements.push(JSON.stringify([text, values ?? []]));
        if (failNext && /^ALTER ROLE/.test(text)) {
          // As if the server had rejected it: PostgreSQL logs a failing statement with its literals.
          failNext = false;
          throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
        }
        return send(text, values);
      };
      return Object.assign(client, { query }) as Client;
    },
  });
  return { deps: d, statements, logs, logins };
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

async function superuser<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await pg.admin(DB);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const setPassword = (user: string, password: string) =>
  superuser((c) => c.query(`ALTER ROLE ${c.escapeIdentifier(user)} PASSWORD ${c.escapeLiteral(password)}`));

async function runSteps(arn: string, token: string, steps: readonly string[], d = deps()): Promise<void> {
  for (const Step of steps) await rotate({ SecretId: arn, ClientRequestToken: token, Step }, d);
}

async function fullRotation(arn: string, d = deps()): Promise<string> {
  const token = sm.startRotation(arn);
  await runSteps(arn, token, STEPS, d);
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

const masterSecret = () => sm.create('secret-db-master', creds(MASTER_USER, MASTER_PASSWORD));
const appSecret = (master: string, username: string, extra: object = {}) =>
  sm.create(`secret-db-${username}`, creds(username, 'never-set', { masterarn: master, ...extra }));

beforeAll(async () => {
  pg = await startPostgres();
  await createMasterAndDatabase(pg, DB);
});

beforeEach(async () => {
  sm = new FakeSecretsManager();
  await setPassword(MASTER_USER, MASTER_PASSWORD);
});

afterEach(() => sm.restore());
afterAll(() => pg.stop());

describe('rotation of the master user (single user, logs in as itself)', () => {
  it('a full rotation changes the password: the old one is refused, the new one works', async () => {
    const arn = masterSecret();
    const token = await fullRotation(arn);
    const next = sm.current(arn);
    expect(next.password).not.toBe(MASTER_PASSWORD);
    expect(String(next.password)).not.toMatch(/[/@"'\\ ]/);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(false);
    expect(await canLogin(MASTER_USER, String(next.password))).toBe(true);
    const stages = sm.stagesOf(arn);
    expect(stages[token]).toEqual(['AWSCURRENT']);
    expect(Object.values(stages).filter((s) => s.includes('AWSPREVIOUS'))).toHaveLength(1);
  });

  it('every step run again is a no-op', async () => {
    const arn = masterSecret();
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
    expect(await canLogin(MASTER_USER, String(sm.current(arn).password))).toBe(true);
  });
});

describe('a user without CREATEROLE rotates its own password (issue 15)', () => {
  it('plain ALTER ROLE ... PASSWORD: WITH LOGIN would need CREATEROLE', async () => {
    await superuser((c) => c.query("CREATE ROLE tapreport LOGIN PASSWORD 'report-initial'"));
    await superuser((c) => c.query(`GRANT CONNECT ON DATABASE ${DB} TO tapreport`));
    const arn = sm.create('secret-db-report', creds('tapreport', 'report-initial'));
    await fullRotation(arn);
    expect(await canLogin('tapreport', String(sm.current(arn).password))).toBe(true);
    expect(await canLogin('tapreport', 'report-initial')).toBe(false);
  });
});

describe('a rotation that stopped after setSecret (issue 15)', () => {
  /** Rotation A sets its password in the database, then stops (testSecret timed out, say). */
  async function abandonAfterSetSecret(arn: string): Promise<string> {
    const token = sm.startRotation(arn);
    await runSteps(arn, token, ['createSecret', 'setSecret']);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(false);
    return token;
  }

  it('Secrets Manager refuses a new rotation and retries the unfinished one with its own token', async () => {
    const arn = masterSecret();
    const abandoned = await abandonAfterSetSecret(arn);
    const live = sm.passwordsOf(arn).find((p) => p !== MASTER_PASSWORD)!;
    expect(() => sm.startRotation(arn)).toThrow(/previous rotation isn't complete/);

    await runSteps(arn, sm.pendingToken(arn)!, STEPS);
    expect(sm.stagesOf(arn)[abandoned]).toEqual(['AWSCURRENT']);
    // createSecret kept the version's password: the one the database already had.
    expect(sm.current(arn).password).toBe(live);
    expect(await canLogin(MASTER_USER, live)).toBe(true);
  });

  it('once AWSPENDING is taken off that version, a new rotation logs in with its password and completes', async () => {
    const arn = masterSecret();
    const abandoned = await abandonAfterSetSecret(arn);
    const live = sm.passwordsOf(arn).find((p) => p !== MASTER_PASSWORD)!;
    // The clean-up AWS documents after CancelRotateSecret: the label comes off the partial version.
    await sm.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: abandoned,
      }),
    );
    expect(sm.stagesOf(arn)[abandoned]).toEqual([]);

    const r = recording();
    await fullRotation(arn, r.deps);
    const now = String(sm.current(arn).password);
    expect(await canLogin(MASTER_USER, now)).toBe(true);
    expect(await canLogin(MASTER_USER, live)).toBe(false);
    expect(r.logs.join('\n')).toContain(`unlabelled version ${abandoned}`);
  });

  it('when no version of the secret logs in, setSecret says so and changes nothing', async () => {
    const arn = masterSecret();
    await setPassword(MASTER_USER, 'set-by-hand');
    const token = sm.startRotation(arn);
    await runSteps(arn, token, ['createSecret']);
    await expect(runSteps(arn, token, ['setSecret'])).rejects.toThrow(
      /the database accepts none of AWSCURRENT: password authentication failed/,
    );
    expect(await canLogin(MASTER_USER, 'set-by-hand')).toBe(true);
  });
});

describe('rotation of the application user (through the master credential)', () => {
  it('creates the user on first rotation with LOGIN and membership of the app role only, then re-keys it', async () => {
    const master = masterSecret();
    const app = appSecret(master, 'tapapp1');
    expect(await canLogin('tapapp1', 'never-set')).toBe(false);

    await fullRotation(app);
    const first = String(sm.current(app).password);
    expect(await canLogin('tapapp1', first)).toBe(true);
    expect(sm.current(app).masterarn).toBe(master);
    const role = await superuser(
      async (c) =>
        (
          await c.query(
            `SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls,
                    ARRAY(SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
                           WHERE m.member = r.oid) AS member_of
               FROM pg_roles r WHERE rolname = 'tapapp1'`,
          )
        ).rows[0],
    );
    expect(role).toEqual({
      rolcanlogin: true,
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      member_of: [APP_ROLE],
    });

    await fullRotation(app);
    const second = String(sm.current(app).password);
    expect(second).not.toBe(first);
    expect(await canLogin('tapapp1', first)).toBe(false);
    expect(await canLogin('tapapp1', second)).toBe(true);
  });

  it('never sends the master password to a host other than the one in the master secret', async () => {
    const master = masterSecret();
    // Same server, other name: whoever can edit the application secret must not redirect the master login.
    const app = appSecret(master, 'tapapp2', { host: 'localhost' });
    const r = recording();
    await expect(fullRotation(app, r.deps)).rejects.toThrow(/master secret names another host/);
    expect(r.logins.filter((l) => l.startsWith(`${MASTER_USER}@`))).toEqual([]);
    expect(await canLogin('tapapp2', String(sm.passwordsOf(app).at(-1)))).toBe(false);
  });

  it('refuses to manage a privileged user as the application user', async () => {
    const master = masterSecret();
    const app = appSecret(master, MASTER_USER);
    await expect(fullRotation(app)).rejects.toThrow(/tapadmin is privileged/);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(true);
  });
});

describe('first rotations cannot race (issue 10)', () => {
  it("the app rotation succeeds while the master's rotation is between setSecret and finishSecret", async () => {
    const master = masterSecret();
    const masterToken = sm.startRotation(master);
    await runSteps(master, masterToken, ['createSecret', 'setSecret']);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(false); // AWSCURRENT of the master is refused

    const app = appSecret(master, 'tapapp3');
    const r = recording();
    await fullRotation(app, r.deps);
    expect(await canLogin('tapapp3', String(sm.current(app).password))).toBe(true);
    expect(r.logs.join('\n')).toContain('master AWSPENDING');

    await runSteps(master, masterToken, ['testSecret', 'finishSecret']);
    expect(await canLogin(MASTER_USER, String(sm.current(master).password))).toBe(true);
  });
});

describe('no secret in any log (issue 16)', () => {
  const everyPassword = (...arns: string[]) => arns.flatMap((arn) => sm.passwordsOf(arn));
  const verifierOf = (user: string) =>
    superuser(
      async (c) =>
        (await c.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [user])).rows[0].v,
    );
  const VERIFIER = /^SCRAM-SHA-256\$4096:([A-Za-z0-9+/]+=*)\$[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/;

  it('the database receives a SCRAM-SHA-256 verifier, never a password; the new password logs in', async () => {
    const master = masterSecret();
    const app = appSecret(master, 'tapapp4');
    const r = recording();
    await fullRotation(master, r.deps); // master re-keys itself
    await fullRotation(app, r.deps); // master creates the app user
    await fullRotation(app, r.deps); // master re-keys the app user

    const passwords = everyPassword(master, app);
    expect(passwords.length).toBeGreaterThanOrEqual(5);
    expect(r.statements.filter((s) => /ALTER ROLE|CREATE ROLE/.test(s)).length).toBe(3);
    for (const text of [...r.statements, ...r.logs]) for (const p of passwords) expect(text).not.toContain(p);

    for (const [user, arn] of [
      [MASTER_USER, master],
      ['tapapp4', app],
    ]) {
      const stored = await verifierOf(user);
      const salt = Buffer.from(VERIFIER.exec(stored)![1], 'base64');
      expect(salt).toHaveLength(16);
      const password = String(sm.current(arn).password);
      expect(scramSha256Verifier(password, salt)).toBe(stored);
      expect(await canLogin(user, password)).toBe(true);
    }
  });

  it('a setSecret retried after the server rejected it sends a fresh verifier; what was logged does not log in', async () => {
    const arn = masterSecret();
    const token = sm.startRotation(arn);
    const r = recording({ failFirstAlterRole: true });
    await runSteps(arn, token, ['createSecret'], r.deps);
    await expect(runSteps(arn, token, ['setSecret'], r.deps)).rejects.toThrow(/statement timeout/);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(true);
    await runSteps(arn, token, ['setSecret', 'testSecret', 'finishSecret'], r.deps);

    const alters = r.statements.filter((s) => s.includes('ALTER ROLE')).map((s) => JSON.parse(s)[0] as string);
    expect(alters).toHaveLength(2);
    expect(alters[0]).not.toBe(alters[1]); // fresh salt
    const logged = /'(SCRAM-SHA-256\$[^']+)'/.exec(alters[0])![1];
    expect(await canLogin(MASTER_USER, logged)).toBe(false);
    for (const p of everyPassword(arn)) for (const text of [...r.statements, ...r.logs]) expect(text).not.toContain(p);
    expect(await canLogin(MASTER_USER, String(sm.current(arn).password))).toBe(true);
  });
});

describe('failures leave AWSCURRENT working and lose nothing', () => {
  it('setSecret failing (database unreachable) changes neither the password nor AWSCURRENT', async () => {
    const arn = masterSecret();
    const token = sm.startRotation(arn);
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps());
    const unreachable = deps({
      connect: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    });
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'setSecret' }, unreachable)).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(sm.current(arn).password).toBe(MASTER_PASSWORD);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(true);
    expect(sm.mock.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('testSecret failing (pending password not accepted) stops before finishSecret; AWSCURRENT still logs in', async () => {
    const arn = masterSecret();
    const token = sm.startRotation(arn);
    await rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps());
    // setSecret skipped (as if it had failed silently): the database never got the pending password.
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'testSecret' }, deps())).rejects.toThrow(
      /password authentication failed/,
    );
    expect(sm.current(arn).password).toBe(MASTER_PASSWORD);
    expect(await canLogin(MASTER_USER, MASTER_PASSWORD)).toBe(true);
    // Retrying the whole rotation from setSecret completes it.
    await runSteps(arn, token, ['setSecret', 'testSecret', 'finishSecret']);
    expect(await canLogin(MASTER_USER, String(sm.current(arn).password))).toBe(true);
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
    const arn = masterSecret();
    const token = sm.startRotation(arn);
    const event = { SecretId: arn, ClientRequestToken: token, Step: 'createSecret', ...patch };
    await expect(rotate(event, deps())).rejects.toThrow(RotationRequestError);
    await expect(rotate(event, deps())).rejects.toThrow(message);
    expect(sm.mock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('a malformed secret fails createSecret with a clear error and writes nothing', async () => {
    const arn = sm.create('secret-db-master', { engine: 'mysql', host: pg.host, username: MASTER_USER });
    const token = sm.startRotation(arn);
    await expect(rotate({ SecretId: arn, ClientRequestToken: token, Step: 'createSecret' }, deps())).rejects.toThrow(
      /secret is not a PostgreSQL credential: engine must be "postgres"; password/,
    );
    expect(sm.writes).toEqual([]);
  });

  it('refuses when rotation is not enabled or the version is not pending', async () => {
    const disabled = sm.create('secret-off', creds(MASTER_USER, MASTER_PASSWORD), false);
    await expect(
      rotate({ SecretId: disabled, ClientRequestToken: sm.startRotation(disabled), Step: 'createSecret' }, deps()),
    ).rejects.toThrow(/rotation is not enabled/);
    const arn = sm.create('secret-on', creds(MASTER_USER, MASTER_PASSWORD));
    await expect(
      rotate({ SecretId: arn, ClientRequestToken: 'no-such-version', Step: 'createSecret' }, deps()),
    ).rejects.toThrow(/is not a version of/);
    expect(sm.writes).toEqual([]);
  });
});

describe('the Lambda adapter', () => {
  it('logs with the Lambda context (request id) and rethrows a bad request', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => void lines.push(String(chunk));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((c) => (capture(c), true));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((c) => (capture(c), true));
    const context = {
      awsRequestId: 'req-7f3a',
      functionName: 'rotationFunction-test',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rotationFunction-test',
      memoryLimitInMB: '256',
      getRemainingTimeInMillis: () => 30_000,
    } as unknown as Context;
    try {
      await expect(handler({ SecretId: 'x', ClientRequestToken: 't', Step: 'dropSecret' }, context)).rejects.toThrow(
        RotationRequestError,
      );
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    const entries = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 'ERROR', function_request_id: 'req-7f3a', step: 'dropSecret' }),
    );
  });

  it('leaves retries of AWS calls to the SDK: five attempts with backoff on a transient fault', async () => {
    // The backoff is the SDK's full jitter before each retry n = 0..3: random() x 100 ms x 2^n
    // (@smithy/util-retry's StandardRetryStrategy), 0.75 s of sleep on average, up to 1.5 s. The
    // jitter is fixed at 0 here: the same strategy and the same five attempts, without the sleep.
    const jitter = jest.spyOn(Math, 'random').mockReturnValue(0);
    let attempts = 0;
    const client: SecretsManagerClient = secretsClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
      requestHandler: {
        handle: async () => {
          attempts += 1;
          return {
            response: {
              statusCode: 500,
              headers: { 'x-amzn-errortype': 'InternalServiceError' },
              body: Buffer.from('{"__type":"InternalServiceError","message":"try again"}'),
            },
          };
        },
      },
    });
    try {
      await expect(
        client.send(new UpdateSecretVersionStageCommand({ SecretId: 'x', VersionStage: 'y' })),
      ).rejects.toThrow(/try again/);
    } finally {
      jitter.mockRestore();
    }
    expect(attempts).toBe(5);
  });
});
