/**
 * Deploy readiness: rules a real `pulumi up` enforces (Pulumi's engine, the AWS provider, AWS's
 * APIs) that the mocks do not. Mocks accept any graph; these tests read the recorded graph
 * (resources, providers, dependencies, options) and fail where the real thing would fail or
 * misbehave on a first deploy.
 */
import {
  ACTION_BUDGET_SECONDS,
  LOOP_WINDOW_SECONDS,
  probeTimeoutMs,
  RECORD_BUDGET_SECONDS,
} from '../lambda/facts/timing';
import { elbLogDeliveryPrincipal } from '../lib/security/log-archive';
import { mockOffers, MockZone, OfflineRun, RecordedResource } from '../scripts/offline';
import { byUrn, dependsOnTransitively, ofType, plan } from './helpers/plan';

/** The provider resource a recorded provider reference (`urn::id`) points at. */
function providerOf(run: OfflineRun, resource: RecordedResource): RecordedResource | undefined {
  if (!resource.provider) return undefined;
  const urn = resource.provider.split('::').slice(0, -1).join('::');
  return run.resources.find((r) => r.urn === urn);
}

const isProvider = (r: RecordedResource) => r.type.startsWith('pulumi:providers:');
const packageOf = (type: string) => type.split(':')[0];

describe('providers: the stack disables every default provider', () => {
  it('every custom resource has an explicit provider of its own package (aws, random, ...)', async () => {
    const run = await plan();
    const problems = run.resources
      .filter((r) => r.custom && !isProvider(r))
      .flatMap((r) => {
        const provider = providerOf(run, r);
        if (!provider) return [`${r.type} ${r.name}: default provider (refused with '*' disabled)`];
        const expected = `pulumi:providers:${packageOf(r.type)}`;
        return provider.type === expected ? [] : [`${r.type} ${r.name}: bound to ${provider.type}`];
      });
    expect(problems).toEqual([]);
  });

  it('the stack file disables all default providers, so the rule above is what the engine enforces', async () => {
    const { stackConfig } = await import('../scripts/offline');
    expect(JSON.parse(stackConfig('dev')['pulumi:disable-default-providers'])).toEqual(['*']);
  });

  // Keeps `byUrn` honest for the rules below: every recorded dependency is a recorded resource.
  it('every recorded dependency and parent is itself in the graph', async () => {
    const run = await plan();
    for (const r of run.resources) {
      for (const urn of [...r.dependsOn, ...(r.parent ? [r.parent] : [])]) expect(byUrn(run, urn)).toBeDefined();
    }
  });
});

/** Every string anywhere in a value (inputs are nested objects, arrays, JSON text). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const ROLE_GRANTS = ['aws:iam/rolePolicy:RolePolicy', 'aws:iam/rolePolicyAttachment:RolePolicyAttachment'];

/**
 * What makes AWS invoke a function, the function it names, and the service principal whose
 * invoke permission it needs (none: the event source mapping polls with the function's role).
 */
const INVOKERS: Record<string, { fn: (r: RecordedResource) => unknown; principal?: string }> = {
  'aws:lambda/eventSourceMapping:EventSourceMapping': { fn: (r) => r.inputs.functionName },
  'aws:secretsmanager/secretRotation:SecretRotation': {
    fn: (r) => r.inputs.rotationLambdaArn,
    principal: 'secretsmanager.amazonaws.com',
  },
  'aws:lb/targetGroupAttachment:TargetGroupAttachment': {
    fn: (r) => r.inputs.targetId,
    principal: 'elasticloadbalancing.amazonaws.com',
  },
  // Lambda targets only: an SNS target waits for its topic policy instead (test/client-keys-guard.test.ts).
  'aws:cloudwatch/eventTarget:EventTarget': {
    fn: (r) => (String(r.inputs.arn).includes(':lambda:') ? r.inputs.arn : undefined),
    principal: 'events.amazonaws.com',
  },
  'aws:sns/topicSubscription:TopicSubscription': {
    fn: (r) => (r.inputs.protocol === 'lambda' ? r.inputs.endpoint : undefined),
    principal: 'sns.amazonaws.com',
  },
};

/** Resources that make an AWS service write into a bucket, and the bucket name they give it. */
const DELIVERERS: Record<string, (r: RecordedResource) => unknown> = {
  'aws:cfg/deliveryChannel:DeliveryChannel': (r) => r.inputs.s3BucketName,
  'aws:lb/loadBalancer:LoadBalancer': (r) => (r.inputs.accessLogs?.enabled ? r.inputs.accessLogs.bucket : undefined),
  'aws:s3/bucketLogging:BucketLogging': (r) => r.inputs.targetBucket,
};

const functionArn = (fn: RecordedResource) => `arn:aws:lambda:${fn.region}:123456789012:function:${fn.inputs.name}`;

describe('grants before use: IAM and resource policies are separate resources, and eventually consistent', () => {
  it('whatever uses a role waits for the policies made with it; whatever invokes its function waits for all of them', async () => {
    const run = await plan();
    const missing: string[] = [];
    for (const role of ofType(run, 'aws:iam/role:Role')) {
      const arn = `arn:aws:iam::123456789012:role/${role.inputs.name}`;
      const grants = run.resources.filter(
        (r) => ROLE_GRANTS.includes(r.type) && [role.inputs.name, `${role.name}-id`].includes(r.inputs.role),
      );
      const users = run.resources.filter(
        (r) =>
          r.custom &&
          r.urn !== role.urn &&
          !ROLE_GRANTS.includes(r.type) &&
          (strings(r.inputs).includes(arn) ||
            (r.type === 'aws:iam/instanceProfile:InstanceProfile' && r.inputs.role === role.inputs.name)),
      );
      const functions = users.filter((u) => u.type === 'aws:lambda/function:Function').map(functionArn);
      const invokers = run.resources.filter(
        (r) => INVOKERS[r.type] && functions.includes(String(INVOKERS[r.type].fn(r))),
      );
      for (const grant of grants) {
        // Grants made with the role (its children) must precede every user; grants added
        // later elsewhere (the rotation's secret access) must precede every invocation.
        const mustWait = grant.parent === role.urn ? [...users, ...invokers] : invokers;
        for (const user of mustWait)
          if (!dependsOnTransitively(run, user, grant))
            missing.push(`${user.type} ${user.name} does not wait for ${grant.type} ${grant.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every invoker waits for the invoke permission of its function for its service principal', async () => {
    const run = await plan();
    const missing: string[] = [];
    for (const invoker of run.resources.filter((r) => INVOKERS[r.type]?.principal)) {
      const { fn, principal } = INVOKERS[invoker.type];
      const target = fn(invoker);
      if (target === undefined) continue;
      const name = String(target).split(':').pop();
      const permissions = ofType(run, 'aws:lambda/permission:Permission').filter(
        (p) => p.inputs.principal === principal && p.inputs.function === name,
      );
      if (!permissions.some((p) => dependsOnTransitively(run, invoker, p)))
        missing.push(`${invoker.type} ${invoker.name} may run before ${principal} may invoke ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('every service delivering into a bucket (Config, ELB access logs, S3 access logs) waits for the bucket policy that admits it', async () => {
    const run = await plan();
    const missing: string[] = [];
    const seen = new Set<string>();
    for (const r of run.resources.filter((x) => DELIVERERS[x.type])) {
      const bucketName = DELIVERERS[r.type](r);
      if (bucketName === undefined) continue;
      seen.add(r.type);
      const bucket = ofType(run, 'aws:s3/bucket:Bucket').find((b) => b.inputs.bucket === bucketName);
      const policy =
        bucket && run.resources.find((p) => p.type === 'aws:s3/bucketPolicy:BucketPolicy' && p.parent === bucket.urn);
      if (!policy) missing.push(`${r.type} ${r.name} delivers into ${String(bucketName)}, which has no bucket policy`);
      else if (!dependsOnTransitively(run, r, policy))
        missing.push(`${r.type} ${r.name} does not wait for the policy of ${String(bucketName)}`);
    }
    expect(missing).toEqual([]);
    // The rule has something to check: each kind of delivery the platform configures.
    expect([...seen].sort()).toEqual(Object.keys(DELIVERERS).sort());
  });
});

describe('audit trail: access logs AWS delivers only where the bucket admits it', () => {
  const ELB_ACCOUNT = { 'us-east-1': '127311923021', 'eu-west-1': '156460612806' } as const;

  it.each(Object.entries(ELB_ACCOUNT))(
    'the ALB in %s logs every request to a bucket of its region that admits that region’s ELB account (%s)',
    async (region, account) => {
      const run = await plan();
      const [alb] = ofType(run, 'aws:lb/loadBalancer:LoadBalancer', region);
      expect(alb.inputs.accessLogs).toMatchObject({ enabled: true });
      const bucket = ofType(run, 'aws:s3/bucket:Bucket', region).find(
        (b) => b.inputs.bucket === alb.inputs.accessLogs.bucket,
      )!;
      expect(bucket).toBeDefined();
      const policy = run.resources.find(
        (p) => p.type === 'aws:s3/bucketPolicy:BucketPolicy' && p.parent === bucket.urn,
      )!;
      const grant = JSON.parse(policy.inputs.policy).Statement.find(
        (s: any) => s.Action === 's3:PutObject' && s.Principal.AWS,
      );
      // Regions opened before August 2022 deliver from the regional ELB account, not the service principal.
      expect(grant.Principal).toEqual({ AWS: `arn:aws:iam::${account}:root` });
      expect(grant.Resource).toBe(
        `arn:aws:s3:::${bucket.inputs.bucket}/${alb.inputs.accessLogs.prefix}/AWSLogs/123456789012/*`,
      );
      // ELB access logs accept SSE-S3 only.
      const encryption = run.resources.find(
        (r) => r.type.endsWith('BucketServerSideEncryptionConfiguration') && r.parent === bucket.urn,
      )!;
      expect(encryption.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe('AES256');
    },
  );

  it('regions opened since August 2022 have no ELB account: their delivery is granted to the service principal', () => {
    expect(elbLogDeliveryPrincipal('ap-southeast-3')).toEqual({
      Service: 'logdelivery.elasticloadbalancing.amazonaws.com',
    });
  });

  it('every other bucket sends its S3 server access logs to the archive of its own region, which admits S3 log delivery', async () => {
    const run = await plan();
    const archives = ofType(run, 'aws:s3/bucket:Bucket').filter((b) => b.name.startsWith('logs-'));
    expect(archives.map((a) => a.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    for (const bucket of ofType(run, 'aws:s3/bucket:Bucket').filter((b) => !archives.includes(b))) {
      const logging = run.resources.find(
        (r) => r.type === 'aws:s3/bucketLogging:BucketLogging' && r.parent === bucket.urn,
      );
      const archive = archives.find((a) => a.region === bucket.region)!;
      expect({ bucket: bucket.name, target: logging?.inputs.targetBucket }).toEqual({
        bucket: bucket.name,
        target: archive.inputs.bucket,
      });
      const policy = run.resources.find(
        (p) => p.type === 'aws:s3/bucketPolicy:BucketPolicy' && p.parent === archive.urn,
      )!;
      const grant = JSON.parse(policy.inputs.policy).Statement.find(
        (s: any) => s.Principal?.Service === 'logging.s3.amazonaws.com',
      );
      expect(`arn:aws:s3:::${archive.inputs.bucket}/${logging!.inputs.targetPrefix}x`).toMatch(
        new RegExp(`^${grant.Resource.replace(/[.*]/g, (c: string) => (c === '*' ? '.*' : '\\.'))}$`),
      );
    }
  });
});

/**
 * Per-metric knowledge: what a healthy platform reports, what the metric can reach at most, and
 * whether it is published while things are fine (then silence is a failure) or only when
 * something happens (then silence is fine).
 */
interface MetricFacts {
  /** Values the metric can take on this resource: [lowest, highest]. */
  range(alarm: RecordedResource, run: OfflineRun): [number, number];
  /** What it reports on a healthy platform: [lowest, highest] in the alarm's statistic. */
  healthy(alarm: RecordedResource, run: OfflineRun): [number, number];
  /** `breaching`: published all the time, so silence means the thing is gone. */
  missing: 'breaching' | 'notBreaching';
}

const GIB = 1024 ** 3;
/** Memory of an Aurora instance class: r-families 8 GiB per vCPU, x2g 16; large = 2 vCPU. */
function classMemoryBytes(instanceClass: string): number {
  const [, family, size] = instanceClass.split('.');
  const vcpus = size === 'large' ? 2 : size === 'xlarge' ? 4 : 4 * Number(size.replace('xlarge', ''));
  return vcpus * (family.startsWith('x2') ? 16 : 8) * GIB;
}
const clusterClass = (run: OfflineRun, alarm: RecordedResource) => {
  const id = alarm.inputs.dimensions.DBClusterIdentifier;
  const instance = ofType(run, 'aws:rds/clusterInstance:ClusterInstance').find(
    (i) => i.inputs.clusterIdentifier === `${id}-id`,
  );
  return instance!.inputs.instanceClass as string;
};
const watchedFunction = (run: OfflineRun, alarm: RecordedResource) =>
  ofType(run, 'aws:lambda/function:Function').find((f) => f.inputs.name === alarm.inputs.dimensions.FunctionName)!;
/** Healthy p99 duration (ms) per function, by what it does. */
function healthyDurationMs(fn: RecordedResource): number {
  const env = fn.inputs.environment.variables;
  switch (env.POWERTOOLS_SERVICE_NAME) {
    case 'orchestrator':
      // The minute's evaluation loop, then (when the gate opens) the fence and promotion calls.
      return (LOOP_WINDOW_SECONDS + ACTION_BUDGET_SECONDS) * 1000;
    case 'canary':
      // The minute's probe loop; the last probe may take its full timeout, then it is recorded.
      return (
        LOOP_WINDOW_SECONDS * 1000 + probeTimeoutMs(Number(env.PROBE_INTERVAL_SECONDS)) + RECORD_BUDGET_SECONDS * 1000
      );
    case 'rotation':
      return 5000; // one step: Secrets Manager and PostgreSQL over TLS from a VPC
    default:
      return 1000; // an order or a batch of book records: a few statements
  }
}
const eventOnly = (healthyMax = 0): MetricFacts => ({
  range: () => [0, Infinity],
  healthy: () => [0, healthyMax],
  missing: 'notBreaching',
});

const METRICS: Record<string, MetricFacts> = {
  'AWS/Lambda Duration': {
    // Lambda stops a run at its timeout: no duration exceeds it.
    range: (a, run) => [0, watchedFunction(run, a).inputs.timeout * 1000],
    healthy: (a, run) => [0, healthyDurationMs(watchedFunction(run, a))],
    missing: 'notBreaching', // no invocation, no data point
  },
  'AWS/Lambda Errors': eventOnly(),
  'AWS/Lambda Throttles': eventOnly(),
  'AWS/ApplicationELB UnHealthyHostCount': eventOnly(),
  'AWS/ApplicationELB TargetResponseTime': {
    range: (a, run) => [0, ofType(run, 'aws:lb/loadBalancer:LoadBalancer', a.region)[0].inputs.idleTimeout],
    healthy: () => [0, 0.2],
    missing: 'notBreaching', // no request, no data point
  },
  '5xx rate (metric math)': { range: () => [0, 100], healthy: () => [0, 1], missing: 'notBreaching' },
  'AWS/AutoScaling GroupInServiceInstances': {
    range: (a, run) => [0, ofType(run, 'aws:autoscaling/group:Group', a.region)[0].inputs.maxSize],
    healthy: (a, run) => {
      const asg = ofType(run, 'aws:autoscaling/group:Group', a.region)[0];
      return [asg.inputs.minSize, asg.inputs.maxSize];
    },
    // Published every minute while the group collects it: silence means no group, no fleet.
    missing: 'breaching',
  },
  'AWS/RDS CPUUtilization': { range: () => [0, 100], healthy: () => [0, 40], missing: 'notBreaching' },
  'AWS/RDS FreeableMemory': {
    range: (a, run) => [0, classMemoryBytes(clusterClass(run, a))],
    // Aurora PostgreSQL gives most memory to its buffer cache; a healthy instance keeps ~10% free.
    healthy: (a, run) => [0.1 * classMemoryBytes(clusterClass(run, a)), classMemoryBytes(clusterClass(run, a))],
    missing: 'notBreaching',
  },
  'AWS/RDS DatabaseConnections': {
    // Aurora PostgreSQL max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000).
    range: (a, run) => [0, Math.min(Math.floor(classMemoryBytes(clusterClass(run, a)) / 9531392), 5000)],
    // Each EC2 instance keeps up to 8 connections (writer and reader pools of 4) at full scale.
    healthy: (a, run) => [0, 8 * ofType(run, 'aws:autoscaling/group:Group', a.region)[0].inputs.maxSize],
    missing: 'notBreaching',
  },
  // AWS: replication lag is typically under a second.
  'AWS/RDS AuroraGlobalDBReplicationLag': {
    range: () => [0, Infinity],
    healthy: () => [0, 1000],
    missing: 'notBreaching',
  },
  // SQS stops publishing for a queue idle for six hours: silence is an empty queue.
  'AWS/SQS ApproximateNumberOfMessagesVisible': eventOnly(),
  'AWS/Route53 HealthCheckStatus': { range: () => [0, 1], healthy: () => [1, 1], missing: 'breaching' },
  'TAP/Failover FailoverInitiated': eventOnly(),
  'TAP/Failover PermissionError': eventOnly(),
  'TAP/Failover ApprovalRequested': eventOnly(),
  'TAP/Failover PromotionRefused': eventOnly(),
  // Only a failover or switchover still in flight 15 minutes after the orchestrator asked for it.
  'TAP/Failover PromotionStuck': eventOnly(),
  // A canary that can record and tell up from down reports neither.
  'TAP/Failover ProbeNotRecorded': eventOnly(),
  'TAP/Failover ProbeInconclusive': eventOnly(),
  // The order book (lib/observe/book-alarms.ts): regional acknowledgements only while the peer
  // replica is down; refused items only when someone forged one; mismatches only on a bug.
  'TAP/OrderBook BookRegionalAcknowledgements': eventOnly(),
  'TAP/OrderBook BookItemsRefused': eventOnly(),
  'TAP/OrderBook BookLedgerMismatches': eventOnly(),
  // The book's replica (lib/observe/book-table-alarms.ts): DynamoDB reports throttled writes and
  // transaction conflicts only when they happen (sums per minute, no data point otherwise).
  'AWS/DynamoDB WriteThrottleEvents': eventOnly(),
  'AWS/DynamoDB TransactionConflict': eventOnly(),
  // Age (ms) of the last record read from the stream: at most its 24-hour retention. Healthy: a
  // second of replication and the batching window, a retry or two on the standby region while
  // Aurora replication brings the order. No records, no data point.
  'AWS/Lambda IteratorAge': {
    range: () => [0, 86_400_000],
    healthy: () => [0, 10_000],
    missing: 'notBreaching',
  },
};

function metricOf(alarm: RecordedResource): string {
  if (alarm.inputs.metricQueries) {
    const metrics = alarm.inputs.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric.metricName);
    return metrics.includes('RequestCount') ? '5xx rate (metric math)' : metrics.join(' ');
  }
  return `${alarm.inputs.namespace} ${alarm.inputs.metricName}`;
}

describe('alarms: every threshold is reachable by its metric and quiet on a healthy platform', () => {
  it('each alarm, read against what its metric can report and what a healthy platform reports', async () => {
    const run = await plan();
    const problems: string[] = [];
    for (const alarm of ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm')) {
      const metric = metricOf(alarm);
      const facts = METRICS[metric];
      if (!facts) {
        problems.push(`${alarm.name}: nothing known about ${metric} (add its facts here)`);
        continue;
      }
      const { threshold, comparisonOperator: op } = alarm.inputs;
      const [low, high] = facts.range(alarm, run);
      const [healthyLow, healthyHigh] = facts.healthy(alarm, run);
      const above = op.startsWith('GreaterThan');
      const reachable = above ? threshold < high : threshold > low;
      const quiet = above ? threshold >= healthyHigh : threshold <= healthyLow;
      if (!reachable) problems.push(`${alarm.name}: ${metric} never goes ${above ? 'above' : 'below'} ${threshold}`);
      if (!quiet)
        problems.push(`${alarm.name}: a healthy platform reports ${healthyLow}-${healthyHigh}, ${op} ${threshold}`);
      const missing = alarm.inputs.treatMissingData ?? 'missing';
      if (missing !== facts.missing)
        problems.push(`${alarm.name}: missing data of ${metric} is ${facts.missing}, not ${missing}`);
    }
    expect(problems).toEqual([]);
  });

  it('the ASG publishes the metric its capacity alarm watches (otherwise the alarm sees only silence)', async () => {
    const run = await plan();
    for (const asg of ofType(run, 'aws:autoscaling/group:Group')) {
      expect(asg.inputs.enabledMetrics).toContain('GroupInServiceInstances');
    }
  });
});

/**
 * What each AWS Config managed rule the platform deploys would say about the platform itself,
 * in one region: the resources it would flag. A rule the platform fails by design is noise that
 * teaches operators to ignore Config.
 */
type RuleCheck = (run: OfflineRun, region: string, rule: RecordedResource) => string[];
const tagged = (r: RecordedResource, scope: any) => !scope?.tagKey || r.inputs.tags?.[scope.tagKey] === scope.tagValue;
const childOf = (run: OfflineRun, parent: RecordedResource, type: string) =>
  run.resources.find((r) => r.type === type && r.parent === parent.urn);
/** The secrets a rule in `region` evaluates: primaries and replicas there, within its scope (replicas carry the tags). */
const secretsSeenIn = (run: OfflineRun, region: string, rule: RecordedResource) =>
  ofType(run, 'aws:secretsmanager/secret:Secret').filter(
    (s) =>
      (s.region === region || (s.inputs.replicas ?? []).some((r: any) => r.region === region)) &&
      tagged(s, rule.inputs.scope),
  );
const rotationIn = (run: OfflineRun, secret: RecordedResource, region: string) =>
  ofType(run, 'aws:secretsmanager/secretRotation:SecretRotation', region).find((r) => r.parent === secret.urn);

const SELF_COMPLIANCE: Record<string, RuleCheck> = {
  SECRETSMANAGER_ROTATION_ENABLED_CHECK: (run, region, rule) =>
    secretsSeenIn(run, region, rule).flatMap((s) => {
      const rotation = rotationIn(run, s, region);
      const max = Number(JSON.parse(rule.inputs.inputParameters ?? '{}').maximumAllowedRotationFrequency ?? Infinity);
      if (!rotation) return [`${s.name}: no rotation configured on its copy in ${region}`];
      return rotation.inputs.rotationRules.automaticallyAfterDays > max
        ? [`${s.name}: rotates less often than ${max} d`]
        : [];
    }),
  SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK: (run, region, rule) =>
    secretsSeenIn(run, region, rule)
      .filter((s) => !rotationIn(run, s, region))
      .map((s) => `${s.name}: no scheduled rotation on its copy in ${region}`),
  LAMBDA_INSIDE_VPC: (run, region, rule) =>
    ofType(run, 'aws:lambda/function:Function', region)
      .filter((f) => tagged(f, rule.inputs.scope) && !f.inputs.vpcConfig)
      .map((f) => `${f.name}: not in a VPC`),
  CLOUDWATCH_ALARM_ACTION_CHECK: (run, region) =>
    ofType(run, 'aws:cloudwatch/metricAlarm:MetricAlarm', region)
      .filter((a) => !a.inputs.alarmActions?.length)
      .map((a) => `${a.name}: no alarm action`),
  INCOMING_SSH_DISABLED: (run, region) =>
    ofType(run, 'aws:ec2/securityGroup:SecurityGroup', region)
      .filter((g) => (g.inputs.ingress ?? []).some((i: any) => i.fromPort <= 22 && 22 <= i.toPort))
      .map((g) => `${g.name}: opens 22`),
  ENCRYPTED_VOLUMES: (run, region) =>
    ofType(run, 'aws:ec2/launchTemplate:LaunchTemplate', region)
      .filter((t) => t.inputs.blockDeviceMappings.some((m: any) => m.ebs.encrypted !== 'true'))
      .map((t) => `${t.name}: unencrypted volume`),
  S3_BUCKET_SSL_REQUESTS_ONLY: (run, region) =>
    ofType(run, 'aws:s3/bucket:Bucket', region)
      .filter((b) => {
        const policy = childOf(run, b, 'aws:s3/bucketPolicy:BucketPolicy');
        return !JSON.parse(policy?.inputs.policy ?? '{"Statement":[]}').Statement.some(
          (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        );
      })
      .map((b) => `${b.name}: accepts plain HTTP`),
  S3_BUCKET_PUBLIC_READ_PROHIBITED: (run, region) =>
    ofType(run, 'aws:s3/bucket:Bucket', region)
      .filter(
        (b) => !childOf(run, b, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock')?.inputs.restrictPublicBuckets,
      )
      .map((b) => `${b.name}: public access not blocked`),
  RDS_STORAGE_ENCRYPTED: (run, region) =>
    ofType(run, 'aws:rds/cluster:Cluster', region)
      .filter((c) => c.inputs.storageEncrypted !== true)
      .map((c) => `${c.name}: unencrypted`),
  RDS_INSTANCE_PUBLIC_ACCESS_CHECK: (run, region) =>
    ofType(run, 'aws:rds/clusterInstance:ClusterInstance', region)
      .filter((i) => i.inputs.publiclyAccessible !== false)
      .map((i) => `${i.name}: public`),
  VPC_FLOW_LOGS_ENABLED: (run, region) =>
    ofType(run, 'aws:ec2/vpc:Vpc', region)
      .filter((v) => !ofType(run, 'aws:ec2/flowLog:FlowLog', region).some((f) => f.inputs.vpcId === `${v.name}-id`))
      .map((v) => `${v.name}: no flow log`),
  ALB_HTTP_DROP_INVALID_HEADER_ENABLED: (run, region) =>
    ofType(run, 'aws:lb/loadBalancer:LoadBalancer', region)
      .filter((l) => l.inputs.dropInvalidHeaderFields !== true)
      .map((l) => `${l.name}: keeps invalid headers`),
  IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS: (run) =>
    ofType(run, 'aws:iam/rolePolicy:RolePolicy')
      .filter((p) =>
        JSON.parse(p.inputs.policy).Statement.some(
          (s: any) => [s.Action].flat().includes('*') && [s.Resource].flat().includes('*'),
        ),
      )
      .map((p) => `${p.name}: admin access`),
};

describe('AWS Config: the platform passes the rules it deploys', () => {
  it.each(['us-east-1', 'eu-west-1'])('no managed rule in %s flags a resource the platform made', async (region) => {
    const run = await plan();
    const flagged = ofType(run, 'aws:cfg/rule:Rule', region).flatMap((rule) => {
      const id = rule.inputs.source.sourceIdentifier;
      const check = SELF_COMPLIANCE[id];
      if (!check) return [`${id}: nothing known about what it flags (add it here)`];
      return check(run, region, rule).map((problem) => `${id}: ${problem}`);
    });
    expect(flagged).toEqual([]);
  });
});

describe('no NAT: instances boot with nothing but the VPC endpoints', () => {
  it.each(['us-east-1', 'eu-west-1'])(
    'in %s, user data (set -e) fetches only objects the program put in the region’s bucket, through the S3 gateway',
    async (region) => {
      const run = await plan();
      expect(ofType(run, 'aws:ec2/natGateway:NatGateway', region)).toEqual([]);
      const [template] = ofType(run, 'aws:ec2/launchTemplate:LaunchTemplate', region);
      const script = Buffer.from(template.inputs.userData, 'base64').toString();
      expect(script).toMatch(/^set -euo pipefail$/m);
      // Nothing addressed on the internet (the package repositories of AL2023 are in S3).
      const commands = script.split('\n').filter((line) => !line.startsWith('Environment='));
      expect(commands.join('\n')).not.toMatch(/\b(curl|wget)\b|https?:\/\//);
      const fetched = [...script.matchAll(/s3 cp '(s3:\/\/[^']+)'/g)].map((m) => m[1]);
      expect(fetched.map((url) => url.split('/').pop()).sort()).toEqual(['server-nodejs24.x.js']);
      const shipped = ofType(run, 'aws:s3/bucketObjectv2:BucketObjectv2', region).map(
        (o) =>
          `s3://${ofType(run, 'aws:s3/bucket:Bucket', region).find((b) => `${b.name}-id` === o.inputs.bucket)!.inputs.bucket}/${o.inputs.key}`,
      );
      for (const url of fetched) expect(shipped).toContain(url);
      // The S3 gateway endpoint serves every private route table (where the instances run).
      const gateway = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region).find(
        (e) => e.inputs.vpcEndpointType === 'Gateway',
      )!;
      const privateTables = ofType(run, 'aws:ec2/routeTable:RouteTable', region)
        .filter((t) => t.name.startsWith('rt-private'))
        .map((t) => `${t.name}-id`);
      expect([...gateway.inputs.routeTableIds].sort()).toEqual(privateTables.sort());
    },
  );
});

describe('placement: every zonal resource only in zones that offer it (by zone ID, as each account differs)', () => {
  /** The zone a subnet is in, whether it was placed by name or by ID. */
  const zoneOfSubnet = (run: OfflineRun, subnetId: string): MockZone => {
    const subnet = ofType(run, 'aws:ec2/subnet:Subnet').find((s) => `${s.name}-id` === subnetId)!;
    return mockOffers.zone(subnet.region!, subnet.inputs.availabilityZoneId ?? subnet.inputs.availabilityZone)!;
  };

  it.each(['us-east-1', 'eu-west-1'])(
    'in %s: interface endpoints, instances and database instances',
    async (region) => {
      const run = await plan();
      const problems: string[] = [];
      for (const endpoint of ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region)) {
        if (endpoint.inputs.vpcEndpointType !== 'Interface') continue;
        const service = endpoint.inputs.serviceName.split('.').pop();
        for (const zone of endpoint.inputs.subnetIds.map((id: string) => zoneOfSubnet(run, id)))
          if (!mockOffers.endpoint(zone, service))
            problems.push(`${endpoint.name}: ${service} is not offered in ${zone.id}`);
      }
      const [template] = ofType(run, 'aws:ec2/launchTemplate:LaunchTemplate', region);
      for (const asg of ofType(run, 'aws:autoscaling/group:Group', region))
        for (const zone of asg.inputs.vpcZoneIdentifiers.map((id: string) => zoneOfSubnet(run, id)))
          if (!mockOffers.instanceType(zone, template.inputs.instanceType))
            problems.push(`${asg.name}: ${template.inputs.instanceType} is not offered in ${zone.id}`);
      for (const instance of ofType(run, 'aws:rds/clusterInstance:ClusterInstance', region)) {
        const zone = mockOffers.zone(region, instance.inputs.availabilityZone)!;
        if (!mockOffers.database(zone))
          problems.push(`${instance.name}: ${instance.inputs.instanceClass} not orderable in ${zone.id}`);
      }
      expect(problems).toEqual([]);
    },
  );

  it('an endpoint service missing in a chosen zone keeps its endpoint in the zones that offer it', async () => {
    const run = await plan();
    const lambda = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', 'eu-west-1').find((e) =>
      e.inputs.serviceName.endsWith('.lambda'),
    )!;
    const kms = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', 'eu-west-1').find((e) =>
      e.inputs.serviceName.endsWith('.kms'),
    )!;
    expect(lambda.inputs.subnetIds.map((id: string) => zoneOfSubnet(run, id).id).sort()).toEqual([
      'euw1-az1',
      'euw1-az2',
    ]);
    expect(kms.inputs.subnetIds).toHaveLength(3);
  });

  it('subnets are placed by zone ID, so every account gets the same physical zones', async () => {
    const run = await plan();
    for (const subnet of ofType(run, 'aws:ec2/subnet:Subnet')) {
      expect(subnet.inputs.availabilityZone).toBeUndefined();
      expect(subnet.inputs.availabilityZoneId).toMatch(/^(use1|euw1)-az\d$/);
    }
  });
});

/** The input holding a type's physical name, where it is not `name` (elsewhere these fields are references). */
const NAME_INPUT: Record<string, string> = {
  'aws:s3/bucket:Bucket': 'bucket',
  'aws:rds/cluster:Cluster': 'clusterIdentifier',
  'aws:rds/clusterInstance:ClusterInstance': 'identifier',
  'aws:rds/globalCluster:GlobalCluster': 'globalClusterIdentifier',
  'aws:cloudwatch/dashboard:Dashboard': 'dashboardName',
};
/** Types whose `name` input is no unique physical name: a replacement never clashes on it. */
const NAMES_NOT_UNIQUE: Record<string, string> = {
  'aws:route53/zone:Zone': 'a DNS name; AWS allows several zones with one name',
  'aws:route53/record:Record': 'a record name inside its zone, replaced in one change batch',
  'aws:globalaccelerator/accelerator:Accelerator': 'a label; accelerators are identified by ARN',
  'aws:cfg/recorderStatus:RecorderStatus': 'names the recorder it switches on',
};
/** Types holding data: a replacement must stop at the name clash, before anything is deleted. */
const HOLDS_DATA: Record<string, string> = {
  'aws:dynamodb/table:Table': "the orchestrator's fence record, lease and action journal; the live nonces",
  'aws:rds/globalCluster:GlobalCluster': 'the database',
  'aws:rds/cluster:Cluster': 'the database',
  'aws:secretsmanager/secret:Secret': 'the current (rotated) credentials',
  'aws:sqs/queue:Queue': 'acknowledged orders waiting to be applied',
  'aws:s3/bucket:Bucket': 'the audit trail (access logs, Config history)',
};

describe('physical names: every fixed name survives a replacement', () => {
  it('each named resource is deleted before its replacement, auto-named, not unique, or holds data (replacement refused)', async () => {
    const run = await plan();
    const problems = run.resources
      .filter((r) => r.custom && r.type.startsWith('aws:') && !r.autoNamed)
      .filter((r) => typeof r.inputs[NAME_INPUT[r.type] ?? 'name'] === 'string')
      .filter((r) => !r.deleteBeforeReplace && !NAMES_NOT_UNIQUE[r.type] && !HOLDS_DATA[r.type])
      .map((r) => `${r.type} ${r.name}: a replacement would be created while the old one holds its name`);
    expect(problems).toEqual([]);
  });

  it('what must be replaced create-first while in use is auto-named: target groups, the cluster’s groups, Aurora instances', async () => {
    const run = await plan();
    for (const type of [
      'aws:lb/targetGroup:TargetGroup',
      'aws:rds/subnetGroup:SubnetGroup',
      'aws:rds/clusterParameterGroup:ClusterParameterGroup',
      'aws:rds/clusterInstance:ClusterInstance',
    ])
      for (const r of ofType(run, type)) {
        expect({ type, name: r.name, autoNamed: r.autoNamed, deleteBeforeReplace: r.deleteBeforeReplace }).toEqual({
          type,
          name: r.name,
          autoNamed: expect.any(String),
          deleteBeforeReplace: false,
        });
        // Still `{resource-type}-{environmentSuffix}`, then the provider's suffix.
        expect(r.inputs[r.autoNamed!]).toMatch(/-dev-[0-9a-f]{7}$/);
      }
  });

  it('no data-holding resource is ever deleted before its replacement exists', async () => {
    const run = await plan();
    const risky = run.resources.filter((r) => HOLDS_DATA[r.type] && r.deleteBeforeReplace).map((r) => r.name);
    expect(risky).toEqual([]);
  });
});

describe('cross-region references only where AWS allows them', () => {
  it('no security group rule references a group of another region (not even across the peering): CIDRs there', async () => {
    const run = await plan();
    const groups = ofType(run, 'aws:ec2/securityGroup:SecurityGroup');
    const regionOfGroup = (id: string) => groups.find((g) => `${g.name}-id` === id)?.region;
    const references = [
      ...groups.flatMap((g) =>
        [...(g.inputs.ingress ?? []), ...(g.inputs.egress ?? [])].flatMap((rule: any) =>
          (rule.securityGroups ?? []).map((id: string) => [g, id] as const),
        ),
      ),
      ...run.resources
        .filter((r) => r.type.startsWith('aws:vpc/securityGroup') && r.inputs.referencedSecurityGroupId)
        .map((r) => [r, r.inputs.referencedSecurityGroupId as string] as const),
    ];
    expect(references.length).toBeGreaterThan(0);
    const crossing = references
      .filter(([r, id]) => regionOfGroup(id) !== r.region)
      .map(([r, id]) => `${r.name} (${r.region}) references ${id} (${regionOfGroup(id) ?? 'unknown'})`);
    expect(crossing).toEqual([]);
  });
});

/**
 * Which interface endpoint serves an IAM action prefix. Lambda functions send their logs and
 * traces through the Lambda service, not their VPC network interfaces; S3 goes through the
 * gateway endpoint.
 */
const ENDPOINT_OF_PREFIX: Record<string, string | undefined> = {
  secretsmanager: 'secretsmanager',
  kms: 'kms',
  sns: 'sns',
  cloudwatch: 'monitoring',
  logs: 'logs',
  ssm: 'ssm',
  ssmmessages: 'ssmmessages',
  ec2messages: 'ec2messages',
  rds: 'rds',
  lambda: 'lambda',
  s3: 's3',
  // This region's book replica and request ledger (the gateway endpoint); the peer replica is
  // reached through the other region's interface endpoint over the peering (peer-endpoint.test.ts).
  dynamodb: 'dynamodb',
};
// Called by the Lambda service with the function's role, not by its code (ec2: its network interfaces).
const THROUGH_LAMBDA_SERVICE = ['logs', 'xray', 'ec2'];

describe('private workloads reach every AWS API they are granted without NAT', () => {
  it.each(['us-east-1', 'eu-west-1'])(
    'in %s: an endpoint for every service a VPC function or instance may call',
    async (region) => {
      const run = await plan();
      const endpoints = ofType(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', region).map((e) =>
        e.inputs.serviceName.split('.').pop(),
      );
      const roleOf = (arnOrName: string) =>
        ofType(run, 'aws:iam/role:Role').find(
          (r) => arnOrName.endsWith(`/${r.inputs.name}`) || arnOrName === r.inputs.name,
        )!;
      const workloads: [string, RecordedResource, boolean][] = [
        ...ofType(run, 'aws:lambda/function:Function', region)
          .filter((f) => f.inputs.vpcConfig)
          .map((f): [string, RecordedResource, boolean] => [f.name, roleOf(f.inputs.role), true]),
        ...ofType(run, 'aws:iam/instanceProfile:InstanceProfile', region).map(
          (p): [string, RecordedResource, boolean] => [p.name, roleOf(p.inputs.role), false],
        ),
      ];
      expect(workloads.map(([, , isFunction]) => isFunction)).toEqual(expect.arrayContaining([true, false]));
      const missing = workloads.flatMap(([who, role, isFunction]) => {
        const policies = ofType(run, 'aws:iam/rolePolicy:RolePolicy').filter((p) =>
          [role.inputs.name, `${role.name}-id`].includes(p.inputs.role),
        );
        const prefixes = new Set(
          policies.flatMap((p) =>
            JSON.parse(p.inputs.policy).Statement.flatMap((s: any) =>
              [s.Action].flat().map((a: string) => a.split(':')[0]),
            ),
          ),
        );
        return [...prefixes]
          .filter((prefix) => !(isFunction && THROUGH_LAMBDA_SERVICE.includes(prefix)))
          .flatMap((prefix) => {
            const endpoint = ENDPOINT_OF_PREFIX[prefix];
            if (!endpoint) return [`${who}: no endpoint known for ${prefix} (add it here)`];
            return endpoints.includes(endpoint)
              ? []
              : [`${who} may call ${prefix}, but there is no ${endpoint} endpoint`];
          });
      });
      expect(missing).toEqual([]);
    },
  );
});

describe('drift the engine would revert: inputs AWS or the program changes after creation', () => {
  it('an Auto Scaling group with scaling policies ignores desiredCapacity (the policies own it)', async () => {
    const run = await plan();
    const groups = ofType(run, 'aws:autoscaling/group:Group');
    const scaled = groups.filter((g) =>
      ofType(run, 'aws:autoscaling/policy:Policy').some((p) => p.inputs.autoscalingGroupName === g.inputs.name),
    );
    expect(scaled.map((g) => g.name).sort()).toEqual(groups.map((g) => g.name).sort());
    for (const group of scaled) expect(group.ignoreChanges).toContain('desiredCapacity');
  });

  it('the orchestrator and the canaries never act on a stale or retried event: no async retries, events older than a schedule period dropped', async () => {
    const run = await plan();
    for (const prefix of ['fn-failover', 'fn-canary']) {
      const rule = ofType(run, 'aws:cloudwatch/eventRule:EventRule').find((r) =>
        r.name.startsWith(`${prefix}-schedule`),
      )!;
      const periodSeconds = Number(/rate\((\d+) minutes?\)/.exec(rule.inputs.scheduleExpression)![1]) * 60;
      const configs = ofType(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').filter((c) =>
        String(c.inputs.functionName).startsWith(prefix),
      );
      expect(configs.length).toBeGreaterThan(0);
      for (const config of configs) {
        expect(config.inputs.maximumRetryAttempts).toBe(0);
        expect(config.inputs.maximumEventAgeInSeconds).toBeLessThanOrEqual(periodSeconds);
      }
    }
  });
});
