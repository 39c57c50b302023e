/** The order schema and its decimals, directly: what is accepted, the canonical text, the exact refusals, the ids. */
import { canonicalDecimal, parseDecimal } from '../../lambda/trading/decimal';
import { OrderInput, orderFingerprint, orderIdFor, sameOrder, validateOrder } from '../../lambda/trading/order';
import { limitOrder } from '../helpers/trading-db';

const refused = (message: string) => ({ ok: false, message });

describe('decimal text at numeric(20, 8)', () => {
  it.each([
    ['0', '0'],
    ['000', '0'],
    ['020', '20'],
    ['00.6', '0.6'],
    ['187.250', '187.25'],
    ['5.10000000', '5.1'],
    ['1.000', '1'],
    ['0.00000001', '0.00000001'],
    ['123456789012.12345678', '123456789012.12345678'],
    ['000000000000000000000000000000000000000000000000000000000000001', '1'],
    ['1'.padStart(64, '0'), '1'],
  ])('%s is %s', (text, value) => expect(parseDecimal(text)).toEqual({ ok: true, value }));

  it.each([
    ['', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['a1', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1a', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1.', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['.5', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1.2.3', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1.5a', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['-1', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1e5', 'is not a plain decimal (digits, optionally one point and digits)'],
    ['1234567890123', 'has more than 12 integer digits'],
    ['0.123456789', 'has more than 8 fractional digits'],
    ['1'.padStart(65, '0'), 'is longer than 64 characters'],
  ])('refuses %s: it %s', (text, message) => expect(parseDecimal(text)).toEqual(refused(message)));

  it('takes 12 integer digits and 8 fractional digits, and trailing zeros beyond them', () => {
    expect(parseDecimal('999999999999')).toEqual({ ok: true, value: '999999999999' });
    expect(parseDecimal('0.12345678000')).toEqual({ ok: true, value: '0.12345678' });
  });

  it('canonicalDecimal gives the canonical text of a stored value, and throws naming a value that is none', () => {
    expect(canonicalDecimal('187.25000000')).toBe('187.25');
    expect(() => canonicalDecimal('1.2.3')).toThrow(
      'not a numeric(20, 8) decimal: "1.2.3" is not a plain decimal (digits, optionally one point and digits)',
    );
  });
});

const NUMBER_REFUSED = (field: string) =>
  `${field} must be a decimal string such as "101.25" (JSON numbers are refused: they may be rounded)`;
const limit = (overrides: Record<string, unknown> = {}) => limitOrder('c-1', overrides);
const market = (overrides: Record<string, unknown> = {}) => {
  const { limitPrice: _ignored, ...rest } = limit({ type: 'market', ...overrides });
  return rest;
};
const errorsOf = (body: unknown) => {
  const result = validateOrder(body);
  return result.ok ? [] : result.errors;
};
const accepted = (body: unknown): OrderInput => {
  const result = validateOrder(body);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.order;
};

describe('order schema', () => {
  it('accepts a limit order and a market order, with decimals in canonical text', () => {
    expect(accepted(limit({ quantity: ' 0100.50 ', limitPrice: '187.25' }))).toEqual({
      clientOrderId: 'c-1',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: '100.5',
      limitPrice: '187.25',
    });
    expect(accepted(market({ side: 'sell', quantity: '3' }))).toEqual({
      clientOrderId: 'c-1',
      symbol: 'AAPL',
      side: 'sell',
      type: 'market',
      quantity: '3',
    });
  });

  it.each([
    ['clientOrderId', 'a'],
    ['clientOrderId', 'Az09_-'],
    ['clientOrderId', 'c'.repeat(64)],
    ['symbol', 'A'],
    ['symbol', 'BRK.B'],
    ['symbol', 'X-9'],
    ['symbol', 'ABCDEFGHIJKL'],
  ])('accepts %s %s', (field, value) => expect(accepted(limit({ [field]: value }))).toMatchObject({ [field]: value }));

  const CLIENT_ORDER_ID = 'clientOrderId must be 1-64 letters, digits, _ or -';
  const SYMBOL = 'symbol must be 1-12 upper-case letters, digits, . or -, starting with a letter';
  const quantityIt = (it: string) =>
    `quantity must be a positive decimal with at most 12 integer and 8 fractional digits: it ${it}`;
  it.each([
    ['no clientOrderId', limit({ clientOrderId: undefined }), 'clientOrderId', 'clientOrderId is required'],
    ['an empty clientOrderId', limit({ clientOrderId: '' }), 'clientOrderId', CLIENT_ORDER_ID],
    ['a 65-character clientOrderId', limit({ clientOrderId: 'c'.repeat(65) }), 'clientOrderId', CLIENT_ORDER_ID],
    ['a clientOrderId with a space', limit({ clientOrderId: 'c 1' }), 'clientOrderId', CLIENT_ORDER_ID],
    ['a clientOrderId with a colon', limit({ clientOrderId: 'c:1' }), 'clientOrderId', CLIENT_ORDER_ID],
    ['a clientOrderId ending in a newline', limit({ clientOrderId: 'c1\n' }), 'clientOrderId', CLIENT_ORDER_ID],
    ['no symbol', limit({ symbol: undefined }), 'symbol', 'symbol is required'],
    ['an empty symbol', limit({ symbol: '' }), 'symbol', SYMBOL],
    ['a lower-case symbol', limit({ symbol: 'aapl' }), 'symbol', SYMBOL],
    ['a symbol starting with a digit', limit({ symbol: '9A' }), 'symbol', SYMBOL],
    ['a symbol starting with a point', limit({ symbol: '.A' }), 'symbol', SYMBOL],
    ['a symbol with a lower-case letter', limit({ symbol: 'Ab' }), 'symbol', SYMBOL],
    ['a 13-character symbol', limit({ symbol: 'ABCDEFGHIJKLM' }), 'symbol', SYMBOL],
    ['a symbol with a space', limit({ symbol: 'A B' }), 'symbol', SYMBOL],
    ['a symbol ending in a newline', limit({ symbol: 'AAPL\n' }), 'symbol', SYMBOL],
    ['side hold', limit({ side: 'hold' }), 'side', 'side must be buy or sell'],
    ['type stop', limit({ type: 'stop' }), 'type', 'type must be market or limit'],
    ['a boolean quantity', limit({ quantity: true }), 'quantity', NUMBER_REFUSED('quantity')],
    ['a zero quantity', limit({ quantity: '0.000' }), 'quantity', 'quantity must be greater than zero'],
    // Money as strings only: JSON.parse has rounded a number before anyone sees its digits.
    ['a JSON number quantity', limit({ quantity: 100 }), 'quantity', NUMBER_REFUSED('quantity')],
    ['a JSON number limitPrice', limit({ limitPrice: 187.25 }), 'limitPrice', NUMBER_REFUSED('limitPrice')],
    [
      'a JSON number that JSON.parse rounds',
      JSON.parse(
        '{"clientOrderId":"c-1","symbol":"ACME","side":"buy","type":"market","quantity":99999999999.9999999999}',
      ),
      'quantity',
      NUMBER_REFUSED('quantity'),
    ],
    [
      'a word for a quantity',
      limit({ quantity: 'ten' }),
      'quantity',
      quantityIt('is not a plain decimal (digits, optionally one point and digits)'),
    ],
    [
      'a negative limitPrice',
      limit({ limitPrice: '-1' }),
      'limitPrice',
      'limitPrice must be a positive decimal with at most 12 integer and 8 fractional digits: it is not a plain decimal (digits, optionally one point and digits)',
    ],
    [
      'a limit order without limitPrice',
      limit({ limitPrice: undefined }),
      'limitPrice',
      'limitPrice is required for limit orders',
    ],
    [
      'a market order with limitPrice',
      limit({ type: 'market' }),
      'limitPrice',
      'limitPrice must be absent for market orders',
    ],
  ])('refuses %s, naming the field', (_label, body, field, message) => {
    expect(errorsOf(body)).toEqual([{ field, message }]);
  });

  it.each([['[]'], ['"order"'], ['null'], ['42']])('refuses %s as the body: it must be an object', (json) =>
    expect(errorsOf(JSON.parse(json))).toEqual([{ field: '(body)', message: 'order must be a JSON object' }]),
  );

  it('names every unknown field, in one error', () => {
    expect(errorsOf(limit({ account: 'x', venue: 'y' }))).toEqual([
      { field: 'account,venue', message: 'unknown field(s): account, venue' },
    ]);
  });

  it('reports every problem at once', () => {
    expect(errorsOf({ ...limit({ side: 'hold', quantity: '0' }) }).map((e) => e.field)).toEqual(['side', 'quantity']);
  });
});

describe('order identity', () => {
  const base = accepted(limit());

  it('is the same order for the same fields, however the decimals were written', () => {
    const again = accepted(limit({ quantity: '100', limitPrice: '0187.250' }));
    expect(sameOrder(base, again)).toBe(true);
    expect(orderFingerprint(again)).toBe(orderFingerprint(base));
  });

  it.each([
    ['clientOrderId', { clientOrderId: 'c-2' }],
    ['symbol', { symbol: 'MSFT' }],
    ['side', { side: 'sell' }],
    ['quantity', { quantity: '100.00000001' }],
    ['limitPrice', { limitPrice: '187.26' }],
  ])('is another order when the %s differs', (_field, overrides) => {
    const other = accepted(limit(overrides));
    expect(sameOrder(base, other)).toBe(false);
    expect(orderFingerprint(other)).not.toBe(orderFingerprint(base));
  });

  it('is another order when the type differs', () => {
    const other = accepted(market());
    expect(sameOrder(base, other)).toBe(false);
    expect(orderFingerprint(other)).not.toBe(orderFingerprint(base));
  });

  it('fingerprints are SHA-256 hex digests', () => {
    expect(orderFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('order ids are the RFC 9562 version 5 UUIDs of "<client>:<clientOrderId>" in the order namespace', () => {
    // Reference values from Python's uuid.uuid5(UUID('5b0f3c1e-8d2a-4c7f-9e6b-1a2d3c4e5f60'), name). Ids are
    // stored in the book, in Aurora and handed to clients (504 outcome unknown): they must never change.
    expect(orderIdFor('desk-a', 'c-1')).toBe('7298c7f1-2d16-5345-952c-fc4d2a02a04e');
    expect(orderIdFor('desk-b', 'c-1')).toBe('99aa8501-7972-5cba-852b-ac71efb68c82');
    expect(orderIdFor('desk-a', 'ordre-é')).toBe('0f6282cf-e030-5eb2-bf58-e7b1714b1a81');
  });
});
