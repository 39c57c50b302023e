/**
 * Decimal amounts as the orders table stores them (numeric(20, 8)): compared as decimals at that
 * scale, through one canonical text form, never through floating point.
 */

/** numeric(20, 8): 12 integer digits and 8 fractional digits. */
export const INTEGER_DIGITS = 12;
export const SCALE = 8;
/** Longer text is refused before any pattern runs on it. */
const MAX_TEXT_LENGTH = 64;

export type DecimalParse = { ok: true; value: string } | { ok: false; message: string };

/**
 * The canonical text of a non-negative decimal: no leading zeros in the integer part, no trailing
 * zeros in the fraction, no dangling point ("020" -> "20", "187.250" -> "187.25", "00.6" -> "0.6").
 * Two inputs denote the same numeric(20, 8) value exactly when their canonical texts are equal.
 * Digits the column would round away are refused, never rounded.
 */
export function parseDecimal(text: string): DecimalParse {
  if (text.length > MAX_TEXT_LENGTH) return { ok: false, message: `is longer than ${MAX_TEXT_LENGTH} characters` };
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return { ok: false, message: 'is not a plain decimal (digits, optionally one point and digits)' };
  const integer = match[1].replace(/^0+/, '') || '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (integer.length > INTEGER_DIGITS) return { ok: false, message: `has more than ${INTEGER_DIGITS} integer digits` };
  if (fraction.length > SCALE) return { ok: false, message: `has more than ${SCALE} fractional digits` };
  return { ok: true, value: fraction ? `${integer}.${fraction}` : integer };
}

/** Canonical text of a value known to be valid (read back from the database, or already parsed). */
export function canonicalDecimal(text: string): string {
  const parsed = parseDecimal(text);
  if (!parsed.ok) throw new Error(`not a numeric(20, ${SCALE}) decimal: "${text}" ${parsed.message}`);
  return parsed.value;
}
