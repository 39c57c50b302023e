import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { JOURNAL_AUDITOR_TIMEOUT_SECONDS, Settings } from '../config';
import { DatabaseStack } from './database-stack';
import { Statement } from '../security/iam';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { Namer } from '../config/naming';
import { ServiceRuntime } from '../functions/service-runtime';
import { OrderJournal, queueKeyStatement } from './order-journal';
import type { CodeSigning } from '../functions/code-signing';

/** Auditors per region at once: the SQS event source's minimum, which its reserved concurrency matches. */
export const JOURNAL_AUDITOR_CONCURRENCY = 2;

export interface JournalAuditorArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  readonly name: Namer;
  /** This region's journal (the auditor is its one consumer). */
  readonly journal: OrderJournal;
  /** This region's cluster: present here means replicated; absent and writable means recover. */
  readonly database: DatabaseStack;
  /** The Aurora global writer endpoint: an order on neither cluster, old enough, is voided. */
  readonly writerEndpoint: pulumi.Input<string>;
  /** The order API's runtime (database settings, network, schema readiness) in this region. */
  readonly service: ServiceRuntime;
  /** The grants to log in to the database; the auditor never journals, so nothing more of the API's. */
  readonly databaseAccess: readonly Statement[];
  /** KMS key of the auditor's log group (the region's logs key). */
  readonly logsKeyArn: pulumi.Input<string>;
}

/**
 * The replication audit of one region's journal (lambda/journal-auditor): confirms each
 * journaled order against the local cluster, recovers it once this region has been promoted,
 * voids orphans, parks what does not add up, and publishes the age of what is still
 * unreplicated (the RPO exposure, alarmed in MonitoringStack).
 */
export class JournalAuditor extends pulumi.ComponentResource implements BuiltFunction {
  readonly fn: aws.lambda.Function;
  readonly role: BuiltFunction['role'];
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly durationAlarmMs: number;

  constructor(name: string, args: JournalAuditorArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:JournalAuditor', name, {}, opts);
    const { settings, name: n, journal, database, service } = args;

    const built = buildFunction(
      {
        name: n('journalAuditorFunction'),
        roleName: n('journalAuditorRole'),
        codeSigning: args.codeSigning,
        code: 'journal-auditor',
        description: 'Audits the order journal against the local replica; recovers lost orders after a promotion',
        settings,
        statements: [
          ...args.databaseAccess,
          {
            Sid: 'ConsumeJournal',
            Action: [
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:ChangeMessageVisibility',
            ],
            Resource: journal.queue.arn,
          },
          { Sid: 'ParkForOperator', Action: 'sqs:SendMessage', Resource: journal.parkedQueue.arn },
          queueKeyStatement('JournalQueueKey', journal, [journal.queue, journal.parkedQueue]),
        ],
        environment: {
          ...service.environment,
          // The local cluster itself, not the global writer endpoint: is the order HERE, and
          // does this region write (only once promoted)?
          DB_HOST: database.cluster.endpoint,
          DB_READ_HOST: database.cluster.readerEndpoint,
          WRITER_DB_HOST: args.writerEndpoint,
          JOURNAL_PARKED_QUEUE_URL: journal.parkedQueue.url,
          JOURNAL_ORPHAN_AFTER_SECONDS: String(settings.journalOrphanAfterSeconds),
        },
        vpc: service.vpc,
        dependsOn: service.ready,
        logsKeyArn: args.logsKeyArn,
        timeoutSeconds: JOURNAL_AUDITOR_TIMEOUT_SECONDS,
        memoryMb: 256,
        // Its pools (local cluster, reader, global writer) come out of dbReservedConnections.
        reservedConcurrency: JOURNAL_AUDITOR_CONCURRENCY,
      },
      { parent: this },
    );
    this.fn = built.fn;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.durationAlarmMs = built.durationAlarmMs;

    // The function exists only once its role may consume the queue: the mapping never polls
    // without permission. Items still unreplicated come back after the visibility timeout.
    new aws.lambda.EventSourceMapping(
      n('journalAuditorFunction', 'sqs'),
      {
        eventSourceArn: journal.queue.arn,
        functionName: this.fn.arn,
        batchSize: 10,
        maximumBatchingWindowInSeconds: 0,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: JOURNAL_AUDITOR_CONCURRENCY },
      },
      { parent: this.fn, dependsOn: [...service.ready] },
    );

    this.registerOutputs({ journalAuditorArn: this.fn.arn });
  }
}
