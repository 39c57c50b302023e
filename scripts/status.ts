/**
 * `npm run status -- --stack NAME`: the failover state of a deployed stack as the orchestrator
 * reads it (who writes the book, the global cluster, the fence, each canary's vote, the dials,
 * the lags), from AWS with the default credential chain. It parses the orchestrator's own
 * environment (the `failoverOrchestratorEnvironment` output) with the orchestrator's contract and
 * reads through the orchestrator's code, read-only. test/status.test.ts runs it in the drill.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import { RDSClient } from '@aws-sdk/client-rds';
import { Route53Client } from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Resolver } from 'node:dns/promises';
import { z } from 'zod';
import {
  DNS_RESOLVER_OPTIONS,
  GLOBAL_ACCELERATOR_API_REGION,
  ROUTE53_API_REGION,
  sdkOptions,
} from '../lambda/orchestrator/aws';
import { systemClock } from '../lambda/orchestrator/clock';
import { configFromEnv, type OrchestratorConfig } from '../lambda/orchestrator/config';
import { type FailoverStatus, readFailoverStatus } from '../lambda/orchestrator/failover-status';
import { bookControlFor } from '../lambda/orchestrator/book-control';
import type { OrchestratorDeps } from '../lambda/orchestrator/orchestrator-deps';
import { DynamoEvidenceStore } from '../lambda/orchestrator/store';
import { wantsHelp } from './cli';
import {
  byRegion,
  pickOutputs,
  readStackOutputs,
  stackArguments,
  StackOutputs,
  StackOutputsError,
} from './stack-outputs';
import { type LagReading, lagTargets, readLags } from './status/lag';
import { statusReport } from './status/status-report';

export const USAGE = `usage: npm run status -- --stack NAME [--outputs FILE]

Reads the failover state of a deployed stack, read-only, as the failover orchestrator reads it:
the order book's writer in each replica, the Aurora global cluster's writer, the fence record
(and the dials it moved), the gate's verdict with each canary's vote, the accelerator's traffic
dials, and the lags (Aurora replication, the ledger behind the book).
  --stack NAME     the stack (its outputs: pulumi stack output --json --stack NAME)
  --outputs FILE   read the outputs from FILE (saved from that command) instead of the Pulumi CLI
  -h, --help       show this help
Exit codes: 0 read, 2 the stack or its outputs could not be read, 64 bad arguments.`;

export const EXIT = { ok: 0, unreadable: 2, usage: 64 } as const;

/** The outputs status reads (lib/program.ts operatorOutputs, lib/tap-stack.ts stackOutputs). */
export const STATUS_OUTPUTS = {
  failoverOrchestratorEnvironment: z.record(z.string(), z.string()),
  bookApplierFunctionNames: byRegion,
};

/** What status reads through: the orchestrator's dependencies and CloudWatch. */
export interface StatusIo {
  readonly deps: (config: OrchestratorConfig) => OrchestratorDeps;
  readonly cloudwatch: (region: string) => Pick<CloudWatchClient, 'send'>;
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The clients as the orchestrator's handler builds them; nothing that writes is ever called. */
export function awsIo(): StatusIo {
  return {
    deps: (config) => {
      const book = bookControlFor(config.book);
      return {
        config,
        clock: systemClock,
        store: new DynamoEvidenceStore(
          DynamoDBDocumentClient.from(
            new DynamoDBClient(sdkOptions(config.evidenceTable?.region ?? regionOfArn(config.secondaryClusterArn))),
          ),
          config.evidenceTable?.name ?? '',
        ),
        rds: new RDSClient(sdkOptions(regionOfArn(config.secondaryClusterArn))),
        primaryRds: new RDSClient({ ...sdkOptions(config.primaryRegion), maxAttempts: 1 }),
        resolveCname: (name) => new Resolver(DNS_RESOLVER_OPTIONS).resolveCname(name),
        ...(book && { book }),
        ga: new GlobalAcceleratorClient(sdkOptions(GLOBAL_ACCELERATOR_API_REGION)),
        route53: new Route53Client({ ...sdkOptions(ROUTE53_API_REGION), maxAttempts: 1 }),
        sns: { send: () => Promise.reject(new Error('status publishes nothing')) },
        metrics: { addMetric: () => undefined } as unknown as OrchestratorDeps['metrics'],
        logger: quiet,
      };
    },
    cloudwatch: (region) => new CloudWatchClient(sdkOptions(region)),
  };
}

const regionOfArn = (arn: string) => arn.split(':')[3];

export async function main(
  argv: readonly string[],
  out: (line: string) => void,
  io: StatusIo = awsIo(),
  outputsOf: (source: { stack: string; file?: string }) => StackOutputs = readStackOutputs,
): Promise<number> {
  if (wantsHelp(argv)) {
    out(USAGE);
    return EXIT.ok;
  }
  const args = stackArguments(argv);
  if (typeof args === 'string') {
    out(`${args}\n${USAGE}`);
    return EXIT.usage;
  }
  let platform: StatusSource;
  try {
    platform = statusSource(outputsOf(args.source));
  } catch (e) {
    if (!isUnreadable(e)) throw e;
    out(`status: ${(e as Error).message}`);
    return EXIT.unreadable;
  }
  const { status, lags } = await readPlatform(platform, io);
  statusReport(args.source.stack, platform.config, status, lags).forEach((line) => out(line));
  return EXIT.ok;
}

/** What status reads a stack through: the orchestrator's config and each region's book applier. */
export interface StatusSource {
  readonly config: OrchestratorConfig;
  readonly appliers: Readonly<Record<string, string>>;
}

/** From the stack's outputs; throws StackOutputsError or the orchestrator's EnvError (see isUnreadable). */
export function statusSource(outputs: StackOutputs): StatusSource {
  const o = pickOutputs(outputs, STATUS_OUTPUTS);
  return { config: configFromEnv(o.failoverOrchestratorEnvironment), appliers: o.bookApplierFunctionNames };
}

/** The stack's outputs could not be read, or do not hold what status reads. */
export const isUnreadable = (e: unknown): boolean =>
  e instanceof StackOutputsError || (e as Error | undefined)?.name === 'EnvError';

/** One reading of the failover state and the lags, as status shows them (the game day's watchers read it too). */
export async function readPlatform(
  { config, appliers }: StatusSource,
  io: StatusIo,
): Promise<{ readonly status: FailoverStatus; readonly lags: LagReading[] }> {
  const status = await readFailoverStatus(io.deps(config), config.book?.regions ?? [config.primaryRegion]);
  const lags = await readLags(
    lagTargets([config.primaryClusterArn, config.secondaryClusterArn], appliers),
    io.cloudwatch,
    new Date(status.at),
  );
  return { status, lags };
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`status failed: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
