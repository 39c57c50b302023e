/**
 * One probe of what users reach: connect to the primary's load balancer, but speak to it as the
 * platform's public name: that name is sent as SNI and Host, and the certificate is verified
 * against it, never against the load balancer's own DNS name (which no certificate carries).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { ProbeLayer } from '../orchestrator/gate';

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
  /**
   * `service`: the platform's front door; only 2xx is up. `endpoint`: an AWS public endpoint (the
   * control and the beacon); any HTTP answer is up: it is there, whatever it thinks of our request.
   */
  readonly kind?: 'service' | 'endpoint';
}

export interface ProbeObservation {
  readonly layer: ProbeLayer;
  readonly detail: string;
  readonly latencyMs: number;
}

/**
 * Transport errors: no route, connect timeout, refused, reset, a handshake cut: nothing answered at
 * the address (Node's system errors, https://nodejs.org/api/errors.html#common-system-errors).
 * Anything else that is not an HTTP answer is a TLS verification problem or inconclusive (a name
 * that does not resolve, an unknown error): a misconfiguration must never look like an outage.
 */
const TRANSPORT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'PROBE_TIMEOUT',
]);

/** Node's TLS verification error codes (certificate chain, dates, name): `tls`, never transport. */
const TLS_VERIFICATION = /CERT|SIGNATURE|SELF_SIGNED|ERR_TLS|ISSUER|ALTNAME/;

export function classifyStatus(status: number, kind: ProbeTarget['kind'] = 'service'): ProbeLayer {
  if (kind === 'endpoint') return status > 0 ? 'up' : 'inconclusive';
  if (status >= 200 && status < 300) return 'up';
  // 5xx: the region answers but cannot serve (unhealthy targets, /health reporting the database down).
  if (status >= 500) return 'sick';
  // 3xx/4xx: the probe is pointed at the wrong thing (path, host, listener rule).
  return 'inconclusive';
}

export function classifyError(error: unknown): { layer: ProbeLayer; detail: string } {
  const e = error as { code?: string; message?: string };
  const code = e?.code ?? 'UNKNOWN';
  if (TRANSPORT.has(code)) return { layer: 'transport', detail: `${code}: ${e.message ?? ''}`.trim() };
  // The peer closed the connection before answering (during the TLS handshake or the request).
  if (e?.message === 'socket hang up') return { layer: 'transport', detail: `${code}: socket hang up` };
  if (TLS_VERIFICATION.test(code)) return { layer: 'tls', detail: `TLS ${code}: ${e?.message ?? String(error)}` };
  return { layer: 'inconclusive', detail: `${code}: ${e?.message ?? String(error)}` };
}

/**
 * An AWS public endpoint in `region` that the platform does not own: the canary's control (its own
 * region) and the beacon (the primary's region). DynamoDB's regional endpoint serves HTTPS with an
 * Amazon Trust Services certificate for this name (DynamoDB developer guide, "Troubleshooting
 * SSL/TLS connection establishment issues"); any HTTP answer means the endpoint is there.
 */
export function awsEndpointTarget(region: string, timeoutMs: number): ProbeTarget {
  const host = `dynamodb.${region}.amazonaws.com`;
  return { protocol: 'https', connectHost: host, hostname: host, path: '/', timeoutMs, kind: 'endpoint' };
}

export function probeOnce(target: ProbeTarget): Promise<ProbeObservation> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (layer: ProbeLayer, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve({ layer, detail, latencyMs: elapsed() });
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
      () => finish('transport', `PROBE_TIMEOUT: no answer within ${target.timeoutMs} ms`),
      target.timeoutMs,
    );
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      finish(classifyStatus(status, target.kind), `HTTP ${status}`);
    });
    request.on('error', (error) => {
      const { layer, detail } = classifyError(error);
      finish(layer, detail);
    });
    request.end();
  });
}
