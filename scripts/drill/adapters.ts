/**
 * The seams between the drill and the Lambda code it runs: the only module that imports
 * lambda/**. Each function does what the deployed handler does (same modules, same order),
 * with the clients, environment and clock the drill hands it instead of globals.
 */
import type { GlobalAcceleratorClient } from '@aws-sdk/client-global-accelerator';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ALBEvent, ALBResult } from 'aws-lambda';
import type { Server } from 'http';
import { runCanary } from '../../lambda/canary/canary';
import { canaryConfigFromEnv, CanarySettings } from '../../lambda/canary/config';
import { probeOnce, ProbeObservation } from '../../lambda/canary/probe';
import { configFromEnv, OrchestratorConfig } from '../../lambda/orchestrator/config';
import { handleEvent } from '../../lambda/orchestrator/orchestrator';
import { DynamoEvidenceStore, EvidenceStore } from '../../lambda/orchestrator/store';
import { CANARY_TIMEOUT_SECONDS, leaseSeconds, ORCHESTRATOR_TIMEOUT_SECONDS } from '../../lambda/facts/timing';
export { DNS_RESOLVER_OPTIONS } from '../../lambda/orchestrator/aws';
import { rotate } from '../../lambda/rotation/rotation';
import { applySchema } from '../../lambda/schema/migrate';
import { connect } from '../../lambda/shared/postgres';
import { connectionTarget } from '../../lambda/shared/secret-login';
import { ApiDeps, handleRequest } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import { createRuntime, RuntimeEnv } from '../../lambda/trading/runtime';
export type { RuntimeEnv };
import { createApiServer } from '../../lambda/trading/server';
import type { Arbiter } from '../../lambda/shared/arbiter';
import type { BookReplicas } from '../../lambda/shared/book-writer';
import type { OrderBookControl } from '../../lambda/orchestrator/order-book';
import type { Clock } from './sim';
import type { LedgerStore } from '../../lambda/trading/request-ledger';

export interface Logger {
  info(message: string, ...detail: unknown[]): void;
  warn(message: string, ...detail: unknown[]): void;
  error(message: string, ...detail: unknown[]): void;
}

/** What a region's order API is configured with, as the program configures it. */
export interface RegionEndpoints {
  readonly region: string;
  readonly role: 'primary' | 'secondary';
  /** The API's clients and their signing keys. */
  readonly clientKeysSecretArn: string;
  /** The names clients sign for (apiHostNames), and the region's request ledger table. */
  readonly apiHosts: readonly string[];
  readonly authTableName: string;
  /** The live order book: its table, the other replica's region, the signing key's secret. */
  readonly book: { readonly tableName: string; readonly peerRegion: string; readonly signingSecretArn: string };
}

/** The environment compute-stack.ts gives the order API (the trading function and the EC2 service). */
export function tradingEnv(e: RegionEndpoints): RuntimeEnv {
  return {
    REGION_NAME: e.region,
    REGION_ROLE: e.role,
    CLIENT_KEYS_SECRET_ARN: e.clientKeysSecretArn,
    API_HOSTS: e.apiHosts.join(','),
    AUTH_TABLE_NAME: e.authTableName,
    BOOK_TABLE_NAME: e.book.tableName,
    BOOK_PEER_REGION: e.book.peerRegion,
    // The peer replica's interface endpoint, as the program names it (the drill's book view
    // reaches the emulated replica whatever the name: the network faults are the drill's).
    BOOK_PEER_ENDPOINT: `https://vpce-0drill0peer0-0drill.dynamodb.${e.book.peerRegion}.vpce.amazonaws.com`,
    BOOK_SIGNING_SECRET_ARN: e.book.signingSecretArn,
  };
}

export interface TradingRuntime {
  /** The Lambda behind the ALB: ALB event in, ALB result out. */
  invokeAlb(event: ALBEvent): Promise<ALBResult>;
  /** The order API's dependencies (what the EC2 server adapter serves). */
  readonly deps: ApiDeps;
}

/** What the Lambda adapter passes as the request deadline: the function's timeout, less its margin. */
const ALB_DEADLINE_MS = 9_500;

/** The AWS clients a trading runtime gets, on the drill's fakes. */
export interface TradingClients {
  readonly secrets: SecretsManagerClient;
  /** The order book's replicas as this region reaches them. */
  readonly book: BookReplicas;
  /** The region's request ledger (the table every instance shares), in memory. */
  readonly ledger: LedgerStore;
}

export function tradingRuntime(
  env: RuntimeEnv,
  clients: TradingClients,
  logger: Logger,
  clock: Pick<Clock, 'now'>,
): TradingRuntime {
  const runtime = createRuntime(env, {
    secrets: clients.secrets,
    ledger: clients.ledger,
    book: clients.book,
    // The book's clock (order timestamps) is the drill's.
    now: () => new Date(clock.now()),
  });
  const deps: ApiDeps = { ...runtime.deps, logger };
  return {
    deps,
    invokeAlb: async (event) =>
      toAlbResult(await handleRequest(fromAlbEvent(event), deps, { deadlineMs: ALB_DEADLINE_MS })),
  };
}

/** The EC2 instance's HTTP server (lambda/trading/server.ts) over a runtime's dependencies. */
export function ec2Server(runtime: TradingRuntime): Server {
  return createApiServer(runtime.deps);
}

/** Where the drill's failover functions run and what they are pointed at. */
export interface FailoverSetup extends Pick<
  OrchestratorConfig,
  | 'globalClusterId'
  | 'primaryClusterArn'
  | 'secondaryClusterArn'
  | 'primaryRegion'
  | 'vantages'
  | 'probeIntervalSeconds'
  | 'recoveryWindowSeconds'
  | 'fastWindowSeconds'
  | 'primaryEndpointGroupArn'
  | 'secondaryEndpointGroupArn'
  | 'topicArn'
  | 'environment'
> {
  readonly route53HealthCheckId: string;
  /**
   * The failover record's name and the secondary ALB's DNS name it answers with once Route 53 fails
   * over (failover-stack.ts: FAILOVER_RECORD_NAME, SECONDARY_RECORD_TARGET).
   */
  readonly failoverRecord: NonNullable<OrchestratorConfig['failoverRecord']>;
  readonly evidenceTable: string;
  readonly evidenceTableRegion: string;
  /** The order book's table (the drill's emulator) and its replicas' regions. */
  readonly book: { readonly tableName: string; readonly regions: readonly string[] };
  /** orderDurability as this scenario runs it. */
  readonly orderDurability: 'cross-region' | 'regional';
  /** What the canaries probe: the primary ALB's DNS name, spoken to as the platform's name. */
  readonly probeProtocol: 'https' | 'http';
  readonly probeConnectHost: string;
  readonly probeHostname: string;
}

/** The orchestrator's environment as the program sets it, read by the orchestrator's own parser. */
export function orchestratorConfig(s: FailoverSetup): OrchestratorConfig {
  return configFromEnv(orchestratorEnv(s));
}

/** The orchestrator's environment variables as failover-stack.ts sets them, for this setup. */
export function orchestratorEnv(s: FailoverSetup): Record<string, string> {
  return {
    GLOBAL_CLUSTER_ID: s.globalClusterId,
    PRIMARY_CLUSTER_ARN: s.primaryClusterArn,
    SECONDARY_CLUSTER_ARN: s.secondaryClusterArn,
    PRIMARY_REGION: s.primaryRegion,
    CANARY_VANTAGES: s.vantages.join(','),
    PROBE_INTERVAL_SECONDS: String(s.probeIntervalSeconds),
    RECOVERY_WINDOW_SECONDS: String(s.recoveryWindowSeconds),
    FAST_WINDOW_SECONDS: String(s.fastWindowSeconds),
    PROMOTION_MODE: 'automatic',
    LEASE_SECONDS: String(leaseSeconds(ORCHESTRATOR_TIMEOUT_SECONDS)),
    PRIMARY_ENDPOINT_GROUP_ARN: s.primaryEndpointGroupArn,
    SECONDARY_ENDPOINT_GROUP_ARN: s.secondaryEndpointGroupArn,
    ROUTE53_HEALTH_CHECK_ID: s.route53HealthCheckId,
    FAILOVER_RECORD_NAME: s.failoverRecord.name,
    SECONDARY_RECORD_TARGET: s.failoverRecord.secondaryTarget,
    TOPIC_ARN: s.topicArn,
    ENVIRONMENT: s.environment,
    EVIDENCE_TABLE: s.evidenceTable,
    EVIDENCE_TABLE_REGION: s.evidenceTableRegion,
    BOOK_TABLE_NAME: s.book.tableName,
    BOOK_REGIONS: s.book.regions.join(','),
    ARBITER_TABLE: 'ddb-arbiter-usw2-drill',
    ARBITER_TABLE_REGION: 'us-west-2',
    ORDER_DURABILITY: s.orderDurability,
  };
}

/** A canary's environment in `vantage`, read by the canary's own parser. */
export function canarySettings(s: FailoverSetup, vantage: string): CanarySettings {
  return canaryConfigFromEnv({
    AWS_REGION: vantage,
    TARGET_REGION: s.primaryRegion,
    PROBE_PROTOCOL: s.probeProtocol,
    PROBE_CONNECT_HOST: s.probeConnectHost,
    PROBE_HOSTNAME: s.probeHostname,
    PROBE_PATH: '/health',
    PROBE_INTERVAL_SECONDS: String(s.probeIntervalSeconds),
    EVIDENCE_TABLE: s.evidenceTable,
    EVIDENCE_TABLE_REGION: s.evidenceTableRegion,
    ENVIRONMENT: s.environment,
  });
}

/** Lambda timeouts the drill enforces on the failover functions (the recommended ones). */
export const FAILOVER_TIMEOUTS = { orchestrator: ORCHESTRATOR_TIMEOUT_SECONDS, canary: CANARY_TIMEOUT_SECONDS };

export interface ProbeNetwork {
  /** Where the probe's TCP connection really goes (the drill's ALB listener). */
  readonly port: number;
  /** The CA the canary's runtime trusts (undefined: only Node's store). */
  readonly ca?: string;
}

/** The probe a canary makes, pointed at the drill's listener instead of resolving the ALB's name. */
export function canaryProbe(settings: CanarySettings, network: ProbeNetwork): () => Promise<ProbeObservation> {
  return () =>
    probeOnce({
      ...settings.target,
      connectHost: '127.0.0.1',
      port: network.port,
      ...(network.ca ? { ca: network.ca } : {}),
    });
}

/** A canary's three probes: the primary, its control and the us-east-1 beacon. */
export type CanaryProbes = Parameters<typeof runCanary>[0]['probes'];

export interface Recorder {
  addMetric(name: string, unit: unknown, value: number): void;
}

/** One scheduled canary run (a minute of probes) from one vantage region. */
export async function invokeCanary(
  settings: CanarySettings,
  probes: CanaryProbes,
  store: EvidenceStore,
  clock: Clock,
  metrics: Recorder,
  logger: Logger,
): Promise<number> {
  const records = await runCanary({
    config: settings.canary,
    probes,
    store,
    clock,
    metrics: metrics as Parameters<typeof runCanary>[0]['metrics'],
    logger,
  });
  return records.length;
}

/** The evidence store as the functions build it: DynamoDB through the document client. */
export function evidenceStore(documentClient: DynamoDBDocumentClient, table: string): EvidenceStore {
  return new DynamoEvidenceStore(documentClient, table);
}

export interface OrchestratorClients {
  readonly rds: RDSClient;
  /** RDS through the primary region's API (one attempt in production). */
  readonly primaryRds: RDSClient;
  readonly ga: GlobalAcceleratorClient;
  readonly route53: Route53Client;
  readonly sns: SNSClient;
  /** DNS as the orchestrator's handler resolves the failover record (`Resolver.resolveCname`). */
  readonly resolveCname: (name: string) => Promise<string[]>;
  readonly store: EvidenceStore;
  /** The order book's writer item, as the orchestrator's region reaches it. */
  readonly book?: OrderBookControl;
  /** The arbiter in us-west-2 as the orchestrator's region reaches it (scripts/drill/keeper.ts). */
  readonly arbiter?: Arbiter;
}

/** One invocation of the orchestrator (schedule, SNS alarm or operator event): its decisions. */
export async function invokeOrchestrator(
  event: unknown,
  config: OrchestratorConfig,
  clients: OrchestratorClients,
  clock: Clock,
  metrics: Recorder,
  logger: Logger,
  remainingMs: () => number,
): Promise<{ action: string; reason: string }[]> {
  const outcome = await handleEvent(event, {
    config,
    clock,
    ...clients,
    metrics: metrics as Parameters<typeof handleEvent>[1]['metrics'],
    logger,
    remainingMs,
  });
  return outcome.actions.map((a) => ({ action: a.kind, reason: a.reason }));
}

/** The scheduled event the orchestrator's EventBridge rule sends. */
export const SCHEDULE_EVENT = { source: 'schedule' };

/** One rotation step, as the rotation function's handler runs it. */
export async function rotationStep(
  event: { SecretId: string; ClientRequestToken: string; Step: string },
  secrets: SecretsManagerClient,
  logger: Logger,
): Promise<void> {
  await rotate(event, { secrets, logger, connect: (c) => connect(connectionTarget(c), 'disable') });
}

/** The deploy-time schema function (lambda/schema), logged in as master. */
export async function deploySchema(
  secrets: SecretsManagerClient,
  masterSecretArn: string,
  logger: Logger,
): Promise<void> {
  await applySchema({ secrets, logger, connect: (c) => connect(connectionTarget(c), 'disable') }, masterSecretArn);
}
