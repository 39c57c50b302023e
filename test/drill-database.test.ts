/**
 * The drill's database closes what it opens, even when it fails: a jest worker that still holds a
 * listener or a server process cannot exit ("A worker process has failed to exit gracefully").
 */
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GlobalDatabase } from '../scripts/drill/database';
import { freePort, Network } from '../scripts/drill/network';
import { initDataDir, PgServer, scratchDir } from '../scripts/drill/postgres';

/** The process's open listeners, server processes and their pipes, by kind. */
function holding(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo())
    if (['TCPServerWrap', 'ProcessWrap', 'PipeWrap'].includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

it('a start that fails half way (here the setup, after the primary has started) closes the fabric and stops the server', async () => {
  const before = holding();
  const failure = new Error('setup failed, as a connect timeout on a loaded machine does');
  let started = false;
  await expect(
    GlobalDatabase.create(new Network(), '123456789012', async (primary) => {
      started = primary.running;
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(started).toBe(true);
  // A child's handle is closed in the turn after its 'exit' event.
  await new Promise((resolve) => setTimeout(resolve, 100));
  // Nothing more than before (what an earlier file in this worker left may have closed since).
  // Before the fix: 18 listeners (6 endpoints from 3 regions), the primary and its stderr pipe.
  const more = Object.entries(holding()).filter(([kind, n]) => n > (before[kind] ?? 0));
  expect(more).toEqual([]);
}, 30_000);

it('stopping a server that was killed by a signal returns at once (it has no exit code, only the signal)', async () => {
  const server = new PgServer({
    name: 'pg_killed',
    port: await freePort(),
    dataDir: path.join(scratchDir('tap-drill-'), 'a'),
  });
  await initDataDir(server.options.dataDir);
  await server.start();
  const child = (server as unknown as { child: ChildProcess }).child;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // The server's own processes outlive a killed postmaster and hold its stderr open (and with it
  // this jest worker): they are killed too, once the point is made.
  const orphans = childrenOf(child.pid!);
  const stderrClosed = new Promise((resolve) => child.stderr!.once('close', resolve));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  expect(server.running).toBe(false);
  // Before the fix this waited for an 'exit' that had already come: for ever.
  await expect(
    Promise.race([server.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hung'), 2_000))]),
  ).resolves.toBe('stopped');
  for (const pid of orphans) killIfAlive(pid);
  await stderrClosed;
}, 30_000);

/** The processes whose parent is `pid` (from /proc: field 4 of each process's stat). */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
