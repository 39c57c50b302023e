import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { Namer } from '../config/naming';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { functionEnvironment } from '../functions/function-environment';
import { RegionKeys } from '../security/region-keys';
import { NetworkStack } from '../network/network-stack';
import { egressRules } from '../network/egress';
import { namedSecurityGroup } from '../network/named-security-group';
import { bookApplierEnvironment } from '../../lambda/book-applier/environment';
import { ORDER_PK_PREFIX, BOOK_KEY } from '../../lambda/facts/book';
import { DatabaseStack, POSTGRES_PORT } from './database-stack';
import { readSecretStatements } from './credentials-stack';
import { OrderBook } from './order-book';
import type { CodeSigning } from '../functions/code-signing';

export interface BookApplierArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  readonly name: Namer;
  readonly region: string;
  readonly book: OrderBook;
  /** This region's cluster: the applier inserts only there, and only while it is the writer. */
  readonly database: DatabaseStack;
  /** ARN of this region's copy of the application credential. */
  readonly appSecretArn: pulumi.Input<string>;
  /** Where it runs: this region's private subnets, in a security group of its own (Aurora and the endpoints). */
  readonly network: NetworkStack;
  /** The other region's network (the egress table's peer; the applier reaches nothing there). */
  readonly peerNetwork: NetworkStack;
  /** What must exist before it applies anything (the deploy-time schema). */
  readonly ready: readonly pulumi.Resource[];
  readonly keys: RegionKeys;
}

/**
 * How the stream is read (Lambda developer guide, "Using Lambda with DynamoDB": event source
 * mapping parameters; provider: lambda.EventSourceMapping):
 * - from TRIM_HORIZON: records written before the mapping existed are applied too;
 * - only order items that were inserted or modified reach the function (filter criteria); the
 *   writer item and deletions are dropped by Lambda;
 * - ReportBatchItemFailures: the function names the first record it could not apply and Lambda
 *   resumes from it; bisect on a function error isolates a record that makes the function throw;
 * - retries end only when the record leaves the stream (retention 24 hours: `-1` for both age
 *   and attempts, the documented "forever" values). A bounded retry would discard an order from
 *   the system of record while it still waits for the writer (lambda/book-applier/ledger.ts);
 *   an on-failure destination would receive only the record's coordinates, not the order. The
 *   bound is the stream's retention, and the iterator-age alarm fires long before it.
 */
export const BOOK_STREAM_MAPPING: Omit<aws.lambda.EventSourceMappingArgs, 'functionName' | 'eventSourceArn'> = {
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  functionResponseTypes: ['ReportBatchItemFailures'],
  filterCriteria: {
    filters: [
      {
        pattern: JSON.stringify({
          eventName: ['INSERT', 'MODIFY'],
          dynamodb: { Keys: { [BOOK_KEY]: { S: [{ prefix: ORDER_PK_PREFIX }] } } },
        }),
      },
    ],
  },
};

/** Function timeout: a batch of 100 orders, each one insert or one lookup on a local cluster. */
export const BOOK_APPLIER_TIMEOUT_SECONDS = 60;

/**
 * One region's book applier (lambda/book-applier): the function and its event source mapping on
 * this region's replica stream. Each region has one; only the one whose cluster is the writer
 * inserts (lambda/book-applier/ledger.ts says why the other only confirms).
 */
export class BookApplier extends pulumi.ComponentResource implements BuiltFunction {
  readonly fn: aws.lambda.Function;
  readonly role: BuiltFunction['role'];
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly durationAlarmMs: number;
  readonly mapping: aws.lambda.EventSourceMapping;
  /** The only order-path process that reaches Aurora: admitted by the cluster's security group. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** The book's table, whose replica in this region the applier reads (its alarms name it). */
  readonly bookTableName: pulumi.Output<string>;

  constructor(name: string, args: BookApplierArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:BookApplier', name, {}, opts);
    const { settings, name: n, region, book, keys } = args;
    const streamArn = book.streamArnIn(region);
    this.bookTableName = book.table.name;
    this.securityGroup = namedSecurityGroup(
      n('bookApplierSecurityGroup'),
      {
        vpcId: args.network.vpc.id,
        description: 'Book applier function: PostgreSQL in this VPC and the AWS API endpoints',
        egress: egressRules('applier', args.network, args.peerNetwork),
      },
      { parent: this },
    );
    const admitted = args.database.allowClient('applier', this.securityGroup.id);

    const built = buildFunction(
      {
        name: n('bookApplierFunction'),
        roleName: n('bookApplierRole'),
        codeSigning: args.codeSigning,
        code: 'book-applier',
        description: "Applies the order book's stream to this region's Aurora cluster, exactly once",
        settings,
        statements: [
          // The application credential, through Secrets Manager only.
          ...readSecretStatements('AppCredential', args.appSecretArn, keys.key('secrets').arn, region),
          ...readSecretStatements('BookSigningKey', book.signingSecretArnIn(region), keys.key('secrets').arn, region),
          {
            // What a DynamoDB stream event source needs from the function's role (Lambda
            // developer guide, "Execution role permissions"), on this replica's stream only.
            Sid: 'ReadBookStream',
            Action: [
              'dynamodb:DescribeStream',
              'dynamodb:GetRecords',
              'dynamodb:GetShardIterator',
              'dynamodb:ListStreams',
            ],
            Resource: pulumi.interpolate`${book.arnIn(region)}/stream/*`,
          },
          // The stream is encrypted with the replica's key.
          book.keyStatement('DecryptBookStream', region, ['kms:Decrypt']),
        ],
        environment: functionEnvironment('book-applier', bookApplierEnvironment, {
          REGION_NAME: region,
          DB_SECRET_ARN: args.appSecretArn,
          DB_HOST: args.database.cluster.endpoint,
          DB_PORT: POSTGRES_PORT,
          DB_NAME: settings.dbName,
          DB_SSL: 'verify-full',
          BOOK_SIGNING_SECRET_ARN: book.signingSecretArnIn(region),
        }),
        vpc: { subnetIds: args.network.privateSubnetIds, securityGroupIds: [this.securityGroup.id] },
        timeoutSeconds: BOOK_APPLIER_TIMEOUT_SECONDS,
        memoryMb: 256,
        logsKeyArn: keys.key('logs').arn,
      },
      { parent: this },
    );
    this.fn = built.fn;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.durationAlarmMs = built.durationAlarmMs;

    // Names the function as created (after its grants): it never polls without permission,
    // and starts only once the schema is in place.
    this.mapping = new aws.lambda.EventSourceMapping(
      n('bookApplierFunction', 'stream'),
      { eventSourceArn: streamArn, functionName: this.fn.arn, ...BOOK_STREAM_MAPPING },
      { parent: this.fn, dependsOn: [...args.ready, admitted] },
    );

    this.registerOutputs({ bookApplierArn: this.fn.arn });
  }
}
