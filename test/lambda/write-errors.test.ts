/**
 * What a failed write to the book means (lambda/shared/write-errors.ts): "refused" (a 503 "not
 * taken") only when the request provably never reached DynamoDB, or DynamoDB refused it; every
 * other failure is "outcome unknown". Errors come from a real SDK v3 DynamoDB client against a
 * local HTTP server that counts what it received (so "never sent" is checked, not assumed), and,
 * for Node's own network errors, built the way Node and @smithy/node-http-handler build them: under
 * jest, an error Node creates is not an Error of the test's realm, and the SDK's retry middleware
 * wraps it into a bare Error without its code (asSdkError); in Lambda it arrives as is.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CredentialsProviderError } from '@smithy/property-provider';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { classifyWriteError, recordAttempts } from '../../lambda/shared/write-errors';

/** A local "DynamoDB" that counts requests and answers as `answer` says. */
async function server(answer: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void) {
  let received = 0;
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res, ++received));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  return { port, received: () => received, close: () => new Promise((r) => s.close(r)), server: s };
}

const client = (port: number, options: { maxAttempts?: number; credentials?: () => Promise<never> } = {}) =>
  new DynamoDBClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: options.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 300, throwOnRequestTimeout: true }),
  });

const failure = (c: DynamoDBClient) =>
  c.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'writer' } } })).then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('never sent: refused (503 "not taken")', () => {
  it('no credentials: the signer fails before the HTTP handler, and the server receives nothing', async () => {
    const s = await server((_req, res) => res.end('{}'));
    const c = client(s.port, {
      credentials: () => Promise.reject(new CredentialsProviderError('Could not load credentials from any providers')),
    });
    const e = await failure(c);
    await s.close();
    expect(s.received()).toBe(0);
    expect(e).toMatchObject({ name: 'CredentialsProviderError' });
    expect(classifyWriteError(e)).toMatchObject({ kind: 'refused', reason: 'no credentials: nothing was sent' });
  });

  it.each([
    // Node's errors as http.request emits them (the handler passes them on unchanged).
    ['connection refused', { code: 'ECONNREFUSED', syscall: 'connect', message: 'connect ECONNREFUSED 10.0.0.1:443' }],
    ['DNS: name not found', { code: 'ENOTFOUND', syscall: 'getaddrinfo', message: 'getaddrinfo ENOTFOUND x' }],
    ['DNS: temporary failure', { code: 'EAI_AGAIN', syscall: 'getaddrinfo', message: 'getaddrinfo EAI_AGAIN x' }],
    ['no route to the host', { code: 'EHOSTUNREACH', syscall: 'connect', message: 'connect EHOSTUNREACH' }],
    ['network unreachable', { code: 'ENETUNREACH', syscall: 'connect', message: 'connect ENETUNREACH' }],
    // The kernel's TCP connect timeout: ETIMEDOUT from connect, renamed TimeoutError by the handler.
    [
      'TCP connect timed out',
      { name: 'TimeoutError', code: 'ETIMEDOUT', syscall: 'connect', message: 'connect ETIMEDOUT' },
    ],
    [
      "the handler's connectionTimeout (cleared on the socket's connect event)",
      {
        name: 'TimeoutError',
        message:
          '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 500 ms.',
      },
    ],
  ])('%s', (_label, fields) => {
    const e = Object.assign(new Error(fields.message), fields);
    expect(classifyWriteError(e)).toMatchObject({ kind: 'refused', overload: false });
  });
});

describe('maybe applied: outcome unknown (504)', () => {
  it('no answer within the request timeout, after the request was sent (a real SDK error)', async () => {
    const s = await server(() => undefined);
    const e = await failure(client(s.port));
    s.server.closeAllConnections();
    await s.close();
    expect(s.received()).toBe(1);
    expect(e).toMatchObject({ name: 'TimeoutError' });
    expect(classifyWriteError(e)).toMatchObject({ kind: 'unknown' });
  });

  it.each([
    ['the connection reset after the request was sent', { name: 'TimeoutError', code: 'ECONNRESET', syscall: 'read' }],
    ['ETIMEDOUT on an established connection', { name: 'TimeoutError', code: 'ETIMEDOUT', syscall: 'read' }],
    ['EPIPE while writing', { name: 'TimeoutError', code: 'EPIPE', syscall: 'write' }],
    [
      'a bare TimeoutError',
      { name: 'TimeoutError', message: 'request has exceeded the configured 300 ms requestTimeout' },
    ],
    ['an abort', { name: 'AbortError' }],
    ['a 500', { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }],
  ])('%s', (_label, fields) => {
    expect(classifyWriteError(Object.assign(new Error('x'), fields))).toMatchObject({ kind: 'unknown' });
  });
});

describe('retried writes: refused only when every attempt was', () => {
  // The SDK's standard retry waits random() x base x 2^n before retry n = 0, 1, ... (full jitter;
  // base 500 ms after a throttle, 100 ms otherwise: @smithy/util-retry's StandardRetryStrategy).
  // The jitter is fixed at 0 here: the same strategy and the same retry loop, without up to 0.5 s
  // of sleep per test.
  beforeEach(() => jest.spyOn(Math, 'random').mockReturnValue(0));
  afterEach(() => jest.restoreAllMocks());

  const answer = (res: http.ServerResponse, status: number, type: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: type }));
  };

  it('a 500 (maybe applied), then throttled: unknown, though the last attempt was refused', async () => {
    const s = await server((_req, res, n) =>
      n === 1 ? answer(res, 500, 'InternalServerError') : answer(res, 400, 'ThrottlingException'),
    );
    const e = await failure(recordAttempts(client(s.port, { maxAttempts: 2 })));
    await s.close();
    expect(s.received()).toBe(2);
    expect(e).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 2 } });
    expect(classifyWriteError(e)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/earlier attempt may have been applied \(InternalServerError\)/),
    });
  });

  it('throttled on every attempt, recorded: refused (overload)', async () => {
    const s = await server((_req, res) => answer(res, 400, 'ThrottlingException'));
    const e = await failure(recordAttempts(client(s.port, { maxAttempts: 2 })));
    await s.close();
    expect(e).toMatchObject({ $metadata: { attempts: 2 } });
    expect(classifyWriteError(e)).toMatchObject({ kind: 'refused', overload: true });
  });

  it('retried without a record of the attempts: unknown (the earlier one cannot be shown to have failed)', async () => {
    const s = await server((_req, res) => answer(res, 400, 'ThrottlingException'));
    const e = await failure(client(s.port, { maxAttempts: 2 }));
    await s.close();
    expect(classifyWriteError(e)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/not recorded/) });
  });
});
