/**
 * `node --import tsx test/helpers/help-runner.ts scripts/a.ts ...`: runs each script with `--help`
 * as the main module (`require.main === module`, as `tsx scripts/a.ts --help` runs it), one after
 * another in this one process, and prints one JSON line per script: its exit status, stdout and
 * stderr, as a process of its own would have them (nothing after the first `process.exit`).
 * test/cli-help.test.ts uses it instead of one tsx process per script: the scripts share the
 * loading of their common modules (@pulumi/pulumi, the AWS SDK), about a tenth of the CPU.
 * A script that neither exits nor goes quiet (a server left listening) hangs it, and the test
 * times out, as a spawned process would.
 */
import Module from 'module';
import * as path from 'path';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function runOne(file: string): Promise<{ file: string; status: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let status: number | null = null;
  const baseline = process.getActiveResourcesInfo().length;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // What a process would show: nothing written after its first exit.
  const write = (to: 'out' | 'err') => (chunk: unknown) => {
    if (status !== null) return true;
    if (to === 'out') stdout += String(chunk);
    else stderr += String(chunk);
    return true;
  };
  const saved = { out: process.stdout.write, err: process.stderr.write, exit: process.exit, argv: process.argv };
  process.stdout.write = write('out') as typeof process.stdout.write;
  process.stderr.write = write('err') as typeof process.stderr.write;
  process.exit = ((code?: number) => {
    // The first exit ends a process: later calls (a catch-all handler meeting this throw) change nothing.
    if (status === null) status = code ?? 0;
    done();
    throw new Exit(status);
  }) as typeof process.exit;
  process.argv = [process.execPath, path.resolve(file), '--help'];
  const onRejection = (e: unknown) => {
    if (!(e instanceof Exit) && status === null) {
      stderr += `unhandled rejection: ${String(e)}\n`;
      status = status ?? 1;
      done();
    }
  };
  process.on('unhandledRejection', onRejection);
  // A script another one imported is cached unrun: run it again, as its own process would.
  delete require.cache[require.resolve(path.resolve(file))];
  try {
    (Module as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(
      path.resolve(file),
      null,
      true,
    );
  } catch (e) {
    if (!(e instanceof Exit) && status === null) {
      stderr += `threw: ${String(e)}\n`;
      status = 1;
      done();
    }
  }
  // A script that returns without process.exit has finished once nothing of its own is pending.
  const quiet = new Promise<void>((resolve) => {
    const poll = () => (process.getActiveResourcesInfo().length <= baseline + 1 ? resolve() : setTimeout(poll, 20));
    setTimeout(poll, 20);
  });
  await Promise.race([finished, quiet]);
  process.off('unhandledRejection', onRejection);
  Object.assign(process, { exit: saved.exit, argv: saved.argv });
  process.stdout.write = saved.out;
  process.stderr.write = saved.err;
  return { file, status: status ?? 0, stdout, stderr };
}

async function main() {
  for (const file of process.argv.slice(2)) process.stdout.write(`${JSON.stringify(await runOne(file))}\n`);
  process.exit(0);
}
void main();
