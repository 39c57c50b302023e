/**
 * SQS standard (the order journal), in memory: no message groups, no deduplication (a send is a
 * new message), a per-queue delivery delay, a visibility timeout after which an undeleted
 * message is delivered again, and no redrive (the journal keeps a message until it is deleted).
 *
 * The Lambda event source mapping (AWS's poller, not our code) is modelled here too: it
 * receives a batch, invokes the function, deletes what the function did not report as failed,
 * and deletes nothing if the invocation crashed.
 */
import { randomUUID } from 'crypto';
import type { Handlers } from './aws';
import type { Simulation } from './sim';

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receipt?: string;
}

export class StandardQueue {
  readonly messages: StoredMessage[] = [];

  constructor(
    readonly url: string,
    readonly arn: string,
    private readonly now: () => number,
    readonly visibilityTimeoutMs: number,
    readonly delayMs: number,
  ) {}

  send(body: string, groupId?: string, dedupId?: string): string {
    if (groupId || dedupId) throw new Error('MessageGroupId and MessageDeduplicationId are for FIFO queues only');
    const at = this.now();
    const messageId = randomUUID();
    this.messages.push({ messageId, body, sentAt: at, receiveCount: 0, visibleAt: at + this.delayMs });
    return messageId;
  }

  receive(max: number, visibilityMs = this.visibilityTimeoutMs): StoredMessage[] {
    const at = this.now();
    const batch = this.messages.filter((m) => m.visibleAt <= at).slice(0, max);
    for (const message of batch) {
      message.receiveCount++;
      message.visibleAt = at + visibilityMs;
      message.receipt = randomUUID();
    }
    return batch;
  }

  delete(receipt: string): void {
    const message = this.messages.find((m) => m.receipt === receipt);
    if (message) this.messages.splice(this.messages.indexOf(message), 1);
  }

  changeVisibility(receipt: string, timeoutMs: number): void {
    const message = this.messages.find((m) => m.receipt === receipt);
    if (!message) throw new Error('ReceiptHandleIsInvalid');
    message.visibleAt = this.now() + timeoutMs;
  }
}

/** SQS API over the queues of one region. */
export function sqsHandlers(queues: () => readonly StandardQueue[]): Handlers {
  const queue = (url: string) => {
    const q = queues().find((x) => x.url === url);
    if (!q) throw Object.assign(new Error(`queue ${url} does not exist`), { name: 'QueueDoesNotExist' });
    return q;
  };
  return {
    SendMessageCommand: async (input) => ({
      MessageId: queue(input.QueueUrl).send(input.MessageBody, input.MessageGroupId, input.MessageDeduplicationId),
    }),
    ReceiveMessageCommand: async (input) => {
      const q = queue(input.QueueUrl);
      const batch = q.receive(
        input.MaxNumberOfMessages ?? 1,
        input.VisibilityTimeout === undefined ? undefined : input.VisibilityTimeout * 1000,
      );
      return {
        Messages: batch.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receipt,
          Body: m.body,
          Attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
          },
        })),
      };
    },
    DeleteMessageCommand: async (input) => {
      queue(input.QueueUrl).delete(input.ReceiptHandle);
      return {};
    },
    ChangeMessageVisibilityCommand: async (input) => {
      queue(input.QueueUrl).changeVisibility(input.ReceiptHandle, input.VisibilityTimeout * 1000);
      return {};
    },
    GetQueueAttributesCommand: async (input) => {
      const q = queue(input.QueueUrl);
      return {
        Attributes: {
          ApproximateNumberOfMessages: String(q.messages.length),
          QueueArn: q.arn,
        },
      };
    },
  };
}

export interface BatchRecord {
  readonly messageId: string;
  readonly receipt: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly queueArn: string;
}

/** What an invocation of the consumer returned; `crashed` means the runtime died mid-batch. */
export type BatchOutcome = { crashed: true } | { crashed: false; failedIds: readonly string[] };

/** The event source mapping: poll, invoke, delete what succeeded. One batch at a time. */
export function pollQueue(
  sim: Simulation,
  queue: StandardQueue,
  options: { name: string; batchSize: number; pollMs: number; active: () => boolean },
  invoke: (records: readonly BatchRecord[]) => Promise<BatchOutcome>,
): void {
  sim.every(options.name, options.pollMs, sim.now() + options.pollMs, async () => {
    if (!options.active()) return;
    const batch = queue.receive(options.batchSize);
    if (batch.length === 0) return;
    const outcome = await invoke(
      batch.map((m) => ({
        messageId: m.messageId,
        receipt: m.receipt!,
        body: m.body,
        receiveCount: m.receiveCount,
        sentAt: m.sentAt,
        queueArn: queue.arn,
      })),
    );
    if (outcome.crashed) return;
    const failed = new Set(outcome.failedIds);
    for (const message of batch) if (!failed.has(message.messageId) && message.receipt) queue.delete(message.receipt);
  });
}
