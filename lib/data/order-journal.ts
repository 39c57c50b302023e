import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyJson, Statement } from '../security/iam';
import { Namer, regionCode } from '../config/naming';

/** Role kinds of every process that stores orders, and so journals them (lambda/shared/journal.ts). */
export const JOURNAL_WRITER_ROLES = ['tradingRole', 'instanceRole'] as const;

/** SQS's longest retention: a journaled order waits here as long as replication lags. */
export const JOURNAL_RETENTION_SECONDS = 1_209_600;
export interface OrderJournalArgs {
  /** The region the journal is in: the component's provider. */
  readonly region: string;
  readonly name: Namer;
  /** The region's queues key (journaled orders are order data, like the order queue's). */
  readonly key: aws.kms.Key;
  /**
   * Namers of BOTH regions: either region's order API may write through the global writer
   * endpoint to a writer in the other region, and journals to the region that is not the
   * writer's, which may be its own.
   */
  readonly writerNames: readonly Namer[];
  /** First audit of an order after this (its replication usually takes less than a second). */
  readonly auditDelaySeconds: number;
  /** Retry interval of an unreplicated order: the queue's visibility timeout. */
  readonly auditRetrySeconds: number;
}

/**
 * One region's copy of the cross-region order journal (docs/order-journal.md): the encrypted
 * standard queue an order is written to before its acknowledgement when the writer is in the
 * other region, and the parked queue where the auditor puts what an operator must look at. Only the order writers of either region may send to it.
 */
export class OrderJournal extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly parkedQueue: aws.sqs.Queue;
  readonly key: aws.kms.Key;
  readonly region: string;

  constructor(name: string, args: OrderJournalArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:OrderJournal', name, {}, opts);
    const { name: n, key } = args;
    const child = { parent: this };
    this.key = key;
    this.region = args.region;
    const encrypted = { kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300 };

    this.parkedQueue = new aws.sqs.Queue(
      n('journalQueue', 'parked'),
      { name: n('journalQueue', 'parked'), messageRetentionSeconds: JOURNAL_RETENTION_SECONDS, ...encrypted },
      child,
    );
    this.queue = new aws.sqs.Queue(
      n('journalQueue'),
      {
        name: n('journalQueue'),
        messageRetentionSeconds: JOURNAL_RETENTION_SECONDS,
        delaySeconds: args.auditDelaySeconds,
        // An order not replicated yet is handed back and audited again after this. No redrive
        // policy: however often an unreplicated order comes back, it must stay under audit (a
        // dead-letter queue would take it out of the RPO measurement and out of recovery).
        visibilityTimeoutSeconds: args.auditRetrySeconds,
        ...encrypted,
      },
      child,
    );

    // Same-account roles, named rather than referenced: the writers are built after the journal
    // (their environment names it), and a condition on aws:PrincipalArn needs no role to exist.
    const account = aws.getCallerIdentityOutput({}, child).accountId;
    const writers = account.apply((id) =>
      args.writerNames.flatMap((wn) => JOURNAL_WRITER_ROLES.map((kind) => `arn:aws:iam::${id}:role/${wn(kind)}`)),
    );
    new aws.sqs.QueuePolicy(
      n('journalQueue'),
      {
        queueUrl: this.queue.url,
        policy: policyJson([
          {
            Sid: 'OrderWritersJournal',
            Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            // Never on behalf of another account; only the order writers of this stack.
            Condition: {
              StringEquals: { 'aws:PrincipalAccount': account },
              ArnEquals: { 'aws:PrincipalArn': writers },
            },
          },
          {
            Sid: 'NoOtherWriters',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': writers } },
          },
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: this.queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ]),
      },
      { parent: this.queue },
    );

    this.registerOutputs({ journalQueueUrl: this.queue.url, parkedQueueUrl: this.parkedQueue.url });
  }
}

/** What an order writer needs to journal: the queue of each region, the keys, the fence record. */
export interface JournalAccess {
  readonly journals: readonly OrderJournal[];
  /** The orchestrator's evidence table and its region: a fenced peer makes journaling best effort. */
  readonly fenceTable: aws.dynamodb.Table;
  readonly fenceTableRegion: string;
  /** The orchestrator names its fence record after the global cluster. */
  readonly fenceName: pulumi.Input<string>;
}

/** The environment lambda/shared/journal.ts and lambda/trading/runtime.ts read. */
export function journalEnvironment(
  access: JournalAccess,
  s: { orderDurability: string; journalTimeoutMs: number },
): Record<string, pulumi.Input<string>> {
  return {
    ORDER_DURABILITY: s.orderDurability,
    JOURNAL_QUEUE_URLS: pulumi
      .all(access.journals.map((j) => j.queue.url.apply((url) => [j.region, url] as const)))
      .apply((pairs) => JSON.stringify(Object.fromEntries(pairs))),
    JOURNAL_TIMEOUT_MS: String(s.journalTimeoutMs),
    FENCE_TABLE_NAME: access.fenceTable.name,
    FENCE_TABLE_REGION: access.fenceTableRegion,
    FENCE_NAME: access.fenceName,
  };
}

/** The grants to journal to either region (SSE-KMS senders need the queue key) and to read the fence. */
export function journalStatements(access: JournalAccess): Statement[] {
  return [
    { Sid: 'JournalOrders', Action: 'sqs:SendMessage', Resource: access.journals.map((j) => j.queue.arn) },
    // SSE-KMS senders need the queue's key: each journal's key, only through SQS in its region
    // and only for that queue.
    ...access.journals.map((j) => queueKeyStatement(`EncryptJournal${sidPart(regionCode(j.region))}`, j, [j.queue])),
    { Sid: 'ReadFenceRecord', Action: 'dynamodb:GetItem', Resource: access.fenceTable.arn },
  ];
}

/** IAM statement ids are alphanumeric: `use1` -> `Use1`. */
const sidPart = (code: string) => code[0].toUpperCase() + code.slice(1);

/** Use of a journal's key through SQS, for the given queues of that journal only. */
export function queueKeyStatement(sid: string, journal: OrderJournal, queues: readonly aws.sqs.Queue[]): Statement {
  return {
    Sid: sid,
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: journal.key.arn,
    Condition: {
      StringEquals: {
        'kms:ViaService': `sqs.${journal.region}.amazonaws.com`,
        'kms:EncryptionContext:aws:sqs:arn': queues.map((q) => q.arn),
      },
    },
  };
}
