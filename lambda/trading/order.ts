/** The order the API accepts: validated by schema, normalised before it is stored. */
import { createHash } from 'crypto';
import { z } from 'zod';
import { INTEGER_DIGITS, parseDecimal, SCALE } from './decimal';

/**
 * Money fields are decimal strings only: JSON.parse turns a JSON number into a double before any
 * check could see the digits sent (`99999999999.9999999999` arrives as 100000000000), so a number
 * is refused (400) rather than stored as a value the client did not send.
 */
const decimal = (field: string) =>
  z
    .string({
      message: `${field} must be a decimal string such as "101.25" (JSON numbers are refused: they may be rounded)`,
    })
    .transform((v, ctx) => {
      const parsed = parseDecimal(v.trim());
      if (!parsed.ok) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} must be a positive decimal with at most ${INTEGER_DIGITS} integer and ${SCALE} fractional digits: it ${parsed.message}`,
        });
        return z.NEVER;
      }
      if (parsed.value === '0') {
        ctx.addIssue({ code: 'custom', message: `${field} must be greater than zero` });
        return z.NEVER;
      }
      // Canonical text: equal values compare equal as strings (see decimal.ts).
      return parsed.value;
    });

export const orderSchema = z
  .strictObject(
    {
      clientOrderId: z.string({ message: 'clientOrderId is required' }).regex(/^[A-Za-z0-9_-]{1,64}$/, {
        message: 'clientOrderId must be 1-64 letters, digits, _ or -',
      }),
      symbol: z.string({ message: 'symbol is required' }).regex(/^[A-Z][A-Z0-9.-]{0,11}$/, {
        message: 'symbol must be 1-12 upper-case letters, digits, . or -, starting with a letter',
      }),
      side: z.enum(['buy', 'sell'], { message: 'side must be buy or sell' }),
      type: z.enum(['market', 'limit'], { message: 'type must be market or limit' }),
      quantity: decimal('quantity'),
      limitPrice: decimal('limitPrice').optional(),
    },
    { message: 'order must be a JSON object' },
  )
  .superRefine((o, ctx) => {
    if (o.type === 'limit' && o.limitPrice === undefined) {
      ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: 'limitPrice is required for limit orders' });
    }
    if (o.type === 'market' && o.limitPrice !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: 'limitPrice must be absent for market orders' });
    }
  });

export type OrderInput = z.output<typeof orderSchema>;

/** `accepted`: the order stands (acknowledged live: nothing waits, so nothing expires). */
export type OrderStatus = 'accepted';

export interface Order extends OrderInput {
  readonly id: string;
  readonly status: OrderStatus;
  readonly region: string;
  readonly createdAt: string;
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type Validation = { ok: true; order: OrderInput } | { ok: false; errors: FieldError[] };

export function validateOrder(body: unknown): Validation {
  const result = orderSchema.safeParse(body);
  if (result.success) return { ok: true, order: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({
      field:
        issue.path.length > 0
          ? issue.path.join('.')
          : issue.code === 'unrecognized_keys'
            ? issue.keys.join(',')
            : '(body)',
      message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  };
}

/**
 * The fields that make an order what it is, in canonical text (the schema's output, the store's
 * read-back), so string equality is decimal equality at the column's scale.
 */
function identity(order: OrderInput): string {
  return JSON.stringify([
    order.clientOrderId,
    order.symbol,
    order.side,
    order.type,
    order.quantity,
    order.limitPrice ?? '',
  ]);
}

/**
 * Whether a stored order and a new request with the same client order id are the same order.
 * The API and the book applier both decide identity here.
 */
export function sameOrder(stored: OrderInput, request: OrderInput): boolean {
  return identity(stored) === identity(request);
}

/** A digest of the order's identity: equal exactly when `sameOrder` holds (same fields). */
export function orderFingerprint(order: OrderInput): string {
  return createHash('sha256').update(identity(order)).digest('hex');
}

/** Namespace of order ids (a fixed random UUID: ids are name-based UUIDs, RFC 9562 version 5). */
const ORDER_ID_NAMESPACE = Buffer.from('5b0f3c1e8d2a4c7f9e6b1a2d3c4e5f60', 'hex');

/**
 * The order id is a function of the client and its client order id, so every path that stores
 * an order (the API in the book, the applier in Aurora) gives it the same id, the id in a 504
 * (outcome unknown) answer is the one the order has if it was stored, and two clients using the
 * same client order id get two ids. (Client ids contain no ':', so the name is unambiguous.)
 */
export function orderIdFor(clientId: string, clientOrderId: string): string {
  const hash = createHash('sha1').update(ORDER_ID_NAMESPACE).update(`${clientId}:${clientOrderId}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
