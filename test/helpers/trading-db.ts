/** A trading database with an application user, as the rotation function would have set it up. */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { startPostgres, TestPostgres } from './postgres';
import { FakeSecretsManager } from './secrets';

export const APP_USER = 'tapapp';
export const DB_NAME = 'trading';

export interface TradingDb {
  readonly pg: TestPostgres;
  readonly secrets: FakeSecretsManager;
  readonly secretArn: string;
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
  return {
    pg,
    secrets,
    secretArn,
    env: {
      REGION_NAME: 'eu-west-1',
      REGION_ROLE: 'secondary',
      DB_SECRET_ARN: secretArn,
      DB_HOST: pg.host,
      DB_PORT: String(pg.port),
      DB_NAME,
      DB_SSL: 'disable',
      // Tests that exercise the cross-region journal set it up explicitly.
      ORDER_DURABILITY: 'regional',
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
    secretReads: () => secrets.mock.commandCalls(GetSecretValueCommand).length,
  };
}
