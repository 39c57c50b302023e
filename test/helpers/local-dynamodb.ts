/**
 * A local DynamoDB for one test file: dynalite (a local implementation of DynamoDB's API that
 * evaluates condition and update expressions) started before the file's tests and stopped after.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** Registers the file's beforeAll/afterAll; the returned function gives the client once started. */
export function useLocalDynamoDB(region: string): () => DynamoDBClient {
  let server: ReturnType<typeof dynalite> | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    if (server) await new Promise((resolve) => server!.close(resolve));
  });
  return () => {
    if (!client) throw new Error('the local DynamoDB starts in beforeAll: ask for its client inside a test');
    return client;
  };
}
