/** Request signing, the authentication header parser, the replay guard, rate limits and the client keys. */
import fc from 'fast-check';
import { createAuthenticator, hostName, REQUEST_WINDOW_MS, CLOCK_SKEW_TOLERANCE_MS } from '../../lambda/trading/auth';
import { CachedKeyring, ClientKeys, ClientRecord, parseClientKeys } from '../../lambda/trading/client-keys';
import {
  bodyHash,
  canonicalQuery,
  canonicalRequest,
  checkCanonicalPath,
  checkCanonicalQuery,
  encodeQueryComponent,
  formatAuthorization,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  signature,
  splitTarget,
} from '../../lambda/trading/signing';
import { SECURITY_HEADERS, withSecurityHeaders } from '../../lambda/trading/security-headers';
import { MemoryLedgerStore, RequestLedger } from '../../lambda/trading/request-ledger';
import { signedHeaders } from '../../scripts/order-client';

const KEY = 'k'.repeat(32) + '-desk-a-signing-key';
const record = (overrides: Partial<ClientRecord['limits']> = {}): ClientRecord => ({
  keys: [{ id: 'default', secret: KEY }],
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

  it('splits a raw request target without decoding or normalising it, keeping empty and bare parameters', () => {
    expect(splitTarget('/x/../orders?b=2&a=%20&&c')).toEqual({
      path: '/x/../orders',
      query: [
        ['b', '2'],
        ['a', '%20'],
        ['', undefined],
        ['c', undefined],
      ],
    });
  });
});

describe('canonical queries: one spelling per query', () => {
  const check = (target: string) => checkCanonicalQuery(splitTarget(target).query);

  it.each(['/orders', '/orders?a=', '/orders?a=1&b=x%20y', '/orders?a=%E2%82%AC&a=2', '/o?x=-._~'])('accepts %s', (t) =>
    expect(check(t)).toEqual({ ok: true }),
  );

  // Before: `?a=` and `?a&&` both signed as `a=` (splitTarget dropped empty parts and read a bare name as `name=`).
  it.each([
    ['?a&&', '/orders?a&&', 'query parameter without = (send name=)'],
    ['?a=&&', '/orders?a=&&', 'empty query parameter name (or && or a trailing &)'],
    ['a bare name', '/orders?a', 'query parameter without = (send name=)'],
    ['a trailing &', '/orders?a=1&', 'empty query parameter name (or && or a trailing &)'],
    ['an empty query after ?', '/orders?', 'empty query parameter name (or && or a trailing &)'],
    ['an empty name', '/orders?=1', 'empty query parameter name (or && or a trailing &)'],
    [
      'a lower-case escape',
      '/orders?a=%e2%82%ac',
      'query may contain only letters, digits, - . _ ~ and upper-case %XX escapes',
    ],
    [
      'a plus for a space',
      '/orders?a=b+c',
      'query may contain only letters, digits, - . _ ~ and upper-case %XX escapes',
    ],
    ['an escaped unreserved character', '/orders?a=%7E', 'query escapes an unreserved character (send it as it is)'],
    ['an escaped letter in a name', '/orders?%61=1', 'query escapes an unreserved character (send it as it is)'],
    [
      'a raw equals sign in a value',
      '/orders?a=b=c',
      'query may contain only letters, digits, - . _ ~ and upper-case %XX escapes',
    ],
  ])('refuses %s', (_label, target, reason) => expect(check(target)).toEqual({ ok: false, reason }));

  it('accepts exactly what the client encodes, for any names and values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { maxLength: 5 }), (pairs) => {
        const encoded = pairs.map(([k, v]) => [encodeQueryComponent(k), encodeQueryComponent(v)] as const);
        expect(checkCanonicalQuery(encoded)).toEqual({ ok: true });
        // ... and one spelling: decoding and encoding again gives the same text.
        for (const [k, v] of encoded) {
          expect(encodeQueryComponent(decodeURIComponent(k))).toBe(k);
          expect(encodeQueryComponent(decodeURIComponent(v))).toBe(v);
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("encodes ! ' ( ) * (encodeURIComponent leaves them) and nothing unreserved", () => {
    expect(encodeQueryComponent("!'()*~-._ aZ9€")).toBe('%21%27%28%29%2A~-._%20aZ9%E2%82%AC');
  });
});

describe('signature', () => {
  const credential = { clientId: 'desk-a', region: 'us-east-1', timestamp: 1_700_000_000_000, nonce: 'n'.repeat(24) };
  const req = {
    method: 'POST',
    host: 'api.example.com',
    path: '/orders',
    query: [['b', '2'] as const, ['a', '1'] as const],
    body: '{"x":1}',
  };

  it('covers every part of the request: changing any one changes the signature', () => {
    const base = signature(KEY, req, credential);
    const variants = [
      signature(KEY + 'x', req, credential),
      signature(KEY, { ...req, method: 'GET' }, credential),
      signature(KEY, { ...req, host: 'api.other.example.com' }, credential),
      signature(KEY, req, { ...credential, region: 'eu-west-1' }),
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

  it('signs the documented canonical request: lines of scheme, method, host, path, query, region, timestamp, nonce, client, body hash', () => {
    expect(
      canonicalRequest(
        {
          method: 'post',
          host: 'API.example.com:8443',
          path: '/orders',
          query: [
            ['b', '2'],
            ['a', '1'],
          ],
        },
        credential,
      ),
    ).toBe(
      [
        'TAP-HMAC-SHA256',
        'POST',
        'api.example.com:8443',
        '/orders',
        'a=1&b=2',
        'us-east-1',
        '1700000000000',
        'n'.repeat(24),
        'desk-a',
        EMPTY_SHA256,
      ].join('\n'),
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
    region: 'us-east-1',
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
    ['an unknown field', formatAuthorization(valid) + ', Host=api.example.com'],
    ['no region', formatAuthorization(valid).replace(/, Region=[^,]+/, '')],
    ['an upper-case region', formatAuthorization({ ...valid, region: 'US-EAST-1' })],
    ['a region with a space', formatAuthorization(valid).replace('us-east-1', 'us-east 1')],
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
  const [credentialField, , timestampField, nonceField, signatureField] = formatAuthorization(valid)
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
    [
      'three fields missing',
      fields(credentialField, timestampField),
      'missing Authorization field(s): Region, Nonce, Signature',
    ],
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
    region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-gov-west-1'),
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

describe('authenticator', () => {
  const NOW = 1_700_000_000_000;
  const HOST = 'api.example.com';
  const REGION = 'us-east-1';
  const settings = {
    pastWindowMs: REQUEST_WINDOW_MS,
    futureWindowMs: CLOCK_SKEW_TOLERANCE_MS,
    region: REGION,
    hosts: [HOST],
  };
  const credentials = { clientId: 'desk-a', key: KEY };
  const post = { method: 'POST', path: '/orders', body: '{"clientOrderId":"o-1"}' };
  type SignAs = { now?: number; nonce?: string; key?: string; region?: string; host?: string; clientId?: string };
  const signed = (options: SignAs = {}, req = post) => {
    const host = options.host ?? HOST;
    return {
      ...req,
      headers: {
        host,
        ...signedHeaders(
          { clientId: options.clientId ?? credentials.clientId, key: options.key ?? KEY },
          { ...req, host },
          { now: NOW, region: REGION, ...options },
        ),
      } as Record<string, string>,
    };
  };
  const authenticator = (
    clients: Record<string, ClientRecord> = { 'desk-a': record() },
    now = () => NOW,
    ledger?: RequestLedger,
  ) => createAuthenticator({ keyring: staticKeyring(clients), settings, now, ledger });

  it('accepts a request signed with the client key, as that client', async () => {
    expect(await authenticator()(signed())).toEqual({ ok: true, clientId: 'desk-a' });
  });

  it('names the windows: 5 s back (Binance recvWindow), 1 s ahead (clock skew)', () => {
    expect([REQUEST_WINDOW_MS, CLOCK_SKEW_TOLERANCE_MS]).toEqual([5_000, 1_000]);
  });

  it.each([
    ['unsigned', { ...post, headers: { host: HOST } }, /missing Authorization/],
    ['signed with another key', signed({ key: 'x'.repeat(40) }), /invalid credential or signature/],
    ['body changed after signing', { ...signed(), body: '{"clientOrderId":"o-2"}' }, /invalid credential/],
    ['path changed after signing', { ...signed(), path: '/orders/x' }, /invalid credential/],
    ['method changed after signing', { ...signed(), method: 'PUT' }, /invalid credential/],
    ['query added after signing', { ...signed(), query: [['a', '1'] as const] }, /invalid credential/],
    [
      'sent to another host than signed',
      { ...signed(), headers: { ...signed().headers, host: 'x.example.com' } },
      /invalid credential/,
    ],
    [
      'without a Host header',
      { ...signed(), headers: { ...signed().headers, host: undefined as unknown as string } },
      /missing Host/,
    ],
    // The web ACL counts each client by x-tap-client: it must be the signed client (test/waf-client-limit.test.ts).
    [
      'naming another client in x-tap-client',
      { ...signed(), headers: { ...signed().headers, 'x-tap-client': 'desk-b' } },
      /x-tap-client must name the client of the Credential/,
    ],
    [
      'without x-tap-client',
      { ...signed(), headers: { ...signed().headers, 'x-tap-client': undefined as unknown as string } },
      /x-tap-client must name the client/,
    ],
    ['signed for another host (another stack)', signed({ host: 'api.staging.example.com' }), /signed for another host/],
    ['older than the window', signed({ now: NOW - 5_001 }), /expired/],
    ['ahead of the window', signed({ now: NOW + 1_001 }), /future/],
  ])('refuses a request %s with 401', async (_label, req, reason) => {
    const outcome = await authenticator()(req);
    expect(outcome).toMatchObject({ ok: false, statusCode: 401, headers: { 'www-authenticate': 'TAP-HMAC-SHA256' } });
    expect(!outcome.ok && outcome.error).toMatch(reason);
  });

  it('accepts the edges of the window (5 s old, 1 s ahead) and the host in any case, with a port', async () => {
    const auth = authenticator({ 'desk-a': record({ burst: 10 }) });
    expect((await auth(signed({ now: NOW - 5_000 }))).ok).toBe(true);
    expect((await auth(signed({ now: NOW + 1_000 }))).ok).toBe(true);
    expect((await auth(signed({ host: 'API.Example.com:443' }))).ok).toBe(true);
  });

  it('refuses a request signed for another region, naming its own region only to a valid signer', async () => {
    const outcome = await authenticator()(signed({ region: 'eu-west-1' }));
    expect(outcome).toEqual({
      ok: false,
      statusCode: 401,
      error: 'request signed for eu-west-1; this is us-east-1: sign it for that region',
      headers: { 'www-authenticate': 'TAP-HMAC-SHA256', 'x-tap-region': 'us-east-1' },
    });
    const stranger = await authenticator()(signed({ region: 'eu-west-1', key: 'z'.repeat(40) }));
    expect(!stranger.ok && stranger.headers).toEqual({ 'www-authenticate': 'TAP-HMAC-SHA256' });
  });

  it('strips the port and lower-cases a Host for the name check', () => {
    expect(['API.example.com:8443', 'api.example.com', '127.0.0.1:80', '[::1]:8080'].map(hostName)).toEqual([
      'api.example.com',
      'api.example.com',
      '127.0.0.1',
      '[::1]',
    ]);
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

  it('refuses a replay on another instance of the region: the ledger is shared, not per process', async () => {
    const ledger = new RequestLedger(new MemoryLedgerStore());
    const lambdaEnvironment = authenticator(undefined, undefined, ledger);
    const ec2Instance = authenticator(undefined, undefined, ledger);
    const request = signed({ nonce: 'captured-get-nonce-00000' }, { method: 'GET', path: '/orders/x', body: '' });
    expect((await lambdaEnvironment(request)).ok).toBe(true);
    expect(await ec2Instance(request)).toMatchObject({
      ok: false,
      statusCode: 401,
      error: expect.stringMatching(/nonce/),
    });
  });

  it('refuses a replay at the last instant its timestamp is still in the window', async () => {
    let serverNow = NOW - 1_000; // the client's clock is 1 s ahead: the earliest the request can be accepted
    const auth = authenticator({ 'desk-a': record({ burst: 10 }) }, () => serverNow);
    const request = signed({ nonce: 'edge-of-window-nonce-000' });
    expect((await auth(request)).ok).toBe(true);
    serverNow = NOW + 5_000; // the latest a request signed at NOW passes the window
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
    expect(await auth({ ...post, headers: { host: HOST } })).toMatchObject({ statusCode: 401 });
  });

  it('checks the rate before recording the nonce: a throttled flood leaves no nonces, and another client is served', async () => {
    const store = new MemoryLedgerStore(50);
    const auth = authenticator(
      { 'desk-a': record({ burst: 2, ratePerSecond: 0.5 }), 'desk-b': record() },
      undefined,
      new RequestLedger(store),
    );
    const outcomes = [];
    for (let i = 0; i < 1_000; i++) outcomes.push((await auth(signed())).ok);
    expect(outcomes.filter(Boolean)).toHaveLength(2);
    // Two nonces and one rate counter: the 998 refused requests recorded nothing.
    expect(store.size).toBe(3);
    expect(await auth(signed({ clientId: 'desk-b' }))).toEqual({ ok: true, clientId: 'desk-b' });
  });

  it('answers 503 when it cannot remember one more nonce, instead of letting a request through unchecked', async () => {
    const auth = authenticator(
      { 'desk-a': record({ burst: 10 }) },
      undefined,
      new RequestLedger(new MemoryLedgerStore(2)),
    );
    expect((await auth(signed({ nonce: 'first-nonce-000000000000' }))).ok).toBe(true);
    expect(await auth(signed({ nonce: 'second-nonce-00000000000' }))).toEqual({
      ok: false,
      statusCode: 503,
      error: 'too many requests in flight',
      headers: { 'retry-after': '1' },
    });
  });

  it('answers 503 when the shared ledger cannot be reached, never accepting unchecked', async () => {
    const failing = {
      admit: () => Promise.reject(new Error('ProvisionedThroughputExceeded')),
      insertIfAbsent: () => Promise.reject(new Error('x')),
    };
    const auth = authenticator(undefined, undefined, new RequestLedger(failing));
    expect(await auth(signed())).toEqual({
      ok: false,
      statusCode: 503,
      error: 'authentication unavailable',
      headers: { 'retry-after': '5' },
    });
  });

  it('answers 503 with Retry-After when the keys cannot be read at all', async () => {
    const auth = createAuthenticator({
      keyring: { lookup: () => Promise.reject(new Error('AccessDenied')) },
      settings,
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
  const legacy = (overrides: Partial<ClientRecord['limits']> = {}) => ({
    key: KEY,
    limits: { ratePerSecond: 10, burst: 3, ...overrides },
  });
  const good = { 'desk-a': legacy(), desk_b: { key: 'b'.repeat(32), limits: { ratePerSecond: 0.5, burst: 1 } } };

  it('throws a MalformedClientKeysError, by name', () => {
    expect(() => parseClientKeys('{')).toThrow(expect.objectContaining({ name: 'MalformedClientKeysError' }));
  });

  it('takes the edges of every limit', () => {
    const edges = {
      low: { key: 'k'.repeat(32), limits: { ratePerSecond: 0.001, burst: 1 } },
      high: { key: 'k'.repeat(256), limits: { ratePerSecond: 10_000, burst: 100_000 } },
    };
    const parsed = parseClientKeys(JSON.stringify(edges));
    expect(Object.fromEntries(parsed.clients)).toEqual({
      low: { keys: [{ id: 'default', secret: 'k'.repeat(32) }], limits: edges.low.limits },
      high: { keys: [{ id: 'default', secret: 'k'.repeat(256) }], limits: edges.high.limits },
    });
    expect(parsed.problems.size).toBe(0);
  });

  it('parses a map of client id -> key and limits', () => {
    const keys = parseClientKeys(JSON.stringify(good));
    expect([...keys.clients.keys()]).toEqual(['desk-a', 'desk_b']);
    expect(keys.clients.get('desk_b')?.limits).toEqual({ ratePerSecond: 0.5, burst: 1 });
  });

  it('parses keys with ids and validity windows (two during a rotation)', () => {
    const text = JSON.stringify({
      d: {
        keys: [
          { id: 'k1', secret: 'a'.repeat(32), notAfter: '2026-02-01T00:00:00Z' },
          { id: 'k2', secret: 'b'.repeat(32), notBefore: '2026-01-15T00:00:00.000Z' },
        ],
        limits: { ratePerSecond: 1, burst: 1 },
      },
    });
    expect(parseClientKeys(text).clients.get('d')?.keys).toEqual([
      { id: 'k1', secret: 'a'.repeat(32), notAfter: Date.parse('2026-02-01T00:00:00Z') },
      { id: 'k2', secret: 'b'.repeat(32), notBefore: Date.parse('2026-01-15T00:00:00Z') },
    ]);
  });

  it.each([
    ['no SecretString', undefined, /no SecretString/],
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /JSON object/],
    ['null', 'null', /^client keys secret is malformed: expected a JSON object of client id -> \{ keys, limits \}$/],
    ['a number', '42', /expected a JSON object of client id/],
    ['a string', '"desk-a"', /expected a JSON object of client id/],
  ])('refuses the whole secret when it is %s', (_label, text, message) => {
    expect(() => parseClientKeys(text)).toThrow(message);
  });

  const k = (id: string, extra: object = {}) => ({ id, secret: id.padEnd(32, '-'), ...extra });
  const withKeys = (keys: unknown[]) => ({ keys, limits: { ratePerSecond: 1, burst: 1 } });
  it.each([
    ['a bad client id', 'desk a', legacy(), /client id "desk a"/],
    ['a short key', 'd', { ...legacy(), key: 'short-secret' }, /^key must have at least 32/],
    ['no limits', 'd', { key: KEY }, /./],
    ['a zero rate', 'd', legacy({ ratePerSecond: 0 }), /ratePerSecond must be greater than 0/],
    ['a fractional burst', 'd', legacy({ burst: 1.5 }), /burst must be an integer/],
    ['an unknown field', 'd', { ...legacy(), admin: true }, /./],
    [
      'a long bad client id',
      'x'.repeat(50),
      legacy(),
      new RegExp(`client id "${'x'.repeat(40)}" must be 1-32 letters, digits, _ or -$`),
    ],
    ['a key that is not a string', 'd', { ...legacy(), key: 5 }, /key must be a string$/],
    ['a key longer than 256', 'd', { ...legacy(), key: 'k'.repeat(257) }, /key must have at most 256 characters$/],
    [
      'a rate that is not a number',
      'd',
      legacy({ ratePerSecond: 'x' as unknown as number }),
      /limits.ratePerSecond must be a number$/,
    ],
    ['a rate above 10000', 'd', legacy({ ratePerSecond: 10_001 }), /limits.ratePerSecond must be at most 10000$/],
    [
      'a burst that is not a number',
      'd',
      legacy({ burst: 'x' as unknown as number }),
      /limits.burst must be a number$/,
    ],
    ['three keys', 'd', withKeys([k('a'), k('b'), k('c')]), /keys must hold at most 2 keys/],
    ['no keys', 'd', withKeys([]), /keys must hold at least one key/],
    ['two keys with one id', 'd', withKeys([k('a'), k('a')]), /keys\[\].id must be unique/],
    ['a bad key id', 'd', withKeys([k('a b')]), /keys\[\].id must be 1-64/],
    [
      'a window that ends before it starts',
      'd',
      withKeys([k('a', { notBefore: '2026-02-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z' })]),
      /notBefore must be before/,
    ],
    [
      'a local time',
      'd',
      withKeys([k('a', { notAfter: '2026-02-01T00:00:00+01:00' })]),
      /notAfter must be an ISO 8601 UTC time/,
    ],
  ])('refuses only the client with %s, naming the problem and never the key', (_label, id, entry, message) => {
    const parsed = parseClientKeys(JSON.stringify({ [id]: entry, ok: legacy() }));
    expect([...parsed.clients.keys()]).toEqual(['ok']);
    const problem = parsed.problems.get(id.slice(0, 40));
    expect(problem).toMatch(message);
    expect(problem).not.toContain(KEY);
    expect(problem).not.toContain('short-secret');
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
  const keys = (ids: string[], problems: Record<string, string> = {}): ClientKeys => ({
    clients: new Map(ids.map((id) => [id, record()])),
    problems: new Map(Object.entries(problems)),
  });
  const STALE = 3_600_000;

  it('re-reads when the copy is old (a revoked key stops working) and, rate-limited, for an unknown client', async () => {
    let now = 0;
    const secret = fakeSecret([keys(['a']), keys(['a', 'b']), keys(['b'])]);
    const keyring = new CachedKeyring(secret, {
      maxAgeMs: 300_000,
      missRefreshMs: 30_000,
      maxStaleMs: STALE,
      now: () => now,
    });
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
    const keyring = new CachedKeyring(secret, {
      maxAgeMs: 300_000,
      missRefreshMs: 30_000,
      maxStaleMs: STALE,
      now: () => now,
    });
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
      maxStaleMs: STALE,
      now: () => now,
      logger: { warn: (...args: unknown[]) => void warnings.push(args) },
    });
    await keyring.lookup('a');
    now = 1_000;
    expect(await keyring.lookup('a')).toBeDefined(); // re-read failed: last good copy
    expect(secret.reads()).toBe(2);
    expect(warnings).toEqual([
      ['client keys could not be re-read; using the last good copy', { error: 'Error: throttled', ageMs: 1_000 }],
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
    const keyring = new CachedKeyring(secret, {
      maxAgeMs: 1_000,
      missRefreshMs: 500,
      maxStaleMs: STALE,
      now: () => now,
    });
    await keyring.lookup('a');
    now = 1_000;
    expect(await keyring.lookup('a')).toBeDefined();
    const never = new CachedKeyring(fakeSecret([new Error('AccessDenied')]), {
      maxAgeMs: 1,
      missRefreshMs: 1,
      maxStaleMs: 1,
    });
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
