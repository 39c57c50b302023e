/**
 * Request signing for the order API, shared by the service (verifies) and the client (signs).
 * docs/signing.md is the normative description (with test vectors that test/signing-spec.test.ts
 * checks against this module); this comment is the summary.
 *
 * Scheme: HMAC-SHA256 with a per-client secret key over a canonical request, the way exchange
 * APIs authenticate trading clients. It needs nothing from the network path: it works through
 * Global Accelerator (layer-4 pass-through), the ALB (any listener rule or default action) and
 * straight to an EC2 instance alike, because the service itself checks every request.
 *
 *   Authorization: TAP-HMAC-SHA256 Credential=<clientId>, Region=<region>, Timestamp=<unix ms>, Nonce=<nonce>, Signature=<hex>
 *
 * Signature = hex(HMAC-SHA256(key, canonicalRequest)), where canonicalRequest is these lines
 * joined by "\n": the scheme name, the method (upper case), the Host header (lower case, with the
 * port when one is sent), the path exactly as sent (it must be canonical: see
 * `checkCanonicalPath`), the canonical query (see `checkCanonicalQuery`), the region the request
 * is for, the timestamp, the nonce, the client id and hex(SHA-256(body bytes)).
 *
 * Host and region bind a request to where it goes, as AWS SigV4 signs the host header and a
 * credential scope naming the region: a request captured on its way to one stack or region is
 * refused by every other (the service checks the host against its own names and the region
 * against its own before anything else happens).
 */
import { createHash, createHmac } from 'crypto';

export const SCHEME = 'TAP-HMAC-SHA256';

/** Client ids: short enough that `${clientId}:${clientOrderId}` fits an SQS deduplication id (128). */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** 128 bits of randomness at least (22 base64url characters), at most 64 characters. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
/** An AWS region name (us-east-1, eu-west-1, ap-southeast-2, us-gov-west-1). */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;
const TIMESTAMP_PATTERN = /^[1-9][0-9]{0,14}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
/** Longer than any valid header (about 230 characters): refuse to scan anything bigger. */
export const MAX_AUTHORIZATION_LENGTH = 512;

export interface RequestCredential {
  readonly clientId: string;
  /** The region the request is for: the service in another region refuses it. */
  readonly region: string;
  /** Milliseconds since the Unix epoch, when the client signed. */
  readonly timestamp: number;
  readonly nonce: string;
}

export interface ParsedAuthorization extends RequestCredential {
  readonly signature: string;
}

export type ParseResult = { ok: true; value: ParsedAuthorization } | { ok: false; reason: string };

export interface SignableRequest {
  readonly method: string;
  /** The Host header as sent (`api.example.com`, `127.0.0.1:8080`); compared in lower case. */
  readonly host: string;
  /** The path as sent on the wire, without the query. */
  readonly path: string;
  /** Query pairs as sent (still percent-encoded, see `encodeQueryComponent`), in any order. */
  readonly query?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
}

/** Pairs sorted by name, then value (code units), joined as `a=1&b=2`: independent of the order sent. */
export function canonicalQuery(pairs: readonly (readonly [string, string])[] = []): string {
  return [...pairs]
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * RFC 3986 percent-encoding as SigV4 uses it: unreserved characters (`A-Z a-z 0-9 - . _ ~`)
 * as they are, every other UTF-8 byte as `%XX` in upper-case hex. `encodeURIComponent` leaves
 * `! ' ( ) *` alone, so they are encoded here.
 */
export function encodeQueryComponent(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** One encoded name or value: unreserved characters and `%XX` escapes of anything else. */
const QUERY_COMPONENT = /^(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})*$/;
const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/**
 * One spelling per query: every parameter is `name=value` with a non-empty name, both encoded
 * by `encodeQueryComponent` (upper-case escapes, never an escaped unreserved character), and no
 * empty parameter. So `?a=` is accepted and `?a`, `?a&&`, `?a=%7e`, `?a=%7E` and `?a=b+c` are
 * refused (400) before anything is signed or routed: two spellings never sign the same.
 */
export function checkCanonicalQuery(
  pairs: readonly (readonly [string, string | undefined])[],
): { ok: true } | { ok: false; reason: string } {
  for (const [name, value] of pairs) {
    if (name === '') return { ok: false, reason: 'empty query parameter name (or && or a trailing &)' };
    if (value === undefined) return { ok: false, reason: 'query parameter without = (send name=)' };
    for (const part of [name, value]) {
      if (!QUERY_COMPONENT.test(part)) {
        return { ok: false, reason: 'query may contain only letters, digits, - . _ ~ and upper-case %XX escapes' };
      }
      const escapes = part.match(/%[0-9A-F]{2}/g) ?? [];
      if (escapes.some((e) => UNRESERVED.test(String.fromCharCode(parseInt(e.slice(1), 16))))) {
        return { ok: false, reason: 'query escapes an unreserved character (send it as it is)' };
      }
    }
  }
  return { ok: true };
}

export function bodyHash(body: Buffer | string | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

export function canonicalRequest(req: SignableRequest, credential: RequestCredential): string {
  return [
    SCHEME,
    req.method.toUpperCase(),
    req.host.toLowerCase(),
    req.path,
    canonicalQuery(req.query),
    credential.region,
    String(credential.timestamp),
    credential.nonce,
    credential.clientId,
    bodyHash(req.body),
  ].join('\n');
}

export function signature(key: string, req: SignableRequest, credential: RequestCredential): string {
  return createHmac('sha256', key).update(canonicalRequest(req, credential)).digest('hex');
}

export function formatAuthorization(value: ParsedAuthorization): string {
  return `${SCHEME} Credential=${value.clientId}, Region=${value.region}, Timestamp=${value.timestamp}, Nonce=${value.nonce}, Signature=${value.signature}`;
}

const FIELDS = {
  Credential: CLIENT_ID_PATTERN,
  Region: REGION_PATTERN,
  Timestamp: TIMESTAMP_PATTERN,
  Nonce: NONCE_PATTERN,
  Signature: SIGNATURE_PATTERN,
} as const;
type Field = keyof typeof FIELDS;

/**
 * Parse an Authorization header strictly: the scheme, then the five fields once each (any
 * order), comma-separated, nothing else. Never throws: anything unexpected is a reason.
 */
export function parseAuthorization(header: string | undefined): ParseResult {
  if (header === undefined || header === '') return { ok: false, reason: 'missing Authorization header' };
  if (header.length > MAX_AUTHORIZATION_LENGTH) return { ok: false, reason: 'Authorization header too long' };
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== SCHEME) {
    return { ok: false, reason: `Authorization scheme must be ${SCHEME}` };
  }
  const values: Partial<Record<Field, string>> = {};
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    if (!Object.hasOwn(FIELDS, name))
      return { ok: false, reason: `unknown Authorization field "${name.slice(0, 20)}"` };
    const field = name as Field;
    if (values[field] !== undefined) return { ok: false, reason: `duplicate Authorization field ${field}` };
    const value = item.slice(eq + 1);
    if (eq < 0 || !FIELDS[field].test(value)) return { ok: false, reason: `malformed Authorization field ${field}` };
    values[field] = value;
  }
  const missing = (Object.keys(FIELDS) as Field[]).filter((f) => values[f] === undefined);
  if (missing.length > 0) return { ok: false, reason: `missing Authorization field(s): ${missing.join(', ')}` };
  const timestamp = Number(values.Timestamp);
  return {
    ok: true,
    value: {
      clientId: values.Credential!,
      region: values.Region!,
      timestamp,
      nonce: values.Nonce!,
      signature: values.Signature!,
    },
  };
}

/** One path segment in canonical form: unreserved characters only, and not a dot segment. */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * The path must be the one spelling the router matches, so what was signed is what is routed and
 * no proxy, URL parser or listener rule can map another spelling onto an order route. Rejected:
 * anything but `/` + segments; empty segments (`//orders`, a trailing `/`); dot segments
 * (`/x/../orders`); any percent-escape (`/%2e%2e/orders`, `/orders%2F1`: canonical URIs decode
 * unreserved characters, and no route needs another); backslashes and every other character.
 */
export function checkCanonicalPath(path: string): { ok: true } | { ok: false; reason: string } {
  if (path === '/') return { ok: true };
  if (!path.startsWith('/')) return { ok: false, reason: 'path must start with /' };
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') return { ok: false, reason: 'empty path segment (// or a trailing /)' };
    if (segment === '.' || segment === '..') return { ok: false, reason: 'dot segment in path' };
    if (!SEGMENT.test(segment)) {
      return { ok: false, reason: 'path may contain only letters, digits and - . _ ~ between slashes' };
    }
  }
  return { ok: true };
}

/**
 * Split a raw request target (`/orders?a=1`) into path and query pairs, decoding nothing. Every
 * `&`-separated part is a pair, empty ones included, and a part without `=` has no value
 * (undefined), so `checkCanonicalQuery` sees `?a&&` as it was sent, not as `?a=`.
 */
export function splitTarget(target: string): { path: string; query: [string, string | undefined][] } {
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  const query: [string, string | undefined][] = [];
  if (mark >= 0) {
    for (const part of target.slice(mark + 1).split('&')) {
      const eq = part.indexOf('=');
      query.push(eq < 0 ? [part, undefined] : [part.slice(0, eq), part.slice(eq + 1)]);
    }
  }
  return { path, query };
}
