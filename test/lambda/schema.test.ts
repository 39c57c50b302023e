import type { Context } from 'aws-lambda';
import { Client, Pool } from 'pg';
import { handler } from '../../lambda/schema/handler';
import { rotate, STEPS } from '../../lambda/rotation/rotation';
import { applySchema, migrateSchema, SchemaResult, validateMigrations } from '../../lambda/schema/migrate';
import { Migration, MIGRATIONS } from '../../lambda/schema/migrations';
import { APP_ROLE, OWNER_ROLE } from '../../lambda/schema/roles';
import { CredentialedPool } from '../../lambda/shared/credentialed-pool';
import { Credentials } from '../../lambda/shared/credentials';
import { connect } from '../../lambda/shared/postgres';
import { connectionTarget } from '../../lambda/shared/secret-login';
import { SecretCache } from '../../lambda/shared/secret-cache';
import { OrderLedger } from '../../lambda/book-applier/order-ledger';
import { orderIdFor } from '../../lambda/trading/order';
import { startPostgres, SUPERUSER, SUPERUSER_PASSWORD, TestPostgres } from '../../scripts/local/postgres';
import { FakeSecretsManager } from '../../scripts/local/secrets';
import {
  APP_USER,
  createMasterAndDatabase,
  DB_NAME,
  MASTER_PASSWORD,
  MASTER_USER,
} from '../../scripts/local/trading-db';

/**
 * The deploy-time schema function against PostgreSQL 14, laid out as RDS lays it out (the
 * master owns the database), with the application user created by the rotation function.
 */
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const connectAs = (c: Credentials) => connect(connectionTarget(c), 'disable');

interface Cluster {
  pg: TestPostgres;
  sm: FakeSecretsManager;
  masterArn: string;
  appArn: string;
  schema(): Promise<SchemaResult>;
  rotateApp(): Promise<void>;
  as(user: string, password: string, database?: string): Promise<Client>;
  superuser(database?: string): Promise<Client>;
}

async function cluster(pg: TestPostgres): Promise<Cluster> {
  await createMasterAndDatabase(pg, DB_NAME);
  const sm = new FakeSecretsManager();
  const base = { engine: 'postgres', host: pg.host, port: pg.port, dbname: DB_NAME };
  const masterArn = sm.create('secret-db-master', { ...base, username: MASTER_USER, password: MASTER_PASSWORD });
  const appArn = sm.create('secret-db-app', { ...base, username: APP_USER, password: 'unset', masterarn: masterArn });
  return {
    pg,
    sm,
    masterArn,
    appArn,
    schema: () => applySchema({ secrets: sm.client, logger: quiet, connect: connectAs }, masterArn),
    async rotateApp() {
      const token = sm.startRotation(appArn);
      for (const Step of STEPS)
        await rotate(
          { SecretId: appArn, ClientRequestToken: token, Step },
          { secrets: sm.client, logger: quiet, connect: connectAs },
        );
    },
    async as(user, password, database = DB_NAME) {
      const c = new Client({ host: pg.host, port: pg.port, user, password, database });
      await c.connect();
      return c;
    },
    superuser: (database = DB_NAME) => pg.admin(database),
  };
}

const appPassword = (c: Cluster) => String(c.sm.current(c.appArn).password);

async function asApp<T>(c: Cluster, fn: (session: Client) => Promise<T>): Promise<T> {
  const session = await c.as(APP_USER, appPassword(c));
  try {
    return await fn(session);
  } finally {
    await session.end();
  }
}

async function withSession<T>(open: Promise<Client>, fn: (session: Client) => Promise<T>): Promise<T> {
  const session = await open;
  try {
    return await fn(session);
  } finally {
    await session.end();
  }
}

/** Roles, ownership and every privilege the layout is about, as one comparable value. */
async function privileges(c: Cluster): Promise<unknown> {
  return withSession(c.superuser(), async (s) => {
    const rows = await s.query(
      `SELECT json_build_object(
         'roles', (SELECT json_agg(json_build_object(
                     'name', r.rolname, 'login', r.rolcanlogin, 'super', r.rolsuper,
                     'createrole', r.rolcreaterole, 'createdb', r.rolcreatedb,
                     'member_of', ARRAY(SELECT b.rolname::text FROM pg_auth_members m
                                          JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid
                                         ORDER BY 1)) ORDER BY r.rolname)
                     FROM pg_roles r WHERE r.rolname IN ($1, $2, $3, $4)),
         'database', (SELECT datacl::text FROM pg_database WHERE datname = current_database()),
         'schemas', (SELECT json_agg(json_build_object('name', nspname, 'owner', pg_get_userbyid(nspowner),
                                                       'acl', nspacl::text) ORDER BY nspname)
                       FROM pg_namespace WHERE nspname IN ('public', 'tap')),
         'tables', (SELECT json_agg(json_build_object('name', c.relname, 'owner', pg_get_userbyid(c.relowner),
                                                      'acl', c.relacl::text) ORDER BY c.relname)
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname IN ('public', 'tap') AND c.relkind IN ('r', 'S', 'v')),
         'settings', (SELECT setconfig FROM pg_db_role_setting
                       WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
                         AND setrole = 0)) AS snapshot`,
      [OWNER_ROLE, APP_ROLE, APP_USER, MASTER_USER],
    );
    return rows.rows[0].snapshot;
  });
}

/** Rejected for lack of privilege (42501), not for any other reason. */
async function expectDenied(session: Client, sql: string): Promise<void> {
  await expect(session.query(sql)).rejects.toMatchObject({ code: '42501' });
}

async function expectDeniedEverything(c: Cluster): Promise<void> {
  await asApp(c, async (s) => {
    for (const sql of [
      'DROP TABLE orders',
      'ALTER TABLE orders ADD COLUMN note text',
      'CREATE TABLE mine (id int)',
      'CREATE TABLE public.mine (id int)',
      'CREATE TEMP TABLE mine (id int)',
      'CREATE SCHEMA mine',
      'TRUNCATE orders',
      'DELETE FROM orders',
      "UPDATE orders SET status = 'cancelled'",
      'SELECT * FROM schema_migrations',
    ])
      await expectDenied(s, sql);
  });
}

let a: Cluster;
beforeAll(async () => {
  a = await cluster(await startPostgres());
});
afterAll(async () => {
  a.sm.restore();
  await a.pg.stop();
});

describe('the schema function', () => {
  it('runs concurrently on a fresh cluster: one run applies each migration, the others find it done', async () => {
    const results = await Promise.all([a.schema(), a.schema(), a.schema()]);
    expect(results.map((r) => r.version)).toEqual([1, 1, 1].map(() => MIGRATIONS.length));
    expect(results.flatMap((r) => r.applied)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('is idempotent: a second deploy applies nothing and changes no privilege', async () => {
    const before = await privileges(a);
    expect(await a.schema()).toEqual({ version: MIGRATIONS.length, applied: [] });
    expect(await privileges(a)).toEqual(before);
  });

  it('the owner role owns the schema and the tables and cannot log in', async () => {
    const snapshot = (await privileges(a)) as {
      roles: { name: string; login: boolean }[];
      schemas: { name: string; owner: string }[];
      tables: { name: string; owner: string }[];
    };
    expect(snapshot.roles.find((r) => r.name === OWNER_ROLE)).toMatchObject({ login: false });
    expect(snapshot.schemas.find((s) => s.name === 'tap')).toMatchObject({ owner: OWNER_ROLE });
    expect(snapshot.tables.map((t) => [t.name, t.owner])).toEqual([
      ['orders', OWNER_ROLE],
      ['schema_migrations', OWNER_ROLE],
    ]);
  });

  it('the application user may SELECT and INSERT orders, and create, alter or drop nothing (42501)', async () => {
    await a.rotateApp();
    await asApp(a, async (s) => {
      const insert = `INSERT INTO orders (id, client_id, client_order_id, symbol, side, type, quantity, status, region)
                      VALUES (gen_random_uuid(), 'desk-a', 'c-priv', 'AAPL', 'buy', 'market', 1, 'accepted', 'us-east-1')
                      ON CONFLICT (client_id, client_order_id) DO NOTHING RETURNING *`;
      expect((await s.query(insert)).rowCount).toBe(1);
      expect((await s.query(insert)).rowCount).toBe(0);
      expect((await s.query("SELECT count(*)::int AS n FROM orders WHERE client_order_id = 'c-priv'")).rows).toEqual([
        { n: 1 },
      ]);
    });
    await expectDeniedEverything(a);
  });

  it('a read-only cold start followed by a writable database serves orders (the request path never migrates)', async () => {
    const setReadOnly = (on: boolean) =>
      withSession(a.superuser('postgres'), async (s) => {
        await s.query(
          `ALTER DATABASE ${DB_NAME} ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`,
        );
        await s.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [APP_USER]);
      });
    const pool = new CredentialedPool(new SecretCache(a.sm.client, a.appArn), {
      host: a.pg.host,
      port: a.pg.port,
      database: DB_NAME,
      max: 2,
    });
    const store = new OrderLedger(pool);
    const order = (id: string) => ({
      id: orderIdFor('desk-a', id),
      clientOrderId: id,
      symbol: 'MSFT',
      side: 'sell' as const,
      type: 'market' as const,
      quantity: '3',
      status: 'accepted' as const,
      region: 'us-east-1',
      createdAt: '2026-01-02T03:04:05.678Z',
    });
    try {
      await setReadOnly(true);
      expect(await store.probe()).toBe('read-only');
      await expect(store.restore('desk-a', order('c-cold-ro'))).rejects.toMatchObject({ code: '25006' });
      await setReadOnly(false);
      // The same warm store: nothing about the read-only start was remembered.
      const { order: stored, created } = await store.restore('desk-a', order('c-cold-rw'));
      expect(created).toBe(true);
      expect(await store.findById('desk-a', stored.id)).toEqual(stored);
    } finally {
      await setReadOnly(false);
      await pool.end();
    }
  });

  it('refuses a read-only database (a standby) loudly and writes nothing there', async () => {
    await withSession(a.superuser('postgres'), async (s) => {
      await s.query(`CREATE DATABASE standby OWNER ${MASTER_USER}`);
      await s.query('ALTER DATABASE standby SET default_transaction_read_only = on');
    });
    await withSession(a.as(MASTER_USER, MASTER_PASSWORD, 'standby'), async (s) => {
      await expect(migrateSchema(s, quiet)).rejects.toThrow(/read-only .*global writer endpoint/);
    });
    await withSession(a.superuser('standby'), async (s) => {
      expect((await s.query("SELECT to_regnamespace('tap') AS n")).rows[0].n).toBeNull();
    });
  });

  it('refuses to hide orders a request-path migration of an earlier release left in public', async () => {
    await withSession(a.superuser('postgres'), (s) => s.query(`CREATE DATABASE legacy OWNER ${MASTER_USER}`));
    await withSession(a.superuser('legacy'), async (s) => {
      await s.query(`ALTER SCHEMA public OWNER TO ${MASTER_USER}`);
      await s.query(
        'CREATE TABLE public.orders (id uuid PRIMARY KEY); INSERT INTO public.orders VALUES (gen_random_uuid())',
      );
    });
    await withSession(a.as(MASTER_USER, MASTER_PASSWORD, 'legacy'), async (s) => {
      await expect(migrateSchema(s, quiet)).rejects.toThrow(/public.orders exists/);
    });
    await withSession(a.superuser('legacy'), async (s) => {
      expect((await s.query("SELECT to_regnamespace('tap') AS n")).rows[0].n).toBeNull();
    });
  });

  it('applies a new migration on the next deploy, and refuses an applied one that was edited (rolling back everything)', async () => {
    await withSession(a.superuser('postgres'), (s) => s.query(`CREATE DATABASE evolve OWNER ${MASTER_USER}`));
    await withSession(a.superuser('evolve'), (s) => s.query(`ALTER SCHEMA public OWNER TO ${MASTER_USER}`));
    const latest = MIGRATIONS.length;
    const next: Migration = {
      version: latest + 1,
      description: 'notes',
      sql: 'CREATE TABLE notes (id int PRIMARY KEY)',
    };
    await withSession(a.as(MASTER_USER, MASTER_PASSWORD, 'evolve'), async (s) => {
      expect(await migrateSchema(s, quiet)).toEqual({ version: latest, applied: MIGRATIONS.map((m) => m.version) });
      const edited = [{ ...MIGRATIONS[0], sql: `${MIGRATIONS[0].sql} -- edited` }, ...MIGRATIONS.slice(1), next];
      await expect(migrateSchema(s, quiet, edited)).rejects.toThrow(/migration 1 was changed after it was applied/);
      expect((await s.query("SELECT to_regclass('tap.notes') AS t")).rows[0].t).toBeNull();
      expect(await migrateSchema(s, quiet, [...MIGRATIONS, next])).toEqual({
        version: latest + 1,
        applied: [latest + 1],
      });
      expect(
        (await s.query("SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE oid = 'tap.notes'::regclass")).rows,
      ).toEqual([{ o: OWNER_ROLE }]);
    });
  });

  it("logs in with the master's AWSPENDING while the master's rotation is between setSecret and finishSecret", async () => {
    const token = a.sm.startRotation(a.masterArn);
    const d = { secrets: a.sm.client, logger: quiet, connect: connectAs };
    for (const Step of ['createSecret', 'setSecret'])
      await rotate({ SecretId: a.masterArn, ClientRequestToken: token, Step }, d);
    try {
      await expect(a.as(MASTER_USER, MASTER_PASSWORD)).rejects.toThrow(/password authentication failed/);
      expect(await a.schema()).toEqual({ version: MIGRATIONS.length, applied: [] });
    } finally {
      await withSession(a.superuser('postgres'), (s) =>
        s.query(`ALTER ROLE ${MASTER_USER} PASSWORD '${MASTER_PASSWORD}'`),
      );
    }
  });

  it('the Lambda adapter names a missing MASTER_SECRET_ARN and touches nothing', async () => {
    const before = await privileges(a);
    await expect(handler({}, { awsRequestId: 'req-1' } as Context)).rejects.toThrow(
      'invalid schema environment: MASTER_SECRET_ARN must be set',
    );
    expect(await privileges(a)).toEqual(before);
  });

  it('only accepts migrations numbered 1, 2, 3, ...', () => {
    expect(() => validateMigrations(MIGRATIONS)).not.toThrow();
    const m = (version: number): Migration => ({ version, description: 'x', sql: 'SELECT 1' });
    expect(() => validateMigrations([m(1), m(3)])).toThrow(/migration #2 has version 3/);
    expect(() => validateMigrations([m(1), m(1)])).toThrow(/migration #2 has version 1/);
  });
});

describe('the client_id migration (lambda/schema version 2)', () => {
  it('keeps orders stored before authentication, owned by no client', async () => {
    await withSession(a.superuser('postgres'), (s) => s.query(`CREATE DATABASE unowned OWNER ${MASTER_USER}`));
    await withSession(a.superuser('unowned'), (s) => s.query(`ALTER SCHEMA public OWNER TO ${MASTER_USER}`));
    const connection = { host: a.pg.host, port: a.pg.port, database: 'unowned' };
    const master = await a.as(MASTER_USER, MASTER_PASSWORD, 'unowned');
    const pool = new Pool({
      ...connection,
      user: SUPERUSER,
      password: SUPERUSER_PASSWORD,
      options: '-c search_path=tap',
    });
    try {
      await migrateSchema(
        master,
        quiet,
        MIGRATIONS.filter((m) => m.version < 2),
      );
      const legacyId = '6f1c1d2e-1111-4222-8333-000000000001';
      await pool.query(
        `INSERT INTO orders (id, client_order_id, symbol, side, type, quantity, status, region)
         VALUES ($1, 'old-1', 'AAPL', 'buy', 'market', 1, 'accepted', 'us-east-1')`,
        [legacyId],
      );
      expect((await migrateSchema(master, quiet)).applied).toContain(2);
      const owners = (await pool.query('SELECT client_id FROM orders WHERE id = $1', [legacyId])).rows;
      expect(owners).toEqual([{ client_id: '' }]);
      // The applier's ledger: the old order is nobody's, and a client may reuse its client order id.
      const store = new OrderLedger(pool);
      expect(await store.findById('desk-a', legacyId)).toBeUndefined();
      const mine = await store.restore('desk-a', {
        id: orderIdFor('desk-a', 'old-1'),
        clientOrderId: 'old-1',
        symbol: 'AAPL',
        side: 'buy',
        type: 'market',
        quantity: '1',
        status: 'accepted',
        region: 'us-east-1',
        createdAt: '2026-01-02T03:04:05.678Z',
      });
      expect(mine.created).toBe(true);
    } finally {
      await master.end();
      await pool.end();
    }
  });
});

describe('the rotation and the schema function in either order', () => {
  let b: Cluster;
  beforeAll(async () => {
    b = await cluster(await startPostgres());
  });
  afterAll(async () => {
    b.sm.restore();
    await b.pg.stop();
  });

  it('rotation first: the new user never holds PostgreSQL 14 defaults, and the end state equals schema first', async () => {
    await b.rotateApp();
    await asApp(b, async (s) => {
      await expectDenied(s, 'CREATE TABLE public.mine (id int)');
      await expectDenied(s, 'CREATE TEMP TABLE mine (id int)');
    });
    await b.schema();
    await expectDeniedEverything(b);
    // Cluster a ran the schema function first, then the rotation.
    expect(await privileges(b)).toEqual(await privileges(a));
  });
});
