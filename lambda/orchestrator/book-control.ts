/**
 * The order book's control as the deployed orchestrator (handler.ts) and `npm run status` reach
 * it: the writer item in each replica, through that replica's own regional endpoint.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { bookWriter } from '../shared/book-writer';
import { sdkOptions } from './aws';
import type { OrchestratorConfig } from './config';
import { replicaBookControl, type OrderBookControl } from './order-book';

/** The order book's writer item in each replica, each reached through its own region's endpoint. */
export function bookControlFor(book: OrchestratorConfig['book']): OrderBookControl | undefined {
  if (!book) return undefined;
  const clients = new Map<string, DynamoDBClient>();
  return replicaBookControl(
    bookWriter({
      tableName: book.tableName,
      regions: book.regions,
      client: (region) => {
        if (!clients.has(region)) clients.set(region, new DynamoDBClient(sdkOptions(region)));
        return clients.get(region)!;
      },
    }),
  );
}
