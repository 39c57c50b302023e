import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

/** One run for the tests that need other values than the dev stack's (each reads its own keys). */
const NON_DEFAULT = { alarmDbCpuPercent: 65, alarm5xxPercent: 2, awsConfigRecorder: 'reuse', secretRotationDays: 7 };

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
      expect(a.name).toMatch(/^alarm-[a-z0-9-]+-(use1|euw1)-dev$/);
      expect(a.inputs.alarmActions).toHaveLength(1);
      expect(a.inputs.alarmActions[0]).toContain(a.region === PRIMARY ? 'use1' : 'euw1');
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
        'orders-dead-lettered',
      ]) {
        expect(names).toContain(`alarm-${q}-${code}-dev`);
      }
      for (const fn of ['trading', 'drain', 'rotation'])
        for (const m of ['errors', 'throttles', 'duration']) expect(names).toContain(`alarm-fn-${fn}-${m}-${code}-dev`);
    }
    expect(names).toContain('alarm-db-replication-lag-euw1-dev');
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
    const run = await plan(NON_DEFAULT);
    expect(named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'alarm-db-cpu-use1-dev').inputs.threshold).toBe(65);
    expect(named(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', 'alarm-alb-5xx-rate-euw1-dev').inputs.threshold).toBe(
      2,
    );
  });
});

describe('one cross-region dashboard', () => {
  it('lives in us-east-1, is valid JSON, and every metric points at a registered resource in its widget region', async () => {
    const run = await plan();
    const dashboards = ofType(run, 'aws:cloudwatch/dashboard:Dashboard');
    expect(dashboards.map((d) => [d.name, d.region])).toEqual([['dashboard-use1-dev', PRIMARY]]);
    const body = JSON.parse(dashboards[0].inputs.dashboardBody);
    const widgets = body.widgets as any[];
    const regionsShown = new Set(widgets.map((w) => w.properties.region));
    expect(regionsShown).toEqual(new Set([PRIMARY, SECONDARY]));
    // Every tier of both regions is on it.
    for (const region of [PRIMARY, SECONDARY]) {
      const dimensions = new Set(
        widgets
          .filter((w) => w.properties.region === region)
          .flatMap((w) => w.properties.metrics.map((m: any) => m[2])),
      );
      for (const tier of [
        'LoadBalancer',
        'TargetGroup',
        'AutoScalingGroupName',
        'FunctionName',
        'DBClusterIdentifier',
        'QueueName',
      ])
        expect({ region, tier, shown: dimensions.has(tier) }).toEqual({ region, tier, shown: true });
    }
    const known = (type: string, region: string, value: string, field: (r: any) => string) =>
      ofType(run, type, region).some((r) => field(r) === value);
    for (const w of widgets) {
      const region = w.properties.region;
      // Side by side only works if every widget says which region it shows.
      expect(w.properties.title).toContain(region);
      for (const metric of w.properties.metrics) {
        const [namespace, , dimension, value] = metric;
        const ok =
          namespace === 'TAP/Failover'
            ? value === 'dev' && region === SECONDARY
            : dimension === 'LoadBalancer'
              ? known('aws:lb/loadBalancer:LoadBalancer', region, value, (r) => `app/${r.inputs.name}/abc123`)
              : dimension === 'TargetGroup'
                ? known('aws:lb/targetGroup:TargetGroup', region, value, (r) => `targetgroup/${r.inputs.name}/def456`)
                : dimension === 'FunctionName'
                  ? known('aws:lambda/function:Function', region, value, (r) => r.inputs.name)
                  : dimension === 'AutoScalingGroupName'
                    ? known('aws:autoscaling/group:Group', region, value, (r) => r.inputs.name)
                    : dimension === 'DBClusterIdentifier'
                      ? known('aws:rds/cluster:Cluster', region, value, (r) => r.inputs.clusterIdentifier)
                      : dimension === 'QueueName'
                        ? known('aws:sqs/queue:Queue', region, value, (r) => r.inputs.name)
                        : dimension === 'HealthCheckId'
                          ? region === PRIMARY &&
                            known('aws:route53/healthCheck:HealthCheck', PRIMARY, value, (r) => `${r.name}-id`)
                          : false;
        expect({ widget: w.properties.title, metric, ok }).toEqual({ widget: w.properties.title, metric, ok: true });
      }
    }
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
      [7, NON_DEFAULT],
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
    const run = await plan(NON_DEFAULT);
    expect(ofType(run, 'aws:cfg/recorder:Recorder')).toEqual([]);
    expect(ofType(run, 'aws:cfg/deliveryChannel:DeliveryChannel')).toEqual([]);
    expect(ids(run, PRIMARY)).toEqual([...EVERY_REGION, ...PRIMARY_ONLY].sort());
    expect(ids(run, SECONDARY)).toEqual(EVERY_REGION);
  });
});
