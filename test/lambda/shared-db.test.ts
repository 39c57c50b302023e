/** The shared database helpers, directly: TLS modes, error classification, client bounds, credentials, the secret cache. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { MalformedSecretError, parseCredentials } from '../../lambda/shared/credentials';
import { boundedClientSettings, classifyDbError, isDroppedConnection, sslOptions } from '../../lambda/shared/postgres';
import { SecretCache } from '../../lambda/shared/secret-cache';

const failure = (code?: string, message = 'boom') => Object.assign(new Error(message), code ? { code } : {});

describe('TLS modes', () => {
  it.each([
    ['verify-full', { rejectUnauthorized: true }],
    [undefined, { rejectUnauthorized: true }],
    ['require', { rejectUnauthorized: false }],
    ['disable', false],
  ])('%s -> %j', (mode, options) => expect(sslOptions(mode)).toEqual(options));

  it('refuses any other mode, naming the setting', () => {
    expect(() => sslOptions('prefer')).toThrow('DB_SSL must be disable, require or verify-full, got "prefer"');
    expect(() => sslOptions('')).toThrow('got ""');
  });
});

describe('database errors', () => {
  it.each([
    ['25006', 'read-only'],
    ['28P01', 'auth'],
    ['28000', 'auth'],
    ...[
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'EPIPE',
      '57P01',
      '57P02',
      '57P03',
      '08000',
      '08001',
      '08003',
      '08006',
    ].map((code) => [code, 'unavailable']),
    ['23505', 'other'],
    ['42P01', 'other'],
  ])('code %s is %s', (code, meaning) => expect(classifyDbError(failure(code))).toBe(meaning));

  it.each([
    ['Query read TIMEOUT', 'unavailable'],
    ['Connection terminated unexpectedly', 'unavailable'],
    ['could not CONNECT to server', 'unavailable'],
    ['the database system is not queryable', 'unavailable'],
    ['syntax error at or near "x"', 'other'],
  ])('message %s is %s', (message, meaning) => expect(classifyDbError(failure(undefined, message))).toBe(meaning));

  it('anything that is not an error is "other"', () => {
    expect(classifyDbError(undefined)).toBe('other');
    expect(classifyDbError(null)).toBe('other');
    expect(classifyDbError({})).toBe('other');
  });

  it.each([
    [failure('57P01'), true],
    [failure('57P02'), true],
    [failure('ECONNRESET'), true],
    [failure('EPIPE'), true],
    [failure(undefined, 'connection TERMINATED unexpectedly'), true],
    [failure('57P03'), false],
    [failure('ECONNREFUSED'), false],
    [failure(undefined, 'timeout'), false],
    [undefined, false],
  ])('dropped connection: %p -> %p', (error, dropped) => expect(isDroppedConnection(error)).toBe(dropped));

  it('bounds every wait from the client side, and the server side too', () => {
    expect(boundedClientSettings({ connectMs: 1_000, queryMs: 2_000 })).toEqual({
      connectionTimeoutMillis: 1_000,
      query_timeout: 2_000,
      statement_timeout: 2_000,
      idle_in_transaction_session_timeout: 4_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
  });
});

describe('database credentials secret', () => {
  const good = { engine: 'postgres', host: 'db.internal', username: 'app', password: 'pw' };

  it('fills the defaults of the AWS layout and coerces a string port', () => {
    expect(parseCredentials(JSON.stringify(good))).toEqual({ ...good, port: 5432, dbname: 'postgres' });
    expect(parseCredentials(JSON.stringify({ ...good, port: '6432', dbname: 'trading', masterarn: 'arn:x' }))).toEqual({
      ...good,
      port: 6432,
      dbname: 'trading',
      masterarn: 'arn:x',
    });
  });

  it.each([
    [undefined, 'secret is not a PostgreSQL credential: it has no SecretString'],
    ['', 'secret is not a PostgreSQL credential: it has no SecretString'],
    ['{', 'secret is not a PostgreSQL credential: SecretString is not JSON'],
    [JSON.stringify({ ...good, engine: 'mysql' }), 'secret is not a PostgreSQL credential: engine must be "postgres"'],
    [JSON.stringify({ ...good, host: '' }), 'secret is not a PostgreSQL credential: host is required'],
    [
      JSON.stringify({ engine: 'postgres' }),
      'secret is not a PostgreSQL credential: host is required; username is required; password is required',
    ],
    [JSON.stringify({ ...good, username: '' }), 'secret is not a PostgreSQL credential: username is required'],
    [JSON.stringify({ ...good, password: '' }), 'secret is not a PostgreSQL credential: password is required'],
    [JSON.stringify({ ...good, dbname: 5 }), 'secret is not a PostgreSQL credential: dbname must be a string'],
  ])('refuses %s', (text, message) => {
    expect(() => parseCredentials(text)).toThrow(new MalformedSecretError(message.replace(/^.*?: /, '')));
    expect(() => parseCredentials(text)).toThrow(expect.objectContaining({ name: 'MalformedSecretError', message }));
  });
});

describe('secret cache', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db';
  const credentials = { engine: 'postgres', host: 'h', username: 'u', password: 'p' };

  it('reads once, parses as credentials by default, re-reads after invalidate, and does not cache a failed read', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: JSON.stringify(credentials) });
    const cache = new SecretCache(client, ARN);
    await expect(cache.get()).rejects.toThrow('throttled');
    expect(await cache.get()).toEqual({ ...credentials, port: 5432, dbname: 'postgres' });
    await cache.get();
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    cache.invalidate();
    await cache.get();
    expect(mock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: ARN },
      { SecretId: ARN },
      { SecretId: ARN },
    ]);
    mock.restore();
  });

  it('uses the parser it is given', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(GetSecretValueCommand).resolves({ SecretString: 'plain' });
    expect(await new SecretCache(client, ARN, (s) => `parsed ${s}`).get()).toBe('parsed plain');
    mock.restore();
  });
});
