/** Duplicate JSON keys are refused, never resolved last-wins (issue 25 item 7). */
import * as fc from 'fast-check';
import { ApiDeps, handleRequest } from '../../lambda/trading/api';
import { firstDuplicateKey } from '../../lambda/trading/duplicate-key';

describe('firstDuplicateKey', () => {
  it('finds nothing in any JSON text JSON.stringify makes (its objects cannot repeat a key)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => firstDuplicateKey(JSON.stringify(value)) === undefined));
  });

  it('finds a key repeated in any object of a generated document, however nested', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.array(fc.constantFrom('a', 'o'), { maxLength: 4 }),
        (object, path) => {
          const [key] = Object.keys(object);
          // The object with its first key written again at the end, wrapped in arrays and objects.
          let text = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(key)}:null}`;
          for (const wrap of path) text = wrap === 'a' ? `[1,${text}]` : `{"x":{"y":[]},"z":${text}}`;
          return firstDuplicateKey(text) === key;
        },
      ),
    );
  });

  it('tells keys from values and escaped quotes, and the same key in sibling objects apart', () => {
    expect(firstDuplicateKey('{"a":"a","b":{"a":1},"c":[{"a":1},{"a":2}]}')).toBeUndefined();
    expect(firstDuplicateKey('{"a\\"b":1,"a\\u0022b":2}')).toBe('a"b');
    expect(firstDuplicateKey('{"quantity":"1","quantity":"1000"}')).toBe('quantity');
  });
});

describe('the order API refuses a body with a duplicate key', () => {
  it('400 naming the key; nothing written', async () => {
    const accept = jest.fn();
    const deps: ApiDeps = {
      book: { accept, get: async () => undefined, ready: async () => undefined as never },
      authenticate: async () => ({ ok: true, clientId: 'desk-a' }),
      region: 'us-east-1',
      role: 'primary',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const body =
      '{"clientOrderId":"dup-1","symbol":"ACME","side":"buy","type":"limit","quantity":"1","limitPrice":"10","quantity":"1000"}';
    const answer = await handleRequest(
      { method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: Buffer.from(body) },
      deps,
    );
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid order',
      errors: [{ field: 'quantity', message: 'quantity appears more than once: send each key once' }],
    });
    expect(accept).not.toHaveBeenCalled();
  });
});
