import { configRules } from '../lib/aws-config';
import { named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

/** One run for the tests that need other values than the dev stack's (each reads its own keys). */
const NON_DEFAULT = { alarmDbCpuPercent: 65, alarm5xxPercent: 2, awsConfigRecorder: 'reuse' };

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
    expect(r53.length).toBeGreaterThanOrEqual(3);
    expect(r53.every((a) => a.region === PRIMARY)).toBe(true);
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
    expect(widgets.length).toBeGreaterThan(15);
    const regionsShown = new Set(widgets.map((w) => w.properties.region));
    expect(regionsShown).toEqual(new Set([PRIMARY, SECONDARY]));
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

  it('managed rules for what the platform promises; IAM once', async () => {
    const run = await plan();
    const CONFIG_RULES = configRules({ secretRotationDays: 30 });
    const rules = ofType(run, 'aws:cfg/rule:Rule');
    const ids = (region: string) =>
      rules
        .filter((r) => r.region === region)
        .map((r) => r.inputs.source.sourceIdentifier)
        .sort();
    expect(ids(PRIMARY)).toEqual(CONFIG_RULES.map((r) => r.id).sort());
    expect(ids(SECONDARY)).toEqual(
      CONFIG_RULES.filter((r) => !r.globalOnly)
        .map((r) => r.id)
        .sort(),
    );
    // The rotation rule checks the very period the secrets rotate with (one fact, two readers).
    const days = new Set(
      ofType(run, 'aws:secretsmanager/secretRotation:SecretRotation').map(
        (r) => r.inputs.rotationRules.automaticallyAfterDays,
      ),
    );
    expect(days.size).toBe(1);
    for (const rule of rules.filter(
      (r) => r.inputs.source.sourceIdentifier === 'SECRETSMANAGER_ROTATION_ENABLED_CHECK',
    ))
      expect(JSON.parse(rule.inputs.inputParameters)).toEqual({
        maximumAllowedRotationFrequency: String([...days][0]),
      });
    expect(configRules({ secretRotationDays: 7 }).find((r) => r.short === 'secret-rotation-on')!.input).toEqual({
      maximumAllowedRotationFrequency: '7',
    });
    for (const id of [
      'RDS_STORAGE_ENCRYPTED',
      'VPC_FLOW_LOGS_ENABLED',
      'SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK',
      'ALB_HTTP_DROP_INVALID_HEADER_ENABLED',
      'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS',
    ]) {
      expect(ids(PRIMARY)).toContain(id);
    }
  });

  it('reuse mode adds only the rules to an existing recorder', async () => {
    const run = await plan(NON_DEFAULT);
    const CONFIG_RULES = configRules({ secretRotationDays: 30 });
    expect(ofType(run, 'aws:cfg/recorder:Recorder')).toEqual([]);
    expect(ofType(run, 'aws:cfg/deliveryChannel:DeliveryChannel')).toEqual([]);
    expect(ofType(run, 'aws:cfg/rule:Rule').length).toBe(2 * CONFIG_RULES.length - 1);
  });
});
