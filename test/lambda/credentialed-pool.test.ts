/**
 * A pooled connection the server drops while it is checked out (a reboot, an in-region
 * failover, a proxy restart between two statements of a transaction) must cost that request
 * only: pg emits `error` on the client, and a checked-out client has no pool listener, so an
 * unhandled `error` would end the Lambda execution environment or the EC2 service.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CredentialedPool } from '../../lambda/shared/credentialed-pool';
import { SecretCache } from '../../lambda/shared/secret-cache';
import { startPostgres, SUPERUSER, SUPERUSER_PASSWORD, TestPostgres } from '../../scripts/local/postgres';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
});

it('a checked-out client whose session the server terminates fails its request, not the process', async () => {
  const secrets = {
    send: async () => ({
      SecretString: JSON.stringify({
        engine: 'postgres',
        host: pg.host,
        username: SUPERUSER,
        password: SUPERUSER_PASSWORD,
      }),
    }),
  } as unknown as SecretsManagerClient;
  const pool = new CredentialedPool(new SecretCache(secrets, 'arn:drill'), { host: pg.host, port: pg.port, max: 2 });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  // What would end the execution environment: an `error` event nobody listens to.
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', onUncaught);
  try {
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    // Between two statements (no query active): the server's FATAL reaches the client as an event.
    const ended = new Promise((resolve) => client.once('end', resolve));
    const admin = await pg.admin();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    await ended;
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    expect(uncaught).toEqual([]);
    // The pool itself keeps serving: the next request gets a fresh connection.
    expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    for (const l of listeners) process.on('uncaughtException', l);
    await pool.end();
  }
  // Without the fix the throw lands inside pg's socket handler and the client never ends: fail fast.
}, 15_000);
