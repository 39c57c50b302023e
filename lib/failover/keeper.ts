import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { keeperEnvironment } from '../../lambda/keeper/environment';
import { arbiterRegionProblem, KEEPER_TIMEOUT_SECONDS } from '../../lambda/facts/keeper';
import { METRIC_NAMESPACES } from '../../lambda/facts/metrics';
import { AlarmFactory } from '../alarms/alarms';
import { Settings } from '../config';
import { Namer } from '../config/naming';
import type { CodeSigning } from '../functions/code-signing';
import { functionEnvironment } from '../functions/function-environment';
import { buildFunction, BuiltFunction, everyMinute } from '../functions/lambda-function';
import { OrderBook } from '../data/order-book';

export interface KeeperArgs {
  readonly settings: Settings;
  /** The primary region's namer: the keeper runs there (the component's provider). */
  readonly name: Namer;
  /** The secondary: the peer replica the keeper watches. */
  readonly peerRegion: string;
  readonly book: OrderBook;
  /** The arbiter's region (us-west-2, the canaries' and the accelerator API's): neither of the two. */
  readonly arbiter: { readonly region: string; readonly name: Namer; readonly provider: aws.Provider };
  readonly codeSigning?: CodeSigning;
}

/**
 * The primary keeps trading when the secondary region is lost (issue 22, lambda/keeper): a
 * function in the primary that switches the order book to regional durability under a lease it
 * takes in the arbiter, a small plain table in a third region that the orchestrator's takeover
 * must take too (lambda/shared/arbiter.ts: why this cannot split the brain). The keeper may read
 * and move the book's writer item only (the same grant as the orchestrator's, plus the in-place
 * renewal) and use the arbiter item only.
 */
export class Keeper extends pulumi.ComponentResource {
  readonly arbiterTable: aws.dynamodb.Table;
  readonly arbiterRegion: string;
  readonly fn: BuiltFunction;
  private readonly name: Namer;

  constructor(name: string, args: KeeperArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:failover:Keeper', name, {}, opts);
    const { settings, name: n, book, arbiter } = args;
    this.name = n;
    const region = book.regions.find((r) => r !== args.peerRegion);
    if (!region || !book.regions.includes(args.peerRegion))
      throw new Error(`keeper: the book has no replica pair with ${args.peerRegion} (${book.regions.join(', ')})`);
    const arbiterProblem = arbiterRegionProblem(arbiter.region, book.regions);
    if (arbiterProblem) throw new Error(`keeper: the arbiter ${arbiterProblem}`);
    this.arbiterRegion = arbiter.region;
    // A plain table, not global: a conditional write is exact only within one region.
    this.arbiterTable = new aws.dynamodb.Table(
      arbiter.name('arbiterTable'),
      {
        name: arbiter.name('arbiterTable'),
        billingMode: 'PAY_PER_REQUEST',
        hashKey: 'pk',
        attributes: [{ name: 'pk', type: 'S' }],
        serverSideEncryption: { enabled: true },
      },
      { parent: this, provider: arbiter.provider },
    );
    this.fn = buildFunction(
      {
        name: n('keeperFunction'),
        roleName: n('keeperRole'),
        codeSigning: args.codeSigning,
        code: 'keeper',
        description: `Keeps the order book writable in ${region} (regional durability, under the arbiter's lease) while ${args.peerRegion} is lost`,
        settings,
        statements: [
          ...book.controlStatements({ renewsLease: true }),
          {
            Sid: 'HoldTheRegionalLease',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
            Resource: this.arbiterTable.arn,
          },
        ],
        environment: functionEnvironment('keeper', keeperEnvironment, {
          BOOK_TABLE_NAME: book.table.name,
          PEER_REGION: args.peerRegion,
          ARBITER_TABLE: this.arbiterTable.name,
          ARBITER_TABLE_REGION: arbiter.region,
          ENVIRONMENT: settings.environmentSuffix,
          METRIC_NAMESPACE: METRIC_NAMESPACES.book,
        }),
        timeoutSeconds: KEEPER_TIMEOUT_SECONDS,
        memoryMb: 256,
        durationAlarmMs: (KEEPER_TIMEOUT_SECONDS - 5) * 1000,
      },
      { parent: this },
    );
    everyMinute(
      this.fn,
      {
        name: n('keeperFunction', 'schedule'),
        description: `Keeper: watch ${args.peerRegion}'s replica from ${region} for one minute`,
        input: {},
      },
      { parent: this },
    );
    this.registerOutputs({ keeperArn: this.fn.fn.arn, arbiterTableName: this.arbiterTable.name });
  }

  /** What the orchestrator needs to take and release the arbiter (its takeover). */
  takeoverStatements() {
    return [
      {
        Sid: 'TakeTheArbiter',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        Resource: this.arbiterTable.arn,
      },
    ];
  }

  /** The keeper's errors (a failed action fails its invocation), throttles and duration, on the primary's topic. */
  watch(topic: aws.sns.Topic): aws.cloudwatch.MetricAlarm[] {
    const alarms = new AlarmFactory(this.name, topic, { parent: this });
    alarms.functionAlarms('keeper', this.fn);
    return alarms.alarms;
  }
}
