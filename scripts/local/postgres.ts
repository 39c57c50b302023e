/**
 * A real PostgreSQL 14 server on this machine, for the Lambda tests, `npm run serve`, `npm run
 * load` and `npm run bench`: a copy of a template data directory made once per machine
 * (scripts/local/pg-template.ts), started in tens of milliseconds, removed when it stops.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { freePort } from './free-port';
import { binDir, copyTemplate, fastTempDir, runAs, TemplateSpec } from './pg-template';

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

/**
 * The cluster's fixed choices (they key the template): password authentication for every
 * connection, UTF8 with the C locale (byte-order collation and English messages whatever the
 * machine's locale), no fsync while initdb writes (the template is only ever copied).
 */
export const TEMPLATE: TemplateSpec = {
  initdbArgs: [`--username=${SUPERUSER}`, '--auth=password', '--encoding=UTF8', '--no-locale', '--no-sync'],
  password: SUPERUSER_PASSWORD,
};

/**
 * Settings of every server, on its command line: the data is thrown away with the server, so
 * nothing is flushed to disk; no Unix socket (clients use TCP, and a killed server leaves no lock
 * file in /tmp); UTC whatever zone the template was made in.
 */
export const SERVER_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'off',
  full_page_writes: 'off',
  unix_socket_directories: '',
  TimeZone: 'UTC',
  log_timezone: 'UTC',
};

/**
 * Runs the server under a shell that stops it (fast shutdown) when our end of its stdin closes,
 * whether we close it (stop) or this process dies, even by SIGKILL as jest does to a worker that
 * will not exit; the shell then removes the server's folder. $1 is that folder, the rest the
 * server's command line.
 */
const WATCHDOG = [
  'dir=$1; shift',
  'exec 3<&0',
  '"$@" & pid=$!',
  '{ while read -r _ <&3; do :; done; kill -INT "$pid" 2>/dev/null; } &',
  'wait "$pid"; code=$?',
  'rm -rf "$dir"',
  'exit "$code"',
].join('\n');

export async function startPostgres(): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(fastTempDir(), 'tap-pg-'));
  const owner = runAs();
  // The watchdog runs as the server's user and removes this folder at the end.
  if (owner.uid !== undefined) fs.chownSync(dir, owner.uid, owner.gid!);
  const data = path.join(dir, 'data');
  await copyTemplate(TEMPLATE, data).catch((e: unknown) => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const port = await freePort();
  const settings = Object.entries(SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const postgres = [path.join(binDir(), 'postgres'), '-D', data, '-p', String(port), ...settings];
  const child = spawn('sh', ['-c', WATCHDOG, 'pg-watchdog', dir, ...postgres], {
    ...owner,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  // Closing stdin after the server has gone is not an error.
  child.stdin.on('error', () => undefined);
  let log = '';
  // Read the log to its end, always: a server blocks when its stderr pipe is full.
  child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const ready = () => log.includes('database system is ready to accept connections') && resolve();
    child.stderr.on('data', ready);
    child.once('exit', (code) => reject(new Error(`PostgreSQL exited (${code}) before it was ready:\n${log}`)));
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
      child.stdin.end();
      await exited;
    },
  };
}
