/**
 * The orchestrator's Lambda adapter, as deployed: environment in, clients built once, the Lambda
 * context in every log line, metrics as EMF log lines (no API call), Global Accelerator through
 * us-west-2, and the SDK's own retries instead of a hand-written loop.
 */
import type { Context } from 'aws-lambda';
import {
  DescribeEndpointGroupCommand,
  GlobalAcceleratorClient,
  UpdateEndpointGroupCommand,
} from '@aws-sdk/client-global-accelerator';
import { DescribeGlobalClustersCommand, RDSClient, SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient, GetItemCommand, type GetItemCommandInput, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  FAILOVER_FUNCTION_NAME,
  FAILOVER_TOPIC_ARN,
  GLOBAL_CLUSTER_ID,
  PRIMARY_CLUSTER_ARN,
  PRIMARY_ENDPOINT_GROUP_ARN,
  SECONDARY_CLUSTER_ARN,
  SECONDARY_ENDPOINT_GROUP_ARN,
} from '../helpers/failover-fixtures';

const env = {
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_METRICS_DISABLED: 'false',
  GLOBAL_CLUSTER_ID,
  PRIMARY_CLUSTER_ARN,
  SECONDARY_CLUSTER_ARN,
  PRIMARY_REGION: 'us-east-1',
  CANARY_VANTAGES: 'eu-west-1,us-west-2',
  PROBE_INTERVAL_SECONDS: '10',
  RECOVERY_WINDOW_SECONDS: '90',
  FAST_WINDOW_SECONDS: '20',
  LEASE_SECONDS: '180',
  PRIMARY_ENDPOINT_GROUP_ARN,
  SECONDARY_ENDPOINT_GROUP_ARN,
  TOPIC_ARN: FAILOVER_TOPIC_ARN,
  ENVIRONMENT: 'dev',
  EVIDENCE_TABLE: 'ddb-failover-evidence-dev',
  BOOK_TABLE_NAME: 'ddb-order-book-dev',
  BOOK_REGIONS: 'us-east-1,eu-west-1',
  ARBITER_TABLE: 'ddb-arbiter-usw2-dev',
  ARBITER_TABLE_REGION: 'us-west-2',
  METRIC_NAMESPACE: 'TAP/Failover',
};

const context = {
  awsRequestId: 'req-1234',
  functionName: FAILOVER_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${FAILOVER_FUNCTION_NAME}`,
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 90_000,
} as unknown as Context;

const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

it('wires clients, context, metrics and the store as deployed', async () => {
  Object.assign(process.env, env);
  const rds = mockClient(RDSClient);
  const ga = mockClient(GlobalAcceleratorClient);
  const sns = mockClient(SNSClient);
  const ddb = mockClient(DynamoDBDocumentClient);
  const clientRegions: Record<string, string> = {};
  const retries: Record<string, [number, string]> = {};
  type AnyClient = {
    config: {
      region: () => Promise<string>;
      retryStrategy: () => Promise<{ mode: string; maxAttemptsProvider: () => Promise<number> }>;
    };
  };
  const note = async (name: string, client: AnyClient) => {
    clientRegions[name] = await client.config.region();
    const strategy = await client.config.retryStrategy();
    retries[name] = [await strategy.maxAttemptsProvider(), strategy.mode];
  };
  rds.on(DescribeGlobalClustersCommand).callsFake(async (_input, getClient) => {
    await note('rds', getClient() as unknown as AnyClient);
    return {
      GlobalClusters: [
        {
          GlobalClusterIdentifier: GLOBAL_CLUSTER_ID,
          Status: 'available',
          GlobalClusterMembers: [
            { DBClusterArn: PRIMARY_CLUSTER_ARN, IsWriter: true },
            { DBClusterArn: SECONDARY_CLUSTER_ARN, IsWriter: false },
          ],
        },
      ],
    };
  });
  rds.on(SwitchoverGlobalClusterCommand).resolves({});
  ga.on(DescribeEndpointGroupCommand).callsFake(async (input, getClient) => {
    await note('ga', getClient() as unknown as AnyClient);
    return {
      EndpointGroup: { EndpointGroupArn: input.EndpointGroupArn, TrafficDialPercentage: 100, EndpointGroupRegion: 'x' },
    };
  });
  ga.on(UpdateEndpointGroupCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  // The order book's replicas: a planned switchover moves its writer to eu-west-1 (both answer).
  const book = mockClient(DynamoDBClient);
  const writerItem = {
    pk: { S: 'writer' },
    region: { S: 'us-east-1' },
    epoch: { N: '3' },
    durability: { S: 'cross-region' },
  };
  book.on(GetItemCommand).resolves({ Item: writerItem });
  book.on(PutItemCommand).resolves({});
  const lines: string[] = [];
  const capture = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation(capture),
  );

  // Imported only now: the handler reads its environment and builds its clients at load, as in Lambda.
  const { handler } = await import('../../lambda/orchestrator/handler');
  const outcome = await handler({ action: 'switchover' }, context);
  spies.forEach((s) => s.mockRestore());

  expect(outcome).toMatchObject({ trigger: 'switchover', actions: [{ kind: 'switchover' }] });
  expect(clientRegions).toEqual({ rds: 'eu-west-1', ga: 'us-west-2' });
  expect(retries).toEqual({ rds: [3, 'standard'], ga: [3, 'standard'] });
  // The lease: a conditional put into the evidence table, keyed on the global cluster.
  const lease = ddb.commandCalls(PutCommand).find((c) => String(c.args[0].input.Item?.pk).startsWith('lease#'));
  expect(lease?.args[0].input).toMatchObject({
    TableName: 'ddb-failover-evidence-dev',
    Item: { pk: 'lease#promotion#aurora-global-dev', owner: 'req-1234' },
    ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
  });
  const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const request = json.find((l) => l.message === 'operator request');
  expect(request).toMatchObject({
    function_request_id: 'req-1234',
    function_name: 'fn-failover-euw1-dev',
    cold_start: expect.any(Boolean),
  });
  const emf = json.find((l) => l._aws);
  expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
    Namespace: 'TAP/Failover',
    Dimensions: [['service', 'Environment']],
    Metrics: [{ Name: 'SwitchoverInitiated', Unit: 'Count' }],
  });
  expect(emf).toMatchObject({ service: 'orchestrator', Environment: 'dev', SwitchoverInitiated: 1 });
  // The writer item moved, epoch 3 -> 4, cross-region, conditional on the epoch it read.
  expect(book.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
    TableName: 'ddb-order-book-dev',
    Item: { pk: { S: 'writer' }, region: { S: 'eu-west-1' }, epoch: { N: '4' }, durability: { S: 'cross-region' } },
    ConditionExpression: '#epoch = :from',
    ExpressionAttributeValues: { ':from': { N: '3' } },
  });
  book.restore();
});

it('reaches the order book writer item in each replica through that region, as the fast path moves it', async () => {
  Object.assign(process.env, env);
  const ddb = mockClient(DynamoDBClient);
  const regions: string[] = [];
  ddb.on(GetItemCommand).callsFake(async (input: GetItemCommandInput, getClient) => {
    regions.push(await (getClient() as unknown as { config: { region: () => Promise<string> } }).config.region());
    expect(input).toEqual({ TableName: 'ddb-order-book-dev', Key: { pk: { S: 'writer' } }, ConsistentRead: true });
    return {
      Item: { pk: { S: 'writer' }, region: { S: 'us-east-1' }, epoch: { N: '3' }, durability: { S: 'cross-region' } },
    };
  });
  const { bookControlFor } = await import('../../lambda/orchestrator/book-control');
  const { configFromEnv } = await import('../../lambda/orchestrator/config');
  const control = bookControlFor(configFromEnv(process.env).book);
  expect(await control?.readWriter('eu-west-1')).toEqual({ region: 'us-east-1', epoch: 3, durability: 'cross-region' });
  await control?.readWriter('us-east-1');
  expect(regions).toEqual(['eu-west-1', 'us-east-1']);
  ddb.restore();
});

it('refuses an environment without the order book, naming the variables', async () => {
  const { configFromEnv } = await import('../../lambda/orchestrator/config');
  const { BOOK_TABLE_NAME: _t, BOOK_REGIONS: _r, ...without } = env;
  expect(() => configFromEnv(without)).toThrow(/BOOK_TABLE_NAME .*; BOOK_REGIONS /);
  expect(() => configFromEnv({ ...env, BOOK_REGIONS: 'us-east-1,us-west-2' })).toThrow(
    /BOOK_REGIONS must include eu-west-1/,
  );
});
