/**
 * SQS FIFO, in memory: deduplication by MessageDeduplicationId for five minutes (per message
 * group, as the platform's queue is configured), one batch in flight per message group, a
 * visibility timeout after which an undeleted message is delivered again, a redrive to the
 * dead-letter queue once a message has been received more than maxReceiveCount times.
 *
 * The Lambda event source mapping (AWS's poller, not our code) is modelled here too: it
 * receives a batch, invokes the function, deletes what the function did not report as failed,
 * and deletes nothing if the invocation crashed.
 */
import { randomUUID } from 'crypto';
import type { Handlers } from './aws';
import type { Simulation } from './sim';

export const DEDUP_WINDOW_MS = 5 * 60 * 1000;

export interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly groupId: string;
  readonly dedupId: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  receipt?: string;
}

export class FifoQueue {
  readonly messages: StoredMessage[] = [];
  private readonly dedup = new Map<string, { id: string; until: number }>();
  /** Messages moved to the dead-letter queue (when there is one, they are also stored there). */
  readonly deadLettered: StoredMessage[] = [];

  constructor(
    readonly url: string,
    readonly arn: string,
    private readonly clock: () => number,
    readonly visibilityTimeoutMs: number,
    readonly maxReceiveCount: number,
    readonly deadLetter?: FifoQueue,
  ) {}

  send(body: string, groupId?: string, dedupId?: string): string {
    if (!groupId) throw new Error('MessageGroupId is required for FIFO queues');
    if (!dedupId) throw new Error('MessageDeduplicationId is required (content-based deduplication is off)');
    const now = this.clock();
    const key = `${groupId}\u0000${dedupId}`;
    const seen = this.dedup.get(key);
    if (seen && seen.until > now) return seen.id;
    const messageId = randomUUID();
    this.dedup.set(key, { id: messageId, until: now + DEDUP_WINDOW_MS });
    this.messages.push({ messageId, body, groupId, dedupId, sentAt: now, receiveCount: 0, visibleAt: now });
    return messageId;
  }

  /** Up to `max` messages, in order, never from a group that has a message in flight. */
  receive(max: number, visibilityMs = this.visibilityTimeoutMs): StoredMessage[] {
    const now = this.clock();
    const locked = new Set(this.messages.filter((m) => m.visibleAt > now).map((m) => m.groupId));
    const batch: StoredMessage[] = [];
    for (const message of [...this.messages]) {
      if (batch.length >= max) break;
      if (locked.has(message.groupId)) continue;
      if (message.receiveCount >= this.maxReceiveCount) {
        this.remove(message);
        this.deadLettered.push(message);
        this.deadLetter?.messages.push({ ...message, receiveCount: 0, visibleAt: now, receipt: undefined });
        continue;
      }
      message.receiveCount++;
      message.visibleAt = now + visibilityMs;
      message.receipt = randomUUID();
      batch.push(message);
    }
    return batch;
  }

  delete(receipt: string): void {
    const message = this.messages.find((m) => m.receipt === receipt);
    if (message) this.remove(message);
  }

  changeVisibility(receipt: string, timeoutMs: number): void {
    const message = this.messages.find((m) => m.receipt === receipt);
    if (!message) throw new Error('ReceiptHandleIsInvalid');
    message.visibleAt = this.clock() + timeoutMs;
  }

  private remove(message: StoredMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }
}

/**
 * SQS standard (the order journal): no message groups, no deduplication (a send is a new
 * message), a per-queue delivery delay, a visibility timeout after which an undeleted message is
 * delivered again, and no redrive (the journal keeps a message until it is deleted).
 */
export class StandardQueue extends FifoQueue {
  constructor(
    url: string,
    arn: string,
    private readonly now: () => number,
    visibilityTimeoutMs: number,
    readonly delayMs: number,
  ) {
    super(url, arn, now, visibilityTimeoutMs, Number.MAX_SAFE_INTEGER);
  }

  override send(body: string, groupId?: string, dedupId?: string): string {
    if (groupId || dedupId) throw new Error('MessageGroupId and MessageDeduplicationId are for FIFO queues only');
    const at = this.now();
    const messageId = randomUUID();
    this.messages.push({
      messageId,
      body,
      groupId: '',
      dedupId: '',
      sentAt: at,
      receiveCount: 0,
      visibleAt: at + this.delayMs,
    });
    return messageId;
  }

  override receive(max: number, visibilityMs = this.visibilityTimeoutMs): StoredMessage[] {
    const at = this.now();
    const batch = this.messages.filter((m) => m.visibleAt <= at).slice(0, max);
    for (const message of batch) {
      message.receiveCount++;
      message.visibleAt = at + visibilityMs;
      message.receipt = randomUUID();
    }
    return batch;
  }
}

/** SQS API over the queues of one region. */
export function sqsHandlers(queues: () => readonly FifoQueue[]): Handlers {
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
            MessageGroupId: m.groupId,
            MessageDeduplicationId: m.dedupId,
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
  readonly groupId: string;
  readonly dedupId: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly queueArn: string;
}

/** What an invocation of the consumer returned; `crashed` means the runtime died mid-batch. */
export type BatchOutcome = { crashed: true } | { crashed: false; failedIds: readonly string[] };

/** The event source mapping: poll, invoke, delete what succeeded. One batch at a time. */
export function pollQueue(
  sim: Simulation,
  queue: FifoQueue,
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
        groupId: m.groupId,
        dedupId: m.dedupId,
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
