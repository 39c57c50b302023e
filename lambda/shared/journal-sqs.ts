/** The journal's AWS adapters: an SQS client per journal region, the orchestrator's fence record. */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fenceKey } from '../orchestrator/store';
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
 * Reads the orchestrator's fence record (lambda/orchestrator/store.ts), named after the global
 * cluster id: it exists while traffic is fenced; the regions whose dial it set to 0 are the
 * fenced ones. Cached for `ttlMs`: the order path pays one read every few seconds, not one per order.
 */
export function dynamoPeerFence(
  client: Pick<DynamoDBDocumentClient, 'send'>,
  tableName: string,
  fenceName: string,
  ttlMs = 5000,
  now: () => number = Date.now,
): PeerFence {
  let cache: { regions: Set<string>; at: number } | undefined;
  return {
    async isFenced(region) {
      if (!cache || now() - cache.at >= ttlMs) {
        const { Item } = await client.send(
          new GetCommand({
            TableName: tableName,
            Key: fenceKey(fenceName),
            ConsistentRead: true,
          }),
        );
        const changes = (Item?.changes ?? []) as { region?: string; after?: number }[];
        cache = { regions: new Set(changes.filter((c) => c.after === 0).map((c) => String(c.region))), at: now() };
      }
      return cache.regions.has(region);
    },
  };
}
