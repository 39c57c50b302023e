/**
 * The seams between the drill and the Lambda code it runs: the only module that imports
 * lambda/**. Each function does what the deployed handler does (same modules, same order),
 * with the clients, environment and clock the drill hands it instead of globals.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { Server } from 'http';
import { drain } from '../../lambda/drainer/drain';
import type { ProbeResult } from '../../lambda/orchestrator/canary';
import { handleEvent, OrchestratorConfig, resetCarriedFailures } from '../../lambda/orchestrator/orchestrator';
import { rotate } from '../../lambda/rotation/rotation';
import { connect } from '../../lambda/shared/postgres';
import { ApiDeps, handleRequest } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import { createRuntime, RuntimeEnv } from '../../lambda/trading/runtime';
import { createApiServer } from '../../lambda/trading/server';
import type { BatchOutcome, BatchRecord } from './queue';
import type { Clock } from './sim';

export interface Logger {
  info(message: string, ...detail: unknown[]): void;
  warn(message: string, ...detail: unknown[]): void;
  error(message: string, ...detail: unknown[]): void;
}

/** Where a region's functions find their database, as the program configures them. */
export interface RegionEndpoints {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
  /** The local cluster's writer and reader endpoints. */
  readonly clusterWriter: string;
  readonly clusterReader: string;
  /** The global writer endpoint (follows the writer across regions). */
  readonly globalWriter: string;
  readonly port: number;
  readonly dbName: string;
  readonly secretArn: string;
  readonly queueUrl: string;
}

/** The environment compute-stack.ts gives the trading and drainer functions. */
export function tradingEnv(e: RegionEndpoints): RuntimeEnv {
  return {
    REGION_NAME: e.region,
    REGION_ROLE: e.role,
    DB_SECRET_ARN: e.secretArn,
    DB_HOST: e.clusterWriter,
    DB_READ_HOST: e.clusterReader,
    DB_PORT: String(e.port),
    DB_NAME: e.dbName,
    // The drill's servers have no TLS; the README says what verify-full needs in AWS.
    DB_SSL: 'disable',
    ORDER_QUEUE_URL: e.queueUrl,
  };
}

export interface TradingRuntime {
  /** The Lambda behind the ALB: ALB event in, ALB result out. */
  invokeAlb(event: ALBEvent): Promise<ALBResult>;
  /** The order API's dependencies (what the EC2 server adapter serves). */
  readonly deps: ApiDeps;
  /** One queued batch through the drainer; `crashAfter` kills the runtime after that many orders. */
  drain(records: readonly BatchRecord[], crashAfter?: number): Promise<BatchOutcome>;
  close(): Promise<void>;
}

export class RuntimeCrash extends Error {
  constructor() {
    super('drill: the execution environment died mid-batch');
    this.name = 'RuntimeCrash';
  }
}

export function tradingRuntime(
  endpoints: RegionEndpoints,
  clients: { secrets: SecretsManagerClient; sqs: SQSClient },
  logger: Logger,
): TradingRuntime {
  const runtime = createRuntime(tradingEnv(endpoints), clients);
  const deps: ApiDeps = { ...runtime.deps, logger };
  return {
    deps,
    invokeAlb: async (event) => toAlbResult(await handleRequest(fromAlbEvent(event), deps)),
    async drain(records, crashAfter) {
      let applied = 0;
      let crashed = false;
      const store: Parameters<typeof drain>[1] = {
        insert: async (order) => {
          if (crashed) throw new RuntimeCrash();
          const result = await runtime.store.insert(order);
          if (crashAfter !== undefined && ++applied >= crashAfter) crashed = true;
          return result;
        },
      };
      const result = await drain(
        records.map((r) => ({ messageId: r.messageId, body: r.body })),
        store,
        logger,
        deps.refreshCredentials,
      );
      if (crashed) return { crashed: true };
      return { crashed: false, failedIds: result.batchItemFailures.map((f) => f.itemIdentifier) };
    },
    close: () => runtime.close(),
  };
}

/** The EC2 instance's HTTP server (lambda/trading/server.ts) over a runtime's dependencies. */
export function ec2Server(runtime: TradingRuntime): Server {
  return createApiServer(runtime.deps);
}

export interface OrchestratorSetup {
  readonly globalClusterId: string;
  readonly secondaryClusterArn: string;
  readonly probeIntervalSeconds: number;
  readonly probeFailures: number;
  readonly topicArn: string;
  readonly environment: string;
}

export interface OrchestratorClients {
  readonly rds: RDSClient;
  readonly cloudwatch: CloudWatchClient;
  readonly sns: SNSClient;
}

export interface Vantages {
  /** The eu-west-1 canary's probe of the primary's health path (today's only vantage). */
  readonly canary: () => Promise<ProbeResult>;
}

/** failover-stack.ts's orchestrator environment, as the orchestrator reads it. */
function orchestratorConfig(s: OrchestratorSetup): OrchestratorConfig {
  return {
    globalClusterId: s.globalClusterId,
    secondaryClusterArn: s.secondaryClusterArn,
    probeIntervalMs: s.probeIntervalSeconds * 1000,
    probeFailures: s.probeFailures,
    canaryWindowMs: 60_000,
    topicArn: s.topicArn,
    metricNamespace: 'TAP/Failover',
    environment: s.environment,
  };
}

/** One invocation of the orchestrator (canary schedule, SNS alarm or operator event). */
export async function invokeOrchestrator(
  event: unknown,
  setup: OrchestratorSetup,
  clients: OrchestratorClients,
  vantages: Vantages,
  clock: Clock,
  logger: Logger,
): Promise<{ action: string; reason: string }> {
  const outcome = await handleEvent(event, {
    ...clients,
    probe: vantages.canary,
    clock,
    logger,
    config: orchestratorConfig(setup),
  });
  return outcome.decision;
}

/** A fresh execution environment for the next scenario (module state reset). */
export function resetOrchestrator(): void {
  resetCarriedFailures();
}

/** The worst-case seconds from a dead primary to the promotion call, for today's gate. */
export function promotionGateSeconds(setup: OrchestratorSetup): number {
  // A canary run starts every minute and needs `failures` probes `interval` apart.
  return 60 + setup.probeIntervalSeconds * setup.probeFailures;
}

/** One rotation step, as the rotation function's handler runs it. */
export async function rotationStep(
  event: { SecretId: string; ClientRequestToken: string; Step: string },
  secrets: SecretsManagerClient,
  logger: Logger,
): Promise<void> {
  await rotate(event, {
    secrets,
    logger,
    connect: (c) =>
      connect({ host: c.host, port: c.port, database: c.dbname, user: c.username, password: c.password }, 'disable'),
  });
}

/** Deploy-time schema: today the trading store migrates on first use, as the app user. */
export async function deploySchema(
  endpoints: RegionEndpoints,
  clients: { secrets: SecretsManagerClient; sqs: SQSClient },
): Promise<void> {
  const runtime = createRuntime(tradingEnv(endpoints), clients);
  try {
    await runtime.store.migrate();
  } finally {
    await runtime.close();
  }
}
