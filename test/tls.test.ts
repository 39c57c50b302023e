/**
 * TLS a trading platform can run with: `tls: acm` (certificates issued and DNS-validated by the
 * program), `provided` (one per region, each in its ALB's region) or `none` (throwaway stacks).
 */
import { ConfigError, parseSettings, readRawConfig } from '../lib/config';
import { acceleratorPorts } from '../lib/traffic/global-stack';
import { OfflineRun, readProject, stackConfig } from '../scripts/offline';
import { dependsOnTransitively, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const DOMAIN = 'dev.tap-trading.example.com';
const REGIONS = [
  [PRIMARY, 'use1'],
  [SECONDARY, 'euw1'],
] as const;
const PROVIDED = {
  tls: 'provided',
  primaryCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/given-use1',
  secondaryCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/given-euw1',
};

/** Whether a certificate for these names is valid for `host` (one wildcard label at most). */
function covers(names: readonly string[], host: string): boolean {
  return names.some((n) =>
    n.startsWith('*.')
      ? host.split('.').slice(1).join('.') === n.slice(2) && host.split('.').length === n.split('.').length
      : n === host,
  );
}

/** Ports the ALB of a region opens to clients (its listeners). */
const listenerPorts = (run: OfflineRun, region: string) =>
  ofType(run, 'aws:lb/listener:Listener', region)
    .map((l) => l.inputs.port as number)
    .sort((a, b) => a - b);

/** Every check of "HTTP only redirects; HTTPS serves; the accelerator opens what both serve". */
function expectHttpsEverywhere(run: OfflineRun, certificateOf: (region: string) => string) {
  for (const [region, code] of REGIONS) {
    const http = named(run, 'aws:lb/listener:Listener', `alb-http-${code}-dev`);
    expect(http.inputs.defaultActions).toEqual([
      { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
    ]);
    const https = named(run, 'aws:lb/listener:Listener', `alb-https-${code}-dev`);
    expect(https.inputs).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: expect.stringMatching(/^ELBSecurityPolicy-TLS13-/),
      certificateArn: certificateOf(region),
    });
    // An ALB takes certificates of its own region only.
    expect(https.inputs.certificateArn.split(':')[3]).toBe(region);
    // The order API rule hangs off the HTTPS listener, not the redirecting one.
    expect(named(run, 'aws:lb/listenerRule:ListenerRule', `alb-orders-${code}-dev`).inputs.listenerArn).toContain(
      `alb-https-${code}-dev`,
    );
    const sg = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-alb-${code}-dev`);
    expect(sg.inputs.ingress.map((r: any) => r.fromPort)).toEqual([80, 443]);
    expect(named(run, 'aws:route53/healthCheck:HealthCheck', `hc-${code}-dev`).inputs).toMatchObject({
      type: 'HTTPS',
      port: 443,
    });
  }
  const listener = named(run, 'aws:globalaccelerator/listener:Listener', 'ga-listener-dev');
  expect(listener.inputs.portRanges).toEqual([
    { fromPort: 80, toPort: 80 },
    { fromPort: 443, toPort: 443 },
  ]);
}

describe('tls: acm', () => {
  it('each region serves a certificate issued in its own region, only once ACM validated it', async () => {
    const run = await plan({ tls: 'acm' });
    expectHttpsEverywhere(
      run,
      (region) => `arn:aws:acm:${region}:123456789012:certificate/cert-${region === PRIMARY ? 'use1' : 'euw1'}-dev`,
    );
    for (const [region, code] of REGIONS) {
      const certificate = named(run, 'aws:acm/certificate:Certificate', `cert-${code}-dev`);
      expect(certificate.region).toBe(region);
      expect(certificate.inputs).toMatchObject({ domainName: DOMAIN, validationMethod: 'DNS' });
      const validation = named(run, 'aws:acm/certificateValidation:CertificateValidation', `cert-${code}-dev`);
      expect(validation.region).toBe(region);
      const https = named(run, 'aws:lb/listener:Listener', `alb-https-${code}-dev`);
      expect(dependsOnTransitively(run, https, validation)).toBe(true);
      // The validation record lives in the platform's zone, and validation waits for it.
      const record = named(run, 'aws:route53/record:Record', `zone-acm-${code}-dev`);
      expect(record.inputs).toMatchObject({ zoneId: 'Z0123456789ABCDEFGHIJ', type: 'CNAME', allowOverwrite: true });
      expect(validation.inputs.validationRecordFqdns).toEqual([record.inputs.name.replace(/\.$/, '')]);
      // Waiting for an undelegated zone is bounded by the configured timeout, not the provider's default.
      expect(validation.createTimeout).toBe('45m');
    }
  });

  it('the certificate covers every name clients and probes use (api., read., global., the regional names)', async () => {
    const run = await plan({ tls: 'acm' });
    const certificate = named(run, 'aws:acm/certificate:Certificate', 'cert-use1-dev');
    const names = [certificate.inputs.domainName, ...certificate.inputs.subjectAlternativeNames];
    const hosts = ofType(run, 'aws:route53/record:Record')
      .filter((r) => !r.name.includes('acm'))
      .map((r) => r.inputs.name as string);
    expect(new Set(hosts)).toEqual(
      new Set([`api.${DOMAIN}`, `read.${DOMAIN}`, `global.${DOMAIN}`, `use1.${DOMAIN}`, `euw1.${DOMAIN}`]),
    );
    for (const host of hosts) expect({ host, covered: covers(names, host) }).toEqual({ host, covered: true });
  });

  it('the failover canaries probe the primary by its regional name (on the certificate), not the ALB DNS name', async () => {
    const run = await plan({ tls: 'acm' });
    for (const code of ['euw1', 'usw2']) {
      const canary = named(run, 'aws:lambda/function:Function', `fn-canary-${code}-dev`);
      expect(canary.inputs.environment.variables).toMatchObject({
        PROBE_PROTOCOL: 'https',
        PROBE_HOSTNAME: `use1.${DOMAIN}`,
        PROBE_PATH: '/health',
      });
    }
    const regional = ofType(run, 'aws:route53/record:Record').find((r) => r.inputs.name === `use1.${DOMAIN}`)!;
    expect(regional.inputs.records).toEqual([expect.stringMatching(/^alb-use1-dev-/)]);
  });

  it('the timeout is configurable, and a malformed one is rejected naming the key', async () => {
    const run = await plan({ tls: 'acm', certificateValidationTimeout: '2h' });
    for (const v of ofType(run, 'aws:acm/certificateValidation:CertificateValidation'))
      expect(v.createTimeout).toBe('2h');
    expect(() => parse({ tls: 'acm', certificateValidationTimeout: '45 minutes' })).toThrow(
      /certificateValidationTimeout: must be a duration in minutes or hours/,
    );
  });
});

describe('tls: provided', () => {
  it('serves the given certificate of each region; nothing is issued', async () => {
    const run = await plan(PROVIDED);
    expectHttpsEverywhere(run, (region) =>
      region === PRIMARY ? PROVIDED.primaryCertificateArn : PROVIDED.secondaryCertificateArn,
    );
    expect(ofType(run, 'aws:acm/certificate:Certificate')).toEqual([]);
  });

  it.each([
    [
      'only one region',
      { ...PROVIDED, secondaryCertificateArn: '' },
      /^secondaryCertificateArn: is required with tls: provided/,
    ],
    [
      'a certificate of the other region',
      { ...PROVIDED, secondaryCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/x' },
      /^secondaryCertificateArn: is a certificate in us-east-1; an ALB takes certificates of its own region \(eu-west-1\)/,
    ],
    [
      'certificates with tls: acm',
      { tls: 'acm', primaryCertificateArn: PROVIDED.primaryCertificateArn },
      /^primaryCertificateArn: is read only with tls: provided \(tls is acm\)/,
    ],
    ['an unknown mode', { tls: 'self-signed' }, /^tls: must be acm, provided or none/],
  ])('rejects %s before any resource', (_, overrides, message) => {
    expect(() => parse(overrides)).toThrow(ConfigError);
    expect(problems(overrides)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });
});

describe('tls: none (throwaway stacks)', () => {
  it('plain HTTP forwarded by the one listener; the accelerator opens only 80', async () => {
    const run = await plan({ tls: 'none' });
    for (const [region] of REGIONS) expect(listenerPorts(run, region)).toEqual([80]);
    expect(named(run, 'aws:globalaccelerator/listener:Listener', 'ga-listener-dev').inputs.portRanges).toEqual([
      { fromPort: 80, toPort: 80 },
    ]);
    expect(ofType(run, 'aws:acm/certificate:Certificate')).toEqual([]);
  });

  it('the default for a stack is acm: plain HTTP must be asked for (the dev stack does, explicitly)', () => {
    expect(readProject().config!.tls.default).toBe('acm');
    expect(stackConfig('dev')['tap:tls']).toBe('none');
  });
});

describe('the accelerator opens only the ports every region serves', () => {
  it.each([
    [
      [
        [80, 443],
        [80, 443],
      ],
      [80, 443],
    ],
    [[[80, 443], [80]], [80]],
    [
      [
        [443, 80],
        [80, 443],
      ],
      [80, 443],
    ],
  ])('%j -> %j', (ports, expected) => expect(acceleratorPorts(ports)).toEqual(expected));

  it.each([{ tls: 'acm' }, PROVIDED, { tls: 'none' }])(
    'in the plan (%j): each accelerator port is a listener port of both ALBs',
    async (overrides) => {
      const run = await plan(overrides);
      const open = named(run, 'aws:globalaccelerator/listener:Listener', 'ga-listener-dev').inputs.portRanges.map(
        (r: any) => r.fromPort,
      );
      for (const [region] of REGIONS) for (const port of open) expect(listenerPorts(run, region)).toContain(port);
    },
  );
});

function parse(overrides: Record<string, string>) {
  return parseSettings({ ...readRawConfig('tap', stackConfig('dev')), ...overrides });
}

function problems(overrides: Record<string, string>): string[] {
  try {
    parse(overrides);
    return [];
  } catch (e) {
    return [...(e as ConfigError).problems];
  }
}
