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
import { probeOnce, ProbeTarget } from '../../lambda/canary/probe';
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

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername });
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
    expect(result).toMatchObject({ outcome: 'up', detail: 'HTTP 200' });
    expect(seen).toEqual([{ host: API_NAME, servername: API_NAME }]);
  });

  it('issue 10: verifying against the name it connects to (the ELB name) fails, and that is inconclusive, never down', async () => {
    // What the old canary did: https://<connect host>/health, so the hostname check used that name.
    const result = await probeOnce(target({ connectHost: 'localhost', hostname: 'localhost' }));
    expect(result.outcome).toBe('inconclusive');
    expect(result.detail).toMatch(/^TLS ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('a certificate for another name, or one nobody trusts, is inconclusive', async () => {
    expect(await probeOnce(target({ port: otherPort }))).toMatchObject({
      outcome: 'inconclusive',
      detail: expect.stringMatching(/^TLS ERR_TLS_CERT_ALTNAME_INVALID/),
    });
    const untrusted = await probeOnce(target({ ca: otherCert.cert }));
    expect(untrusted.outcome).toBe('inconclusive');
    expect(untrusted.detail).toMatch(/^TLS /);
  });

  it('5xx is down, 4xx is inconclusive (a probe pointed at the wrong path)', async () => {
    status = 503;
    expect(await probeOnce(target())).toMatchObject({ outcome: 'down', detail: 'HTTP 503' });
    expect(await probeOnce(target({ path: '/nope' }))).toMatchObject({ outcome: 'inconclusive', detail: 'HTTP 404' });
  });

  it('no answer within the timeout, or a refused connection, is down', async () => {
    const hung = await probeOnce(target({ path: '/hang', timeoutMs: 300 }));
    expect(hung).toMatchObject({ outcome: 'down', detail: 'PROBE_TIMEOUT: no answer within 300 ms' });
    const closed = http.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const refused = await probeOnce(target({ protocol: 'http', port }));
    expect(refused.outcome).toBe('down');
    expect(refused.detail).toMatch(/^ECONNREFUSED/);
  });

  it('plain HTTP (no certificate configured) still sends the platform name as Host', async () => {
    expect(await probeOnce(target({ protocol: 'http', port: plainPort }))).toMatchObject({ outcome: 'up' });
    expect(seen).toEqual([{ host: API_NAME, servername: undefined }]);
  });
});

describe('canary', () => {
  it('probes every interval for one minute and records each result, timestamped, at once', async () => {
    const store = new InMemoryEvidenceStore();
    let t = Date.UTC(2030, 0, 1);
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const metrics: string[] = [];
    const records = await runCanary({
      config: { vantage: 'us-west-2', target: 'us-east-1', intervalMs: 10_000 },
      probe: () => {
        if (t >= Date.UTC(2030, 0, 1) + 30_000) status = 503;
        return probeOnce(target());
      },
      store,
      clock,
      metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(records.map((r) => r.outcome)).toEqual(['up', 'up', 'up', 'down', 'down', 'down']);
    expect(await store.probesSince('us-east-1', 0)).toEqual(
      records.map((r, i) => ({ ...r, startedAt: Date.UTC(2030, 0, 1) + i * 10_000 })),
    );
    expect(metrics).toEqual(['ProbeFailed', 'ProbeFailed', 'ProbeFailed']);
  });

  it('a probe it cannot record is a gap (counted), not a failure, and probing goes on', async () => {
    let t = 0;
    const metrics: string[] = [];
    const records = await runCanary({
      config: { vantage: 'eu-west-1', target: 'us-east-1', intervalMs: 30_000 },
      probe: async () => ({ outcome: 'up', detail: 'HTTP 200', latencyMs: 1 }),
      store: { recordProbe: async () => Promise.reject(new Error('ProvisionedThroughputExceeded')) },
      clock: { now: () => t, sleep: async (ms: number) => void (t += ms) },
      metrics: { addMetric: (name: string) => (metrics.push(name), undefined as never) },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(records).toHaveLength(2);
    expect(metrics).toEqual(['ProbeNotRecorded', 'ProbeNotRecorded']);
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
