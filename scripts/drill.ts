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
import { writeTimelines } from './drill/timeline-files';
import { drillReport } from './drill/report';
import { drillSettings } from './drill/settings';
import { COLOR, PLAIN } from './report';

/**
 * Runs per scenario by default: three, so p50/p99 are over more than one draw. (The goal was a
 * whole drill under 90 s on a 2-core machine; one run of every scenario takes longer: see
 * docs/failover-drill.md, "A run".)
 */
const DEFAULT_RUNS = 3;

const HELP = `Usage: npm run drill -- [options]

Runs every failover scenario several times against real PostgreSQL servers with AWS faked, each
run with its own seed (the canaries' and the orchestrator's minute phases, the accelerator's
pickup, Route 53's checkers), and reports for each scenario over its runs: promotions, p50/p99
of the gate's decision time and of the first live order after the fault, acknowledged orders
lost, executed twice, stored without an acknowledgement, and acknowledged by a fenced region.
A failing run is listed with the command that replays it.

Options:
  --stack NAME        stack whose Pulumi.NAME.yaml to read (default: dev)
  --set KEY=VALUE     override one config key (repeatable)
  --scenario NAME     run only this scenario (repeatable); --list shows them
  --runs N            runs per scenario, each with its own seed (default: ${DEFAULT_RUNS})
  --seed S            base seed the runs' seeds come from (default: 1)
  --replay SEED       one run of each chosen scenario with this seed (as a failing run prints it)
  --workers N         run scenarios in N processes, each with its own server pair (default: 2)
  --json FILE         write every result (with its timeline detail) as JSON to FILE
  --out DIR           write each run's timeline as JSON and SVG to DIR (default: reports/drill;
                      --out '' writes none)
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
        runs: { type: 'string', default: String(DEFAULT_RUNS) },
        seed: { type: 'string', default: '1' },
        replay: { type: 'string' },
        json: { type: 'string' },
        out: { type: 'string', default: path.join('reports', 'drill') },
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
  const whole = (name: string, value: string | undefined, min: number): number | undefined => {
    const n = Number(value);
    if (value === undefined) return undefined;
    if (!Number.isInteger(n) || n < min || n >= 2 ** 32)
      throw new RangeError(`--${name} takes a whole number >= ${min}, got "${value}"`);
    return n;
  };
  let runs: number | undefined, seed: number | undefined, replay: number | undefined;
  try {
    runs = whole('runs', args.runs, 1);
    seed = whole('seed', args.seed, 0);
    replay = whole('replay', args.replay, 0);
    if (runs! > 1000) throw new RangeError(`--runs takes at most 1000, got ${runs}`);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
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
      runs,
      seed,
      replay,
      onResult: (r) =>
        process.stderr.write(`${r.passed ? 'pass' : 'FAIL'} ${r.name} seed ${r.seed} (${r.detail.wallSeconds} s)\n`),
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
    process.stdout.write(`Wrote ${results.length} run results to ${args.json}\n`);
  }
  if (args.out) {
    const written = writeTimelines(args.out, results, drillScenarios(settings));
    process.stdout.write(`Wrote ${written} run timelines (JSON and SVG) to ${args.out}\n`);
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
