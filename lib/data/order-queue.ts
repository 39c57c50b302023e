import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { Statement } from '../security/iam';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { Namer } from '../config/naming';
import { ServiceRuntime } from '../functions/service-runtime';

export interface OrderQueueArgs {
  readonly settings: Settings;
  readonly name: Namer;
  readonly region: string;
  /** The region's queues key. */
  readonly key: aws.kms.Key;
  /** KMS key of the drainer's log group. */
  readonly logsKeyArn: pulumi.Input<string>;
  /** What the order API runs with; the drainer is one of its processes. */
  readonly service: ServiceRuntime;
}

/**
 * Where one region keeps the orders it accepted while its database was read-only: an
 * encrypted FIFO queue deduplicated by client order id, its dead-letter queue, and the
 * drainer that applies each order exactly once when the database takes writes again.
 */
export class OrderQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly drainer: BuiltFunction;
  /** The order API's runtime with this queue in it: what every producer of queued orders runs with. */
  readonly service: ServiceRuntime;
  /** The grant a producer needs to queue an order. */
  readonly sendStatement: Statement;

  constructor(name: string, args: OrderQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:OrderQueue', name, {}, opts);
    const { settings, name: n, key } = args;
    const child = { parent: this };

    this.deadLetterQueue = new aws.sqs.Queue(
      n('orderQueue', 'dlq'),
      {
        name: n('orderQueue', 'dlq'),
        fifoQueue: true,
        kmsMasterKeyId: key.arn,
        messageRetentionSeconds: 1209600,
      },
      child,
    );
    // Both queues hold acknowledged orders: no deleteBeforeReplace. A replacement (say, of the
    // FIFO attribute) fails on the name before anything is deleted; draining comes first.
    const queueName = n('orderQueue');
    this.queue = new aws.sqs.Queue(
      queueName,
      {
        name: queueName,
        fifoQueue: true,
        // Deduplicated by client order id (set by the API), not by body.
        contentBasedDeduplication: false,
        deduplicationScope: 'messageGroup',
        fifoThroughputLimit: 'perMessageGroupId',
        kmsMasterKeyId: key.arn,
        kmsDataKeyReusePeriodSeconds: 300,
        visibilityTimeoutSeconds: 60,
        messageRetentionSeconds: 345600,
        // Promotion takes minutes: allow many read-only retries before giving up on an order.
        redrivePolicy: this.deadLetterQueue.arn.apply((arn) =>
          JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 60 }),
        ),
      },
      child,
    );
    this.service = {
      ...args.service,
      environment: { ...args.service.environment, ORDER_QUEUE_URL: this.queue.url },
      statements: [
        ...args.service.statements,
        {
          // Producers encrypt and the drainer decrypts, only through SQS and only for this queue.
          Sid: 'UseQueueKey',
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
          Resource: key.arn,
          Condition: {
            StringEquals: {
              'kms:ViaService': `sqs.${args.region}.amazonaws.com`,
              'kms:EncryptionContext:aws:sqs:arn': this.queue.arn,
            },
          },
        },
      ],
    };
    this.sendStatement = { Sid: 'QueueOrdersWhileReadOnly', Action: 'sqs:SendMessage', Resource: this.queue.arn };

    this.drainer = buildFunction(
      {
        name: n('drainerFunction'),
        roleName: n('drainerRole'),
        code: 'drainer',
        description: 'Applies orders queued while the database was read-only, exactly once',
        settings,
        statements: [
          ...this.service.statements,
          {
            // An order that cannot be applied is dead-lettered with its reason (lambda/drainer).
            Sid: 'DeadLetterWithReason',
            Action: 'sqs:SendMessage',
            Resource: this.deadLetterQueue.arn,
          },
          {
            Sid: 'UseDeadLetterKey',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: key.arn,
            Condition: {
              StringEquals: {
                'kms:ViaService': `sqs.${args.region}.amazonaws.com`,
                'kms:EncryptionContext:aws:sqs:arn': this.deadLetterQueue.arn,
              },
            },
          },
          {
            Sid: 'ConsumeOrderQueue',
            Action: [
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:ChangeMessageVisibility',
            ],
            Resource: this.queue.arn,
          },
        ],
        environment: {
          ...this.service.environment,
          ORDER_DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.url,
          MARKET_ORDER_TTL_SECONDS: String(settings.marketOrderTtlSeconds),
        },
        vpc: this.service.vpc,
        timeoutSeconds: 30,
        memoryMb: 256,
        reservedConcurrency: settings.drainerReservedConcurrency,
        logsKeyArn: args.logsKeyArn,
      },
      child,
    );
    // The function it names exists only once its role may consume the queue, so the mapping
    // never starts polling without permission.
    new aws.lambda.EventSourceMapping(
      n('drainerFunction', 'sqs'),
      {
        eventSourceArn: this.queue.arn,
        functionName: this.drainer.fn.arn,
        batchSize: 10,
        functionResponseTypes: ['ReportBatchItemFailures'],
        // No more pollers than the function may run: beyond that, batches would be throttled back.
        scalingConfig: { maximumConcurrency: settings.drainerReservedConcurrency },
      },
      // It starts draining only once the schema is in place.
      { parent: this.drainer.fn, dependsOn: [...this.service.ready] },
    );

    this.registerOutputs({ orderQueueUrl: this.queue.url, drainerArn: this.drainer.fn.arn });
  }
}
