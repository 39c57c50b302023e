/** The order client (scripts/order-client.ts): where it signs for, and what it refuses to sign for. */
import { parseAuthorization, splitTarget, checkCanonicalQuery } from '../lambda/trading/signing';
import { checkBaseUrl, isLoopback, main, OrderClient } from '../scripts/order-client';

const CREDENTIALS = { clientId: 'desk-a', key: 'k'.repeat(40) };

/** A fetch that records what it was asked and answers from a script. */
function recordingFetch(answers: { status: number; headers?: Record<string, string> }[]) {
  const calls: { url: URL; init: RequestInit }[] = [];
  const impl = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: new URL(String(input)), init: init ?? {} });
    const a = answers[Math.min(calls.length - 1, answers.length - 1)];
    return new Response('{}', { status: a.status, headers: a.headers });
  }) as typeof fetch;
  const auth = (i: number) => {
    const parsed = parseAuthorization(new Headers(calls[i].init.headers).get('authorization') ?? undefined);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  };
  return { impl, calls, auth };
}

describe('the order client refuses to sign for plain http, except to loopback', () => {
  it.each(['http://api.example.com', 'http://10.0.0.5:8080', 'http://127.0.0.1.nip.io', 'ftp://127.0.0.1'])(
    'refuses %s',
    (url) => expect(() => new OrderClient(url, CREDENTIALS)).toThrow(/refusing to sign for/),
  );

  it.each([
    'https://api.example.com',
    'http://127.0.0.1:8080',
    'http://127.8.9.10',
    'http://localhost:1',
    'http://[::1]:80',
  ])('signs for %s', (url) => expect(checkBaseUrl(url).href).toBe(new URL(url).href));

  it('knows loopback names and addresses only', () => {
    expect(['localhost', '127.0.0.1', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['localhost.example.com', '128.0.0.1', '0.0.0.0', '::', '10.0.0.1'].some(isLoopback)).toBe(false);
  });

  it('the CLI says so with exit code 2, and --help prints the usage with exit code 0', async () => {
    const out: string[] = [];
    const env = { TAP_CLIENT_ID: 'desk-a', TAP_CLIENT_KEY: 'k'.repeat(40) };
    await expect(main(['get', '--url', 'http://api.example.com', 'x'], env, (l) => out.push(l))).rejects.toThrow(
      /use https:\/\//,
    );
    expect(await main(['--help'], {}, (l) => out.push(l))).toBe(0);
    expect(out.at(-1)).toMatch(/^usage/);
  });
});

describe('the order client signs for where the request goes', () => {
  it('signs for the primary region first, then for the region the service names, once, and keeps it', async () => {
    const f = recordingFetch([{ status: 401, headers: { 'x-tap-region': 'eu-west-1' } }, { status: 201 }]);
    const client = new OrderClient('https://api.example.com', CREDENTIALS, f.impl);
    expect((await client.getOrder('x')).status).toBe(201);
    expect([f.auth(0).region, f.auth(1).region]).toEqual(['us-east-1', 'eu-west-1']);
    expect(f.auth(0).nonce).not.toBe(f.auth(1).nonce);
    await client.getOrder('y');
    expect(f.auth(2).region).toBe('eu-west-1');
  });

  it('does not retry a 401 that names no other region', async () => {
    const f = recordingFetch([{ status: 401 }]);
    const client = new OrderClient('https://api.example.com', CREDENTIALS, f.impl, { region: 'eu-west-1' });
    expect((await client.getOrder('x')).status).toBe(401);
    expect(f.calls).toHaveLength(1);
  });

  it('sends a query the service accepts as canonical, whatever the characters', async () => {
    const f = recordingFetch([{ status: 200 }]);
    const client = new OrderClient('https://api.example.com', CREDENTIALS, f.impl);
    await client.request('GET', "/orders?b=x y&a=!'()*&c=€");
    const sent = f.calls[0].url;
    expect(sent.search).toBe('?b=x%20y&a=%21%27%28%29%2A&c=%E2%82%AC');
    expect(checkCanonicalQuery(splitTarget(`${sent.pathname}${sent.search}`).query)).toEqual({ ok: true });
  });
});
