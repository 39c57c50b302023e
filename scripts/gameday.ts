/**
 * `npm run gameday -- --stack NAME --experiment X`: start one of the stack's game days (an AWS
 * FIS experiment, docs/runbooks/game-day.md), send signed orders through the whole run, record
 * the timeline, append the run to gameday/NAME.json (what calibrates the plan's RTO model) and
 * print the measured values beside the model's p50/p99. Ctrl-C stops the experiment.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { ConfigError, parseSettings, readRawConfig, Settings } from '../lib/config';
import { calibrationFrom, modelDraws } from '../lib/model/calibration';
import { GAME_DAY_EXPERIMENTS, GameDayExperiment } from '../lib/model/game-day-catalog';
import {
  GameDayResults,
  GameDayRun,
  parseGameDayResults,
  resultsPath,
  settingsOfRun,
} from '../lib/model/game-day-results';
import { regionCode } from '../lib/config/naming';
import { rtoInputsFromSettings } from '../lib/model/rto-inputs';
import { rtoDistribution } from '../lib/model/rto-model';
import { ExperimentDriver, FINAL_STATES, fisClient, fisDriver } from './gameday/fis';
import { ACCEPT_PROTECTED_FLAG, refusal } from './gameday/guard';
import { appendRun, comparison, gameDayRun } from './gameday/report';
import { OrderOutcome, orderEvents, TimelineRecorder } from './gameday/timeline';
import { readTraffic, zoneNameServers, zoneResolver } from './gameday/traffic-reads';
import { PlatformReading, PlatformWatcher } from './gameday/watch';
import { PROJECT_DIR, readProject, stackConfig } from './stack-files';
import { OrderClient } from './order-client';
import { readStackOutputs } from './stack-outputs';
import { awsIo, isUnreadable, readPlatform, statusSource } from './status';

export const EXIT = { ok: 0, failed: 1, refused: 2, usage: 64 } as const;

/** How often the experiment's state and the platform are read, unless --poll-seconds says otherwise. */
export const DEFAULT_POLL_SECONDS = 5;

export const USAGE = `Usage: npm run gameday -- --stack NAME --experiment X [options]

Starts the stack's FIS experiment X, sends signed orders through the whole run, records the
timeline, appends the run to gameday/NAME.json (npm run plan reads it to calibrate the RTO model)
and prints the measured values beside the model's p50/p99. Ctrl-C stops the experiment. At each
poll it also reads the platform's state as npm run status does (the stack's outputs through the
Pulumi CLI, AWS with the default credentials) and records each gate vote, the decision, the book
writer's move (fence), the accelerator and Route 53 leaving the primary (the failover record read
from the zone's name servers), Aurora's promotion and the ledger catching up.

Options:
  --stack NAME            the stack (its Pulumi.NAME.yaml must have gameDays: enabled)
  --experiment X          one of: ${GAME_DAY_EXPERIMENTS.join(', ')}
  --url URL               the order API (default: https://api.<domainName>)
  --rate N                signed orders per second through the run (default 1; 0: none).
                          TAP_CLIENT_ID and TAP_CLIENT_KEY in the environment sign them
  --poll-seconds N        how often the experiment's state is read (default ${DEFAULT_POLL_SECONDS})
  --observe-seconds N     how long orders and watchers go on after the experiment ends
                          (default: the gate's recovery window + 60 s, so a late decision is
                          seen; 0: none). Ctrl-C ends it early
  --out FILE              results file (default: gameday/NAME.json)
  ${ACCEPT_PROTECTED_FLAG}    run against a stack with dataProtection: protected
  -h, --help              show this help

Exit codes: ${EXIT.ok} completed, ${EXIT.failed} stopped or failed, ${EXIT.refused} refused (stack or config), ${EXIT.usage} bad arguments.`;

export interface GameDayIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly driver: (region: string) => ExperimentDriver;
  /** Sends one signed order; the default posts a small limit order through OrderClient. */
  readonly sendOrder: (url: string, n: number) => Promise<OrderOutcome>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Calls `handler` on Ctrl-C; returns a function that removes it. */
  readonly onInterrupt: (handler: () => void) => () => void;
  /** The stack's full config (default: its Pulumi.NAME.yaml over Pulumi.yaml, as the plan reads it). */
  readonly stackConfig?: (stack: string) => Record<string, string>;
  /** Where the run happens: `aws` (default) or `offline` (the drill's fakes: exercises the loop, measures nothing real). */
  readonly source?: GameDayRun['source'];
  /**
   * The platform's state as `npm run status` reads it, for the watchers (scripts/gameday/watch.ts);
   * throws when the stack's outputs cannot be read. Without it, no watcher runs.
   */
  readonly platform?: (stack: string) => PlatformSource;
}

/** What the watchers read: each region's book applier, and one reading of the platform per call. */
export interface PlatformSource {
  readonly appliers: Readonly<Record<string, string>>;
  readonly read: () => Promise<PlatformReading>;
}

class Refused extends Error {}

function readSettings(stack: string, config: (stack: string) => Record<string, string>): Settings {
  if (!fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`))) throw new Refused(`unknown stack "${stack}"`);
  try {
    return parseSettings(readRawConfig(readProject().name, config(stack)));
  } catch (e) {
    if (e instanceof ConfigError) throw new Refused(e.message);
    throw e;
  }
}

function readResults(file: string, stack: string): GameDayResults | undefined {
  if (!fs.existsSync(file)) return undefined;
  return parseGameDayResults(fs.readFileSync(file, 'utf8'), path.relative(PROJECT_DIR, file), stack);
}

export async function gameday(argv: string[], io: GameDayIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        stack: { type: 'string' },
        experiment: { type: 'string' },
        url: { type: 'string' },
        rate: { type: 'string', default: '1' },
        'poll-seconds': { type: 'string', default: String(DEFAULT_POLL_SECONDS) },
        'observe-seconds': { type: 'string' },
        out: { type: 'string' },
        [ACCEPT_PROTECTED_FLAG.slice(2)]: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    io.stderr(`${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (args.help) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const rate = Number(args.rate);
  const pollSeconds = Number(args['poll-seconds']);
  const observe = args['observe-seconds'] === undefined ? undefined : Number(args['observe-seconds']);
  const experiment = args.experiment as GameDayExperiment;
  const problems = [
    !args.stack && '--stack is required',
    !GAME_DAY_EXPERIMENTS.includes(experiment) && `--experiment must be one of ${GAME_DAY_EXPERIMENTS.join(', ')}`,
    !(rate >= 0 && rate <= 50) && '--rate must be a number of orders per second from 0 to 50',
    !(pollSeconds >= 1 && pollSeconds <= 60) && '--poll-seconds must be from 1 to 60',
    observe !== undefined && !(observe >= 0 && observe <= 3600) && '--observe-seconds must be from 0 to 3600',
  ].filter((p): p is string => Boolean(p));
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const stack = args.stack!;
  const out = path.resolve(args.out ?? path.join(PROJECT_DIR, resultsPath(stack)));

  let settings: Settings;
  let existing: GameDayResults | undefined;
  let platform: PlatformSource | undefined;
  try {
    settings = readSettings(stack, io.stackConfig ?? ((name) => stackConfig(name)));
    const why = refusal(stack, settings, Boolean(args[ACCEPT_PROTECTED_FLAG.slice(2)]));
    if (why) throw new Refused(why);
    existing = readResults(out, stack);
    platform = io.platform?.(stack);
  } catch (e) {
    const refused = e instanceof Refused || (e instanceof Error && e.name === 'GameDayResultsError');
    if (!refused && !isUnreadable(e)) throw e;
    io.stderr(`Refused: ${refused ? '' : 'the watchers cannot read the stack: '}${(e as Error).message}`);
    return EXIT.refused;
  }
  const [primary, secondary] = settings.regions.map((r) => r.region);
  const driver = io.driver(primary);
  const timeline = new TimelineRecorder(io.now);
  const watcher =
    platform &&
    new PlatformWatcher({
      secondaryRegion: secondary,
      appliers: platform.appliers,
      caughtUpMs: settings.alarmBookApplyLagSeconds * 1000,
    });
  const url = args.url ?? `https://api.${settings.domainName}`;
  const templateName = `fis-${experiment}-${regionCode(primary)}-${settings.environmentSuffix}`;

  const startedAt = io.now().toISOString();
  const experimentId = await driver.start(templateName, { GameDay: experiment, Stack: stack });
  timeline.record('fault-start', `FIS experiment ${experimentId} from ${templateName}`);
  io.stdout(`Started ${experiment} (FIS experiment ${experimentId}); Ctrl-C stops it.`);

  let interrupted = false;
  /** Once the experiment has ended: until when orders and watchers go on. */
  let observeUntil: number | undefined;
  const removeInterrupt = io.onInterrupt(() => {
    if (interrupted) return;
    interrupted = true;
    if (observeUntil !== undefined) return;
    io.stdout(`Ctrl-C: stopping FIS experiment ${experimentId}`);
    void driver.stop(experimentId).then(
      () => timeline.record('fault-stop', 'stopped by the operator (Ctrl-C)'),
      (e: Error) =>
        io.stderr(
          `StopExperiment failed: ${e.message}: stop it yourself: aws fis stop-experiment --id ${experimentId}`,
        ),
    );
  });

  let state = { status: 'initiating' } as { status: string; reason?: string };
  let sent = 0;
  const orderGapMs = rate > 0 ? 1000 / rate : Infinity;
  const clock = () => io.now().getTime();
  let nextOrder = clock();
  let nextPoll = 0;
  const observeMs = (observe ?? settings.failoverRecoveryWindowSeconds + 60) * 1000;
  try {
    while (observeUntil === undefined || (clock() < observeUntil && !interrupted)) {
      if (clock() >= nextPoll) {
        if (observeUntil === undefined) state = await driver.state(experimentId);
        if (watcher && platform)
          for (const e of watcher.observe(await platform.read())) timeline.record(e.event, e.detail);
        nextPoll = clock() + pollSeconds * 1000;
      }
      if (clock() >= nextOrder) {
        const outcome = await io.sendOrder(url, ++sent);
        for (const event of orderEvents(outcome, secondary, timeline.has('first-failed-order'))) timeline.record(event);
        nextOrder += orderGapMs;
      }
      if (observeUntil === undefined && (FINAL_STATES as readonly string[]).includes(state.status)) {
        timeline.record('fault-stop', `FIS state ${state.status}${state.reason ? `: ${state.reason}` : ''}`);
        observeUntil = clock() + observeMs;
        if (observeMs > 0)
          io.stdout(`Experiment ${state.status}; watching ${observeMs / 1000} s more (Ctrl-C ends it).`);
        continue;
      }
      await io.sleep(Math.max(0, Math.min(nextPoll, nextOrder, observeUntil ?? Infinity) - clock()));
    }
  } finally {
    removeInterrupt();
  }
  const outcome = state.status === 'completed' ? 'completed' : state.status === 'failed' ? 'failed' : 'stopped';
  const run = gameDayRun({
    experiment,
    source: io.source ?? 'aws',
    experimentId,
    startedAt,
    finishedAt: io.now().toISOString(),
    outcome,
    settings: settingsOfRun(settings),
    timeline: timeline.entries(),
  });
  const results = appendRun(existing, stack, run);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

  const calibration = calibrationFrom(results, settings);
  const inputs = rtoInputsFromSettings(settings);
  const model = rtoDistribution(inputs, { calibration });
  const median = modelDraws(calibration).promotionMedian(inputs.dbPromotionEstimateSeconds);
  for (const line of comparison(run, model, median)) io.stdout(line);
  io.stdout(
    `Wrote run ${results.runs.length} of stack ${stack} to ${path.relative(process.cwd(), out)} (${sent} orders sent).`,
  );
  return outcome === 'completed' ? EXIT.ok : EXIT.failed;
}

/** One small limit order, signed with the desk's key from the environment (`fetchImpl`: where requests go). */
export function orderSender(env: GameDayIo['env'], fetchImpl: typeof fetch = fetch): GameDayIo['sendOrder'] {
  const clientId = env.TAP_CLIENT_ID;
  const key = env.TAP_CLIENT_KEY;
  return async (url, n) => {
    if (!clientId || !key) return { kind: 'unreachable', error: 'TAP_CLIENT_ID and TAP_CLIENT_KEY are not set' };
    const clientOrderId = `gameday-${Date.now()}-${n}`;
    try {
      const r = await new OrderClient(url, { clientId, key }, fetchImpl).placeOrder({
        clientOrderId,
        symbol: 'GDAY',
        side: 'buy',
        // The API requires the type (docs/openapi.yaml OrderRequest); a limit order needs its price.
        type: 'limit',
        quantity: '1',
        limitPrice: '1',
      });
      const region = (r.body as { region?: unknown } | null)?.region;
      return {
        kind: 'answered',
        status: r.status,
        region: typeof region === 'string' ? region : undefined,
        clientOrderId,
      };
    } catch (e) {
      return { kind: 'unreachable', error: (e as Error).message, clientOrderId };
    }
  };
}

/**
 * The watchers' reads in AWS: the stack's outputs through the Pulumi CLI, then status's clients
 * (one set for the run), plus Route 53's checkers and the failover record from the zone's name servers.
 */
function awsPlatform(stack: string): PlatformSource {
  const outputs = readStackOutputs({ stack });
  const source = statusSource(outputs);
  const aws = awsIo();
  const zone = zoneResolver(zoneNameServers(outputs));
  const deps = { ...aws.deps(source.config), resolveCname: zone.resolveCname };
  const io = { ...aws, deps: () => deps };
  return {
    appliers: source.appliers,
    read: async () => {
      const [platform, traffic] = await Promise.all([readPlatform(source, io), readTraffic(deps, Date.now())]);
      return { ...platform, traffic: { ...traffic, resolver: zone.describe() } };
    },
  };
}

if (require.main === module) {
  const io: GameDayIo = {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    driver: (region) => {
      const client = fisClient(region);
      return fisDriver(client.send.bind(client));
    },
    sendOrder: orderSender(process.env),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    platform: awsPlatform,
  };
  gameday(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`gameday crashed: ${e.stack ?? e.message}\n`);
      process.exit(70);
    },
  );
}
