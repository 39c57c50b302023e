/**
 * In-memory SQS standard queues for the order journal, one per region: the writer's sender
 * puts messages in; a test delivers them to the auditor as SQS events (at least once: a
 * redelivery can be asked for) and deletes the ones the batch response does not report failed.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'crypto';
import type { JournalSender } from '../../lambda/shared/journal';

interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentTimestamp: number;
  receiveCount: number;
}

export class FakeJournalQueues implements JournalSender {
  private readonly queues = new Map<string, StoredMessage[]>();
  /** Every send attempt per region, including the ones that failed. */
  readonly attempts: string[] = [];
  /** Make the next sends fail (or hang) to model a journal region that is out. */
  mode: 'ok' | 'fail' | 'hang' | 'deliver-then-fail' = 'ok';

  async send(region: string, body: string, signal: AbortSignal): Promise<void> {
    this.attempts.push(region);
    if (this.mode === 'fail') throw new Error(`SQS in ${region} unreachable`);
    if (this.mode === 'hang') {
      // Like a request stuck on a dead connection: it never answers, whatever the signal says.
      return new Promise(() => undefined);
    }
    if (signal.aborted) throw new Error('aborted');
    this.messages(region).push({ messageId: randomUUID(), body, sentTimestamp: Date.now(), receiveCount: 0 });
    // The message arrived but the answer did not (a timeout after delivery).
    if (this.mode === 'deliver-then-fail') throw new Error('response lost');
  }

  messages(region: string): StoredMessage[] {
    if (!this.queues.has(region)) this.queues.set(region, []);
    return this.queues.get(region)!;
  }

  bodies(region: string): unknown[] {
    return this.messages(region).map((m) => JSON.parse(m.body));
  }

  /** Up to `max` messages as an SQS event; `duplicate` delivers each one twice in the batch. */
  receive(region: string, max = 10, duplicate = false): SQSEvent {
    const batch = this.messages(region).slice(0, max);
    const records: SQSRecord[] = [];
    for (const m of batch) {
      for (let copy = 0; copy < (duplicate ? 2 : 1); copy++) {
        m.receiveCount++;
        records.push({
          messageId: copy === 0 ? m.messageId : `${m.messageId}#dup`,
          receiptHandle: randomUUID(),
          body: m.body,
          attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentTimestamp),
            SenderId: 'writer',
            ApproximateFirstReceiveTimestamp: String(m.sentTimestamp),
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${region}:123456789012:sqs-journal-test`,
          awsRegion: region,
        });
      }
    }
    return { Records: records };
  }

  /** What Lambda's event source mapping does with a batch response: delete the successes. */
  settle(region: string, event: SQSEvent, response: SQSBatchResponse): void {
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier.replace(/#dup$/, '')));
    const done = new Set(event.Records.map((r) => r.messageId.replace(/#dup$/, '')).filter((id) => !failed.has(id)));
    this.queues.set(
      region,
      this.messages(region).filter((m) => !done.has(m.messageId)),
    );
  }
}
