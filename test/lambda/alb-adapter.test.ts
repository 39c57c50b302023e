/** The ALB adapter's translation, directly: both header and query forms, body encodings, malformed events, the result. */
import type { ALBEvent } from 'aws-lambda';
import { fromAlbEvent, toAlbResult } from '../../lambda/trading/handler';

const event = (fields: Record<string, unknown>) => fields as unknown as ALBEvent;

describe('ALB event -> API request', () => {
  it('reads single-value headers and query, lower-casing header names, the body as UTF-8', () => {
    expect(
      fromAlbEvent(
        event({
          httpMethod: 'POST',
          path: '/orders',
          headers: { 'Content-Type': 'application/json', 'X-Odd': 5 },
          queryStringParameters: { a: '%20', b: '2' },
          body: '{"é":1}',
          isBase64Encoded: false,
        }),
      ),
    ).toEqual({
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json' },
      query: [
        ['a', '%20'],
        ['b', '2'],
      ],
      body: Buffer.from('{"é":1}', 'utf8'),
    });
  });

  it('reads multi-value headers (joined) and multi-value query (every value), and decodes a base64 body', () => {
    expect(
      fromAlbEvent(
        event({
          httpMethod: 'GET',
          path: '/orders/1',
          multiValueHeaders: { 'X-Forwarded-For': ['1.2.3.4', 7, '5.6.7.8'], Single: 'not-a-list' },
          multiValueQueryStringParameters: { a: ['1', '2', 3] },
          queryStringParameters: { ignored: 'x' },
          body: Buffer.from('bytes').toString('base64'),
          isBase64Encoded: true,
        }),
      ),
    ).toEqual({
      method: 'GET',
      path: '/orders/1',
      headers: { 'x-forwarded-for': '1.2.3.4, 5.6.7.8' },
      query: [
        ['a', '1'],
        ['a', '2'],
      ],
      body: Buffer.from('bytes'),
    });
  });

  it('turns a malformed event into an empty method and path (answered 400), never a throw', () => {
    for (const bad of [undefined, null, {}, { httpMethod: 5, path: ['x'], headers: null, body: 42 }]) {
      expect(fromAlbEvent(bad as unknown as ALBEvent)).toEqual({
        method: '',
        path: '',
        query: [],
        headers: {},
        body: undefined,
      });
    }
  });
});

describe('API response -> ALB result', () => {
  it('carries the status as code and description, the security headers, and a plain-text body', () => {
    expect(toAlbResult({ statusCode: 201, headers: { 'Content-Type': 'application/json' }, body: '{}' })).toEqual({
      statusCode: 201,
      statusDescription: '201',
      headers: {
        'content-type': 'application/json',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
      body: '{}',
      isBase64Encoded: false,
    });
  });
});
