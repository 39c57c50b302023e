/** The order queue's dead-letter queue, written to directly so that each message carries its reason. */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DeadLetterQueue } from './drain';

/** SQS message attributes hold at most 256 KiB together; a reason is a sentence. */
const MAX_REASON_LENGTH = 1024;

export function sqsDeadLetterQueue(client: SQSClient, queueUrl: string): DeadLetterQueue {
  return {
    async send(record: SQSRecord, reason: string) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: record.body,
          // Same group as in the order queue; deduplicated by the original message, so a
          // redelivered message is dead-lettered once.
          MessageGroupId: record.attributes?.MessageGroupId ?? 'unknown',
          MessageDeduplicationId: record.messageId,
          MessageAttributes: {
            reason: { DataType: 'String', StringValue: reason.slice(0, MAX_REASON_LENGTH) },
            sourceMessageId: { DataType: 'String', StringValue: record.messageId },
          },
        }),
      );
    },
  };
}
