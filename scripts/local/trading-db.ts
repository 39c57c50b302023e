/**
 * A trading database laid out as in AWS: a master user that owns the database (as RDS creates
 * it), the schema applied by the deploy-time schema function, and the application user created
 * by the rotation function's own code (LOGIN and membership in the app role, nothing else).
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { provisionAppUser } from '../../lambda/rotation/rotation';
import { scramSha256Verifier } from '../../lambda/rotation/scram';
import { applySchema } from '../../lambda/schema/migrate';
import { OrderLedger } from '../../lambda/book-applier/order-ledger';
import { CredentialedPool } from '../../lambda/shared/credentialed-pool';
import { connect } from '../../lambda/shared/postgres';
import { SecretCache } from '../../lambda/shared/secret-cache';
import { connectionTarget } from '../../lambda/shared/secret-login';
import { SECONDARY_REGION } from '../../lib/config/config-schema';
import { startPostgres, TestPostgres } from './postgres';
import { FakeSecretsManager } from './secrets';

export const APP_USER = 'tapapp';
export const MASTER_USER = 'tapadmin';
export const MASTER_PASSWORD = 'master-password-1';
export const DB_NAME = 'trading';

/** API clients in the client keys secret: two desks with room for every test, one with a tight limit. */
export const CLIENTS = {
  deskA: { clientId: 'desk-a', key: 'desk-a-test-signing-key-0123456789abcdef' },
  deskB: { clientId: 'desk-b', key: 'desk-b-test-signing-key-0123456789abcdef' },
  slow: { clientId: 'desk-slow', key: 'desk-slow-test-signing-key-0123456789abc' },
} as const;
/**
 * Where the tests' local API runs (its REGION_NAME, the default placement below) and the names it
 * answers to: clients sign for them. `npm run serve` runs as the primary instead.
 */
export const LOCAL_REGION = SECONDARY_REGION;
export const LOCAL_HOSTS = ['127.0.0.1', 'localhost'];
export const SLOW_CLIENT_LIMITS = { ratePerSecond: 0.5, burst: 2 };

export interface TradingDb {
  readonly pg: TestPostgres;
  readonly secrets: FakeSecretsManager;
  readonly secretArn: string;
  readonly clientKeysArn: string;
  readonly masterSecretArn: string;
  readonly env: Record<string, string>;
  count(): Promise<number>;
  secretReads(): number;
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The database and master user as RDS creates them: the master owns the database and may
 * revoke PUBLIC's rights on the public schema (AWS's RDS guide has the master do so).
 */
export async function createMasterAndDatabase(pg: Pick<TestPostgres, 'admin'>, database = DB_NAME): Promise<void> {
  const admin = await pg.admin();
  await admin.query(`CREATE ROLE ${MASTER_USER} LOGIN CREATEROLE CREATEDB PASSWORD '${MASTER_PASSWORD}'`);
  await admin.query(`CREATE DATABASE ${database} OWNER ${MASTER_USER}`);
  await admin.end();
  const inDb = await pg.admin(database);
  await inDb.query(`ALTER SCHEMA public OWNER TO ${MASTER_USER}`);
  await inDb.end();
}

/**
 * On a running server: the master and database, the schema, the application user; their
 * secrets in `secrets`. Returns the secrets' ARNs.
 */
export async function provisionTradingDb(
  pg: Pick<TestPostgres, 'admin' | 'host' | 'port'>,
  secrets: FakeSecretsManager,
  password: string,
): Promise<{ secretArn: string; masterSecretArn: string; clientKeysArn: string }> {
  await createMasterAndDatabase(pg);
  const base = { engine: 'postgres' as const, host: pg.host, port: pg.port, dbname: DB_NAME };
  const masterSecretArn = secrets.create('secret-db-master-test', {
    ...base,
    username: MASTER_USER,
    password: MASTER_PASSWORD,
  });
  const secretArn = secrets.create('secret-db-app-test', {
    ...base,
    username: APP_USER,
    password,
    masterarn: masterSecretArn,
  });
  const clientKeysArn = createClientKeys(secrets);
  const connectAs = (c: Parameters<typeof connectionTarget>[0]) => connect(connectionTarget(c), 'disable');
  await applySchema({ secrets: secrets.client, logger: quiet, connect: connectAs }, masterSecretArn);
  const master = await connectAs({ ...base, username: MASTER_USER, password: MASTER_PASSWORD });
  try {
    await provisionAppUser(master, APP_USER, scramSha256Verifier(password));
  } finally {
    await master.end();
  }
  return { secretArn, masterSecretArn, clientKeysArn };
}

/** The local API clients (CLIENTS) in a client keys secret; returns its ARN. */
export function createClientKeys(secrets: FakeSecretsManager): string {
  // The most the client keys secret allows: no test or load run is throttled by accident.
  const generous = { ratePerSecond: 10_000, burst: 100_000 };
  return secrets.create('secret-api-clients-test', {
    [CLIENTS.deskA.clientId]: { key: CLIENTS.deskA.key, limits: generous },
    [CLIENTS.deskB.clientId]: { key: CLIENTS.deskB.key, limits: generous },
    [CLIENTS.slow.clientId]: { key: CLIENTS.slow.key, limits: SLOW_CLIENT_LIMITS },
  });
}

/** Where the local service believes it runs (REGION_NAME, REGION_ROLE): orders carry the region. */
export interface LocalPlacement {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
}

/** The tests' default: the secondary region, where the read-only and queueing paths live. */
export const SECONDARY_PLACEMENT: LocalPlacement = { region: LOCAL_REGION, role: 'secondary' };

export async function startTradingDb(
  password = 'app-password-1',
  placement: LocalPlacement = SECONDARY_PLACEMENT,
): Promise<TradingDb> {
  const pg = await startPostgres();
  const secrets = new FakeSecretsManager();
  const { secretArn, masterSecretArn, clientKeysArn } = await provisionTradingDb(pg, secrets, password);
  return {
    pg,
    secrets,
    secretArn,
    clientKeysArn,
    masterSecretArn,
    env: {
      REGION_NAME: placement.region,
      REGION_ROLE: placement.role,
      CLIENT_KEYS_SECRET_ARN: clientKeysArn,
      API_HOSTS: LOCAL_HOSTS.join(','),
    },
    async count() {
      const c = await pg.admin(DB_NAME);
      try {
        return Number((await c.query('SELECT count(*) FROM orders')).rows[0].count);
      } finally {
        await c.end();
      }
    },
    // Reads of the database credential (the client keys secret is read on its own schedule).
    secretReads: () =>
      secrets.mock.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId === secretArn).length,
  };
}

/**
 * The ledger the book applier writes, on this database as the application user (as
 * lambda/book-applier/handler.ts opens it), and how to close its pool.
 */
export function openLedger(db: TradingDb): { readonly ledger: OrderLedger; close(): Promise<void> } {
  const pool = new CredentialedPool(new SecretCache(db.secrets.client, db.secretArn), {
    host: db.pg.host,
    port: db.pg.port,
    database: DB_NAME,
    ssl: false,
    max: 2,
  });
  return { ledger: new OrderLedger(pool), close: () => pool.end() };
}
