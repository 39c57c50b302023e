/**
 * The failover path as deployed (REQ-orch): evidence table, orchestrator, canaries in two vantage
 * regions, their triggers, grants and alarms. Where the Lambda code has its own validator, the
 * deployed environment is fed to it: the infra matches the code, not a copy of its rules.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { canaryConfigFromEnv } from '../lambda/canary/config';
import { configFromEnv } from '../lambda/orchestrator/config';
import { triggerOf } from '../lambda/orchestrator/trigger';
import { CANARY_TIMEOUT_SECONDS, leaseSeconds, ORCHESTRATOR_TIMEOUT_SECONDS } from '../lambda/facts/timing';
import { RecordedResource } from '../scripts/offline';
import { named, ofType, plan, PRIMARY, SECONDARY, TUNED } from './helpers/plan';

const WEST = 'us-west-2';
const FN = 'aws:lambda/function:Function';
const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm';
const policyOf = (run: Awaited<ReturnType<typeof plan>>, role: string) =>
  JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', role).inputs.policy).Statement as any[];
const actionsOf = (statements: any[]) => statements.flatMap((s) => [s.Action].flat() as string[]);
const envOf = (fn: RecordedResource) => fn.inputs.environment.variables as Record<string, string>;

describe('evidence table', () => {
  it('lives in eu-west-1 next to the orchestrator: pk/sk strings, on-demand, TTL on ttl, encrypted', async () => {
    const run = await plan();
    const table = named(run, 'aws:dynamodb/table:Table', 'ddb-failover-evidence-euw1-dev');
    expect(table.region).toBe(SECONDARY);
    expect(table.inputs).toMatchObject({
      name: 'ddb-failover-evidence-euw1-dev',
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      rangeKey: 'sk',
      ttl: { attributeName: 'ttl', enabled: true },
      serverSideEncryption: { enabled: true },
    });
    expect(table.inputs.attributes).toEqual([
      { name: 'pk', type: 'S' },
      { name: 'sk', type: 'S' },
    ]);
  });
});

describe('failover orchestrator', () => {
  it('runs in eu-west-1 outside any VPC, 90 s, reserved concurrency 5, with the environment its own validator accepts', async () => {
    const run = await plan();
    const fn = named(run, FN, 'fn-failover-euw1-dev');
    expect(fn.region).toBe(SECONDARY);
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(fn.inputs.timeout).toBe(ORCHESTRATOR_TIMEOUT_SECONDS);
    expect(fn.inputs.reservedConcurrentExecutions).toBe(5);
    const env = envOf(fn);
    const config = configFromEnv(env);
    expect(config).toMatchObject({
      globalClusterId: 'aurora-global-dev-id',
      primaryClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev',
      secondaryClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev',
      primaryRegion: PRIMARY,
      probeIntervalSeconds: 10,
      recoveryWindowSeconds: 90,
      mode: 'automatic',
      route53HealthCheckId: 'hc-use1-dev-id',
      environment: 'dev',
    });
    // The lease outlives any invocation that could hold it.
    expect(config.leaseMs).toBe(leaseSeconds(ORCHESTRATOR_TIMEOUT_SECONDS) * 1000);
    expect(config.leaseMs).toBeGreaterThan(fn.inputs.timeout * 1000);
    expect(config.evidenceTable).toEqual({ name: 'ddb-failover-evidence-euw1-dev' });
    expect(env.METRIC_NAMESPACE).toBe('TAP/Failover');
    expect(env.TOPIC_ARN).toBe('arn:aws:sns:eu-west-1:123456789012:sns-failover-euw1-dev');
    // The old single-canary wiring is gone.
    for (const gone of ['PROBE_URL', 'PROBE_FAILURES', 'PROBE_TIMEOUT_MS', 'CANARY_WINDOW_SECONDS']) {
      expect(env).not.toHaveProperty(gone);
    }
  });

  it('moves the order book writer: the book table and both replicas in its environment, GetItem/PutItem of the writer item alone in its policy', async () => {
    // The fast path reads and moves the writer item (lambda/shared/book-writer.ts); without the
    // book in its environment the deployed orchestrator could never move it.
    const run = await plan();
    const book = named(run, 'aws:dynamodb/table:Table', 'ddb-order-book-dev');
    const config = configFromEnv(envOf(named(run, FN, 'fn-failover-euw1-dev')));
    expect(config.book).toEqual({ tableName: book.inputs.name, regions: [PRIMARY, SECONDARY] });
    const move = policyOf(run, 'role-fn-failover-euw1-dev').find((s) => s.Sid === 'MoveTheBookWriter');
    expect(move).toEqual({
      Sid: 'MoveTheBookWriter',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: [PRIMARY, SECONDARY].map((r) => `arn:aws:dynamodb:${r}:123456789012:table/ddb-order-book-dev`),
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['writer'] } },
    });
    // The book's resource policy lets this role write (and only the writer item, by the role's policy).
    const policies = ofType(run, 'aws:dynamodb/resourcePolicy:ResourcePolicy');
    for (const p of policies) expect(p.inputs.policy).toContain(':role/role-fn-failover-euw1-dev');
  });

  it('fences with the two endpoint groups the accelerator really has, primary and secondary in that order', async () => {
    const run = await plan();
    const config = configFromEnv(envOf(named(run, FN, 'fn-failover-euw1-dev')));
    const groups = ofType(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup');
    const arnOf = (region: string) => groups.find((g) => g.inputs.endpointGroupRegion === region)!;
    expect(config.primaryEndpointGroupArn).toContain(`endpointgroup/${arnOf(PRIMARY).name}`);
    expect(config.secondaryEndpointGroupArn).toContain(`endpointgroup/${arnOf(SECONDARY).name}`);
  });

  it('settings flow from config: window, interval and approval mode', async () => {
    // Window 300 s, probes every 20 s, fast window 40 s, approval mode (and a 120 s RTO target).
    const run = await plan(TUNED);
    const config = configFromEnv(envOf(named(run, FN, 'fn-failover-euw1-dev')));
    expect([config.recoveryWindowSeconds, config.probeIntervalSeconds, config.fastWindowSeconds, config.mode]).toEqual([
      300,
      20,
      40,
      'approval',
    ]);
    for (const region of [SECONDARY, WEST]) {
      const canary = ofType(run, FN, region).find((f) => f.name.startsWith('fn-canary-'))!;
      expect(envOf(canary).PROBE_INTERVAL_SECONDS).toBe('20');
    }
  });

  it('is evaluated every minute with the event it accepts, never retried, and nudged by the us-east-1 Route 53 alarm', async () => {
    const run = await plan();
    const rule = named(run, 'aws:cloudwatch/eventRule:EventRule', 'fn-failover-schedule-euw1-dev');
    expect(rule.region).toBe(SECONDARY);
    expect(rule.inputs.scheduleExpression).toBe('rate(1 minute)');
    const target = named(run, 'aws:cloudwatch/eventTarget:EventTarget', 'fn-failover-schedule-euw1-dev');
    expect(triggerOf(JSON.parse(target.inputs.input))).toBe('schedule');
    expect(target.inputs.arn).toBe('arn:aws:lambda:eu-west-1:123456789012:function:fn-failover-euw1-dev');
    // The target waits for the permission that lets the rule invoke the function.
    expect(target.dependsOn).toContain(
      named(run, 'aws:lambda/permission:Permission', 'fn-failover-schedule-euw1-dev').urn,
    );
    const asyncConfig = ofType(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').find(
      (c) => c.inputs.functionName === 'fn-failover-euw1-dev',
    )!;
    expect(asyncConfig.inputs.maximumRetryAttempts).toBe(0);

    const alarm = named(run, ALARM, 'alarm-primary-down-use1-dev');
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
    const alarmEvent = { Records: [{ EventSource: 'aws:sns', Sns: { Message: '{"NewStateValue":"ALARM"}' } }] };
    expect(triggerOf(alarmEvent)).toBe('alarm');
  });

  it('may act only on this global cluster, these two dials, this health check and its own table; no PutMetricData', async () => {
    const run = await plan();
    const statements = policyOf(run, 'role-fn-failover-euw1-dev');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('PromoteThisGlobalCluster')).toMatchObject({
      Action: ['rds:DescribeGlobalClusters', 'rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster'],
      Resource: [
        'arn:aws:rds::123456789012:global-cluster:aurora-global-dev',
        'arn:aws:rds:eu-west-1:123456789012:cluster:aurora-euw1-dev',
        'arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev',
      ],
    });
    const env = envOf(named(run, FN, 'fn-failover-euw1-dev'));
    expect(bySid('MoveTheseTrafficDials')).toMatchObject({
      Action: ['globalaccelerator:DescribeEndpointGroup', 'globalaccelerator:UpdateEndpointGroup'],
      Resource: [env.PRIMARY_ENDPOINT_GROUP_ARN, env.SECONDARY_ENDPOINT_GROUP_ARN],
    });
    expect(bySid('ReadPrimaryHealthCheck')).toMatchObject({
      Action: 'route53:GetHealthCheckStatus',
      Resource: `arn:aws:route53:::healthcheck/${env.ROUTE53_HEALTH_CHECK_ID}`,
    });
    expect(bySid('EvidenceLeaseAndFence').Resource).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/ddb-failover-evidence-euw1-dev',
    );
    expect(actionsOf(statements)).not.toContain('cloudwatch:PutMetricData');
    // No wildcard grants beyond X-Ray (which has no resources) and the read-only RDS event history
    // of the primary (DescribeEvents; see the statement's comment in lib/failover/failover-stack.ts).
    const wildcardAllowed = ['XRayTracing', 'ReadPrimaryClusterEvents'];
    for (const s of statements.filter((s) => !wildcardAllowed.includes(s.Sid))) {
      expect([s.Resource].flat()).not.toContain('*');
    }
    expect(statements.find((s) => s.Sid === 'ReadPrimaryClusterEvents')?.Action).toBe('rds:DescribeEvents');
  });
});

describe('canaries', () => {
  const canaries = async () => {
    const run = await plan();
    return { run, fns: ofType(run, FN).filter((f) => f.name.startsWith('fn-canary-')) };
  };

  it('vote from eu-west-1 and us-west-2, exactly the vantages the orchestrator counts, never from the primary', async () => {
    const { run, fns } = await canaries();
    expect(fns.map((f) => [f.name, f.region]).sort()).toEqual([
      ['fn-canary-euw1-dev', SECONDARY],
      ['fn-canary-usw2-dev', WEST],
    ]);
    const config = configFromEnv(envOf(named(run, FN, 'fn-failover-euw1-dev')));
    expect([...config.vantages].sort()).toEqual(fns.map((f) => f.region).sort());
  });

  it('probe the primary ALB by its regional name, with the environment the canary validator accepts in its region', async () => {
    const { run, fns } = await canaries();
    const alb = named(run, 'aws:lb/loadBalancer:LoadBalancer', 'alb-use1-dev');
    for (const fn of fns) {
      const settings = canaryConfigFromEnv({ ...envOf(fn), AWS_REGION: fn.region });
      expect(settings).toMatchObject({
        canary: { vantage: fn.region, target: PRIMARY, intervalMs: 10_000 },
        target: {
          protocol: 'http',
          connectHost: `${alb.inputs.name}-1234567890.${PRIMARY}.elb.amazonaws.com`,
          // The primary's regional name: on its certificate, and resolving to that region only.
          hostname: 'use1.dev.tap-trading.example.com',
          path: '/health',
        },
        evidenceTable: 'ddb-failover-evidence-euw1-dev',
        evidenceTableRegion: SECONDARY,
        environment: 'dev',
      });
      expect(envOf(fn).METRIC_NAMESPACE).toBe('TAP/Failover');
      expect(fn.inputs.vpcConfig).toBeUndefined();
      expect(fn.inputs.timeout).toBe(CANARY_TIMEOUT_SECONDS);
      expect(fn.inputs.reservedConcurrentExecutions).toBe(2);
    }
  });

  it('probe over HTTPS when the primary serves it', async () => {
    const run = await plan({ tls: 'acm' });
    const fn = named(run, FN, 'fn-canary-usw2-dev');
    expect(canaryConfigFromEnv({ ...envOf(fn), AWS_REGION: WEST }).target.protocol).toBe('https');
  });

  it('run every minute in their own region, never retried', async () => {
    const { run } = await canaries();
    for (const [region, code] of [
      [SECONDARY, 'euw1'],
      [WEST, 'usw2'],
    ]) {
      const rule = named(run, 'aws:cloudwatch/eventRule:EventRule', `fn-canary-schedule-${code}-dev`);
      expect([rule.region, rule.inputs.scheduleExpression]).toEqual([region, 'rate(1 minute)']);
      const target = named(run, 'aws:cloudwatch/eventTarget:EventTarget', `fn-canary-schedule-${code}-dev`);
      expect([target.region, target.inputs.arn]).toEqual([
        region,
        `arn:aws:lambda:${region}:123456789012:function:fn-canary-${code}-dev`,
      ]);
      const asyncConfig = named(
        run,
        'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig',
        `fn-canary-schedule-${code}-dev`,
      );
      expect([asyncConfig.region, asyncConfig.inputs.maximumRetryAttempts]).toEqual([region, 0]);
    }
  });

  it('may only put probe results into the evidence table (and write their own logs)', async () => {
    const { run } = await canaries();
    for (const code of ['euw1', 'usw2']) {
      const statements = policyOf(run, `role-fn-canary-${code}-dev`);
      const data = statements.filter((s) => !['WriteOwnLogs', 'XRayTracing'].includes(s.Sid));
      expect(data).toEqual([
        {
          Sid: 'RecordProbes',
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/ddb-failover-evidence-euw1-dev',
        },
      ]);
    }
  });
});

describe('failover alarms match the metrics Powertools publishes', () => {
  /** The dimension sets a Powertools Metrics instance really emits, as the handlers configure it. */
  const emittedDimensions = (service: string, defaults: Record<string, string>, metric: string) => {
    const metrics = new Metrics({ namespace: 'TAP/Failover', serviceName: service });
    metrics.setDefaultDimensions(defaults);
    metrics.addMetric(metric, MetricUnit.Count, 1);
    const emf = metrics.serializeMetrics() as any;
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('TAP/Failover');
    return directive.Dimensions.map((set: string[]) =>
      Object.fromEntries(set.map((name: string) => [name, emf[name]])),
    );
  };

  it('orchestrator decisions: service=orchestrator and Environment, in eu-west-1', async () => {
    const run = await plan();
    for (const metric of ['FailoverInitiated', 'PermissionError', 'ApprovalRequested']) {
      const alarm = named(run, ALARM, `alarm-failover-${metric.toLowerCase()}-euw1-dev`);
      expect(alarm.region).toBe(SECONDARY);
      expect(alarm.inputs).toMatchObject({ namespace: 'TAP/Failover', metricName: metric });
      expect(emittedDimensions('orchestrator', { Environment: 'dev' }, metric)).toContainEqual(alarm.inputs.dimensions);
    }
  });

  it('canary probes not recorded or inconclusive, and canary function errors, per vantage in its own region', async () => {
    const run = await plan();
    for (const [region, code] of [
      [SECONDARY, 'euw1'],
      [WEST, 'usw2'],
    ]) {
      for (const [qualifier, metric] of [
        ['canary-probe-not-recorded', 'ProbeNotRecorded'],
        ['canary-probe-inconclusive', 'ProbeInconclusive'],
      ]) {
        const alarm = named(run, ALARM, `alarm-${qualifier}-${code}-dev`);
        expect(alarm.region).toBe(region);
        expect(alarm.inputs.metricName).toBe(metric);
        expect(emittedDimensions('canary', { Environment: 'dev', Vantage: region }, metric)).toContainEqual(
          alarm.inputs.dimensions,
        );
        // Notifies a topic in its own region (CloudWatch cannot notify across regions).
        expect(alarm.inputs.alarmActions[0]).toMatch(new RegExp(`^arn:aws:sns:${region}:`));
      }
      const errors = named(run, ALARM, `alarm-fn-canary-errors-${code}-dev`);
      expect([errors.region, errors.inputs.dimensions]).toEqual([region, { FunctionName: `fn-canary-${code}-dev` }]);
    }
    // us-west-2 has no MonitoringStack: its canary alarms get their own encrypted topic there.
    const topic = named(run, 'aws:sns/topic:Topic', 'sns-alarms-usw2-dev');
    expect([topic.region, topic.inputs.kmsMasterKeyId]).toEqual([
      WEST,
      'arn:aws:kms:us-west-2:123456789012:key/sns-alarms-usw2-dev',
    ]);
  });
});
