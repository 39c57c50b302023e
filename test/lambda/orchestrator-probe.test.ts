/**
 * The canary's probe against a real local HTTPS server whose certificate is for the platform's
 * name, the way the primary's ALB presents it: the probe connects to the server's address but
 * must verify the certificate for the platform's name, and anything it cannot verify is a
 * misconfiguration (inconclusive), never an outage.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { runCanary } from '../../lambda/canary/canary';
import { canaryConfigFromEnv } from '../../lambda/canary/config';
import { classifyError, classifyStatus, probeOnce, ProbeTarget } from '../../lambda/canary/probe';
import type { ProbeLayer, ProbeRecord } from '../../lambda/orchestrator/gate';
import { InMemoryEvidenceStore } from '../../lambda/orchestrator/memory-store';

const API_NAME = 'api.dev.tap-trading.example.com';
const ELB_NAME = 'alb-use1-dev-1234567890.us-east-1.elb.amazonaws.com';

interface Seen {
  host?: string;
  servername?: string | false | null;
}

let platformCert: { cert: string; key: string };
let otherCert: { cert: string; key: string };
let status = 200;
let seen: Seen[] = [];
const servers: (http.Server | https.Server)[] = [];

async function certFor(name: string) {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: name }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

/** What each request asked for beyond its name: method and the probe's own headers. */
let asked: { method?: string; userAgent?: string; connection?: string }[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername });
  asked.push({ method: req.method, userAgent: req.headers['user-agent'], connection: req.headers.connection });
  if (req.url === '/hang') return; // accepts, never answers
  res.writeHead(req.url === '/health' ? status : 404).end('{}');
}

async function listen(server: http.Server | https.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

let platformPort: number;
let otherPort: number;
let plainPort: number;

beforeAll(async () => {
  platformCert = await certFor(API_NAME);
  otherCert = await certFor('other.example.org');
  platformPort = await listen(https.createServer(platformCert, handler));
  otherPort = await listen(https.createServer(otherCert, handler));
  plainPort = await listen(http.createServer(handler));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

beforeEach(() => {
  status = 200;
  seen = [];
  asked = [];
});

/** The primary's ALB stands at 127.0.0.1; the CA list trusts the test certificates only. */
const target = (over: Partial<ProbeTarget> = {}): ProbeTarget => ({
  protocol: 'https',
  connectHost: '127.0.0.1',
  port: platformPort,
  hostname: API_NAME,
  path: '/health',
  timeoutMs: 2000,
  ca: [platformCert.cert, otherCert.cert].join('\n'),
  ...over,
});

describe('probe', () => {
  it("connects to the load balancer's address but verifies TLS for the platform's name (SNI and Host too)", async () => {
    const result = await probeOnce(target());
    expect(result).toMatchObject({ layer: 'up', detail: 'HTTP 200' });
    expect(seen).toEqual([{ host: API_NAME, servername: API_NAME }]);
  });

  it('issue 10: verifying against the name it connects to (the ELB name) fails, and that is inconclusive, never down', async () => {
    // What the old canary did: https://<connect host>/health, so the hostname check used that name.
    const result = await probeOnce(target({ connectHost: 'localhost', hostname: 'localhost' }));
    expect(result.layer).toBe('tls');
    expect(result.detail).toMatch(/^TLS ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('a certificate for another name, or one nobody trusts, is inconclusive', async () => {
    expect(await probeOnce(target({ port: otherPort }))).toMatchObject({
      layer: 'tls',
      detail: expect.stringMatching(/^TLS ERR_TLS_CERT_ALTNAME_INVALID/),
    });
    const untrusted = await probeOnce(target({ ca: otherCert.cert }));
    expect(untrusted.layer).toBe('tls');
    expect(untrusted.detail).toMatch(/^TLS /);
  });

  it('issue 23: 5xx is sick (the region answers), 4xx is inconclusive (a probe pointed at the wrong path)', async () => {
    status = 503;
    expect(await probeOnce(target())).toMatchObject({ layer: 'sick', detail: 'HTTP 503' });
    expect(await probeOnce(target({ path: '/nope' }))).toMatchObject({ layer: 'inconclusive', detail: 'HTTP 404' });
  });

  it('issue 23: no answer within the timeout, or a refused connection, is a transport failure', async () => {
    const hung = await probeOnce(target({ path: '/hang', timeoutMs: 300 }));
    expect(hung).toMatchObject({ layer: 'transport', detail: 'PROBE_TIMEOUT: no answer within 300 ms' });
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const refused = await probeOnce(target({ protocol: 'http', port }));
    expect(refused.layer).toBe('transport');
    expect(refused.detail).toMatch(/^ECONNREFUSED/);
  });

  it('a GET that names itself and closes, timed in whole milliseconds', async () => {
    const result = await probeOnce(target());
    expect(asked).toEqual([{ method: 'GET', userAgent: 'tap-canary', connection: 'close' }]);
    expect(Number.isInteger(result.latencyMs)).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    // Bounded by the probe's own timeout (plus the event loop), whatever the machine's speed.
    expect(result.latencyMs).toBeLessThan(60_000);
  });

  it('without a port, connects to 443 for https and 80 for http (what production uses)', async () => {
    const ports: unknown[] = [];
    // Record the port asked for, then connect to the test server instead (443 and 80 need root and are shared).
    const to = (port: number) => (options: https.RequestOptions) => {
      ports.push(options.port);
      return { ...options, port };
    };
    const realHttps = https.request;
    const realHttp = http.request;
    // The modules themselves (a namespace import's properties cannot be redefined).
    const httpsModule = jest.requireActual<typeof https>('node:https');
    const httpModule = jest.requireActual<typeof http>('node:http');
    const httpsSpy = jest
      .spyOn(httpsModule, 'request')
      .mockImplementation(((o: https.RequestOptions) => realHttps(to(platformPort)(o))) as typeof https.request);
    const httpSpy = jest
      .spyOn(httpModule, 'request')
      .mockImplementation(((o: http.RequestOptions) => realHttp(to(plainPort)(o))) as typeof http.request);
    try {
      expect((await probeOnce(target({ port: undefined }))).layer).toBe('up');
      expect((await probeOnce(target({ protocol: 'http', port: undefined }))).layer).toBe('up');
    } finally {
      httpsSpy.mockRestore();
      httpSpy.mockRestore();
    }
    expect(ports).toEqual([443, 80]);
  });

  it('plain HTTP (no certificate configured) still sends the platform name as Host', async () => {
    expect(await probeOnce(target({ protocol: 'http', port: plainPort }))).toMatchObject({ layer: 'up' });
    expect(seen).toEqual([{ host: API_NAME, servername: undefined }]);
  });
});

/** A control target or beacon that answers (an AWS endpoint that is there). */
const answers = async () => ({ layer: 'up' as const, detail: 'HTTP 200', latencyMs: 1 });

describe('canary', () => {
  it('probes every interval for one minute and records each result, timestamped, at once', async () => {
    const store = new InMemoryEvidenceStore();
    let t = Date.UTC(2030, 0, 1);
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const metrics: string[] = [];
    const records = await runCanary({
      config: { vantage: 'us-west-2', target: 'us-east-1', intervalMs: 10_000 },
      probes: {
        primary: () => {
          if (t >= Date.UTC(2030, 0, 1) + 30_000) status = 503;
          return probeOnce(target());
        },
        control: answers,
        beacon: answers,
      },
      store,
      clock,
      metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const primary = records.filter((r) => r.target === 'primary');
    expect(primary.map((r) => r.layer)).toEqual(['up', 'up', 'up', 'sick', 'sick', 'sick']);
    expect(records.filter((r) => r.target !== 'primary').every((r) => r.layer === 'up')).toBe(true);
    const byTimeAndTarget = (a: ProbeRecord, b: ProbeRecord) =>
      a.startedAt - b.startedAt || a.target.localeCompare(b.target);
    expect(await store.probesSince('us-east-1', 0)).toEqual(
      records
        .map((r, i) => ({ ...r, startedAt: Date.UTC(2030, 0, 1) + Math.floor(i / 3) * 10_000 }))
        .sort(byTimeAndTarget),
    );
    expect(metrics).toEqual(['ProbeFailed', 'ProbeFailed', 'ProbeFailed']);
  });

  it('a probe it cannot record is a gap (counted), not a failure, and probing goes on', async () => {
    let t = 0;
    const metrics: string[] = [];
    const records = await runCanary({
      config: { vantage: 'eu-west-1', target: 'us-east-1', intervalMs: 30_000 },
      probes: { primary: answers, control: answers, beacon: answers },
      store: { recordProbe: async () => Promise.reject(new Error('ProvisionedThroughputExceeded')) },
      clock: { now: () => t, sleep: async (ms: number) => void (t += ms) },
      metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(records).toHaveLength(6);
    expect(metrics).toEqual(Array(6).fill('ProbeNotRecorded'));
  });
});

describe('canary configuration', () => {
  const env = {
    AWS_REGION: 'us-west-2',
    TARGET_REGION: 'us-east-1',
    PROBE_PROTOCOL: 'https',
    PROBE_CONNECT_HOST: ELB_NAME,
    PROBE_HOSTNAME: API_NAME,
    PROBE_INTERVAL_SECONDS: '10',
    EVIDENCE_TABLE: 'ddb-failover-evidence-dev',
    EVIDENCE_TABLE_REGION: 'eu-west-1',
    ENVIRONMENT: 'dev',
  };

  it('connects to the ELB name, verifies the platform name, probes /health within half an interval', () => {
    expect(canaryConfigFromEnv(env).target).toEqual({
      protocol: 'https',
      connectHost: ELB_NAME,
      hostname: API_NAME,
      path: '/health',
      timeoutMs: 4000,
    });
  });

  it('refuses an ELB DNS name as the name to verify, and a canary inside the region it probes', () => {
    expect(() => canaryConfigFromEnv({ ...env, PROBE_HOSTNAME: ELB_NAME })).toThrow(
      /PROBE_HOSTNAME must be the platform's name/,
    );
    expect(() => canaryConfigFromEnv({ ...env, AWS_REGION: 'us-east-1' })).toThrow(/outside the region it probes/);
    expect(() => canaryConfigFromEnv({ ...env, PROBE_PROTOCOL: 'ftp' })).toThrow(
      /PROBE_PROTOCOL must be https or http/,
    );
  });
});

describe('probe classification', () => {
  it('2xx is up, 5xx is sick, 1xx/3xx/4xx say the probe is pointed at the wrong thing', () => {
    const classes = [100, 199, 200, 204, 299, 300, 301, 404, 499, 500, 503, 599].map((s) => [s, classifyStatus(s)]);
    expect(classes).toEqual([
      [100, 'inconclusive'],
      [199, 'inconclusive'],
      [200, 'up'],
      [204, 'up'],
      [299, 'up'],
      [300, 'inconclusive'],
      [301, 'inconclusive'],
      [404, 'inconclusive'],
      [499, 'inconclusive'],
      [500, 'sick'],
      [503, 'sick'],
      [599, 'sick'],
    ]);
    // An AWS endpoint (control, beacon) that answers at all is there, whatever the status.
    expect([200, 403, 404, 500].map((s) => classifyStatus(s, 'endpoint'))).toEqual(['up', 'up', 'up', 'up']);
  });

  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ETIMEDOUT',
    'EPIPE',
    'ECONNABORTED',
    'PROBE_TIMEOUT',
  ])('%s means the primary did not answer', (code) => {
    expect(classifyError({ code, message: `connect ${code} 10.0.0.1:443` })).toEqual({
      layer: 'transport',
      detail: `${code}: connect ${code} 10.0.0.1:443`,
    });
  });

  it('a socket hung up by the server is down; an error without a message keeps just its code', () => {
    expect(classifyError({ code: 'ERR_X', message: 'socket hang up' })).toEqual({
      layer: 'transport',
      detail: 'ERR_X: socket hang up',
    });
    expect(classifyError({ message: 'socket hang up' })).toEqual({
      layer: 'transport',
      detail: 'UNKNOWN: socket hang up',
    });
    expect(classifyError({ code: 'ETIMEDOUT' })).toEqual({ layer: 'transport', detail: 'ETIMEDOUT:' });
  });

  it('certificate problems are the tls layer (never transport); unknown errors are inconclusive, never down', () => {
    for (const code of [
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
      'ERR_SSL_WRONG_SIGNATURE_TYPE',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    ]) {
      expect(classifyError({ code, message: 'bad' })).toEqual({ layer: 'tls', detail: `TLS ${code}: bad` });
    }
    expect(classifyError({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND x' })).toEqual({
      layer: 'inconclusive',
      detail: 'ENOTFOUND: getaddrinfo ENOTFOUND x',
    });
    expect(classifyError('boom')).toEqual({ layer: 'inconclusive', detail: 'UNKNOWN: boom' });
    expect(classifyError(undefined)).toEqual({ layer: 'inconclusive', detail: 'UNKNOWN: undefined' });
  });
});

describe('canary loop', () => {
  interface Logged {
    level: string;
    message: string;
    extra: unknown;
  }
  const loop = async (
    intervalMs: number,
    outcomes: readonly ProbeLayer[],
    opts: { late?: number; recordFails?: boolean } = {},
  ) => {
    let t = 1_000_000;
    const start = t;
    const sleeps: number[] = [];
    const logged: Logged[] = [];
    const metrics: [string, string, number][] = [];
    const stored: [string, unknown][] = [];
    let n = 0;
    const log =
      (level: string) =>
      (...args: unknown[]) =>
        void logged.push({ level, message: args[0] as string, extra: args[1] });
    const records = await runCanary({
      config: { vantage: 'eu-west-1', target: 'us-east-1', intervalMs },
      probes: {
        primary: async () => {
          const outcome = outcomes[n++ % outcomes.length];
          t += opts.late ?? 0;
          return { layer: outcome, detail: `seen ${outcome}`, latencyMs: 7 };
        },
        control: answers,
        beacon: answers,
      },
      store: {
        recordProbe: async (target, record) => {
          if (opts.recordFails) throw new Error('throttled');
          stored.push([target, record]);
        },
      },
      clock: { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) },
      metrics: {
        addMetric: (name: string, unit: unknown, value: number) => (
          metrics.push([name, String(unit), value]),
          undefined as never
        ),
      },
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
    });
    // The control and the beacon answer throughout: these tests read the primary's probes.
    const primary = (r: unknown) => (r as { target?: string }).target === 'primary';
    return {
      records: records.filter(primary),
      sleeps,
      logged: logged.filter((l) => primary((l.extra as { record?: unknown }).record)),
      metrics,
      stored: stored.filter(([, r]) => primary(r)),
      start,
    };
  };

  it('probes at start + n x interval for exactly one minute, sleeping only the time left', async () => {
    const { records, sleeps, start } = await loop(15_000, ['up'], { late: 1000 });
    expect(records.map((r) => r.startedAt - start)).toEqual([0, 15_000, 30_000, 45_000]);
    expect(sleeps).toEqual([14_000, 14_000, 14_000]);
    // An interval that does not divide the minute still stops inside it.
    expect((await loop(25_000, ['up'])).records).toHaveLength(3);
  });

  it('a probe slower than the interval does not make the next one wait (never a negative sleep)', async () => {
    const { sleeps, records } = await loop(10_000, ['transport'], { late: 12_000 });
    expect(sleeps.every((ms) => ms === 0)).toBe(true);
    expect(records).toHaveLength(6);
  });

  it('records each probe under the probed region, counts failures and inconclusive probes, and logs why', async () => {
    const { records, stored, metrics, logged } = await loop(20_000, ['up', 'sick', 'inconclusive']);
    expect(records).toEqual([
      { vantage: 'eu-west-1', target: 'primary', startedAt: 1_000_000, layer: 'up', detail: 'seen up' },
      { vantage: 'eu-west-1', target: 'primary', startedAt: 1_020_000, layer: 'sick', detail: 'seen sick' },
      {
        vantage: 'eu-west-1',
        target: 'primary',
        startedAt: 1_040_000,
        layer: 'inconclusive',
        detail: 'seen inconclusive',
      },
    ]);
    expect(stored).toEqual(records.map((r) => ['us-east-1', r]));
    expect(metrics).toEqual([
      ['ProbeFailed', 'Count', 1],
      ['ProbeInconclusive', 'Count', 1],
    ]);
    expect(logged).toEqual([
      { level: 'info', message: 'probe', extra: { record: records[0], latencyMs: 7 } },
      { level: 'info', message: 'probe', extra: { record: records[1], latencyMs: 7 } },
      {
        level: 'warn',
        message: 'probe inconclusive: check the canary configuration',
        extra: { record: records[2], latencyMs: 7 },
      },
    ]);
  });

  it('a probe not recorded is counted and logged with the error', async () => {
    const { metrics, logged, records } = await loop(30_000, ['up'], { recordFails: true });
    expect(metrics).toEqual(Array(6).fill(['ProbeNotRecorded', 'Count', 1]));
    expect(logged.filter((l) => l.level === 'error')).toEqual(
      records.map((record) => ({
        level: 'error',
        message: 'probe not recorded',
        extra: { record, error: 'throttled' },
      })),
    );
  });
});

describe('canary configuration, each setting', () => {
  const env = {
    AWS_REGION: 'us-west-2',
    TARGET_REGION: 'us-east-1',
    PROBE_PROTOCOL: 'http',
    PROBE_CONNECT_HOST: ELB_NAME,
    PROBE_HOSTNAME: API_NAME,
    PROBE_PATH: '/ready',
    PROBE_INTERVAL_SECONDS: '5',
    EVIDENCE_TABLE: 'ddb-failover-evidence-dev',
    EVIDENCE_TABLE_REGION: 'eu-west-1',
    ENVIRONMENT: 'dev',
  };

  it('maps every variable', () => {
    expect(canaryConfigFromEnv(env)).toEqual({
      canary: { vantage: 'us-west-2', target: 'us-east-1', intervalMs: 5000 },
      target: { protocol: 'http', connectHost: ELB_NAME, hostname: API_NAME, path: '/ready', timeoutMs: 2500 },
      control: {
        protocol: 'https',
        connectHost: 'dynamodb.us-west-2.amazonaws.com',
        hostname: 'dynamodb.us-west-2.amazonaws.com',
        path: '/',
        timeoutMs: 2500,
        kind: 'endpoint',
      },
      beacon: {
        protocol: 'https',
        connectHost: 'dynamodb.us-east-1.amazonaws.com',
        hostname: 'dynamodb.us-east-1.amazonaws.com',
        path: '/',
        timeoutMs: 2500,
        kind: 'endpoint',
      },
      evidenceTable: 'ddb-failover-evidence-dev',
      evidenceTableRegion: 'eu-west-1',
      environment: 'dev',
    });
    expect(canaryConfigFromEnv({ ...env, PROBE_INTERVAL_SECONDS: '60' }).canary.intervalMs).toBe(60_000);
  });

  it.each([
    ['PROBE_INTERVAL_SECONDS', '4', 'PROBE_INTERVAL_SECONDS must be at least 5'],
    ['PROBE_INTERVAL_SECONDS', '61', 'PROBE_INTERVAL_SECONDS must be at most 60'],
    ['PROBE_PATH', 'health', 'PROBE_PATH must start with /'],
    ['PROBE_CONNECT_HOST', 'not a name', 'PROBE_CONNECT_HOST must be a DNS name'],
    ['PROBE_CONNECT_HOST', 'x.example.com.evil/', 'PROBE_CONNECT_HOST must be a DNS name'],
    ['PROBE_HOSTNAME', 'API.DEV.ELB.AMAZONAWS.COM', "PROBE_HOSTNAME must be the platform's name"],
    ['PROBE_HOSTNAME', 'https://api.example.com', 'PROBE_HOSTNAME must be a DNS name'],
    ['PROBE_HOSTNAME', 'api-.example.com', 'PROBE_HOSTNAME must be a DNS name'],
    ['PROBE_HOSTNAME', 'api.example.c0m', 'PROBE_HOSTNAME must be a DNS name'],
    ['PROBE_PROTOCOL', 'ftp', 'PROBE_PROTOCOL must be https or http'],
    ['EVIDENCE_TABLE_REGION', 'europe', 'EVIDENCE_TABLE_REGION must be an AWS region'],
    ['ENVIRONMENT', ' ', 'ENVIRONMENT must be set'],
  ])('refuses %s=%j', (key, value, message) => {
    expect(() => canaryConfigFromEnv({ ...env, [key]: value })).toThrow(`invalid canary environment: ${message}`);
  });

  it('accepts one-letter labels and names that merely contain elb.amazonaws.com', () => {
    expect(canaryConfigFromEnv({ ...env, PROBE_HOSTNAME: 'a.b.example.com' }).target.hostname).toBe('a.b.example.com');
    const lookalike = 'api.elb.amazonaws.com.example.com';
    expect(canaryConfigFromEnv({ ...env, PROBE_HOSTNAME: lookalike }).target.hostname).toBe(lookalike);
    expect(canaryConfigFromEnv({ ...env, PROBE_PATH: undefined }).target.path).toBe('/health');
  });

  it('names the canary and the rule when it would probe its own region', () => {
    expect(() => canaryConfigFromEnv({ ...env, AWS_REGION: 'us-east-1' })).toThrow(
      'invalid canary environment: a canary must run outside the region it probes (AWS_REGION = TARGET_REGION)',
    );
  });
});
