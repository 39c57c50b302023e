/** The journal's AWS adapters: an SQS client per journal region, the orchestrator's fence record. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JournalSender, PeerFence } from './journal';

/**
 * Sends journal messages to the queue of the given region. Each region gets its own client
 * (SQS is regional); connections are kept alive so the steady-state cost is one round trip.
 */
export function sqsJournalSender(
  queueUrls: Readonly<Record<string, string>>,
  timeoutMs: number,
  makeClient: (region: string) => SQSClient = (region) =>
    new SQSClient({
      region,
      // One retry fits in the budget after a dropped keep-alive connection; the deadline
      // in the journal bounds the whole call anyway.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    }),
): JournalSender {
  const clients = new Map<string, SQSClient>();
  return {
    async send(region, body, signal) {
      const queueUrl = queueUrls[region];
      if (!queueUrl) throw new Error(`no journal queue for ${region}`);
      let client = clients.get(region);
      if (!client) clients.set(region, (client = makeClient(region)));
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }), { abortSignal: signal });
    },
  };
}

/**
 * Reads the orchestrator's fence record: item `{ pk: "fence#<region>", fenced: true }` in its
 * table while that region is fenced after an unplanned failover. Cached for `ttlMs` so the
 * order path pays a lookup only every few seconds.
 */
export function dynamoPeerFence(
  client: DynamoDBClient,
  tableName: string,
  ttlMs = 5000,
  now: () => number = Date.now,
): PeerFence {
  const cache = new Map<string, { fenced: boolean; at: number }>();
  return {
    async isFenced(region) {
      const hit = cache.get(region);
      if (hit && now() - hit.at < ttlMs) return hit.fenced;
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: `fence#${region}` } }, ConsistentRead: true }),
      );
      const fenced = Item?.fenced?.BOOL === true;
      cache.set(region, { fenced, at: now() });
      return fenced;
    },
  };
}
