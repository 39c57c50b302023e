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
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ALBEvent, ALBResult, SQSRecord } from 'aws-lambda';
import type { Server } from 'http';
import { runCanary } from '../../lambda/canary/canary';
import { canaryConfigFromEnv, CanarySettings } from '../../lambda/canary/config';
import { probeOnce, ProbeObservation } from '../../lambda/canary/probe';
import { configFromEnv, OrchestratorConfig } from '../../lambda/orchestrator/config';
import { handleEvent } from '../../lambda/orchestrator/orchestrator';
import { DynamoEvidenceStore, EvidenceStore } from '../../lambda/orchestrator/store';
import {
  CANARY_TIMEOUT_SECONDS,
  leaseSeconds,
  ORCHESTRATOR_TIMEOUT_SECONDS,
  worstCaseTimeToPromotion,
} from '../../lambda/facts/timing';
import { rotate } from '../../lambda/rotation/rotation';
import { applySchema } from '../../lambda/schema/migrate';
import { connect } from '../../lambda/shared/postgres';
import { connectionTarget } from '../../lambda/shared/secret-login';
import { ApiDeps, handleRequest } from '../../lambda/trading/api';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';
import { createRuntime, RuntimeEnv } from '../../lambda/trading/runtime';
import { auditBatch, createAuditorRuntime } from '../../lambda/journal-auditor/handler';
import type { AuditorDeps } from '../../lambda/journal-auditor/auditor';
import { journalConfigFromEnv } from '../../lambda/shared/journal';
import { dynamoPeerFence, sqsJournalSender } from '../../lambda/shared/journal-sqs';
export type { RuntimeEnv };
import { createApiServer } from '../../lambda/trading/server';
import type { BookReplicas } from '../../lambda/shared/book-writer';
import type { OrderBookControl } from '../../lambda/orchestrator/order-book';
import type { BatchOutcome, BatchRecord } from './queue';
import type { Clock } from './sim';
import type { LedgerStore } from '../../lambda/trading/request-ledger';

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
  /** Connections per pool (config dbPoolMaxConnections). */
  readonly poolMax: number;
  readonly secretArn: string;
  /** The API's clients and their signing keys. */
  readonly clientKeysSecretArn: string;
  /** The names clients sign for (apiHostNames), and the region's request ledger table. */
  readonly apiHosts: readonly string[];
  readonly authTableName: string;
  /** The order journal: both regions' journal queues, the per-write budget, and the fence record. */
  readonly journal: {
    /** orderDurability: cross-region journals every order before its commit; regional does not. */
    readonly durability: 'cross-region' | 'regional';
    readonly queueUrls: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
    /** This region's parked queue and the auditor's orphan age (the auditor's own settings). */
    readonly parkedQueueUrl: string;
    readonly orphanAfterSeconds: number;
  };
  /** The orchestrator's evidence table, where its fence record lives, and the record's name. */
  readonly fence: { readonly tableName: string; readonly tableRegion: string; readonly name: string };
  /** The live order book: its table, the other replica's region, the signing key's secret. */
  readonly book?: { readonly tableName: string; readonly peerRegion: string; readonly signingSecretArn: string };
}

/** The environment compute-stack.ts gives the trading function: the service's, and what verifying requests needs. */
export function tradingEnv(e: RegionEndpoints): RuntimeEnv {
  return {
    ...serviceEnv(e),
    CLIENT_KEYS_SECRET_ARN: e.clientKeysSecretArn,
    API_HOSTS: e.apiHosts.join(','),
    AUTH_TABLE_NAME: e.authTableName,
    // The book is the order API's alone (compute-stack.ts gives it to the verifying processes).
    ...(e.book
      ? {
          BOOK_TABLE_NAME: e.book.tableName,
          BOOK_PEER_REGION: e.book.peerRegion,
          // The peer replica's interface endpoint, as the program names it (the drill's book view
          // reaches the emulated replica whatever the name: the network faults are the drill's).
          BOOK_PEER_ENDPOINT: `https://vpce-0drill0peer0-0drill.dynamodb.${e.book.peerRegion}.vpce.amazonaws.com`,
          BOOK_SIGNING_SECRET_ARN: e.book.signingSecretArn,
        }
      : {}),
  };
}

/** What every process of the order service gets: writes through the global writer endpoint. */
function serviceEnv(e: RegionEndpoints): RuntimeEnv {
  return {
    REGION_NAME: e.region,
    REGION_ROLE: e.role,
    DB_SECRET_ARN: e.secretArn,
    DB_HOST: e.globalWriter,
    DB_READ_HOST: e.clusterReader,
    DB_PORT: String(e.port),
    DB_NAME: e.dbName,
    DB_POOL_MAX: String(e.poolMax),
    // The drill's servers have no TLS; the README says what verify-full needs in AWS.
    DB_SSL: 'disable',
    ORDER_DURABILITY: e.journal.durability,
    JOURNAL_QUEUE_URLS: JSON.stringify(e.journal.queueUrls),
    JOURNAL_TIMEOUT_MS: String(e.journal.timeoutMs),
    FENCE_TABLE_NAME: e.fence.tableName,
    FENCE_TABLE_REGION: e.fence.tableRegion,
    FENCE_NAME: e.fence.name,
  };
}

/**
 * The journal auditor's environment (REQ-journal: this region's own cluster endpoints, the
 * global writer endpoint to void orphans, its parked queue and orphan age).
 */
export function auditorEnv(e: RegionEndpoints): Record<string, string> {
  return {
    REGION_NAME: e.region,
    REGION_ROLE: e.role,
    DB_SECRET_ARN: e.secretArn,
    DB_HOST: e.clusterWriter,
    DB_READ_HOST: e.clusterReader,
    WRITER_DB_HOST: e.globalWriter,
    DB_PORT: String(e.port),
    DB_NAME: e.dbName,
    DB_SSL: 'disable',
    JOURNAL_PARKED_QUEUE_URL: e.journal.parkedQueueUrl,
    JOURNAL_ORPHAN_AFTER_SECONDS: String(e.journal.orphanAfterSeconds),
  };
}

export interface TradingRuntime {
  /** The Lambda behind the ALB: ALB event in, ALB result out. */
  invokeAlb(event: ALBEvent): Promise<ALBResult>;
  /** The order API's dependencies (what the EC2 server adapter serves). */
  readonly deps: ApiDeps;
  close(): Promise<void>;
}

/** What the Lambda adapter passes as the request deadline: the function's timeout, less its margin. */
const ALB_DEADLINE_MS = 9_500;

/**
 * The AWS clients a trading runtime gets: the journal sender over one SQS client per journal
 * region, and the fence reader over DynamoDB, each built
 * the way runtime.ts builds them from the environment (journal-sqs.ts), on the drill's clients.
 */
export interface TradingClients {
  readonly secrets: SecretsManagerClient;
  /** An SQS client, called from this region, of `region`'s queues. */
  readonly journalSqs: (region: string) => SQSClient;
  /** The document client for the evidence table, called from this region. */
  readonly fenceTable: DynamoDBDocumentClient;
  /** The order book's replicas as this region reaches them. */
  readonly book?: BookReplicas;
  /** The region's request ledger (the table every instance shares), in memory. */
  readonly ledger: LedgerStore;
}

/** How long the fence record is cached (dynamoPeerFence's default). */
const FENCE_CACHE_MS = 5000;

export function tradingRuntime(
  env: RuntimeEnv,
  clients: TradingClients,
  logger: Logger,
  clock: Pick<Clock, 'now'>,
): TradingRuntime {
  const journal = journalConfigFromEnv(env as unknown as Record<string, string | undefined>);
  const runtime = createRuntime(env, {
    secrets: clients.secrets,
    ledger: clients.ledger,
    journalSender: journal.queueUrls
      ? sqsJournalSender(journal.queueUrls, journal.timeoutMs, clients.journalSqs)
      : undefined,
    fence:
      env.FENCE_TABLE_NAME && env.FENCE_NAME
        ? dynamoPeerFence(clients.fenceTable, env.FENCE_TABLE_NAME, env.FENCE_NAME, FENCE_CACHE_MS, clock.now)
        : undefined,
    book: clients.book,
    // The book's and the journal's clock (order timestamps, the fenced-region back-off) is the drill's.
    now: () => new Date(clock.now()),
  });
  const deps: ApiDeps = { ...runtime.deps, logger };
  return {
    deps,
    invokeAlb: async (event) =>
      toAlbResult(await handleRequest(fromAlbEvent(event), deps, { deadlineMs: ALB_DEADLINE_MS })),
    close: () => runtime.close(),
  };
}

export interface JournalAuditor {
  /** One batch from the journal queue through the auditor (Powertools batch, partial responses). */
  audit(records: readonly BatchRecord[]): Promise<BatchOutcome>;
  close(): Promise<void>;
}

/** The journal auditor as lambda/journal-auditor/handler.ts builds it, on the drill's clock. */
export function journalAuditor(
  env: Record<string, string>,
  clients: { secrets: SecretsManagerClient; sqs: SQSClient },
  logger: Logger,
  clock: Pick<Clock, 'now'>,
): JournalAuditor {
  const metrics = { addMetric: () => undefined };
  const runtime = createAuditorRuntime(env, clients, {
    logger: logger as AuditorDeps['logger'],
    metrics: metrics as unknown as AuditorDeps['metrics'],
  });
  const deps: AuditorDeps = { ...runtime.deps, now: () => new Date(clock.now()) };
  return {
    async audit(records) {
      const result = await auditBatch({ Records: records.map(sqsRecord) }, deps);
      return { crashed: false, failedIds: result.batchItemFailures.map((f) => f.itemIdentifier) };
    },
    close: () => runtime.close(),
  };
}

/** A queued message as the event source mapping hands it to the function. */
function sqsRecord(r: BatchRecord): SQSRecord {
  return {
    messageId: r.messageId,
    receiptHandle: r.receipt,
    body: r.body,
    attributes: {
      ApproximateReceiveCount: String(r.receiveCount),
      SentTimestamp: String(r.sentAt),
      SenderId: 'AROADRILL',
      ApproximateFirstReceiveTimestamp: String(r.sentAt),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: r.queueArn,
    awsRegion: r.queueArn.split(':')[3],
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
  return configFromEnv({
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
    TOPIC_ARN: s.topicArn,
    ENVIRONMENT: s.environment,
    EVIDENCE_TABLE: s.evidenceTable,
    EVIDENCE_TABLE_REGION: s.evidenceTableRegion,
    BOOK_TABLE_NAME: s.book.tableName,
    BOOK_REGIONS: s.book.regions.join(','),
    ORDER_DURABILITY: s.orderDurability,
  });
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
  readonly store: EvidenceStore;
  /** The order book's writer item, as the orchestrator's region reaches it. */
  readonly book?: OrderBookControl;
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

/** Worst-case seconds from a dead primary to the promotion call, for the configured gate. */
export function promotionGateSeconds(s: Pick<FailoverSetup, 'probeIntervalSeconds' | 'recoveryWindowSeconds'>): number {
  return worstCaseTimeToPromotion({
    failoverProbeIntervalSeconds: s.probeIntervalSeconds,
    failoverRecoveryWindowSeconds: s.recoveryWindowSeconds,
  }).totalSeconds;
}

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
