/**
 * scripts/local/postgres.ts (and the drill's data directories, scripts/drill/postgres.ts): every
 * server is a copy of one template data directory (initdb runs once, not once a server), a
 * cluster of its own, and leaves nothing behind when stopped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Client } from 'pg';
import { spawnSync } from 'child_process';
import { initDataDir, PgServer, scratchDir, sweepScratch } from '../scripts/drill/postgres';
import { freePort } from '../scripts/local/free-port';
import { startPostgres, TestPostgres } from '../scripts/local/postgres';

async function one<T>(pg: TestPostgres, sql: string): Promise<T> {
  const client = await pg.admin();
  try {
    return Object.values((await client.query(sql)).rows[0])[0] as T;
  } finally {
    await client.end();
  }
}

let servers: TestPostgres[] = [];
afterAll(() => Promise.all(servers.map((s) => s.stop())));

test('two servers share one initdb (one system identifier) yet are separate clusters on their own ports', async () => {
  servers = await Promise.all([startPostgres(), startPostgres()]);
  const [a, b] = servers;
  const ids = await Promise.all(
    servers.map((s) => one<string>(s, 'SELECT system_identifier FROM pg_control_system()')),
  );
  expect(ids[0]).toBe(ids[1]);
  expect(a.port).not.toBe(b.port);
  expect(await one(a, 'SHOW data_directory')).not.toBe(await one(b, 'SHOW data_directory'));

  await a.createDatabase('only_on_a');
  const names = (s: TestPostgres) => one<string[]>(s, 'SELECT array_agg(datname) FROM pg_database');
  expect(await names(a)).toContain('only_on_a');
  expect(await names(b)).not.toContain('only_on_a');
});

test("the template's fixed choices: UTF8, C collation, UTC, password authentication", async () => {
  const [a] = servers;
  expect(await one(a, 'SHOW server_encoding')).toBe('UTF8');
  expect(await one(a, 'SHOW lc_collate')).toBe('C');
  expect(await one(a, 'SHOW TimeZone')).toBe('UTC');
  const wrong = new Client({ host: a.host, port: a.port, user: 'postgres', password: 'not-the-password' });
  await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
});

test('stop ends the server and removes its data directory', async () => {
  const [a] = servers;
  const dataDir = await one<string>(a, 'SHOW data_directory');
  expect(fs.existsSync(dataDir)).toBe(true);
  await a.stop();
  expect(fs.existsSync(dataDir)).toBe(false);
  await expect(a.admin()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

test("the drill's data directories are copies of one template, configured as the drill configures them", async () => {
  const dir = scratchDir('tap-pg-test-');
  try {
    const dataDirs = [path.join(dir, 'a'), path.join(dir, 'b')];
    await Promise.all(dataDirs.map(initDataDir));
    // pg_control starts with the cluster's system identifier (a uint64), which initdb draws anew.
    const ids = dataDirs.map((d) => fs.readFileSync(path.join(d, 'global', 'pg_control')).readBigUInt64LE(0));
    expect(ids[0]).toBe(ids[1]);
    for (const d of dataDirs) {
      expect(fs.readFileSync(path.join(d, 'postgresql.conf'), 'utf8')).toMatch(/^wal_level = replica$/m);
      expect(fs.readFileSync(path.join(d, 'pg_hba.conf'), 'utf8')).toMatch(/^host\s+replication\s+replicator\s/m);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a later run sweeps what a killed run left: its folder, and the server still running from it; a live run keeps its own', async () => {
  const left = scratchDir('tap-pg-sweep-test-');
  const live = scratchDir('tap-pg-sweep-test-');
  try {
    // `left`'s owner is a process that has ended (as a drill killed before its exit handler).
    fs.writeFileSync(path.join(left, 'owner.pid'), String(spawnSync('true').pid));
    const server = new PgServer({ name: 'pg_left', port: await freePort(), dataDir: path.join(left, 'a') });
    await initDataDir(server.options.dataDir);
    await server.start();
    const exited = new Promise<void>((resolve) => server['child']!.once('exit', () => resolve()));

    expect(sweepScratch('tap-pg-sweep-test-')).toEqual([left]);
    await exited;
    expect(server.running).toBe(false);
    expect(fs.existsSync(left)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  } finally {
    for (const dir of [left, live]) fs.rmSync(dir, { recursive: true, force: true });
  }
}, 15_000);

test("the drill's own queries share a session while the server runs (a connection costs the server a backend), and a restart opens a new one", async () => {
  const dir = scratchDir('tap-pg-test-');
  const server = new PgServer({ name: 'sessions', port: await freePort(), dataDir: path.join(dir, 'data') });
  const pid = async () => (await server.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0].pid;
  try {
    await initDataDir(server.options.dataDir);
    await server.start();
    const first = await pid();
    expect(await pid()).toBe(first);
    expect(await pid()).toBe(first);
    // Concurrent statements still run side by side, each on a session of its own.
    const [a, b] = await Promise.all([
      server.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'),
      server.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'),
    ]);
    expect(a[0].pid).not.toBe(b[0].pid);
    await server.stop();
    await server.start();
    expect(await pid()).not.toBe(first);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
