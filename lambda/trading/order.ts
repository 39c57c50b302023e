/** The order the API accepts: validated by schema, normalised before it is stored or queued. */
import { z } from 'zod';

const decimal = (field: string) =>
  z
    .union([z.number(), z.string()], { message: `${field} must be a number or a decimal string` })
    .transform((v, ctx) => {
      const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v.trim();
      if (!/^\d{1,12}(\.\d{1,8})?$/.test(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `${field} must be a positive decimal with at most 12 integer and 8 fractional digits`,
        });
        return z.NEVER;
      }
      if (Number(text) <= 0) {
        ctx.addIssue({ code: 'custom', message: `${field} must be greater than zero` });
        return z.NEVER;
      }
      return text;
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

export interface Order extends OrderInput {
  readonly id: string;
  readonly status: 'accepted';
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
            ? (issue.keys ?? []).join(',')
            : '(body)',
      message:
        issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : issue.message,
    })),
  };
}

/** Whether a stored order is the same request as a replayed one (same client order id). */
export function sameRequest(stored: OrderInput, replay: OrderInput): boolean {
  const fields: (keyof OrderInput)[] = ['clientOrderId', 'symbol', 'side', 'type', 'limitPrice'];
  return (
    fields.every((f) => stored[f] === replay[f]) &&
    Number(stored.quantity) === Number(replay.quantity) &&
    Number(stored.limitPrice ?? 0) === Number(replay.limitPrice ?? 0)
  );
}
