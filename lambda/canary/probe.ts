/**
 * One probe of what users reach: connect to the primary's load balancer, but speak to it as the
 * platform's public name: that name is sent as SNI and Host, and the certificate is verified
 * against it, never against the load balancer's own DNS name (which no certificate carries).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { ProbeOutcome } from '../orchestrator/gate';

export interface ProbeTarget {
  readonly protocol: 'https' | 'http';
  /** Where to connect: the primary ALB's DNS name or an address. Never used to verify TLS. */
  readonly connectHost: string;
  readonly port?: number;
  /** The platform's public name (on the certificate): SNI, Host header and identity check. */
  readonly hostname: string;
  readonly path: string;
  readonly timeoutMs: number;
  /** Extra trusted CA certificates (tests); production trusts Node's store plus NODE_EXTRA_CA_CERTS. */
  readonly ca?: string | Buffer;
}

export interface ProbeObservation {
  readonly outcome: ProbeOutcome;
  readonly detail: string;
  readonly latencyMs: number;
}

/**
 * Errors that mean the primary did not answer. Anything else (certificate problems, a name that
 * does not resolve, an unknown error) is inconclusive: a misconfiguration must never look like
 * an outage.
 */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'PROBE_TIMEOUT',
]);

export function classifyStatus(status: number): ProbeOutcome {
  if (status >= 200 && status < 300) return 'up';
  // 5xx: the region answers but cannot serve (unhealthy targets, /health reporting the database down).
  if (status >= 500) return 'down';
  // 3xx/4xx: the probe is pointed at the wrong thing (path, host, listener rule).
  return 'inconclusive';
}

export function classifyError(error: unknown): { outcome: ProbeOutcome; detail: string } {
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? 'UNKNOWN';
  if (UNREACHABLE.has(code)) return { outcome: 'down', detail: `${code}: ${e.message ?? ''}`.trim() };
  if (e?.message === 'socket hang up') return { outcome: 'down', detail: `${code}: socket hang up` };
  const tlsProblem = /CERT|SIGNATURE|SELF_SIGNED|ERR_TLS|ISSUER/.test(code);
  return { outcome: 'inconclusive', detail: `${tlsProblem ? 'TLS ' : ''}${code}: ${e?.message ?? String(error)}` };
}

export function probeOnce(target: ProbeTarget): Promise<ProbeObservation> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ outcome, detail, latencyMs: elapsed() });
    };
    const common = {
      host: target.connectHost,
      port: target.port ?? (target.protocol === 'https' ? 443 : 80),
      path: target.path,
      method: 'GET',
      headers: { Host: target.hostname, 'User-Agent': 'tap-canary', Connection: 'close' },
      agent: false as const,
    };
    const request =
      target.protocol === 'https'
        ? https.request({
            ...common,
            // Node verifies the certificate against `servername` (tls.checkServerIdentity), so the
            // name checked is the platform's, whatever address the connection goes to.
            servername: target.hostname,
            rejectUnauthorized: true,
            ...(target.ca ? { ca: target.ca } : {}),
          })
        : http.request(common);
    const timer = setTimeout(
      () => finish('down', `PROBE_TIMEOUT: no answer within ${target.timeoutMs} ms`),
      target.timeoutMs,
    );
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      finish(classifyStatus(status), `HTTP ${status}`);
    });
    request.on('error', (error) => {
      const { outcome, detail } = classifyError(error);
      finish(outcome, detail);
    });
    request.end();
  });
}
