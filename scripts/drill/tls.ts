/**
 * The platform's certificate for the drill: a throwaway CA and a certificate for `<domain>` and
 * `*.<domain>` (what ACM would hold), made with the openssl CLI. The ALB's own DNS name is not on
 * it, so a probe that verifies against that name fails the way it would in AWS.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface DrillTls {
  readonly ca: string;
  readonly key: string;
  readonly cert: string;
}

/**
 * One per domain and process: a drill's worker runs many scenarios on the same domain, and three
 * openssl runs cost about 0.1 s of CPU (0.12 s of blocked event loop) each time. The CA and
 * certificate are valid for two days, longer than any process runs.
 */
const made = new Map<string, DrillTls>();

export function makeCertificate(domain: string): DrillTls {
  let tls = made.get(domain);
  if (!tls) {
    tls = newCertificate(domain);
    made.set(domain, tls);
  }
  return tls;
}

function newCertificate(domain: string): DrillTls {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-drill-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new Error(`openssl ${args[0]} failed (is the openssl CLI installed?): ${(e as Error).message}`);
    }
  };
  try {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=tap drill CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.pem'),
    );
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      `/CN=${domain}`,
      '-keyout',
      file('tls.key'),
      '-out',
      file('tls.csr'),
    );
    fs.writeFileSync(file('san.ext'), `subjectAltName=DNS:${domain},DNS:*.${domain}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      file('tls.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file('san.ext'),
      '-out',
      file('tls.pem'),
    );
    return {
      ca: fs.readFileSync(file('ca.pem'), 'utf8'),
      key: fs.readFileSync(file('tls.key'), 'utf8'),
      cert: fs.readFileSync(file('tls.pem'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
