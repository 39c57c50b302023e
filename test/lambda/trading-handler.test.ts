/**
 * The Lambda adapters as Lambda calls them: the exported handlers, configured from the
 * environment, with the AWS SDK clients they build themselves mocked at the class level.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ALBEvent, Context } from 'aws-lambda';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { handler } from '../../lambda/trading/handler';
import { signedHeaders } from '../../scripts/order-client';
import { CLIENTS, LOCAL_HOSTS, LOCAL_REGION } from '../../scripts/local/trading-db';
import { type BookApi, startBookApi } from '../helpers/book-api';
import { captureLogs } from '../helpers/logs';

let db: BookApi;
let secrets: AwsClientStub<SecretsManagerClient>;
const savedEnv = { ...process.env };

function context(requestId: string, remainingMs = 10_000): Context {
  return {
    awsRequestId: requestId,
    functionName: 'fn-trading-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-trading-test',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/fn-trading-test',
    logStreamName: '2026/01/01/[$LATEST]0000',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Signed by desk A, as its client would send it. */
const signed = (method: string, path: string, body?: string) => ({
  'content-type': 'application/json',
  host: LOCAL_HOSTS[0],
  ...signedHeaders(CLIENTS.deskA, { method, host: LOCAL_HOSTS[0], path, body }, { region: LOCAL_REGION }),
});

const albEvent = (method: string, path: string, body?: object): ALBEvent => ({
  requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/1' } },
  httpMethod: method,
  path,
  queryStringParameters: {},
  headers: signed(method, path, body === undefined ? undefined : JSON.stringify(body)),
  body: body === undefined ? null : JSON.stringify(body),
  isBase64Encoded: false,
});

beforeAll(async () => {
  db = await startBookApi();
  // After the in-memory Secrets Manager: mocking one instance undoes an earlier mock of its class.
  secrets = mockClient(SecretsManagerClient);
  secrets
    .on(GetSecretValueCommand, { SecretId: db.env.CLIENT_KEYS_SECRET_ARN })
    .resolves({ SecretString: JSON.stringify(db.secrets.current(db.env.CLIENT_KEYS_SECRET_ARN)) });
  secrets
    .on(GetSecretValueCommand, { SecretId: db.env.BOOK_SIGNING_SECRET_ARN })
    .resolves({ SecretString: db.book.signingKey.toString('base64') });
  Object.assign(process.env, db.env, {
    // The handler builds its own DynamoDB clients: both regions' public endpoints are the emulator's.
    AWS_ENDPOINT_URL_DYNAMODB: await db.book.replicas.routedEndpoint(LOCAL_REGION),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // Set by Lambda: the SDK clients read the region, Powertools the initialization type (cold starts).
    AWS_REGION: 'eu-west-1',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  secrets.restore();
  await db.stop();
});

describe('the trading function', () => {
  it('puts the invocation (request id, function, cold start) on every log line', async () => {
    const order = { clientOrderId: 'h-ctx-1', symbol: 'AAPL', side: 'buy', type: 'market', quantity: '1' };
    const first = await captureLogs(() => handler(albEvent('POST', '/orders', order), context('req-1')));
    expect(first.result.statusCode).toBe(201);
    const accepted = first.logs.find((l) => l.message === 'order accepted');
    expect(accepted).toMatchObject({
      function_request_id: 'req-1',
      function_name: 'fn-trading-test',
      cold_start: true,
    });
    const second = await captureLogs(() => handler(albEvent('POST', '/orders', order), context('req-2')));
    expect(second.result.statusCode).toBe(200);
    expect(second.logs.find((l) => l.message === 'order replayed')).toMatchObject({
      function_request_id: 'req-2',
      cold_start: false,
    });
  });

  it('never throws and never answers 500 to a fuzzed ALB event; every 201 is a stored order', async () => {
    const text = fc.string({ maxLength: 20 });
    const decimal = fc.oneof(
      { weight: 6, arbitrary: fc.stringMatching(/^[1-9]\d{0,4}(\.\d{1,8})?$/) },
      { weight: 1, arbitrary: fc.stringMatching(/^\d{1,13}(\.\d{1,9})?$/) },
      { weight: 1, arbitrary: fc.double() },
      { weight: 1, arbitrary: text },
    );
    const order = fc
      .record({
        clientOrderId: fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }).map((n) => `fa-${n}`) },
          { weight: 1, arbitrary: text },
        ),
        symbol: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('AAPL', 'MSFT') }, { weight: 1, arbitrary: text }),
        side: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('buy', 'sell') }, { weight: 1, arbitrary: text }),
        quantity: decimal,
        limitPrice: fc.option(decimal, { nil: undefined }),
        mismatched: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      })
      .map(({ mismatched, ...o }) => ({
        ...o,
        type: (o.limitPrice !== undefined) !== mismatched ? 'limit' : 'market',
      }));
    const body = fc.oneof(
      { weight: 3, arbitrary: order.map((o) => JSON.stringify(o)) },
      { weight: 1, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.string() },
    );
    const anyEvent = fc.record(
      {
        httpMethod: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD') },
          { weight: 1, arbitrary: fc.anything() },
        ),
        path: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('/orders', '/health', '/orders/%ZZ', '/orders/%', '//[', '') },
          { weight: 1, arbitrary: fc.webPath().map((p) => `/orders/${p}`) },
          { weight: 1, arbitrary: fc.anything() },
        ),
        headers: fc.oneof(
          { weight: 4, arbitrary: fc.constant({ 'Content-Type': 'application/json' }) },
          { weight: 1, arbitrary: fc.dictionary(fc.string(), fc.anything()) },
        ),
        multiValueHeaders: fc.dictionary(fc.string(), fc.anything()),
        body: fc.oneof({ weight: 4, arbitrary: body }, { weight: 1, arbitrary: fc.anything() }),
        isBase64Encoded: fc.oneof(fc.constant(false), fc.anything()),
      },
      { requiredKeys: [] },
    );
    // Most traffic is orders: a signed POST /orders whose body may be encoded either way.
    const orderEvent = fc.tuple(body, fc.boolean()).map(([text, base64]) => ({
      httpMethod: 'POST',
      path: '/orders',
      headers: signed('POST', '/orders', text),
      body: base64 ? Buffer.from(text).toString('base64') : text,
      isBase64Encoded: base64,
    }));
    const event = fc.oneof({ weight: 1, arbitrary: orderEvent }, { weight: 1, arbitrary: anyEvent });

    const storedIds = async () =>
      new Set(
        db.book.replicas
          .stream(LOCAL_REGION)
          .map((r) => r.dynamodb.NewImage?.clientOrderId?.S)
          .filter((id) => id !== undefined),
      );
    const before = await storedIds();
    const acknowledged = new Set<string>();
    let runs = 0;
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        runs++;
        const result = await handler(e as unknown as ALBEvent, context(`fuzz-${runs}`));
        expect([200, 201, 202, 400, 401, 404, 405, 409, 413, 415, 429, 503]).toContain(result.statusCode);
        if (result.statusCode === 503) expect(result.headers?.['retry-after']).toBe('5');
        expect(() => JSON.parse(result.body ?? '')).not.toThrow();
        if (result.statusCode === 201) acknowledged.add(JSON.parse(result.body!).clientOrderId);
      }),
      { numRuns: 500 },
    );
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    expect(runs).toBeGreaterThanOrEqual(500);
    // Every order answered 201 is stored, and nothing else was written.
    const written = [...(await storedIds())].filter((id) => !before.has(id));
    expect(new Set(written)).toEqual(acknowledged);
    expect(acknowledged.size).toBeGreaterThan(0);
  });

  it('without its environment it answers 503 and logs why, instead of failing the invocation', async () => {
    await jest.isolateModulesAsync(async () => {
      const { handler: fresh } = await import('../../lambda/trading/handler');
      const saved = process.env.BOOK_TABLE_NAME;
      delete process.env.BOOK_TABLE_NAME;
      try {
        const { result, logs } = await captureLogs(() => fresh(albEvent('GET', '/health'), context('req-env')));
        expect(result.statusCode).toBe(503);
        expect(logs.map((l) => l.message)).toContain('trading function misconfigured');
      } finally {
        process.env.BOOK_TABLE_NAME = saved;
      }
    });
  });
});
