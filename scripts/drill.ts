/**
 * `npm run drill`: rehearse regional failures offline. The real Lambda code runs against two
 * PostgreSQL 14 servers in streaming replication, AWS is faked at the SDK boundary, time is
 * simulated. Exit codes: 0 every scenario met its expectation, 1 some did not, 2 bad arguments,
 * bad config or a broken harness.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { ConfigError } from '../lib/config';
import { drillScenarios, runDrill } from './drill/index';
import { drillReport } from './drill/report';
import { drillSettings } from './drill/settings';
import { COLOR, PLAIN } from './report';

const HELP = `Usage: npm run drill -- [options]

Runs every failover scenario against real PostgreSQL servers with AWS faked, and reports for
each: promotions, acknowledged orders lost, duplicates, orders stranded, time from the fault
to the first accepted and the first committed order, and the longest gap a client saw.

Options:
  --stack NAME        stack whose Pulumi.NAME.yaml to read (default: dev)
  --set KEY=VALUE     override one config key (repeatable)
  --scenario NAME     run only this scenario (repeatable); --list shows them
  --workers N         run scenarios in N processes, each with its own server pair (default: 2)
  --json FILE         write every result (with its timeline detail) as JSON to FILE
  --list              list the scenarios and exit
  --no-color          plain output even on a terminal
  -h, --help          show this help

Exit codes: 0 every scenario met its expectation, 1 some did not, 2 invalid arguments or config.`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        stack: { type: 'string', default: 'dev' },
        set: { type: 'string', multiple: true, default: [] },
        scenario: { type: 'string', multiple: true, default: [] },
        workers: { type: 'string', default: '2' },
        json: { type: 'string' },
        list: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const style = process.stdout.isTTY && !args['no-color'] && !process.env.NO_COLOR ? COLOR : PLAIN;
  const overrides: Record<string, string> = {};
  for (const pair of args.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) {
      process.stderr.write(`--set takes KEY=VALUE, got "${pair}"\n`);
      return 2;
    }
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const workers = Number(args.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    process.stderr.write(`--workers takes a positive whole number, got "${args.workers}"\n`);
    return 2;
  }
  let settings;
  try {
    settings = drillSettings(args.stack!, overrides);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${style.red(e.message)}\n`);
      return 2;
    }
    throw e;
  }
  if (args.list) {
    for (const s of drillScenarios(settings)) process.stdout.write(`${s.name.padEnd(26)} ${s.title}\n`);
    return 0;
  }
  const started = Date.now();
  let results;
  try {
    results = await runDrill({
      settings,
      stack: args.stack!,
      overrides,
      only: args.scenario,
      workers,
      onResult: (r) => process.stderr.write(`${r.passed ? 'pass' : 'FAIL'} ${r.name} (${r.detail.wallSeconds} s)\n`),
    });
  } catch (e) {
    if (/unknown scenario/.test((e as Error).message)) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  process.stdout.write(`${drillReport(results, style).join('\n')}\n\nWall time: ${wallSeconds} s\n`);
  if (args.json) {
    fs.mkdirSync(path.dirname(path.resolve(args.json)), { recursive: true });
    fs.writeFileSync(args.json, `${JSON.stringify({ stack: args.stack, settings, wallSeconds, results }, null, 2)}\n`);
    process.stdout.write(`Wrote ${results.length} scenario results to ${args.json}\n`);
  }
  const broken = results.filter((r) => r.detail.harnessErrors.length > 0);
  if (broken.length > 0) return 2;
  return results.every((r) => r.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`drill failed: ${(e as Error).stack ?? e}\n`);
    process.exit(2);
  },
);
