import { regionCode } from '../lib/config/naming';
import { named, ofType, plan, PRIMARY, SECONDARY, TUNED } from './helpers/plan';

describe('MonitoringStack', () => {
  it('each region has an encrypted alarm topic (own key admitting CloudWatch) with the operator email', async () => {
    const run = await plan();
    for (const [region, code] of [
      [PRIMARY, 'use1'],
      [SECONDARY, 'euw1'],
    ]) {
      const topic = named(run, 'aws:sns/topic:Topic', `sns-alarms-${code}-dev`);
      expect(topic.region).toBe(region);
      expect(topic.inputs.kmsMasterKeyId).toBe(`arn:aws:kms:${region}:123456789012:key/sns-alarms-${code}-dev`);
      const keyPolicy = JSON.parse(named(run, 'aws:kms/key:Key', `sns-alarms-${code}-dev`).inputs.policy);
      expect(keyPolicy.Statement.find((s: any) => s.Sid === 'AlarmsPublish').Principal.Service).toContain(
        'cloudwatch.amazonaws.com',
      );
      expect(
        named(run, 'aws:sns/topicSubscription:TopicSubscription', `sns-alarms-email-${code}-dev`).inputs,
      ).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.com' });
    }
  });

  it('alarms every tier, each named by the rule and acting on its region topic', async () => {
    const run = await plan();
    const alarms = ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm');
    for (const a of alarms) {
      expect(a.inputs.name).toBe(a.name);
      // Every alarm notifies a topic of its own region (CloudWatch cannot notify across regions).
      const code = regionCode(a.region!);
      expect(a.name).toMatch(new RegExp(`^alarm-[a-z0-9-]+-${code}-dev$`));
      expect(a.inputs.alarmActions).toHaveLength(1);
      expect(a.inputs.alarmActions[0]).toMatch(new RegExp(`^arn:aws:sns:${a.region}:.*-${code}-dev$`));
    }
    const names = alarms.map((a) => a.name);
    for (const code of ['use1', 'euw1']) {
      for (const q of [
        'alb-5xx-rate',
        'alb-p99-latency',
        'alb-unhealthy-ec2',
        'alb-unhealthy-fn',
        'ec2-capacity-low',
        'db-cpu',
        'db-freeable-memory',
        'db-connections',
        'book-apply-lag',
      ]) {
        expect(names).toContain(`alarm-${q}-${code}-dev`);
      }
      for (const fn of ['trading', 'rotation'])
        for (const m of ['errors', 'throttles', 'duration']) expect(names).toContain(`alarm-fn-${fn}-${m}-${code}-dev`);
    }
    // Roles swap on a failover: whichever member replicates is watched.
    expect(names).toContain('alarm-db-replication-lag-euw1-dev');
    expect(names).toContain('alarm-db-replication-lag-use1-dev');
    expect(names).toContain('alarm-fn-failover-errors-euw1-dev');
    expect(names).toContain('alarm-failover-permissionerror-euw1-dev');
    // Route 53 metrics exist only in us-east-1.
    const r53 = alarms.filter((a) => a.inputs.namespace === 'AWS/Route53');
    expect(r53.map((a) => [a.name, a.region]).sort()).toEqual([
      ['alarm-primary-down-use1-dev', PRIMARY],
      ['alarm-r53-primary-unhealthy-use1-dev', PRIMARY],
      ['alarm-r53-secondary-unhealthy-use1-dev', PRIMARY],
    ]);
  });

  it('thresholds come from config', async () => {
    const run = await plan(TUNED);
    expect(named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'alarm-db-cpu-use1-dev').inputs.threshold).toBe(65);
    expect(named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'alarm-alb-5xx-rate-euw1-dev').inputs.threshold).toBe(
      2,
    );
  });
});

describe('one cross-region dashboard (and its copy in the secondary region)', () => {
  const WEST = 'us-west-2';
  const dashboard = async () => {
    const run = await plan();
    const dashboards = ofType(run, 'aws:cloudwatch/dashboard:Dashboard');
    expect(dashboards.map((d) => [d.name, d.region]).sort()).toEqual([
      ['dashboard-euw1-dev', SECONDARY],
      ['dashboard-use1-dev', PRIMARY],
    ]);
    const primary = dashboards.find((d) => d.region === PRIMARY)!;
    return { run, widgets: JSON.parse(primary.inputs.dashboardBody).widgets as any[] };
  };
  /** A metric array's dimensions as an object, and its options (last element when an object). */
  const parts = (metric: any[]) => {
    const options = typeof metric[metric.length - 1] === 'object' ? metric[metric.length - 1] : {};
    const pairs = metric.slice(2).filter((m) => typeof m === 'string');
    const dims: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dims[pairs[i]] = pairs[i + 1];
    return { namespace: metric[0] as string, name: metric[1] as string, dims, options };
  };

  it('lives in us-east-1, is valid JSON, and every metric points at a registered resource in the region it is read from', async () => {
    const { run, widgets } = await dashboard();
    expect(widgets.length).toBeGreaterThan(15);
    const regionsShown = new Set(widgets.map((w) => w.properties.region));
    expect(regionsShown).toEqual(new Set([PRIMARY, SECONDARY, WEST]));
    const known = (type: string, region: string, value: string, field: (r: any) => string) =>
      ofType(run, type, region).some((r) => field(r) === value);
    for (const w of widgets) {
      // Side by side only works if every widget says which region it shows.
      expect(w.properties.title).toContain(w.properties.region);
      for (const metric of w.properties.metrics) {
        const { namespace, name, dims, options } = parts(metric);
        const region = options.region ?? w.properties.region;
        const ok =
          namespace === 'TAP/OrderBook'
            ? // Published by a metric filter in that region (lib/observe/order-flow.ts), with its dimension.
              ofType(run, 'aws:cloudwatch/logMetricFilter:LogMetricFilter', region).some(
                (f) =>
                  f.inputs.metricTransformation.namespace === namespace &&
                  f.inputs.metricTransformation.name === name &&
                  Object.keys(dims).every((k) => f.inputs.metricTransformation.dimensions?.[k] !== undefined),
              )
            : namespace === 'TAP/Failover'
              ? dims.Environment === 'dev' &&
                (dims.service === 'orchestrator'
                  ? region === SECONDARY
                  : dims.service === 'canary' && dims.Vantage === region && [SECONDARY, WEST].includes(region))
              : namespace === 'AWS/GlobalAccelerator'
                ? region === WEST &&
                  known('aws:globalaccelerator/accelerator:Accelerator', WEST, dims.Accelerator, (r) => r.name) &&
                  known('aws:globalaccelerator/listener:Listener', WEST, dims.Listener, (r) => r.name) &&
                  ofType(run, 'aws:globalaccelerator/endpointGroup:EndpointGroup').some(
                    (g) => g.inputs.endpointGroupRegion === dims.EndpointGroup,
                  )
                : dims.LoadBalancer && !dims.TargetGroup
                  ? known(
                      'aws:lb/loadBalancer:LoadBalancer',
                      region,
                      dims.LoadBalancer,
                      (r) => `app/${r.inputs.name}/abc123`,
                    )
                  : dims.TargetGroup
                    ? known(
                        'aws:lb/targetGroup:TargetGroup',
                        region,
                        dims.TargetGroup,
                        (r) => `targetgroup/${r.inputs.name}/def456`,
                      )
                    : dims.FunctionName
                      ? known('aws:lambda/function:Function', region, dims.FunctionName, (r) => r.inputs.name)
                      : dims.AutoScalingGroupName
                        ? known('aws:autoscaling/group:Group', region, dims.AutoScalingGroupName, (r) => r.inputs.name)
                        : dims.DBClusterIdentifier
                          ? known(
                              'aws:rds/cluster:Cluster',
                              region,
                              dims.DBClusterIdentifier,
                              (r) => r.inputs.clusterIdentifier,
                            )
                          : dims.QueueName
                            ? known('aws:sqs/queue:Queue', region, dims.QueueName, (r) => r.inputs.name)
                            : dims.HealthCheckId
                              ? region === PRIMARY &&
                                known(
                                  'aws:route53/healthCheck:HealthCheck',
                                  PRIMARY,
                                  dims.HealthCheckId,
                                  (r) => `${r.name}-id`,
                                )
                              : false;
        expect({ widget: w.properties.title, metric, ok }).toEqual({ widget: w.properties.title, metric, ok: true });
      }
    }
  });

  it('Global Accelerator traffic per region, read from us-west-2 where its metrics live', async () => {
    const { widgets } = await dashboard();
    const ga = widgets.filter((w) => w.properties.metrics.some((m: any[]) => m[0] === 'AWS/GlobalAccelerator'));
    expect(ga.map((w) => w.properties.region)).toEqual([WEST]);
    const groups = ga[0].properties.metrics
      .map(parts)
      .filter((m: any) => m.name === 'NewFlowCount')
      .map((m: any) => m.dims.EndpointGroup)
      .sort();
    expect(groups).toEqual([SECONDARY, PRIMARY]);
  });

  it('replication lag of both members, each read from its own region and labelled by cluster, so it is right after a failover', async () => {
    const { widgets } = await dashboard();
    const lag = widgets
      .flatMap((w) => w.properties.metrics.map((m: any[]) => ({ w, m: parts(m) })))
      .filter(({ m }) => m.name === 'AuroraGlobalDBReplicationLag');
    expect(lag.map(({ m, w }) => [m.dims.DBClusterIdentifier, m.options.region ?? w.properties.region]).sort()).toEqual(
      [
        ['aurora-euw1-dev', SECONDARY],
        ['aurora-use1-dev', PRIMARY],
      ],
    );
    for (const { m } of lag) expect(m.options.label).toContain(m.dims.DBClusterIdentifier);
  });

  it("the orchestrator's decisions and each canary's probes, on the dimensions Powertools publishes", async () => {
    const { widgets } = await dashboard();
    const failover = widgets
      .flatMap((w) => w.properties.metrics.map((m: any[]) => ({ region: w.properties.region, m: parts(m) })))
      .filter(({ m }) => m.namespace === 'TAP/Failover');
    const orchestrator = failover.filter(({ m }) => m.dims.service === 'orchestrator').map(({ m }) => m.name);
    for (const decision of ['FailoverInitiated', 'ApprovalRequested', 'TrafficFenced', 'GateOpen', 'PermissionError'])
      expect(orchestrator).toContain(decision);
    const probes = failover.filter(({ m }) => m.name === 'ProbeFailed');
    expect(probes.map(({ region, m }) => [region, m.dims.Vantage]).sort()).toEqual([
      [SECONDARY, SECONDARY],
      [WEST, WEST],
    ]);
  });
});

describe('AWS Config', () => {
  it('records in both regions (global types only in the primary), delivering to an encrypted, TLS-only, force-destroyed bucket', async () => {
    const run = await plan();
    const recorders = ofType(run, 'aws:cfg/recorder:Recorder');
    expect(recorders.map((r) => [r.region, r.inputs.recordingGroup.includeGlobalResourceTypes]).sort()).toEqual([
      [SECONDARY, false],
      [PRIMARY, true],
    ]);
    for (const code of ['use1', 'euw1']) {
      const status = named(run, 'aws:cfg/recorderStatus:RecorderStatus', `config-recorder-${code}-dev`);
      expect(status.dependsOn).toContain(
        named(run, 'aws:cfg/deliveryChannel:DeliveryChannel', `config-recorder-${code}-dev`).urn,
      );
      const bucket = named(run, 'aws:s3/bucket:Bucket', `config-${code}-dev`);
      expect(bucket.inputs).toMatchObject({ bucket: `config-123456789012-${code}-dev`, forceDestroy: true });
      const policy = JSON.parse(named(run, 'aws:s3/bucketPolicy:BucketPolicy', `config-${code}-dev`).inputs.policy);
      expect(policy.Statement[0]).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(
        named(run, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', `config-${code}-dev`).inputs,
      ).toMatchObject({ blockPublicAcls: true, restrictPublicBuckets: true });
      expect(
        named(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', `role-config-${code}-dev`).inputs.policyArn,
      ).toBe('arn:aws:iam::aws:policy/service-role/AWS_ConfigRole');
    }
  });

  /** The managed rules and what each one guards, written out: dropping one must fail here. */
  const EVERY_REGION = [
    'ALB_HTTP_DROP_INVALID_HEADER_ENABLED',
    'CLOUDWATCH_ALARM_ACTION_CHECK',
    'ENCRYPTED_VOLUMES',
    'INCOMING_SSH_DISABLED',
    'LAMBDA_INSIDE_VPC',
    'RDS_INSTANCE_PUBLIC_ACCESS_CHECK',
    'RDS_STORAGE_ENCRYPTED',
    'S3_BUCKET_PUBLIC_READ_PROHIBITED',
    'S3_BUCKET_SSL_REQUESTS_ONLY',
    'VPC_FLOW_LOGS_ENABLED',
  ];
  /** IAM is global (recorded once); secrets rotate where they are primaries (replicas would be flagged). */
  const PRIMARY_ONLY = [
    'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS',
    'SECRETSMANAGER_ROTATION_ENABLED_CHECK',
    'SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK',
  ];
  const ids = (run: Awaited<ReturnType<typeof plan>>, region: string) =>
    ofType(run, 'aws:cfg/rule:Rule', region)
      .map((r) => r.inputs.source.sourceIdentifier)
      .sort();

  it('managed rules for what the platform promises; IAM and secret rotation only in the primary', async () => {
    const run = await plan();
    expect(ids(run, PRIMARY)).toEqual([...EVERY_REGION, ...PRIMARY_ONLY].sort());
    expect(ids(run, SECONDARY)).toEqual(EVERY_REGION);
  });

  it('the rotation rule allows exactly the rotation period the program schedules', async () => {
    for (const [secretRotationDays, overrides] of [
      [30, {}],
      [7, TUNED],
    ] as const) {
      const run = await plan(overrides);
      const rule = ofType(run, 'aws:cfg/rule:Rule').find(
        (r) => r.inputs.source.sourceIdentifier === 'SECRETSMANAGER_ROTATION_ENABLED_CHECK',
      )!;
      const scheduled = ofType(run, 'aws:secretsmanager/secretRotation:SecretRotation').map(
        (r) => r.inputs.rotationRules.automaticallyAfterDays,
      );
      expect(new Set(scheduled)).toEqual(new Set([secretRotationDays]));
      expect(JSON.parse(rule.inputs.inputParameters)).toEqual({
        maximumAllowedRotationFrequency: String(secretRotationDays),
      });
    }
  });

  it('alarms without an action are flagged; LAMBDA_INSIDE_VPC covers the functions placed in a VPC', async () => {
    const run = await plan();
    const rule = (id: string) =>
      ofType(run, 'aws:cfg/rule:Rule', SECONDARY).find((r) => r.inputs.source.sourceIdentifier === id)!;
    expect(JSON.parse(rule('CLOUDWATCH_ALARM_ACTION_CHECK').inputs.inputParameters)).toMatchObject({
      alarmActionRequired: 'true',
    });
    expect(rule('LAMBDA_INSIDE_VPC').inputs.scope).toEqual({ tagKey: 'Placement', tagValue: 'vpc' });
    const placements = ofType(run, 'aws:lambda/function:Function').map((f) => [
      f.name,
      f.inputs.tags.Placement,
      !!f.inputs.vpcConfig,
    ]);
    for (const [name, placement, inVpc] of placements)
      expect([name, placement]).toEqual([name, inVpc ? 'vpc' : 'public']);
  });

  it('reuse mode adds only the rules to an existing recorder', async () => {
    const run = await plan(TUNED);
    expect(ofType(run, 'aws:cfg/recorder:Recorder')).toEqual([]);
    expect(ofType(run, 'aws:cfg/deliveryChannel:DeliveryChannel')).toEqual([]);
    expect(ids(run, PRIMARY)).toEqual([...EVERY_REGION, ...PRIMARY_ONLY].sort());
    expect(ids(run, SECONDARY)).toEqual(EVERY_REGION);
  });
});
