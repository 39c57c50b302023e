/** A trading database with an application user, as the rotation function would have set it up. */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { startPostgres, TestPostgres } from './postgres';
import { FakeSecretsManager } from './secrets';

export const APP_USER = 'tapapp';
export const DB_NAME = 'trading';

/** API clients in the client keys secret: two desks with room for every test, one with a tight limit. */
export const CLIENTS = {
  deskA: { clientId: 'desk-a', key: 'desk-a-test-signing-key-0123456789abcdef' },
  deskB: { clientId: 'desk-b', key: 'desk-b-test-signing-key-0123456789abcdef' },
  slow: { clientId: 'desk-slow', key: 'desk-slow-test-signing-key-0123456789abc' },
} as const;
export const SLOW_CLIENT_LIMITS = { ratePerSecond: 0.5, burst: 2 };

export interface TradingDb {
  readonly pg: TestPostgres;
  readonly secrets: FakeSecretsManager;
  readonly secretArn: string;
  readonly clientKeysArn: string;
  readonly env: Record<string, string>;
  count(): Promise<number>;
  secretReads(): number;
}

export async function startTradingDb(password = 'app-password-1'): Promise<TradingDb> {
  const pg = await startPostgres();
  await pg.createDatabase(DB_NAME);
  const admin = await pg.admin(DB_NAME);
  await admin.query(`CREATE ROLE ${APP_USER} LOGIN PASSWORD '${password}'`);
  await admin.query(`GRANT ALL ON SCHEMA public TO ${APP_USER}`);
  await admin.end();
  const secrets = new FakeSecretsManager();
  const secretArn = secrets.create('secret-db-app-test', {
    engine: 'postgres',
    host: pg.host,
    port: pg.port,
    username: APP_USER,
    password,
    dbname: DB_NAME,
  });
  const generous = { ratePerSecond: 1000, burst: 1000 };
  const clientKeysArn = secrets.create('secret-api-clients-test', {
    [CLIENTS.deskA.clientId]: { key: CLIENTS.deskA.key, limits: generous },
    [CLIENTS.deskB.clientId]: { key: CLIENTS.deskB.key, limits: generous },
    [CLIENTS.slow.clientId]: { key: CLIENTS.slow.key, limits: SLOW_CLIENT_LIMITS },
  });
  return {
    pg,
    secrets,
    secretArn,
    clientKeysArn,
    env: {
      REGION_NAME: 'eu-west-1',
      REGION_ROLE: 'secondary',
      DB_SECRET_ARN: secretArn,
      DB_HOST: pg.host,
      DB_PORT: String(pg.port),
      DB_NAME,
      DB_SSL: 'disable',
      CLIENT_KEYS_SECRET_ARN: clientKeysArn,
    },
    async count() {
      const c = await pg.admin(DB_NAME);
      try {
        const exists = (await c.query("SELECT to_regclass('public.orders') AS t")).rows[0].t;
        return exists ? Number((await c.query('SELECT count(*) FROM orders')).rows[0].count) : 0;
      } finally {
        await c.end();
      }
    },
    // Reads of the database credential (the client keys secret is read on its own schedule).
    secretReads: () =>
      secrets.mock.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId === secretArn).length,
  };
}
