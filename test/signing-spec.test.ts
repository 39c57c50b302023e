/**
 * docs/signing.md is the contract clients are written from. This test keeps it true:
 * - its test vectors are the service's own computation (scripts/signing-vectors.ts), and the
 *   service's verifier (lambda/trading/auth.ts) accepts each one and refuses it once any signed
 *   part changes;
 * - the two reference clients written from it (Python standard library, curl + openssl) compute
 *   the same canonical requests and signatures, and their documented commands work as written
 *   against `npm run serve` (placing and reading orders, following the region, refusing plain
 *   http:// to anything but loopback, and their replays refused);
 * - every refusal the verifier gives is in the page's error table.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import {
  AuthRequest,
  CLOCK_SKEW_TOLERANCE_MS,
  createAuthenticator,
  DEFAULT_WINDOWS,
  hostName,
  REQUEST_WINDOW_MS,
} from '../lambda/trading/auth';
import { MAX_AUTHORIZATION_LENGTH } from '../lambda/trading/signing';
import { PROJECT_DIR } from '../scripts/offline';
import { LocalApi, startLocalApi } from '../scripts/serve';
import { SigningVector, signingVector, signingVectors } from '../scripts/signing-vectors';

const run = promisify(execFile);
const DOC = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'signing.md'), 'utf8');
const PYTHON = path.join(PROJECT_DIR, 'clients', 'python', 'tap_client.py');
const CURL = path.join(PROJECT_DIR, 'clients', 'curl', 'sign.sh');
/**
 * The interpreter `python3` runs in the project's folder, resolved once. A version manager's
 * `python3` on PATH (pyenv's shim: bash, then `pyenv exec`) costs about half a second of CPU per
 * start before Python does anything; its folder first on PATH makes each `python3` below, and in
 * the page's commands run as written, start that same interpreter directly.
 */
const PYTHON3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
  cwd: PROJECT_DIR,
  encoding: 'utf8',
}).trim();
const PATH = `${path.dirname(PYTHON3)}${path.delimiter}${process.env.PATH}`;

/** The vectors as a client reads them: the JSON block of docs/signing.md. */
function documentedVectors(): SigningVector[] {
  const json = /All vectors, machine-readable[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(DOC);
  if (!json) throw new Error('docs/signing.md has no machine-readable vectors');
  return JSON.parse(json[1]);
}

const vectors = documentedVectors();

/** The verifier as the service builds it, for one vector's client, region and host, at `nowMs`. */
function verifierFor(v: SigningVector, nowMs: number) {
  return createAuthenticator({
    keyring: {
      lookup: async (id) =>
        id === v.clientId
          ? { keys: [{ id: 'k1', secret: v.key }], limits: { ratePerSecond: 100, burst: 100 } }
          : undefined,
    },
    settings: { ...DEFAULT_WINDOWS, region: v.region, hosts: [hostName(v.host)] },
    now: () => nowMs,
  });
}

/** The request the service receives for a vector (the query split as sent, nothing decoded). */
function received(
  v: SigningVector,
  change: Partial<AuthRequest> = {},
  headers: Record<string, string | undefined> = {},
): AuthRequest {
  const query = v.encodedQuery
    ? v.encodedQuery.split('&').map((p) => p.split(/=(.*)/s).slice(0, 2) as [string, string])
    : [];
  return {
    method: v.method,
    path: v.path,
    query,
    body: v.body,
    ...change,
    headers: { host: v.host, authorization: v.authorization, 'x-tap-client': v.clientId, ...headers },
  };
}

describe('docs/signing.md test vectors', () => {
  it('are what the service computes from their inputs (generated, never typed by hand)', () => {
    expect(vectors).toEqual(signingVectors());
    expect(vectors.length).toBeGreaterThanOrEqual(3);
  });

  it('the page states the verifier’s window and skew tolerance', () => {
    expect(DOC).toContain(`<!-- fact:signing-past-window-ms -->${REQUEST_WINDOW_MS}<!-- /fact -->`);
    expect(DOC).toContain(`<!-- fact:signing-skew-ms -->${CLOCK_SKEW_TOLERANCE_MS}<!-- /fact -->`);
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    'the service’s verifier accepts "%s" anywhere in the window',
    async (_name, v) => {
      for (const at of [v.timestamp, v.timestamp + REQUEST_WINDOW_MS, v.timestamp - CLOCK_SKEW_TOLERANCE_MS]) {
        expect(await verifierFor(v, at)(received(v))).toEqual({ ok: true, clientId: v.clientId });
      }
      // Query pairs in another order: the same signature.
      const reordered = received(v);
      expect(
        await verifierFor(v, v.timestamp)({ ...reordered, query: [...(reordered.query ?? [])].reverse() }),
      ).toEqual({
        ok: true,
        clientId: v.clientId,
      });
    },
  );

  it.each(vectors.map((v) => [v.name, v] as const))(
    '"%s" is refused once any signed part differs, or outside the window',
    async (_name, v) => {
      const refused = async (req: AuthRequest, at = v.timestamp) => {
        const outcome = await verifierFor(v, at)(req);
        return outcome.ok ? 'accepted' : outcome.statusCode;
      };
      const sigAt = v.authorization.indexOf('Signature=') + 'Signature='.length;
      const flipped =
        v.authorization.slice(0, sigAt) +
        (v.authorization[sigAt] === '0' ? '1' : '0') +
        v.authorization.slice(sigAt + 1);
      const changes = {
        body: received(v, { body: `${v.body} ` }),
        method: received(v, { method: v.method === 'GET' ? 'DELETE' : 'GET' }),
        path: received(v, { path: `${v.path}x` }),
        query: received(v, { query: [['extra', '1']] }),
        host: received(v, {}, { host: `x${v.host}` }),
        signature: received(v, {}, { authorization: flipped }),
        region: received(v, {}, { authorization: v.authorization.replace(`Region=${v.region}`, 'Region=ap-south-1') }),
        expired: await refused(received(v), v.timestamp + REQUEST_WINDOW_MS + 1),
        future: await refused(received(v), v.timestamp - CLOCK_SKEW_TOLERANCE_MS - 1),
      };
      const outcomes: Record<string, unknown> = {};
      for (const [what, req] of Object.entries(changes))
        outcomes[what] = typeof req === 'object' ? await refused(req) : req;
      expect(outcomes).toEqual(Object.fromEntries(Object.keys(changes).map((k) => [k, 401])));
    },
  );
});

describe('the reference clients compute the vectors', () => {
  it('Python (standard library only): every canonical request, signature and header', async () => {
    const child = execFile(PYTHON3, [PYTHON, 'vectors'], { timeout: 20_000 });
    child.stdin!.end(JSON.stringify(vectors));
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(
      vectors.map((v) => ({
        canonicalRequest: v.canonicalRequest,
        signature: v.signature,
        authorization: v.authorization,
      })),
    );
  });

  it.each(vectors.map((v) => [v.name, v] as const))('curl + openssl (dry run): "%s"', async (_name, v) => {
    const scheme = v.host.startsWith('127.') ? 'http' : 'https';
    const url = `${scheme}://${v.host}${v.path}${v.encodedQuery ? `?${v.encodedQuery}` : ''}`;
    const { stdout } = await run(CURL, [v.method, url, ...(v.body ? [v.body] : [])], {
      timeout: 20_000,
      env: {
        PATH,
        TAP_CLIENT_ID: v.clientId,
        TAP_CLIENT_KEY: v.key,
        TAP_REGION: v.region,
        TAP_TIMESTAMP: String(v.timestamp),
        TAP_NONCE: v.nonce,
        TAP_DRY_RUN: '1',
      },
    });
    expect(stdout).toBe(`${v.canonicalRequest}\nAuthorization: ${v.authorization}\n`);
  });
});

describe('the error table lists every refusal the verifier gives', () => {
  /** The table's `error` cells, `<placeholders>` as wildcards. */
  const documented = [...DOC.matchAll(/^\| (?:401|429|503) +\| (.+?) +\| .+\|$/gm)].flatMap((row) =>
    [...row[1].matchAll(/`([^`]+)`/g)].map(
      (m) => new RegExp(`^${m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, '.+')}$`),
    ),
  );
  const v = vectors[0];
  const withAuth = (authorization: string | undefined) => received(v, {}, { authorization });

  it('for each way a request can be refused', async () => {
    const at = v.timestamp;
    const verify = verifierFor(v, at);
    const cases: [string, AuthRequest, number?][] = [
      ['no header', { ...received(v), headers: { host: v.host } }],
      ['client header names another', received(v, {}, { 'x-tap-client': 'desk-b' })],
      ['wrong scheme', withAuth(v.authorization.replace('TAP-HMAC-SHA256', 'AWS4-HMAC-SHA256'))],
      ['malformed field', withAuth(v.authorization.replace(/Nonce=[^,]+/, 'Nonce=short'))],
      ['missing field', withAuth(v.authorization.replace(/, Nonce=[^,]+/, ''))],
      ['duplicate field', withAuth(`${v.authorization}, Nonce=${v.nonce}`)],
      ['unknown field', withAuth(`${v.authorization}, Extra=1`)],
      ['too long', withAuth(v.authorization.padEnd(MAX_AUTHORIZATION_LENGTH + 1, ' '))],
      ['no host', received(v, {}, { host: undefined })],
      ['expired', received(v), at + REQUEST_WINDOW_MS + 1],
      ['future', received(v), at - CLOCK_SKEW_TOLERANCE_MS - 1],
      ['bad signature', received(v, { body: 'other' })],
      ['unknown client', withAuth(v.authorization.replace('Credential=desk-a', 'Credential=nobody'))],
    ];
    const errors: Record<string, string> = {};
    for (const [name, req, now] of cases) {
      const outcome = await (now === undefined ? verify : verifierFor(v, now))(req);
      errors[name] = outcome.ok ? 'accepted' : outcome.error;
    }
    // Signed correctly, but for another host or region (the verifier serves another).
    const elsewhere = (settings: { region?: string; hosts?: string[] }) =>
      createAuthenticator({
        keyring: {
          lookup: async () => ({ keys: [{ id: 'k1', secret: v.key }], limits: { ratePerSecond: 100, burst: 100 } }),
        },
        settings: { ...DEFAULT_WINDOWS, region: v.region, hosts: [hostName(v.host)], ...settings },
        now: () => at,
      })(received(v));
    for (const [name, settings] of Object.entries({
      host: { hosts: ['other.example.com'] },
      region: { region: 'eu-central-1' },
    })) {
      const outcome = await elsewhere(settings);
      errors[name] = outcome.ok ? 'accepted' : outcome.error;
    }
    // Replayed, and over the rate limit (burst 1), each after one accepted request.
    const once = (limits: { ratePerSecond: number; burst: number }) =>
      createAuthenticator({
        keyring: { lookup: async () => ({ keys: [{ id: 'k1', secret: v.key }], limits }) },
        settings: { ...DEFAULT_WINDOWS, region: v.region, hosts: [hostName(v.host)] },
        now: () => at,
      });
    const replay = once({ ratePerSecond: 100, burst: 100 });
    await replay(received(v));
    errors.replay = ((await replay(received(v))) as { error: string }).error;
    const limited = once({ ratePerSecond: 0.1, burst: 1 });
    await limited(received(v));
    errors.rate = ((await limited(received(signingVector({ ...v, nonce: `${v.nonce}x` })))) as { error: string }).error;

    const undocumented = Object.entries(errors).filter(([, e]) => !documented.some((re) => re.test(e)));
    expect(undocumented).toEqual([]);
    expect(Object.values(errors)).not.toContain('accepted');
  });
});

describe('the reference clients against npm run serve', () => {
  let api: LocalApi;
  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    api = await startLocalApi();
  }, 120_000);
  afterAll(() => api?.close());

  /**
   * Run one shell line of the page's example, as written, with the local server's URL.
   * `--norc`: a `bash -c` whose stdin is a socket (Node's pipes are socketpairs) and whose
   * environment has no SHLVL believes rshd or sshd started it and sources /etc/bash.bashrc and
   * ~/.bashrc first (GNU Bash shell.c, run_startup_files: "get the rshd/sshd case out of the way
   * first", skipped when no_rc is set). On a machine whose ~/.bashrc runs `pyenv init`, that was
   * about 2 s of CPU before each line ran.
   */
  async function shell(line: string, env: Record<string, string> = {}) {
    try {
      const { stdout } = await run('bash', ['--norc', '-c', line.replaceAll('http://127.0.0.1:8080', api.url)], {
        cwd: PROJECT_DIR,
        timeout: 30_000,
        env: { PATH, ...env },
      });
      return { code: 0, stdout, stderr: '' };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }

  it('the documented examples place and read orders, in Python and with curl + openssl', async () => {
    const block = /<!-- example:clients -->\s*```bash\n([\s\S]*?)```/.exec(DOC);
    expect(block).not.toBeNull();
    const lines = block![1].split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const env = Object.fromEntries(
      [...lines[0].matchAll(/(TAP_[A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    expect(Object.keys(env).sort()).toEqual(['TAP_CLIENT_ID', 'TAP_CLIENT_KEY']);
    // Each order the page places with the lines after it that read it ($ID): the orders are
    // independent of each other, so each runs its lines in order while the others run theirs.
    const reads = (line: string) => line.includes(' get ') || line.includes(' GET ');
    const orders: string[][] = [];
    for (const line of lines.slice(1)) {
      if (reads(line) && orders.length > 0) orders.at(-1)!.push(line);
      else orders.push([line]);
    }
    const runOrder = async (order: string[]) => {
      let id = '';
      const statuses: string[] = [];
      for (const line of order) {
        const result = await shell(line.replace('$ID', id), env);
        expect({ line, code: result.code, stderr: result.stderr }).toEqual({ line, code: 0, stderr: '' });
        const out = JSON.parse(result.stdout);
        const body = line.startsWith('python3') ? out.body : out;
        statuses.push(`${line.split(' ')[0]} ${line.startsWith('python3') ? out.status : 'ok'}`);
        if (body.id && !reads(line)) id = body.id;
        else expect(body.id).toBe(id);
      }
      return statuses;
    };
    const statuses = (await Promise.all(orders.map(runOrder))).flat();
    expect(statuses.length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.startsWith('python3'))).toBe(true);
    expect(lines.some((l) => l.startsWith('clients/curl/sign.sh'))).toBe(true);
  });

  it('both follow x-tap-region when they signed for the other region first', async () => {
    const env = { TAP_CLIENT_ID: 'desk-a', TAP_CLIENT_KEY: 'desk-a-test-signing-key-0123456789abcdef' };
    // Two clients, two orders: sent at once.
    const [py, sh] = await Promise.all([
      shell(
        `python3 clients/python/tap_client.py place --url ${api.url} --region eu-west-1 --client-order-id region-py --symbol ACME --side buy --quantity 1 --limit-price 10`,
        env,
      ),
      shell(
        `clients/curl/sign.sh POST ${api.url}/orders '{"clientOrderId":"region-sh","symbol":"ACME","side":"buy","type":"limit","quantity":"1","limitPrice":"10"}'`,
        { ...env, TAP_REGION: 'eu-west-1' },
      ),
    ]);
    expect(JSON.parse(py.stdout).status).toBe(201);
    expect([sh.code, JSON.parse(sh.stdout).clientOrderId]).toEqual([0, 'region-sh']);
  });

  it('a replayed nonce is refused (401), and neither client signs for http:// beyond loopback', async () => {
    const env = {
      TAP_CLIENT_ID: 'desk-a',
      TAP_CLIENT_KEY: 'desk-a-test-signing-key-0123456789abcdef',
      TAP_REGION: 'us-east-1',
      TAP_NONCE: 'cmVwbGF5LW5vbmNlLWZvci10ZXN0',
    };
    // Neither client sends anything for http:// beyond loopback: those two run meanwhile.
    const refusals = Promise.all([
      shell(`clients/curl/sign.sh GET http://api.example.com/orders`, env),
      shell(`python3 clients/python/tap_client.py get --url http://api.example.com x`, env),
    ]);
    // The same signed request twice (one timestamp, one nonce), as a replay is. The second is
    // refused either way; which refusal depends on when it lands: the nonce within the request
    // window, the window itself after it (a loaded machine may take that long between the two).
    const orderPath = '/orders/00000000-0000-4000-8000-000000000000';
    // Signed at the last moment, in the shell; the time it signed is kept for the replay.
    const first = await shell(
      `TAP_TIMESTAMP=$(($(date +%s%N) / 1000000)); echo "$TAP_TIMESTAMP"; TAP_TIMESTAMP=$TAP_TIMESTAMP clients/curl/sign.sh GET ${api.url}${orderPath}`,
      env,
    );
    const [signedLine, ...answer] = first.stdout.split('\n');
    expect(JSON.parse(answer.join('\n'))).toEqual({ error: 'order not found' });
    const signedAt = Number(signedLine);
    expect(signedAt).toBeGreaterThan(0);
    const get = `TAP_TIMESTAMP=${signedAt} clients/curl/sign.sh GET ${api.url}${orderPath}`;
    const sentAfter = Date.now() - signedAt;
    const again = await shell(get, env);
    const answeredAfter = Date.now() - signedAt;
    const replayed = 'nonce already used: sign each request with a new nonce';
    const expired = 'request expired: sign it again';
    const refusal =
      answeredAfter < REQUEST_WINDOW_MS ? [replayed] : sentAfter > REQUEST_WINDOW_MS ? [expired] : [replayed, expired];
    expect(again.code).toBe(1);
    expect(refusal).toContain(JSON.parse(again.stdout).error);

    const [shRefused, pyRefused] = await refusals;
    expect([shRefused.code, shRefused.stderr]).toEqual([2, expect.stringContaining('refusing to sign for http://')]);
    expect(pyRefused.code).not.toBe(0);
    expect(pyRefused.stderr).toContain('refusing to sign for http://api.example.com');
  });
});
