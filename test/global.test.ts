import { trafficDial } from '../lib/global-stack';
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

describe('failover orchestrator', () => {
  it('runs in eu-west-1 outside the VPC, probing the primary ALB health path with the configured threshold', async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', 'fn-failover-euw1-dev');
    expect(fn.region).toBe(SECONDARY);
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(fn.inputs.environment.variables).toMatchObject({
      GLOBAL_CLUSTER_ID: 'aurora-global-dev-id',
      SECONDARY_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev',
      PROBE_URL: expect.stringMatching(/^http:\/\/alb-use1-dev-.*\/health$/),
      PROBE_INTERVAL_SECONDS: '10',
      PROBE_FAILURES: '3',
    });
  });

  it('is triggered every minute by the canary schedule and by the us-east-1 Route 53 alarm', async () => {
    const run = await plan();
    const rule = named(run, 'aws:cloudwatch/eventRule:EventRule', 'fn-failover-canary-euw1-dev');
    expect(rule.inputs.scheduleExpression).toBe('rate(1 minute)');
    expect(named(run, 'aws:cloudwatch/eventTarget:EventTarget', 'fn-failover-canary-euw1-dev').inputs.input).toBe(
      '{"source":"canary"}',
    );
    const alarm = named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'alarm-primary-down-use1-dev');
    expect(alarm.region).toBe(PRIMARY);
    expect(alarm.inputs).toMatchObject({
      namespace: 'AWS/Route53',
      metricName: 'HealthCheckStatus',
      dimensions: { HealthCheckId: 'hc-use1-dev-id' },
    });
    const subscription = named(run, 'aws:sns/topicSubscription:TopicSubscription', 'sns-failover-fn-use1-dev');
    expect(subscription.region).toBe(PRIMARY);
    expect(subscription.inputs).toMatchObject({
      protocol: 'lambda',
      endpoint: 'arn:aws:lambda:eu-west-1:123456789012:function:fn-failover-euw1-dev',
    });
  });

  it('may only describe, fail over and switch over this global cluster', async () => {
    const run = await plan();
    const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fn-failover-euw1-dev').inputs.policy);
    const rds = policy.Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('rds:')));
    expect(rds).toHaveLength(1);
    expect(rds[0].Action).toEqual([
      'rds:DescribeGlobalClusters',
      'rds:FailoverGlobalCluster',
      'rds:SwitchoverGlobalCluster',
    ]);
    expect(rds[0].Resource).toEqual([
      expect.stringContaining('global-cluster:aurora-global-dev'),
      'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev',
      'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev',
    ]);
    expect(policy.Statement.find((s: any) => s.Sid === 'PublishDecisionMetrics').Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'TAP/Failover' },
    });
  });
});
