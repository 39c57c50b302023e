import { trafficDial } from '../lib/traffic/global-stack';
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

describe('Global Accelerator', () => {
  it('lives behind the us-west-2 API, one TCP listener, one endpoint group per region with its ALB', async () => {
    const run = await plan();
    const accelerator = named(run, 'aws:globalaccelerator/accelerator:Accelerator', 'ga-dev');
    expect(accelerator.region).toBe('us-west-2');
    const listener = named(run, 'aws:globalaccelerator/listener:Listener', 'ga-listener-dev');
    expect(listener.inputs).toMatchObject({ protocol: 'TCP', portRanges: [{ fromPort: 80, toPort: 80 }] });
    for (const [region, code, dial] of [
      [PRIMARY, 'use1', 100],
      [SECONDARY, 'euw1', 0],
    ] as const) {
      const group = named(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup', `ga-${code}-dev`);
      expect(group.region).toBe('us-west-2');
      expect(group.inputs).toMatchObject({
        endpointGroupRegion: region,
        trafficDialPercentage: dial,
        healthCheckIntervalSeconds: 10,
        healthCheckPath: '/health',
        endpointConfigurations: [
          {
            endpointId: `arn:aws:elasticloadbalancing:${region}:123456789012:loadbalancer/app/alb-${code}-dev/abc123`,
            weight: 100,
            clientIpPreservationEnabled: true,
          },
        ],
      });
      // The dial is the orchestrator's fence: `pulumi up` must never move it back.
      expect(group.ignoreChanges).toContain('trafficDialPercentage');
      // The group is created from the ALB's ARN, so it waits for the ALB.
      expect(group.dependsOn).toContain(named(run, 'aws:lb/loadBalancer:LoadBalancer', `alb-${code}-dev`).urn);
    }
  });

  it('active-active keeps both dials at 100', async () => {
    const run = await plan({ trafficPolicy: 'active-active' });
    expect(
      ofType(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup').map((g) => g.inputs.trafficDialPercentage),
    ).toEqual([100, 100]);
    expect(trafficDial('active-passive', 'secondary')).toBe(0);
  });
});

describe('Route 53', () => {
  it('hosted zone for the configured domain, destroyable', async () => {
    const run = await plan();
    expect(named(run, 'aws:route53/zone:Zone', 'zone-dev').inputs).toMatchObject({
      name: 'dev.tap-trading.example.com',
      forceDestroy: true,
    });
  });

  it('health checks on each region /health every 10 s, with latency measurement', async () => {
    const run = await plan();
    for (const code of ['use1', 'euw1']) {
      const check = named(run, 'aws:route53/healthCheck:HealthCheck', `hc-${code}-dev`);
      expect(check.inputs).toMatchObject({
        type: 'HTTP',
        resourcePath: '/health',
        requestInterval: 10,
        failureThreshold: 2,
        measureLatency: true,
        port: 80,
      });
      expect(check.inputs.fqdn).toMatch(new RegExp(`^alb-${code}-dev-`));
    }
  });

  it('failover CNAMEs (not 60 s ELB aliases) for api., latency CNAMEs for read., an alias to the accelerator', async () => {
    const run = await plan();
    const records = ofType(run, 'aws:route53/record:Record');
    const api = records.filter((r) => r.inputs.name === 'api.dev.tap-trading.example.com');
    expect(
      api
        .map((r) => [r.inputs.type, r.inputs.ttl, r.inputs.failoverRoutingPolicies[0].type, r.inputs.healthCheckId])
        .sort(),
    ).toEqual([
      ['CNAME', 10, 'PRIMARY', 'hc-use1-dev-id'],
      ['CNAME', 10, 'SECONDARY', 'hc-euw1-dev-id'],
    ]);
    const read = records.filter((r) => r.inputs.name === 'read.dev.tap-trading.example.com');
    expect(read.map((r) => r.inputs.latencyRoutingPolicies[0].region).sort()).toEqual([SECONDARY, PRIMARY]);
    const global = records.find((r) => r.inputs.name === 'global.dev.tap-trading.example.com')!;
    expect(global.inputs).toMatchObject({
      type: 'A',
      aliases: [
        { name: 'a1234567890abcdef.awsglobalaccelerator.com', zoneId: 'Z2BJ6XQ5FK7U4H', evaluateTargetHealth: false },
      ],
    });
    expect(records.filter((r) => r.inputs.aliases?.some((a: any) => /elb\.amazonaws\.com$/.test(a.name)))).toEqual([]);
  });
});
