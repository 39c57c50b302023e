/**
 * Key custody in the verifier: keys with ids and validity windows, two active per client so a
 * rotation has no gap, a bound on how long a stale copy serves when re-reads fail, and one bad
 * entry refusing that client only. Each runs the real authenticator over the real keyring and
 * parser; only the secret read is faked.
 */
import { createAuthenticator, DEFAULT_WINDOWS } from '../../lambda/trading/auth';
import { CachedKeyring, ClientKeys, parseClientKeys } from '../../lambda/trading/client-keys';
import { CLIENT_KEYS_MAX_AGE_MS, CLIENT_KEYS_MAX_STALE_MS } from '../../lambda/trading/runtime';
import { signedHeaders } from '../../scripts/order-client';

const HOST = 'api.example.com';
const REGION = 'us-east-1';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const OLD = 'old-key-'.padEnd(40, 'o');
const NEW = 'new-key-'.padEnd(40, 'n');
const OTHER = 'other-key-'.padEnd(40, 'x');
const limits = { ratePerSecond: 1000, burst: 1000 };

/** A secret whose successive reads answer `texts` in turn (an Error: the read fails). */
function secretReads(texts: (string | Error)[]) {
  let reads = 0;
  let cached: Promise<ClientKeys> | undefined;
  return {
    reads: () => reads,
    invalidate: () => (cached = undefined),
    get: () => {
      const v = texts[Math.min(reads++, texts.length - 1)];
      cached ??= v instanceof Error ? Promise.reject(v) : Promise.resolve().then(() => parseClientKeys(v));
      return cached;
    },
  };
}

function service(texts: (string | Error)[], clock: { now: number }) {
  const keyring = new CachedKeyring(secretReads(texts), {
    maxAgeMs: CLIENT_KEYS_MAX_AGE_MS,
    missRefreshMs: 30_000,
    maxStaleMs: CLIENT_KEYS_MAX_STALE_MS,
    now: () => clock.now,
  });
  const auth = createAuthenticator({
    keyring,
    settings: { ...DEFAULT_WINDOWS, region: REGION, hosts: [HOST] },
    now: () => clock.now,
  });
  return async (clientId: string, key: string) => {
    const outcome = await auth({
      method: 'GET',
      path: '/orders',
      headers: {
        host: HOST,
        ...signedHeaders(
          { clientId, key },
          { method: 'GET', host: HOST, path: '/orders' },
          {
            now: clock.now,
            region: REGION,
          },
        ),
      },
    });
    return outcome.ok ? 200 : outcome.statusCode;
  };
}

const secret = (clients: Record<string, unknown>) => JSON.stringify(clients);

describe('keys with ids and validity windows', () => {
  it('two active keys: both sign during a rotation, then only the new one', async () => {
    const clock = { now: T0 };
    const during = secret({
      'desk-a': {
        keys: [
          { id: 'k1', secret: OLD },
          { id: 'k2', secret: NEW },
        ],
        limits,
      },
    });
    const after = secret({ 'desk-a': { keys: [{ id: 'k2', secret: NEW }], limits } });
    const call = service([during, after], clock);
    expect([await call('desk-a', OLD), await call('desk-a', NEW), await call('desk-a', OTHER)]).toEqual([
      200, 200, 401,
    ]);
    clock.now += CLIENT_KEYS_MAX_AGE_MS; // the next re-read sees the old key revoked
    expect([await call('desk-a', OLD), await call('desk-a', NEW)]).toEqual([401, 200]);
  });

  it('a key signs only inside its window: notBefore inclusive, notAfter exclusive', async () => {
    const switchAt = T0 + 60_000;
    const at = new Date(switchAt).toISOString();
    const clock = { now: switchAt - 1 };
    const call = service(
      [
        secret({
          'desk-a': {
            keys: [
              { id: 'k1', secret: OLD, notAfter: at },
              { id: 'k2', secret: NEW, notBefore: at },
            ],
            limits,
          },
        }),
      ],
      clock,
    );
    expect([await call('desk-a', OLD), await call('desk-a', NEW)]).toEqual([200, 401]);
    clock.now = switchAt;
    expect([await call('desk-a', OLD), await call('desk-a', NEW)]).toEqual([401, 200]);
  });
});

describe('the stale-copy limit', () => {
  it('when re-reads keep failing, the last good copy serves for at most CLIENT_KEYS_MAX_STALE_MS, then nobody (503)', async () => {
    const clock = { now: T0 };
    const call = service([secret({ 'desk-a': { key: OLD, limits } }), new Error('AccessDeniedException')], clock);
    expect(await call('desk-a', OLD)).toBe(200);
    clock.now = T0 + CLIENT_KEYS_MAX_STALE_MS;
    expect(await call('desk-a', OLD)).toBe(200); // one missed re-read is ridden out
    clock.now = T0 + CLIENT_KEYS_MAX_STALE_MS + 1;
    expect(await call('desk-a', OLD)).toBe(503); // the copy may hold revoked keys: refuse
  });

  it('is two re-read intervals: a revoked key stops within 10 minutes whatever the secret does', () => {
    expect([CLIENT_KEYS_MAX_AGE_MS, CLIENT_KEYS_MAX_STALE_MS]).toEqual([300_000, 600_000]);
  });

  it('a successful re-read restarts it', async () => {
    const clock = { now: T0 };
    const good = secret({ 'desk-a': { key: OLD, limits } });
    const call = service([good, new Error('throttled'), good, new Error('throttled')], clock);
    expect(await call('desk-a', OLD)).toBe(200);
    clock.now = T0 + CLIENT_KEYS_MAX_AGE_MS; // fails
    expect(await call('desk-a', OLD)).toBe(200);
    clock.now += 30_000; // succeeds
    expect(await call('desk-a', OLD)).toBe(200);
    clock.now += CLIENT_KEYS_MAX_STALE_MS; // the later failure is measured from that read
    expect(await call('desk-a', OLD)).toBe(200);
  });
});

describe('one bad entry refuses that client only', () => {
  it('a malformed entry: that client 503, every other client served', async () => {
    const clock = { now: T0 };
    const call = service(
      [
        secret({
          'desk-a': { key: OLD, limits },
          'desk-b': { key: 'too-short', limits },
          'desk c': { key: OTHER, limits },
        }),
      ],
      clock,
    );
    expect([await call('desk-a', OLD), await call('desk-b', 'too-short'.padEnd(40, '.'))]).toEqual([200, 503]);
  });

  it('a secret that is not a JSON object still refuses everyone (nothing to go on)', async () => {
    const clock = { now: T0 };
    expect(await service(['[]'], clock)('desk-a', OLD)).toBe(503);
  });
});
