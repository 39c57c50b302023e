/**
 * The live order book as the program deploys it (issue 22 item 1, issue 25 item 1): one global
 * table with a replica per region, each encrypted, recoverable and fenced off by a resource
 * policy; its signing key replicated like the credentials. Graph-level: the real program under
 * mocks.
 */
import {
  BOOK_WRITE_ACTIONS,
  bookResourcePolicy,
  REPLICATION_ROLE_PATH,
  replicaTableArn,
} from '../lib/data/book-policy';
import { parseSettings, readRawConfig } from '../lib/config';
import { parseBookApplierEnvironment } from '../lambda/book-applier/environment';
import { parseBookSettings, tradingEnvironment } from '../lambda/trading/environment';
import { stackConfig } from '../scripts/offline';
import { estimateCost } from '../lib/model/cost';
import { named, ofType, plan, PRIMARY, PROTECTED, SECONDARY, TUNED } from './helpers/plan';

const ACCOUNT = '123456789012';
const BREAK_GLASS = TUNED.bookBreakGlassRoleArn;
const TABLE = 'aws:dynamodb/table:Table';
const POLICY = 'aws:dynamodb/resourcePolicy:ResourcePolicy';

describe('the book is a global table (version 2019.11.21) with a replica in the secondary', () => {
  it('on demand, streamed, point-in-time recoverable, encrypted with each region’s book key', async () => {
    const run = await plan();
    const [table] = ofType(run, TABLE).filter((t) => t.inputs.name === 'ddb-order-book-dev');
    expect(table.region).toBe(PRIMARY);
    const bookKey = (code: string) => named(run, 'aws:kms/key:Key', `kms-book-${code}-dev`);
    expect(bookKey('use1').region).toBe(PRIMARY);
    expect(bookKey('euw1').region).toBe(SECONDARY);
    expect(table.inputs).toMatchObject({
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/kms-book-use1-dev` },
      deletionProtectionEnabled: false,
    });
    expect(table.inputs.replicas).toEqual([
      {
        regionName: SECONDARY,
        kmsKeyArn: `arn:aws:kms:${SECONDARY}:${ACCOUNT}:key/kms-book-euw1-dev`,
        pointInTimeRecovery: true,
        deletionProtectionEnabled: false,
        propagateTags: true,
      },
    ]);
  });

  it('deletion protection on the table and its replica only when dataProtection is protected', async () => {
    const run = await plan(PROTECTED);
    const table = named(run, TABLE, 'ddb-order-book-dev');
    expect(table.inputs.deletionProtectionEnabled).toBe(true);
    expect(
      table.inputs.replicas.map((r: { deletionProtectionEnabled: boolean }) => r.deletionProtectionEnabled),
    ).toEqual([true]);
  });

  it('the signing key: 32 random bytes in a secret replicated to the secondary with its own key', async () => {
    const run = await plan();
    const secret = named(run, 'aws:secretsmanager/secret:Secret', 'secret-book-signing-dev');
    expect(secret.region).toBe(PRIMARY);
    expect(secret.inputs.kmsKeyId).toBe(`arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/kms-secrets-use1-dev`);
    expect(secret.inputs.replicas).toEqual([
      { region: SECONDARY, kmsKeyId: `arn:aws:kms:${SECONDARY}:${ACCOUNT}:key/kms-secrets-euw1-dev` },
    ]);
    expect(named(run, 'random:index/randomBytes:RandomBytes', 'secret-book-signing-dev').inputs.length).toBe(32);
  });
});

describe('no back door to the book (issue 25 item 1)', () => {
  const policies = async (overrides: Record<string, unknown> = {}) => {
    const run = await plan(overrides);
    return Object.fromEntries(
      ofType(run, POLICY).map((p) => [p.region, { arn: p.inputs.resourceArn, doc: JSON.parse(p.inputs.policy) }]),
    );
  };

  it('each replica denies item writes to every principal but the service roles and replication', async () => {
    const byRegion = await policies();
    expect(Object.keys(byRegion).sort()).toEqual([SECONDARY, PRIMARY].sort());
    for (const region of [PRIMARY, SECONDARY]) {
      const { arn, doc } = byRegion[region];
      expect(arn).toBe(`arn:aws:dynamodb:${region}:${ACCOUNT}:table/ddb-order-book-dev`);
      const [deny] = doc.Statement;
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Resource: [arn, `${arn}/index/*`] });
      expect(deny.Action).toEqual(
        expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem']),
      );
      const allowed: string[] = deny.Condition.ArnNotEquals['aws:PrincipalArn'];
      expect(allowed.sort()).toEqual(
        [
          ...['use1', 'euw1'].flatMap((code) => [
            `arn:aws:iam::${ACCOUNT}:role/role-fn-trading-${code}-dev`,
            `arn:aws:iam::${ACCOUNT}:role/role-ec2-trading-${code}-dev`,
            `arn:aws:iam::${ACCOUNT}:role/role-fn-failover-${code}-dev`,
            `arn:aws:iam::${ACCOUNT}:role/role-fn-keeper-${code}-dev`,
          ]),
          // Denying the replication role would stop replication and, after 20 h, cut the replica loose.
          `arn:aws:iam::${ACCOUNT}:${REPLICATION_ROLE_PATH}`,
        ].sort(),
      );
    }
  });

  it('the roles the policy admits are the roles the program builds (a renamed role would be locked out)', async () => {
    const run = await plan();
    const roles = new Set(ofType(run, 'aws:iam/role:Role').map((r) => `arn:aws:iam::${ACCOUNT}:role/${r.inputs.name}`));
    const admitted: string[] = JSON.parse(ofType(run, POLICY)[0].inputs.policy).Statement[0].Condition.ArnNotEquals[
      'aws:PrincipalArn'
    ];
    const service = admitted.filter((arn) => !arn.includes('aws-service-role'));
    // The orchestrator lives in the secondary only, the keeper in the primary only; the other
    // region's name of each is admitted for symmetry.
    expect(service.filter((arn) => !roles.has(arn))).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/role-fn-failover-use1-dev`,
      `arn:aws:iam::${ACCOUNT}:role/role-fn-keeper-euw1-dev`,
    ]);
  });

  it('a configured break-glass role is the only other writer', async () => {
    const byRegion = await policies(TUNED);
    for (const region of [PRIMARY, SECONDARY]) {
      expect(byRegion[region].doc.Statement[0].Condition.ArnNotEquals['aws:PrincipalArn']).toContain(BREAK_GLASS);
    }
  });

  it('refuses a break-glass value that is not a role ARN, naming the key', () => {
    const raw = { ...readRawConfig('tap', stackConfig('dev')), bookBreakGlassRoleArn: 'arn:aws:iam::123:user/admin' };
    expect(() => parseSettings(raw)).toThrow(/bookBreakGlassRoleArn: must be an IAM role ARN/);
  });

  it('the policy document never denies the replication role, with or without break-glass', () => {
    for (const breakGlassRoleArn of [undefined, BREAK_GLASS]) {
      const doc = bookResourcePolicy({
        accountId: ACCOUNT,
        tableArn: `arn:aws:dynamodb:${PRIMARY}:${ACCOUNT}:table/t`,
        writerRoleArns: [],
        breakGlassRoleArn,
      });
      for (const s of doc.Statement) {
        expect(s.Effect).toBe('Deny');
        expect((s.Condition as any).ArnNotEquals['aws:PrincipalArn']).toContain(
          `arn:aws:iam::${ACCOUNT}:${REPLICATION_ROLE_PATH}`,
        );
        expect((s.Condition as any).Bool['aws:PrincipalIsAWSService']).toBe('false');
        expect(s.Action).toEqual([...BOOK_WRITE_ACTIONS]);
      }
    }
  });

  it('replica ARNs swap the region only', () => {
    expect(replicaTableArn(`arn:aws:dynamodb:${PRIMARY}:${ACCOUNT}:table/t`, SECONDARY)).toBe(
      `arn:aws:dynamodb:${SECONDARY}:${ACCOUNT}:table/t`,
    );
    expect(() => replicaTableArn(`arn:aws:sqs:${PRIMARY}:${ACCOUNT}:q`, SECONDARY)).toThrow(/not a DynamoDB table ARN/);
  });
});

describe('the book applier: one per region, on its own replica stream, into its own cluster', () => {
  const FN = 'aws:lambda/function:Function';
  it.each([
    ['use1', PRIMARY],
    ['euw1', SECONDARY],
  ])('%s: its environment parses, it writes only to its own cluster, it reads its own stream', async (code, region) => {
    const run = await plan();
    const fn = named(run, FN, `fn-book-apply-${code}-dev`);
    expect(fn.region).toBe(region);
    const env = parseBookApplierEnvironment(fn.inputs.environment.variables);
    // Its own cluster, never the global writer endpoint: it must not write across regions.
    expect(env.DB_HOST).toBe(`aurora-${code}-dev.cluster-abc.${region}.rds.amazonaws.com`);
    expect(env.BOOK_SIGNING_SECRET_ARN).toBe(
      `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:secret-book-signing-dev-AbCdEf`,
    );
    const mapping = ofType(run, 'aws:lambda/eventSourceMapping:EventSourceMapping', region).find(
      (m) => m.inputs.functionName === fn.inputs.name || String(m.inputs.functionName).endsWith(`:${fn.inputs.name}`),
    )!;
    expect(mapping.inputs).toMatchObject({
      eventSourceArn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/ddb-order-book-dev/stream/2026-01-01T00:00:00.000`,
      startingPosition: 'TRIM_HORIZON',
      functionResponseTypes: ['ReportBatchItemFailures'],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
    });
    const pattern = JSON.parse(mapping.inputs.filterCriteria.filters[0].pattern);
    expect(pattern.dynamodb.Keys.pk.S).toEqual([{ prefix: 'order#' }]);

    const policy = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', `role-fn-book-apply-${code}-dev`).inputs.policy,
    );
    const stream = policy.Statement.find((s: any) => s.Sid === 'ReadBookStream');
    expect(stream.Resource).toBe(`arn:aws:dynamodb:${region}:${ACCOUNT}:table/ddb-order-book-dev/stream/*`);
    // It reads the stream, never the table: no item action at all.
    const actions = policy.Statement.flatMap((s: any) => [s.Action].flat());
    expect(
      actions.filter((a: string) => /^dynamodb:(Put|Update|Delete|BatchWrite|GetItem|Query|Scan)/.test(a)),
    ).toEqual([]);
  });
});

describe('watching the book', () => {
  const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm';
  it.each(['use1', 'euw1'])(
    '%s: the ledger lag (applier iterator age) and regional acknowledgements are alarmed',
    async (code) => {
      const run = await plan();
      const lag = named(run, ALARM, `alarm-book-apply-lag-${code}-dev`);
      expect(lag.inputs).toMatchObject({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensions: { FunctionName: `fn-book-apply-${code}-dev` },
        statistic: 'Maximum',
        threshold: 60_000,
      });
      const filter = named(
        run,
        'aws:cloudwatch/logMetricFilter:LogMetricFilter',
        `metric-filter-book-regional-acks-${code}-dev`,
      );
      expect(filter.inputs.logGroupName).toBe(`/aws/lambda/fn-trading-${code}-dev`);
      const regional = named(run, ALARM, `alarm-book-regional-durability-${code}-dev`);
      expect(regional.inputs).toMatchObject({
        namespace: filter.inputs.metricTransformation.namespace,
        metricName: filter.inputs.metricTransformation.name,
        threshold: 0,
      });
      expect(named(run, ALARM, `alarm-book-items-refused-${code}-dev`).inputs.metricName).toBe('BookItemsRefused');
    },
  );

  it.each(['use1', 'euw1'])(
    "%s: the replica's throttled writes and transaction conflicts (orders answered 503 overloaded) are alarmed",
    async (code) => {
      const run = await plan();
      const table = named(run, 'aws:dynamodb/table:Table', 'ddb-order-book-dev');
      const throttled = named(run, ALARM, `alarm-book-write-throttled-${code}-dev`);
      expect(throttled.inputs).toMatchObject({
        namespace: 'AWS/DynamoDB',
        metricName: 'WriteThrottleEvents',
        dimensions: { TableName: table.inputs.name },
        statistic: 'Sum',
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
      const conflicts = named(run, ALARM, `alarm-book-transaction-conflicts-${code}-dev`);
      expect(conflicts.inputs).toMatchObject({
        namespace: 'AWS/DynamoDB',
        metricName: 'TransactionConflict',
        dimensions: { TableName: table.inputs.name },
        statistic: 'Sum',
        threshold: 0,
      });
      expect(conflicts.inputs.datapointsToAlarm).toBeLessThanOrEqual(conflicts.inputs.evaluationPeriods);
    },
  );

  it('the metric filter matches the order API’s own log line for a regional acknowledgement, and only that', () => {
    // CloudWatch's JSON filter syntax evaluated on the line lambda/trading/api.ts logs.
    const pattern = '{ ($.message = "order accepted") && ($.durability = "regional") }';
    const matches = (line: Record<string, unknown>) =>
      [...pattern.matchAll(/\$\.(\w+) = "([^"]+)"/g)].every(([, key, value]) => line[key] === value);
    expect(matches({ message: 'order accepted', durability: 'regional', orderId: 'x' })).toBe(true);
    expect(matches({ message: 'order accepted', durability: 'cross-region' })).toBe(false);
  });

  it('the dashboard shows each region’s ledger lag', async () => {
    const run = await plan();
    const [dashboard] = ofType(run, 'aws:cloudwatch/dashboard:Dashboard');
    const body = JSON.stringify(JSON.parse(dashboard.inputs.dashboardBody));
    for (const code of ['use1', 'euw1'])
      expect(body).toContain(
        JSON.stringify(['AWS/Lambda', 'IteratorAge', 'FunctionName', `fn-book-apply-${code}-dev`]),
      );
  });
});

describe('the order API writes the book (Lambda and EC2, both regions)', () => {
  it.each([
    ['use1', PRIMARY, SECONDARY],
    ['euw1', SECONDARY, PRIMARY],
  ])('%s: its planned environment names the book through its own contract', async (code, region, peer) => {
    const run = await plan();
    const vars = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`).inputs.environment.variables;
    expect(tradingEnvironment.safeParse(vars).success).toBe(true);
    expect(parseBookSettings(vars)).toEqual({
      tableName: 'ddb-order-book-dev',
      peerRegion: peer,
      signingSecretArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:secret-book-signing-dev-AbCdEf`,
      // The peer replica through its region's DynamoDB interface endpoint (test/peer-endpoint.test.ts).
      peerEndpoint: expect.stringMatching(
        new RegExp(`^https://vpce-[0-9a-z]+-[0-9a-z]+\\.dynamodb\\.${peer}\\.vpce\\.amazonaws\\.com$`),
      ),
    });
  });

  it.each(['role-fn-trading', 'role-ec2-trading'])(
    '%s: GetItem, PutItem and ConditionCheckItem on both replicas, nothing else on the book',
    async (role) => {
      const run = await plan();
      for (const [code, region] of [
        ['use1', PRIMARY],
        ['euw1', SECONDARY],
      ]) {
        const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', `${role}-${code}-dev`).inputs.policy);
        const book = policy.Statement.filter((s: any) =>
          [s.Resource].flat().some((r: string) => String(r).includes('ddb-order-book')),
        );
        expect(book).toEqual([
          {
            Sid: 'AcknowledgeOrdersInTheBook',
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
            Resource: [PRIMARY, SECONDARY].map((r) => `arn:aws:dynamodb:${r}:${ACCOUNT}:table/ddb-order-book-dev`),
          },
        ]);
        const signing = policy.Statement.find((s: any) => s.Sid === 'ReadBookSigningKey');
        expect(signing.Resource).toBe(
          `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:secret-book-signing-dev-AbCdEf`,
        );
      }
    },
  );

  it.each(['use1', 'euw1'])('%s: its local replica is reachable: endpoint policy and security groups', async (code) => {
    const run = await plan();
    const endpoint = named(run, 'aws:ec2/vpcEndpoint:VpcEndpoint', `vpce-dynamodb-${code}-dev`);
    const write = JSON.parse(endpoint.inputs.policy).Statement.find((s: any) => s.Sid === 'WriteTheOrderBook');
    expect(write.Action).toEqual(['dynamodb:PutItem', 'dynamodb:ConditionCheckItem']);
    expect(write.Resource).toMatch(/:table\/ddb-order-book-dev$/);
    for (const sg of [`sg-app-${code}-dev`, `sg-ec2-${code}-dev`]) {
      const egress = named(run, 'aws:ec2/securityGroup:SecurityGroup', sg).inputs.egress;
      expect(egress).toContainEqual(
        expect.objectContaining({ fromPort: 443, prefixListIds: [`pl-vpce-dynamodb-${code}-dev`] }),
      );
    }
  });
});

describe('the book in the cost estimate', () => {
  it('prices the book’s writes (replicated writes included), reads, storage and recovery in both regions', async () => {
    const run = await plan();
    const { usage } = estimateCost(run.resources.filter((r) => r.custom));
    for (const region of [PRIMARY, SECONDARY]) {
      const book = usage.filter((u) => u.region === region && u.item.startsWith('order book'));
      expect(book.map((u) => u.per).sort()).toEqual(
        ['GB-month', 'GB-month', 'million read request units', 'million write request units'].sort(),
      );
      expect(book.find((u) => u.per === 'million write request units')!.item).toMatch(/replicated writes/);
    }
  });
});
