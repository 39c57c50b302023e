/**
 * Issue 12, infrastructure side: the cross-region order journal as deployed. Where the journal
 * code has its own validator, the deployed environment is fed to it.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { auditorSettingsFromEnv } from '../lambda/journal-auditor/handler';
import { AUDIT_METRICS, METRIC_NAMESPACES, METRIC_SERVICES } from '../lambda/facts/metrics';
import { createOrderJournal, journalConfigFromEnv } from '../lambda/shared/journal';
import type { Order } from '../lambda/trading/order';
import { JOURNAL_AUDITOR_TIMEOUT_SECONDS } from '../lib/config';
import { RecordedResource } from '../scripts/offline';
import { dependsOnTransitively, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const FN = 'aws:lambda/function:Function';
const QUEUE = 'aws:sqs/queue:Queue';
const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm';
const REGIONS = [
  [PRIMARY, 'use1'],
  [SECONDARY, 'euw1'],
] as const;
const GLOBAL_WRITER = 'aurora-global-dev.global-abc.global.rds.amazonaws.com';
const envOf = (r: RecordedResource) => r.inputs.environment.variables as Record<string, string>;
const policyOf = (run: Awaited<ReturnType<typeof plan>>, role: string) =>
  JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', role).inputs.policy).Statement as any[];
/** The systemd environment of the EC2 fleet, as its user data writes it. */
const fleetEnv = (run: Awaited<ReturnType<typeof plan>>, code: string) => {
  const script = Buffer.from(
    named(run, 'aws:ec2/launchTemplate:LaunchTemplate', `lt-trading-${code}-dev`).inputs.userData,
    'base64',
  ).toString();
  const decode = (v: string) => v.replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return Object.fromEntries(
    [...script.matchAll(/^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map(([, k, v]) => [k, decode(v)]),
  );
};

describe('journal queues', () => {
  it.each(REGIONS)(
    'in %s: an encrypted standard queue kept 14 days, first audited after the delay, retried, never dead-lettered',
    async (region, code) => {
      const run = await plan();
      const key = `arn:aws:kms:${region}:123456789012:key/kms-queues-${code}-dev`;
      const journal = named(run, QUEUE, `sqs-journal-${code}-dev`);
      expect(journal.region).toBe(region);
      expect(journal.inputs).toMatchObject({
        kmsMasterKeyId: key,
        kmsDataKeyReusePeriodSeconds: 300,
        messageRetentionSeconds: 1_209_600,
        delaySeconds: 5,
        visibilityTimeoutSeconds: 30,
      });
      expect(journal.inputs.fifoQueue).toBeUndefined();
      // However often an unreplicated order comes back, it stays under audit.
      expect(journal.inputs.redrivePolicy).toBeUndefined();
      // AWS: an SQS event source's visibility timeout at least six times the function's timeout.
      const auditor = named(run, FN, `fn-journal-audit-${code}-dev`);
      expect(journal.inputs.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(6 * auditor.inputs.timeout);
      expect(named(run, QUEUE, `sqs-journal-parked-${code}-dev`).inputs.kmsMasterKeyId).toBe(key);
    },
  );

  it('only the order writers of either region may send to a journal, over TLS, from this account', async () => {
    const run = await plan();
    // Every process that stores orders: the trading Lambdas and the EC2 fleets.
    const writerRoles = [
      ...ofType(run, FN)
        .filter((f) => /^fn-trading-/.test(f.name))
        .map((f) => f.inputs.role),
      ...ofType(run, 'aws:iam/role:Role')
        .filter((r) => /^role-ec2-trading-/.test(r.name))
        .map((r) => `arn:aws:iam::123456789012:role/${r.inputs.name}`),
    ].sort();
    expect(writerRoles).toHaveLength(4);
    for (const [, code] of REGIONS) {
      const statements = JSON.parse(
        named(run, 'aws:sqs/queuePolicy:QueuePolicy', `sqs-journal-${code}-dev`).inputs.policy,
      ).Statement;
      const allow = statements.find((s: any) => s.Sid === 'OrderWritersJournal');
      expect(allow).toMatchObject({ Effect: 'Allow', Action: 'sqs:SendMessage' });
      expect(allow.Condition.StringEquals['aws:PrincipalAccount']).toBe('123456789012');
      expect([...allow.Condition.ArnEquals['aws:PrincipalArn']].sort()).toEqual(writerRoles);
      const deny = statements.find((s: any) => s.Sid === 'NoOtherWriters');
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage' });
      expect([...deny.Condition.ArnNotEquals['aws:PrincipalArn']].sort()).toEqual(writerRoles);
      expect(statements.find((s: any) => s.Sid === 'TlsOnly').Condition).toEqual({
        Bool: { 'aws:SecureTransport': 'false' },
      });
    }
  });
});

describe('order writers journal to the other region', () => {
  it.each(REGIONS)(
    'in %s: trading Lambda and fleet get the settings the journal code accepts',
    async (_region, code) => {
      const run = await plan();
      const orchestrator = envOf(named(run, FN, 'fn-failover-euw1-dev'));
      for (const env of [envOf(named(run, FN, `fn-trading-${code}-dev`)), fleetEnv(run, code)]) {
        expect(journalConfigFromEnv(env)).toEqual({
          durability: 'cross-region',
          timeoutMs: 1000,
          queueUrls: {
            [PRIMARY]: 'https://sqs.us-east-1.amazonaws.com/123456789012/sqs-journal-use1-dev',
            [SECONDARY]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/sqs-journal-euw1-dev',
          },
        });
        // The fence record the orchestrator writes, where it writes it, under the name it uses.
        expect(env).toMatchObject({
          FENCE_TABLE_NAME: orchestrator.EVIDENCE_TABLE,
          FENCE_TABLE_REGION: SECONDARY,
          FENCE_NAME: orchestrator.GLOBAL_CLUSTER_ID,
          DB_HOST: GLOBAL_WRITER,
        });
      }
    },
  );

  it.each(REGIONS)(
    'in %s: writers may send to both journals (encrypting with their keys) and read the fence',
    async (_region, code) => {
      const run = await plan();
      for (const role of [`role-fn-trading-${code}-dev`, `role-ec2-trading-${code}-dev`]) {
        const statements = policyOf(run, role);
        const sid = (id: string) => statements.find((s) => s.Sid === id);
        expect([...sid('JournalOrders').Resource].sort()).toEqual([
          'arn:aws:sqs:eu-west-1:123456789012:sqs-journal-euw1-dev',
          'arn:aws:sqs:us-east-1:123456789012:sqs-journal-use1-dev',
        ]);
        for (const [keyRegion, keyCode] of REGIONS)
          expect(sid(`EncryptJournal${keyCode[0].toUpperCase()}${keyCode.slice(1)}`)).toEqual({
            Sid: `EncryptJournal${keyCode[0].toUpperCase()}${keyCode.slice(1)}`,
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: `arn:aws:kms:${keyRegion}:123456789012:key/kms-queues-${keyCode}-dev`,
            // Through SQS in the key's region, for that journal only.
            Condition: {
              StringEquals: {
                'kms:ViaService': `sqs.${keyRegion}.amazonaws.com`,
                'kms:EncryptionContext:aws:sqs:arn': [
                  `arn:aws:sqs:${keyRegion}:123456789012:sqs-journal-${keyCode}-dev`,
                ],
              },
            },
          });
        expect(sid('ReadFenceRecord')).toMatchObject({
          Action: 'dynamodb:GetItem',
          Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/ddb-failover-evidence-euw1-dev',
        });
      }
    },
  );

  it('regional durability is a config choice the writers honour', async () => {
    const run = await plan({ orderDurability: 'regional' });
    expect(journalConfigFromEnv(envOf(named(run, FN, 'fn-trading-use1-dev'))).durability).toBe('regional');
  });

  it('cross-region durability needs a NAT (VPC endpoints serve their own region only)', async () => {
    await expect(plan({ natStrategy: 'none' })).rejects.toThrow(
      /natStrategy: must be single or perAz with orderDurability cross-region/,
    );
    await expect(plan({ natStrategy: 'none', orderDurability: 'regional' })).resolves.toBeDefined();
  });
});

describe('journal auditor', () => {
  it.each(REGIONS)(
    'in %s: reads its own journal against its own cluster, voids against the global writer',
    async (region, code) => {
      const run = await plan();
      const fn = named(run, FN, `fn-journal-audit-${code}-dev`);
      expect(fn.region).toBe(region);
      expect(fn.inputs.timeout).toBe(JOURNAL_AUDITOR_TIMEOUT_SECONDS);
      // A bounded number of auditors, so their connections stay inside dbReservedConnections.
      expect(fn.inputs.reservedConcurrentExecutions).toBe(2);
      expect(fn.inputs.memorySize).toBe(256);
      const env = envOf(fn);
      expect(auditorSettingsFromEnv(env)).toEqual({
        parkedQueueUrl: `https://sqs.${region}.amazonaws.com/123456789012/sqs-journal-parked-${code}-dev`,
        orphanAfterSeconds: 300,
      });
      expect(env).toMatchObject({
        DB_HOST: `aurora-${code}-dev.cluster-abc.${region}.rds.amazonaws.com`,
        DB_READ_HOST: `aurora-${code}-dev.cluster-ro-abc.${region}.rds.amazonaws.com`,
        WRITER_DB_HOST: GLOBAL_WRITER,
        REGION_NAME: region,
      });
      expect(fn.inputs.vpcConfig.securityGroupIds).toEqual([`sg-app-${code}-dev-id`]);
      const mapping = named(
        run,
        'aws:lambda/eventSourceMapping:EventSourceMapping',
        `fn-journal-audit-sqs-${code}-dev`,
      );
      expect(mapping.inputs).toMatchObject({
        eventSourceArn: `arn:aws:sqs:${region}:123456789012:sqs-journal-${code}-dev`,
        functionResponseTypes: ['ReportBatchItemFailures'],
      });
      // It polls only once its role may consume, and only once the schema exists.
      expect(
        dependsOnTransitively(
          run,
          mapping,
          named(run, 'aws:iam/rolePolicy:RolePolicy', `role-fn-journal-audit-${code}-dev`),
        ),
      ).toBe(true);
      expect(
        dependsOnTransitively(run, fn, named(run, 'aws:lambda/invocation:Invocation', 'fn-schema-run-use1-dev')),
      ).toBe(true);
    },
  );

  it('may consume only its journal and park; it never journals', async () => {
    const run = await plan();
    const statements = policyOf(run, 'role-fn-journal-audit-euw1-dev');
    const sid = (id: string) => statements.find((s) => s.Sid === id);
    expect(sid('ConsumeJournal').Resource).toBe('arn:aws:sqs:eu-west-1:123456789012:sqs-journal-euw1-dev');
    expect(sid('ParkForOperator')).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: 'arn:aws:sqs:eu-west-1:123456789012:sqs-journal-parked-euw1-dev',
    });
    expect(sid('JournalOrders')).toBeUndefined();
  });
});

describe('RPO exposure alarms', () => {
  it.each(REGIONS)(
    'in %s: unreplicated age on the dimensions Powertools publishes, and the queue backstops',
    async (region, code) => {
      const run = await plan({ journalAlarmAgeSeconds: 45 });
      const age = named(run, ALARM, `alarm-journal-unreplicated-age-${code}-dev`);
      expect(age.region).toBe(region);
      expect(age.inputs).toMatchObject({
        namespace: METRIC_NAMESPACES.journal,
        metricName: AUDIT_METRICS.waitingAge,
        statistic: 'Maximum',
        threshold: 45,
      });
      const metrics = new Metrics({
        namespace: METRIC_NAMESPACES.journal,
        serviceName: METRIC_SERVICES.journalAuditor,
      });
      metrics.addMetric(AUDIT_METRICS.waitingAge, MetricUnit.Seconds, 1);
      const emf = metrics.serializeMetrics() as any;
      const emitted = emf._aws.CloudWatchMetrics[0].Dimensions.map((set: string[]) =>
        Object.fromEntries(set.map((d) => [d, emf[d]])),
      );
      expect(emitted).toContainEqual(age.inputs.dimensions);
      expect(named(run, ALARM, `alarm-journal-oldest-message-${code}-dev`).inputs).toMatchObject({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateAgeOfOldestMessage',
        dimensions: { QueueName: `sqs-journal-${code}-dev` },
        threshold: 45,
      });
      expect(named(run, ALARM, `alarm-journal-parked-${code}-dev`).inputs).toMatchObject({
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: `sqs-journal-parked-${code}-dev` },
        threshold: 0,
      });
      expect(named(run, ALARM, `alarm-journal-recovered-${code}-dev`).inputs).toMatchObject({
        namespace: METRIC_NAMESPACES.journal,
        metricName: AUDIT_METRICS.recovered,
        dimensions: age.inputs.dimensions,
        threshold: 0,
      });
    },
  );

  it('unjournaled orders and failed journal writes are counted from the fields the journal code logs', async () => {
    const run = await plan();
    const logged: Record<string, unknown>[] = [];
    const logger = {
      warn: (_message: string, fields: Record<string, unknown>) => void logged.push(fields),
      error: (_message: string, fields: Record<string, unknown>) => void logged.push(fields),
    };
    const order = { id: '00000000-0000-5000-8000-000000000000', clientOrderId: 'c-1' } as unknown as Order;
    const tx = { query: async () => ({ rows: [] }) };
    const journal = (fenced: boolean) =>
      createOrderJournal(
        { regions: [PRIMARY, SECONDARY], localRegion: PRIMARY, timeoutMs: 50 },
        {
          sender: { send: () => Promise.reject(new Error('unreachable')) },
          fence: { isFenced: async () => fenced },
          logger,
        },
      );
    await expect(journal(true).record('client', order, tx)).resolves.toBe('unjournaled');
    await expect(journal(false).record('client', order, tx)).rejects.toThrow(/did not take the order/);
    expect(logged.map((f) => [f.unjournaled, f.journalFailure])).toEqual([
      [1, undefined],
      [undefined, 1],
    ]);
    for (const [kind, field, metric] of [
      ['unjournaled', 'unjournaled', 'UnjournaledOrders'],
      ['journal-failure', 'journalFailure', 'JournalWriteFailures'],
    ]) {
      const filter = named(
        run,
        'aws:cloudwatch/logMetricFilter:LogMetricFilter',
        `metric-filter-${kind}-trading-use1-dev`,
      );
      expect(filter.inputs).toMatchObject({
        logGroupName: '/aws/lambda/fn-trading-use1-dev',
        pattern: `{ $.${field} = 1 }`,
        metricTransformation: { name: metric, namespace: METRIC_NAMESPACES.journal, value: '1' },
      });
    }
    expect(named(run, ALARM, 'alarm-journal-unjournaled-use1-dev').inputs.metricName).toBe('UnjournaledOrders');
    expect(named(run, ALARM, 'alarm-journal-write-failures-use1-dev').inputs.metricName).toBe('JournalWriteFailures');
  });
});
