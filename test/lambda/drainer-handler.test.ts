/**
 * The drainer's Lambda adapter without a database: messages that are not orders never reach it,
 * so what the handler wires up (the dead-letter queue from the environment, once per execution
 * environment, and the invocation's context on every log line) shows without PostgreSQL.
 * (trading-handler.test.ts runs it against PostgreSQL.)
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { orderQueueRecord } from '../helpers/journal-queues';
import { captureLogs } from '../helpers/logs';

const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-orders-dlq-euw1-test.fifo';
const savedEnv = { ...process.env };
const mocks: { restore(): void }[] = [];

const context = (awsRequestId: string) => ({ awsRequestId, functionName: 'fn-drainer-test' }) as unknown as Context;

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** A fresh execution environment: the handler module loaded anew, with its own (mocked) SDK clients. */
function coldHandler(): { handler: Handler; sqs: AwsClientStub<SQSClient> } {
  let loaded!: { handler: Handler; sqs: AwsClientStub<SQSClient> };
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const sqs = mockClient(require('@aws-sdk/client-sqs').SQSClient as typeof SQSClient);
    sqs.on(require('@aws-sdk/client-sqs').SendMessageCommand).resolves({ MessageId: 'dlq-1' });
    const secretsManager = require('@aws-sdk/client-secrets-manager');
    const secrets = mockClient(secretsManager.SecretsManagerClient as typeof SecretsManagerClient);
    // The database's credentials, for a server that refuses connections (none runs here).
    secrets.on(secretsManager.GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: 1, username: 'app', password: 'pw' }),
    });
    mocks.push(sqs, secrets);
    loaded = { handler: require('../../lambda/drainer/handler').handler, sqs };
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return loaded;
}

beforeEach(() => {
  process.env = {
    ...savedEnv,
    REGION_NAME: 'eu-west-1',
    REGION_ROLE: 'secondary',
    DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
    DB_HOST: '127.0.0.1',
    DB_PORT: '1',
    DB_NAME: 'trading',
    DB_SSL: 'disable',
    ORDER_DURABILITY: 'regional',
    ORDER_DEAD_LETTER_QUEUE_URL: DLQ,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
});

afterAll(() => {
  process.env = savedEnv;
  for (const mock of mocks) mock.restore();
});

it('dead-letters a message that is not an order to the queue the environment names, logging with the invocation', async () => {
  const { handler, sqs } = coldHandler();
  const { result, logs } = await captureLogs(() =>
    handler({ Records: [orderQueueRecord('nonsense', 'd-1')] }, context('req-1')),
  );
  expect(result.batchItemFailures).toEqual([]);
  expect(sqs.calls().map((c) => (c.args[0].input as { QueueUrl?: string }).QueueUrl)).toEqual([DLQ]);
  expect(logs.find((l) => l.message === 'queued message dead-lettered')).toMatchObject({
    function_request_id: 'req-1',
    messageId: 'd-1',
    reason: 'not a queued order: body is not JSON',
  });
});

it('without a dead-letter queue in the environment, fails the message so the redrive policy moves it', async () => {
  delete process.env.ORDER_DEAD_LETTER_QUEUE_URL;
  const { handler, sqs } = coldHandler();
  const { result } = await captureLogs(() =>
    handler({ Records: [orderQueueRecord('nonsense', 'd-2')] }, context('req-2')),
  );
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'd-2' }]);
  expect(sqs.calls()).toEqual([]);
});

it('sets up once per execution environment: a warm invocation keeps what the cold one read', async () => {
  const { handler, sqs } = coldHandler();
  await captureLogs(() => handler({ Records: [orderQueueRecord('nonsense', 'd-3')] }, context('req-3')));
  delete process.env.ORDER_DEAD_LETTER_QUEUE_URL;
  delete process.env.DB_HOST;
  const { result, logs } = await captureLogs(() =>
    handler({ Records: [orderQueueRecord('nonsense', 'd-4')] }, context('req-4')),
  );
  expect(result.batchItemFailures).toEqual([]);
  expect(sqs.calls()).toHaveLength(2);
  expect(logs.find((l) => l.message === 'queued message dead-lettered')).toMatchObject({
    function_request_id: 'req-4',
  });
});

it('reads the database credentials through Secrets Manager, and hands an order back while the database is out', async () => {
  const { handler } = coldHandler();
  const queued = {
    acceptedAt: new Date().toISOString(),
    region: 'eu-west-1',
    clientId: 'desk-a',
    order: { clientOrderId: 'h-1', symbol: 'AAPL', side: 'buy', type: 'market', quantity: '1' },
  };
  const { result, logs } = await captureLogs(() =>
    handler({ Records: [orderQueueRecord(JSON.stringify(queued), 'd-6')] }, context('req-6')),
  );
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'd-6' }]);
  expect(logs.find((l) => l.message === 'queued order not applied yet')).toMatchObject({
    messageId: 'd-6',
    failure: 'unavailable',
    error: expect.stringContaining('ECONNREFUSED'),
  });
});

it('refuses to start without its database settings', async () => {
  delete process.env.DB_HOST;
  await expect(coldHandler().handler({ Records: [] }, context('req-5'))).rejects.toThrow(
    'missing environment: DB_HOST',
  );
});
