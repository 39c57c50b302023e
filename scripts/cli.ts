/**
 * `--help` for the CLIs in scripts/: each declares its usage once and calls `exitOnHelp` before
 * any work, so `npm run <script> -- --help` prints the usage and exits 0.
 * test/cli-help.test.ts runs every script that has a command line.
 */
export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

/** With `--help` or `-h` in `argv`: print `usage` on stdout and exit 0. */
export function exitOnHelp(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!wantsHelp(argv)) return;
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}
