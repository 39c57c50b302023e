/** Request signing, the authentication header parser, the replay guard, rate limits and the client keys. */
import fc from 'fast-check';
import { createAuthenticator, NonceCache, RateLimiter } from '../../lambda/trading/auth';
import { CachedKeyring, ClientKeys, ClientRecord, parseClientKeys } from '../../lambda/trading/client-keys';
import {
  bodyHash,
  canonicalQuery,
  canonicalRequest,
  checkCanonicalPath,
  formatAuthorization,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  signature,
  splitTarget,
} from '../../lambda/trading/signing';
import { SECURITY_HEADERS, withSecurityHeaders } from '../../lambda/trading/security-headers';
import { authorization } from '../../scripts/order-client';

const KEY = 'k'.repeat(32) + '-desk-a-signing-key';
const record = (overrides: Partial<ClientRecord['limits']> = {}): ClientRecord => ({
  key: KEY,
  limits: { ratePerSecond: 10, burst: 3, ...overrides },
});
const staticKeyring = (clients: Record<string, ClientRecord>) => ({
  lookup: async (id: string) => new Map(Object.entries(clients)).get(id),
});

describe('canonical paths: one spelling per resource', () => {
  it.each(['/', '/health', '/orders', '/orders/6f1c1d2e-1111-4222-8333-944445555666', '/a.b/c~d_e-f'])(
    'accepts %s',
    (path) => expect(checkCanonicalPath(path)).toEqual({ ok: true }),
  );

  it.each([
    ['dot-dot segment', '/x/../orders'],
    ['dot segment', '/./orders'],
    ['trailing dot-dot', '/orders/..'],
    ['encoded dot-dot', '/%2e%2e/orders'],
    ['upper-case encoded dot-dot', '/%2E%2E/orders'],
    ['half-encoded dot-dot', '/.%2e/orders'],
    ['double slash', '//orders'],
    ['inner double slash', '/orders//1'],
    ['trailing slash', '/orders/'],
    ['encoded slash', '/orders%2F1'],
    ['encoded letter', '/%6frders'],
    ['backslash', '/x\\..\\orders'],
    ['malformed escape', '/orders/%ZZ'],
    ['lone percent', '/orders/%'],
    ['absolute URI', 'http://example.com/orders'],
    ['authority form', '//evil.example/orders'],
    ['empty', ''],
    ['asterisk', '*'],
    ['semicolon parameter', '/orders;x=1'],
    ['space', '/orders /1'],
    ['fragment', '/orders#x'],
    ['non-ASCII', '/ordérs'],
    ['NUL', '/orders\u0000'],
  ])('rejects %s: %s', (_label, path) => expect(checkCanonicalPath(path).ok).toBe(false));

  it.each([
    ['orders', 'path must start with /'],
    ['', 'path must start with /'],
    ['/orders/', 'empty path segment (// or a trailing /)'],
    ['//orders', 'empty path segment (// or a trailing /)'],
    ['/./orders', 'dot segment in path'],
    ['/x/..', 'dot segment in path'],
    ['/%2e%2e/orders', 'path may contain only letters, digits and - . _ ~ between slashes'],
  ])('refuses %s: %s', (path, reason) => expect(checkCanonicalPath(path)).toEqual({ ok: false, reason }));

  it.each([
    ['/orders', { path: '/orders', query: [] }],
    ['?a=1', { path: '', query: [['a', '1']] }],
    [
      '/o?=x&y=&a=b=c',
      {
        path: '/o',
        query: [
          ['', 'x'],
          ['y', ''],
          ['a', 'b=c'],
        ],
      },
    ],
  ])('splits %s', (target, split) => expect(splitTarget(target)).toEqual(split));

  it('splits a raw request target without decoding or normalising it', () => {
    expect(splitTarget('/x/../orders?b=2&a=%20&&c')).toEqual({
      path: '/x/../orders',
      query: [
        ['b', '2'],
        ['a', '%20'],
        ['c', ''],
      ],
    });
  });
});

describe('signature', () => {
  const credential = { clientId: 'desk-a', timestamp: 1_700_000_000_000, nonce: 'n'.repeat(24) };
  const req = { method: 'POST', path: '/orders', query: [['b', '2'] as const, ['a', '1'] as const], body: '{"x":1}' };

  it('covers every part of the request: changing any one changes the signature', () => {
    const base = signature(KEY, req, credential);
    const variants = [
      signature(KEY + 'x', req, credential),
      signature(KEY, { ...req, method: 'GET' }, credential),
      signature(KEY, { ...req, path: '/orders/1' }, credential),
      signature(KEY, { ...req, query: [['a', '2']] }, credential),
      signature(KEY, { ...req, body: '{"x":2}' }, credential),
      signature(KEY, req, { ...credential, timestamp: credential.timestamp + 1 }),
      signature(KEY, req, { ...credential, nonce: 'm'.repeat(24) }),
      signature(KEY, req, { ...credential, clientId: 'desk-b' }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

  it('signs the documented canonical request: lines of scheme, method, path, query, timestamp, nonce, client, body hash', () => {
    expect(
      canonicalRequest(
        {
          method: 'post',
          path: '/orders',
          query: [
            ['b', '2'],
            ['a', '1'],
          ],
        },
        credential,
      ),
    ).toBe(
      ['TAP-HMAC-SHA256', 'POST', '/orders', 'a=1&b=2', '1700000000000', 'n'.repeat(24), 'desk-a', EMPTY_SHA256].join(
        '\n',
      ),
    );
  });

  it('hashes a missing body as the empty body', () => {
    expect(bodyHash(undefined)).toBe(EMPTY_SHA256);
    expect(bodyHash('')).toBe(EMPTY_SHA256);
  });

  it('sorts query pairs by name, then value, whatever order they came in', () => {
    const pairs: [string, string][] = [
      ['b', '1'],
      ['a', '2'],
      ['a', '10'],
      ['c', ''],
      ['a', '2'],
    ];
    const permutations = (xs: [string, string][]): [string, string][][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    const canonical = new Set(permutations(pairs).map((p) => canonicalQuery(p)));
    expect([...canonical]).toEqual(['a=10&a=2&a=2&b=1&c=']);
    expect(canonicalQuery()).toBe('');
  });

  it('does not depend on the order query parameters were sent in, or on the method case', () => {
    expect(canonicalRequest({ ...req, query: [...req.query].reverse(), method: 'post' }, credential)).toBe(
      canonicalRequest(req, credential),
    );
  });

  it('treats a string body and its UTF-8 bytes the same (the service hashes bytes)', () => {
    expect(signature(KEY, { ...req, body: Buffer.from('{"é":1}') }, credential)).toBe(
      signature(KEY, { ...req, body: '{"é":1}' }, credential),
    );
  });
});

describe('Authorization header parser', () => {
  const valid = {
    clientId: 'desk-a',
    timestamp: 1_700_000_000_000,
    nonce: 'abcdefghijklmnopqrstuvwx',
    signature: 'a'.repeat(64),
  };

  it('reads what the client writes', () => {
    expect(parseAuthorization(formatAuthorization(valid))).toEqual({ ok: true, value: valid });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['another scheme', formatAuthorization(valid).replace('TAP-HMAC-SHA256', 'Bearer')],
    ['lower-case scheme', formatAuthorization(valid).replace('TAP-HMAC-SHA256', 'tap-hmac-sha256')],
    ['a field missing', formatAuthorization(valid).replace(/, Nonce=[^,]+/, '')],
    ['a field twice', formatAuthorization(valid) + ', Nonce=bbbbbbbbbbbbbbbbbbbbbbbb'],
    ['an unknown field', formatAuthorization(valid) + ', Region=us-east-1'],
    ['__proto__ as a field', formatAuthorization(valid) + ', __proto__=x'],
    ['upper-case signature hex', formatAuthorization({ ...valid, signature: 'A'.repeat(64) })],
    ['short signature', formatAuthorization(valid).replace('a'.repeat(64), 'a'.repeat(63))],
    ['timestamp with a sign', formatAuthorization(valid).replace('Timestamp=', 'Timestamp=+')],
    ['timestamp in seconds with a fraction', formatAuthorization(valid).replace(/Timestamp=\d+/, 'Timestamp=1.7e12')],
    ['leading-zero timestamp', formatAuthorization(valid).replace('Timestamp=', 'Timestamp=0')],
    ['short nonce', formatAuthorization({ ...valid, nonce: 'abc' })],
    ['client id with a space', formatAuthorization(valid).replace('desk-a', 'desk a')],
    ['client id too long', formatAuthorization({ ...valid, clientId: 'c'.repeat(33) })],
    ['too long', formatAuthorization(valid) + ' '.repeat(MAX_AUTHORIZATION_LENGTH)],
  ])('rejects %s', (_label, header) => expect(parseAuthorization(header).ok).toBe(false));

  const fields = (...parts: string[]) => `TAP-HMAC-SHA256 ${parts.join(', ')}`;
  const [credentialField, timestampField, nonceField, signatureField] = formatAuthorization(valid)
    .slice('TAP-HMAC-SHA256 '.length)
    .split(', ');
  it.each([
    ['missing', undefined, 'missing Authorization header'],
    ['empty', '', 'missing Authorization header'],
    ['scheme without a space', 'TAP-HMAC-SHA256x', 'Authorization scheme must be TAP-HMAC-SHA256'],
    ['scheme alone', 'TAP-HMAC-SHA256', 'Authorization scheme must be TAP-HMAC-SHA256'],
    ['another scheme', `Bearer ${credentialField}`, 'Authorization scheme must be TAP-HMAC-SHA256'],
    [
      'a field without a value',
      fields('Credential', timestampField, nonceField, signatureField),
      'malformed Authorization field Credential',
    ],
    ['a value without a name', fields(credentialField, '=abc'), 'unknown Authorization field ""'],
    ['a long unknown name', fields(`${'x'.repeat(30)}=1`), `unknown Authorization field "${'x'.repeat(20)}"`],
    ['a field twice', fields(nonceField, nonceField), 'duplicate Authorization field Nonce'],
    ['a bad nonce', fields(credentialField, 'Nonce=abc'), 'malformed Authorization field Nonce'],
    ['two fields missing', fields(credentialField, timestampField), 'missing Authorization field(s): Nonce, Signature'],
    [
      'one character too long',
      formatAuthorization(valid).padEnd(MAX_AUTHORIZATION_LENGTH + 1, ' '),
      'Authorization header too long',
    ],
  ])('rejects %s, saying why', (_label, header, reason) =>
    expect(parseAuthorization(header)).toEqual({ ok: false, reason }),
  );

  it.each([
    ['nonce', { nonce: '!' + 'a'.repeat(22) }],
    ['nonce', { nonce: 'a'.repeat(22) + '!' }],
    ['nonce', { nonce: 'a'.repeat(65) }],
    ['signature', { signature: 'z' + 'a'.repeat(64) }],
    ['signature', { signature: 'a'.repeat(64) + 'z' }],
    ['signature', { signature: 'a'.repeat(65) }],
  ])('rejects a %s with anything around the allowed characters', (_field, change) =>
    expect(parseAuthorization(formatAuthorization({ ...valid, ...change })).ok).toBe(false),
  );

  it('takes a header of exactly the maximum length', () => {
    const text = formatAuthorization(valid);
    const comma = text.indexOf(', ');
    const padded = `${text.slice(0, comma)},${' '.repeat(MAX_AUTHORIZATION_LENGTH - text.length + 1)}${text.slice(comma + 2)}`;
    expect(padded).toHaveLength(MAX_AUTHORIZATION_LENGTH);
    expect(parseAuthorization(padded)).toEqual({ ok: true, value: valid });
  });

  const fuzz = { numRuns: 2000, seed: 20240611 };

  it('never throws on any input, and rejects with a short reason', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 300 })), (h) => {
        const result = parseAuthorization(h);
        if (!result.ok) expect(result.reason.length).toBeLessThan(120);
      }),
      fuzz,
    );
  });

  const header = fc.record({
    clientId: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
    timestamp: fc.integer({ min: 1, max: 4_102_444_800_000 }),
    nonce: fc.stringMatching(/^[A-Za-z0-9_-]{22,64}$/),
    signature: fc.stringMatching(/^[0-9a-f]{64}$/),
  });

  it('round-trips every valid header, whatever the field order and spacing', () => {
    fc.assert(
      fc.property(header, fc.boolean(), fc.constantFrom(',', ', ', ' ,  '), (value, reversed, separator) => {
        const fields = formatAuthorization(value).split(' ').slice(1).join(' ').split(', ');
        const text = `TAP-HMAC-SHA256 ${(reversed ? fields.reverse() : fields).join(separator)}`;
        expect(parseAuthorization(text)).toEqual({ ok: true, value });
      }),
      fuzz,
    );
  });

  it('a one-character change is rejected or reads as other credentials, unless it only changed spacing', () => {
    fc.assert(
      fc.property(header, fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (value, at, replacement) => {
        const text = formatAuthorization(value);
        const index = at % text.length;
        fc.pre(text[index] !== replacement);
        const result = parseAuthorization(text.slice(0, index) + replacement + text.slice(index + 1));
        if (result.ok && JSON.stringify(result.value) === JSON.stringify(value)) {
          expect(`${text[index]}${replacement}`).toMatch(/^\s+$/);
        }
      }),
      fuzz,
    );
  });
});

describe('replay guard (nonce cache)', () => {
  it('refuses a nonce seen within its lifetime, per client, and forgets it afterwards', () => {
    const cache = new NonceCache(35_000, 10);
    expect(cache.record('a', 'n1', 0)).toBe('fresh');
    expect(cache.record('a', 'n1', 34_999)).toBe('replayed');
    expect(cache.record('b', 'n1', 1)).toBe('fresh');
    expect(cache.record('a', 'n1', 35_000)).toBe('fresh');
  });

  it('stays bounded: expired entries are pruned, and when full of live ones it refuses instead of forgetting', () => {
    const cache = new NonceCache(1_000, 3);
    for (const n of ['1', '2', '3']) expect(cache.record('a', n, 0)).toBe('fresh');
    expect(cache.record('a', '4', 999)).toBe('full');
    expect(cache.record('a', '1', 999)).toBe('replayed');
    expect(cache.record('a', '4', 1_000)).toBe('fresh');
    expect(cache.size).toBe(1);
  });
});

describe('per-client token bucket', () => {
  it('allows a burst, then refills at the rate, and says how long to wait', () => {
    const limiter = new RateLimiter();
    const limits = { ratePerSecond: 2, burst: 3 };
    expect([0, 0, 0].map(() => limiter.take('a', limits, 0))).toEqual([0, 0, 0]);
    expect(limiter.take('a', limits, 0)).toBe(1);
    expect(limiter.take('b', limits, 0)).toBe(0); // another client has its own bucket
    expect(limiter.take('a', limits, 500)).toBe(0); // half a second at 2/s: one token
    expect(limiter.take('a', limits, 500)).toBe(1);
    expect(limiter.take('a', { ratePerSecond: 0.1, burst: 3 }, 500)).toBe(10);
  });

  it('counts the wait from the part of a token already refilled', () => {
    const limiter = new RateLimiter();
    const slow = { ratePerSecond: 0.1, burst: 1 };
    expect(limiter.take('a', slow, 0)).toBe(0);
    // 5 s at 0.1/s refilled half a token: the other half takes 5 s more.
    expect(limiter.take('a', slow, 5_000)).toBe(5);
  });

  it('never holds more than the current burst when the limits shrink', () => {
    const limiter = new RateLimiter();
    limiter.take('a', { ratePerSecond: 1, burst: 100 }, 0);
    const small = { ratePerSecond: 1, burst: 1 };
    expect(limiter.take('a', small, 1)).toBe(0);
    expect(limiter.take('a', small, 1)).toBeGreaterThan(0);
  });
});

describe('authenticator', () => {
  const NOW = 1_700_000_000_000;
  const credentials = { clientId: 'desk-a', key: KEY };
  const post = { method: 'POST', path: '/orders', body: '{"clientOrderId":"o-1"}' };
  const signed = (options: { now?: number; nonce?: string; key?: string } = {}, req = post) => ({
    ...req,
    headers: {
      authorization: authorization({ ...credentials, key: options.key ?? KEY }, req, { now: NOW, ...options }),
    },
  });
  const authenticator = (clients: Record<string, ClientRecord> = { 'desk-a': record() }, now = () => NOW) =>
    createAuthenticator({ keyring: staticKeyring(clients), now });

  it('accepts a request signed with the client key, as that client', async () => {
    expect(await authenticator()(signed())).toEqual({ ok: true, clientId: 'desk-a' });
  });

  it.each([
    ['unsigned', { ...post, headers: {} }, /missing Authorization/],
    ['signed with another key', signed({ key: 'x'.repeat(40) }), /invalid credential or signature/],
    ['body changed after signing', { ...signed(), body: '{"clientOrderId":"o-2"}' }, /invalid credential/],
    ['path changed after signing', { ...signed(), path: '/orders/x' }, /invalid credential/],
    ['method changed after signing', { ...signed(), method: 'PUT' }, /invalid credential/],
    ['query added after signing', { ...signed(), query: [['a', '1'] as const] }, /invalid credential/],
    ['older than the window', signed({ now: NOW - 30_001 }), /expired/],
    ['ahead of the window', signed({ now: NOW + 5_001 }), /future/],
  ])('refuses a request %s with 401', async (_label, req, reason) => {
    const outcome = await authenticator()(req);
    expect(outcome).toMatchObject({ ok: false, statusCode: 401, headers: { 'www-authenticate': 'TAP-HMAC-SHA256' } });
    expect(!outcome.ok && outcome.error).toMatch(reason);
  });

  it('accepts the edges of the window (30 s old, 5 s ahead)', async () => {
    const auth = authenticator({ 'desk-a': record({ burst: 10 }) });
    expect((await auth(signed({ now: NOW - 30_000 }))).ok).toBe(true);
    expect((await auth(signed({ now: NOW + 5_000 }))).ok).toBe(true);
  });

  it('answers an unknown client exactly like a wrong signature', async () => {
    const unknown = await authenticator({})(signed());
    const wrong = await authenticator()(signed({ key: 'y'.repeat(40) }));
    expect(unknown).toEqual(wrong);
  });

  it('refuses a replay of an accepted request within the window, and only after checking the signature', async () => {
    const auth = authenticator();
    const request = signed({ nonce: 'replayed-nonce-000000000' });
    // A forgery with the same nonce does not burn it.
    expect((await auth({ ...request, body: 'tampered' })).ok).toBe(false);
    expect((await auth(request)).ok).toBe(true);
    expect(await auth(request)).toMatchObject({ ok: false, statusCode: 401, error: expect.stringMatching(/nonce/) });
  });

  it('refuses a replay at the last instant its timestamp is still in the window', async () => {
    let serverNow = NOW - 5_000; // the client's clock is 5 s ahead: the earliest the request can be accepted
    const auth = authenticator({ 'desk-a': record({ burst: 10 }) }, () => serverNow);
    const request = signed({ nonce: 'edge-of-window-nonce-000' });
    expect((await auth(request)).ok).toBe(true);
    serverNow = NOW + 30_000; // the latest a request signed at NOW passes the window
    expect(await auth(request)).toMatchObject({
      ok: false,
      statusCode: 401,
      error: 'nonce already used: sign each request with a new nonce',
    });
  });

  it('throttles per client with 429 and Retry-After, after authentication', async () => {
    const auth = authenticator({ 'desk-a': record({ burst: 2, ratePerSecond: 0.5 }) });
    expect((await auth(signed())).ok).toBe(true);
    expect((await auth(signed())).ok).toBe(true);
    expect(await auth(signed())).toEqual({
      ok: false,
      statusCode: 429,
      error: 'rate limit exceeded',
      headers: { 'retry-after': '2' },
    });
    // Unsigned requests do not spend the client's tokens (and are refused as unauthenticated).
    expect(await auth({ ...post, headers: {} })).toMatchObject({ statusCode: 401 });
  });

  it('answers 503 when it cannot remember one more nonce, instead of letting a request through unchecked', async () => {
    const auth = createAuthenticator({
      keyring: staticKeyring({ 'desk-a': record({ burst: 10 }) }),
      settings: { pastWindowMs: 30_000, futureWindowMs: 5_000, maxNonces: 1 },
      now: () => NOW,
    });
    expect((await auth(signed({ nonce: 'first-nonce-000000000000' }))).ok).toBe(true);
    expect(await auth(signed({ nonce: 'second-nonce-00000000000' }))).toEqual({
      ok: false,
      statusCode: 503,
      error: 'too many requests in flight',
      headers: { 'retry-after': '1' },
    });
  });

  it('answers 503 with Retry-After when the keys cannot be read at all', async () => {
    const auth = createAuthenticator({
      keyring: { lookup: () => Promise.reject(new Error('AccessDenied')) },
      now: () => NOW,
    });
    expect(await auth(signed())).toEqual({
      ok: false,
      statusCode: 503,
      error: 'authentication unavailable',
      headers: { 'retry-after': '5' },
    });
  });
});

describe('client keys secret', () => {
  const good = { 'desk-a': record(), desk_b: { key: 'b'.repeat(32), limits: { ratePerSecond: 0.5, burst: 1 } } };

  it('throws a MalformedClientKeysError, by name', () => {
    expect(() => parseClientKeys('{')).toThrow(expect.objectContaining({ name: 'MalformedClientKeysError' }));
  });

  it('takes the edges of every limit', () => {
    const edges = {
      low: { key: 'k'.repeat(32), limits: { ratePerSecond: 0.001, burst: 1 } },
      high: { key: 'k'.repeat(256), limits: { ratePerSecond: 10_000, burst: 100_000 } },
    };
    expect(Object.fromEntries(parseClientKeys(JSON.stringify(edges)))).toEqual(edges);
  });

  it('parses a map of client id -> key and limits', () => {
    const keys = parseClientKeys(JSON.stringify(good));
    expect([...keys.keys()]).toEqual(['desk-a', 'desk_b']);
    expect(keys.get('desk_b')?.limits).toEqual({ ratePerSecond: 0.5, burst: 1 });
  });

  it.each([
    ['no SecretString', undefined, /no SecretString/],
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /JSON object/],
    ['a bad client id', JSON.stringify({ 'desk a': record() }), /client id "desk a"/],
    ['a short key', JSON.stringify({ d: { ...record(), key: 'short-secret' } }), /d: key must have at least 32/],
    ['no limits', JSON.stringify({ d: { key: KEY } }), /d: limits must be an object/],
    ['a zero rate', JSON.stringify({ d: record({ ratePerSecond: 0 }) }), /ratePerSecond must be greater than 0/],
    ['a fractional burst', JSON.stringify({ d: record({ burst: 1.5 }) }), /burst must be an integer/],
    ['an unknown field', JSON.stringify({ d: { ...record(), admin: true } }), /d: /],
    ['null', 'null', /^client keys secret is malformed: expected a JSON object of client id -> \{ key, limits \}$/],
    ['a number', '42', /expected a JSON object of client id/],
    ['a string', '"desk-a"', /expected a JSON object of client id/],
    [
      'a long bad client id',
      JSON.stringify({ ['x'.repeat(50)]: record() }),
      new RegExp(`client id "${'x'.repeat(40)}" must be 1-32 letters, digits, _ or -$`),
    ],
    [
      'two problems',
      JSON.stringify({ d: record({ burst: 0 }), e: record({ burst: 100_001 }) }),
      /: d: limits.burst must be at least 1; e: limits.burst must be at most 100000$/,
    ],
    ['a key that is not a string', JSON.stringify({ d: { ...record(), key: 5 } }), /d: key must be a string$/],
    [
      'a key longer than 256',
      JSON.stringify({ d: { ...record(), key: 'k'.repeat(257) } }),
      /d: key must have at most 256 characters$/,
    ],
    [
      'a rate that is not a number',
      JSON.stringify({ d: record({ ratePerSecond: 'x' as unknown as number }) }),
      /d: limits.ratePerSecond must be a number$/,
    ],
    [
      'a rate above 10000',
      JSON.stringify({ d: record({ ratePerSecond: 10_001 }) }),
      /d: limits.ratePerSecond must be at most 10000$/,
    ],
    [
      'a burst that is not a number',
      JSON.stringify({ d: record({ burst: 'x' as unknown as number }) }),
      /d: limits.burst must be a number$/,
    ],
  ])('refuses %s, naming the problem and never the key', (_label, text, message) => {
    expect(() => parseClientKeys(text)).toThrow(message);
    try {
      parseClientKeys(text);
    } catch (e) {
      expect(String(e)).not.toContain(KEY);
      expect(String(e)).not.toContain('short-secret');
    }
  });
});

describe('keyring over the secret cache', () => {
  function fakeSecret(values: (ClientKeys | Error)[]) {
    let reads = 0;
    let cached: Promise<ClientKeys> | undefined;
    return {
      reads: () => reads,
      invalidate: () => (cached = undefined),
      get: () => {
        const v = values[Math.min(reads++, values.length - 1)];
        cached ??= v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
        return cached;
      },
    };
  }
  const keys = (ids: string[]) => new Map(ids.map((id) => [id, record()]));

  it('re-reads when the copy is old (a revoked key stops working) and, rate-limited, for an unknown client', async () => {
    let now = 0;
    const secret = fakeSecret([keys(['a']), keys(['a', 'b']), keys(['b'])]);
    const keyring = new CachedKeyring(secret, { maxAgeMs: 300_000, missRefreshMs: 30_000, now: () => now });
    expect(await keyring.lookup('a')).toBeDefined();
    expect(secret.reads()).toBe(1); // a known client costs no re-read
    expect(await keyring.lookup('b')).toBeDefined(); // unknown: re-read once, now known
    expect(secret.reads()).toBe(2);
    expect(await keyring.lookup('zz')).toBeUndefined(); // unknown again within 30 s: no re-read
    expect(secret.reads()).toBe(2);
    now = 300_000;
    expect(await keyring.lookup('a')).toBeUndefined(); // aged out: re-read, 'a' revoked
  });

  it('re-reads for an unknown client again exactly missRefreshMs after the last such re-read', async () => {
    let now = 0;
    const secret = fakeSecret([keys(['a']), keys(['a']), keys(['a']), keys(['a', 'b'])]);
    const keyring = new CachedKeyring(secret, { maxAgeMs: 300_000, missRefreshMs: 30_000, now: () => now });
    expect(await keyring.lookup('b')).toBeUndefined(); // first read, then one re-read for the miss
    expect(secret.reads()).toBe(2);
    now = 29_999;
    expect(await keyring.lookup('b')).toBeUndefined();
    expect(secret.reads()).toBe(2);
    now = 30_000;
    expect(await keyring.lookup('b')).toBeUndefined();
    expect(secret.reads()).toBe(3);
  });

  it('after a failed re-read, tries again missRefreshMs later (not at once, not maxAgeMs later), warning each time', async () => {
    let now = 0;
    const warnings: unknown[][] = [];
    const secret = fakeSecret([keys(['a']), new Error('throttled'), new Error('throttled'), keys(['b'])]);
    const keyring = new CachedKeyring(secret, {
      maxAgeMs: 1_000,
      missRefreshMs: 500,
      now: () => now,
      logger: { warn: (...args: unknown[]) => void warnings.push(args) },
    });
    await keyring.lookup('a');
    now = 1_000;
    expect(await keyring.lookup('a')).toBeDefined(); // re-read failed: last good copy
    expect(secret.reads()).toBe(2);
    expect(warnings).toEqual([
      ['client keys could not be re-read; using the last good copy', { error: 'Error: throttled' }],
    ]);
    now = 1_499;
    await keyring.lookup('a');
    expect(secret.reads()).toBe(2);
    now = 1_500;
    await keyring.lookup('a');
    expect(secret.reads()).toBe(3);
    expect(warnings).toHaveLength(2);
  });

  it('keeps the last good keys when a re-read fails, and fails when it never had any', async () => {
    let now = 0;
    const secret = fakeSecret([keys(['a']), new Error('throttled')]);
    const keyring = new CachedKeyring(secret, { maxAgeMs: 1_000, missRefreshMs: 500, now: () => now });
    await keyring.lookup('a');
    now = 1_000;
    expect(await keyring.lookup('a')).toBeDefined();
    const never = new CachedKeyring(fakeSecret([new Error('AccessDenied')]), { maxAgeMs: 1, missRefreshMs: 1 });
    await expect(never.lookup('a')).rejects.toThrow('AccessDenied');
  });
});

describe('security headers', () => {
  it('are HSTS for a year with subdomains, no MIME sniffing, and no caching', () => {
    expect(withSecurityHeaders({})).toEqual({
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    expect(SECURITY_HEADERS).toEqual(withSecurityHeaders({}));
  });

  it('win over a response header of the same name, whatever its case', () => {
    const headers = withSecurityHeaders({ 'Cache-Control': 'max-age=60', 'content-type': 'application/json' });
    expect(headers['cache-control']).toBe('no-store');
    expect(Object.keys(headers).filter((k) => k.toLowerCase() === 'cache-control')).toEqual(['cache-control']);
    expect(headers['content-type']).toBe('application/json');
  });
});
