import { programSecretVersion } from '../security/program-secret-version';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Settings } from '../config';
import { Namer, regionCode } from '../config/naming';
import { RegionKeys } from '../security/region-keys';
import { readSecretStatements, SECRET_RECOVERY_WINDOW_DAYS, replicaArn } from './credentials-stack';
import { bookResourcePolicy, bookWriterRoleArns, replicaTableArn } from './book-policy';
import { Statement } from '../security/iam';
import { BOOK_KEY, WRITER_PK } from '../../lambda/facts/book';

/** One region holding a replica of the book: its namer, keys and provider. */
export interface BookRegion {
  readonly region: string;
  readonly name: Namer;
  readonly keys: RegionKeys;
  readonly provider: aws.Provider;
}

export interface OrderBookArgs {
  readonly settings: Settings;
  /** The stack-wide namer (the table has one name in every region). */
  readonly name: Namer;
  /**
   * The regions holding a replica, the first being where the table is created (the component's
   * own provider, the `providers` option). Every other one gets a replica of it.
   */
  readonly regions: readonly [BookRegion, ...BookRegion[]];
}

/** Signing key bytes: 32, the SHA-256 output size (RFC 2104 section 3; lambda/shared/book-order.ts refuses less). */
export const SIGNING_KEY_BYTES = 32;

/** IAM statement ids are alphanumeric: `use1` -> `Use1`. */
const sidPart = (code: string) => code[0].toUpperCase() + code.slice(1);

/**
 * The live order book (issue 22): a DynamoDB global table (version 2019.11.21) with a replica in
 * every region of the stack, and the key the order API signs each order with.
 *
 * Why one `aws.dynamodb.Table` with `replicas` (and not per-region tables or TableReplica): the
 * provider's Table `replica` blocks are "DynamoDB Global Tables V2 (version 2019.11.21)"
 * replicas, each with its own `kmsKeyArn`, `pointInTimeRecovery`, `deletionProtectionEnabled`,
 * `propagateTags`, and a `streamArn` output per replica (node_modules/@pulumi/aws/types/input.d.ts
 * TableReplica; registry: pulumi.com/registry/packages/aws/api-docs/dynamodb/table). Per-region
 * tables would be two unrelated tables (no replication); aws.dynamodb.TableReplica is the same
 * thing split in two resources that must then ignore each other's changes.
 *
 * Streams: NEW_AND_OLD_IMAGES, the view the provider's global-table examples use (TableReplica
 * docs); the applier reads only NewImage. Every replica has its own stream carrying every write,
 * local or replicated, which is what lets each region's applier see every order.
 *
 * Encryption: each replica with its region's `book` key (customer managed keys need global
 * tables version 2019.11.21: DynamoDB developer guide, "Encryption at rest usage notes").
 *
 * No TTL: the book keeps every order (idempotent replays by client order id read it; an order
 * the ledger misses can be re-applied from it after its stream records expired).
 */
export class OrderBook extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly signingSecret: aws.secretsmanager.Secret;
  readonly regions: readonly string[];
  /** One resource policy per replica, keyed by region. */
  readonly policies: ReadonlyMap<string, aws.dynamodb.ResourcePolicy>;
  private readonly keys: readonly BookRegion[];

  constructor(name: string, args: OrderBookArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:OrderBook', name, {}, opts);
    const { settings, name: n } = args;
    const [home, ...others] = args.regions;
    const child = { parent: this };
    const protectedData = settings.dataProtection === 'protected';
    this.regions = args.regions.map((r) => r.region);
    this.keys = args.regions;

    // Holds acknowledged orders: no deleteBeforeReplace (a replacement fails on the name first).
    this.table = new aws.dynamodb.Table(
      n('bookTable'),
      {
        name: n('bookTable'),
        billingMode: 'PAY_PER_REQUEST',
        hashKey: BOOK_KEY,
        attributes: [{ name: BOOK_KEY, type: 'S' }],
        streamEnabled: true,
        streamViewType: 'NEW_AND_OLD_IMAGES',
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true, kmsKeyArn: home.keys.key('book').arn },
        // Ephemeral stacks destroy cleanly; protected ones refuse DeleteTable until it is lifted.
        deletionProtectionEnabled: protectedData,
        replicas: others.map((r) => ({
          regionName: r.region,
          kmsKeyArn: r.keys.key('book').arn,
          pointInTimeRecovery: true,
          deletionProtectionEnabled: protectedData,
          propagateTags: true,
        })),
      },
      child,
    );

    const key = new random.RandomBytes(n('bookSigningSecret'), { length: SIGNING_KEY_BYTES }, child);
    this.signingSecret = new aws.secretsmanager.Secret(
      n('bookSigningSecret'),
      {
        name: n('bookSigningSecret'),
        description: 'HMAC key the order API signs each book order with; the book applier verifies it',
        kmsKeyId: home.keys.key('secrets').arn,
        replicas: others.map((r) => ({ region: r.region, kmsKeyId: r.keys.key('secrets').arn })),
        recoveryWindowInDays: SECRET_RECOVERY_WINDOW_DAYS[settings.dataProtection],
      },
      child,
    );
    // A rotation (PutSecretValue by an operator: the old key stays AWSPREVIOUS, which the
    // applier still accepts) makes the value no longer the program's.
    programSecretVersion(n('bookSigningSecret'), this.signingSecret, key.base64);

    const account = aws.getCallerIdentityOutput({}, child).accountId;
    const writers = account.apply((id) =>
      bookWriterRoleArns(
        id,
        args.regions.map((r) => r.name),
      ),
    );
    this.policies = new Map(
      args.regions.map((r) => [
        r.region,
        new aws.dynamodb.ResourcePolicy(
          r.name('bookPolicy'),
          {
            resourceArn: this.arnIn(r.region),
            policy: pulumi
              .all([account, writers, this.arnIn(r.region)])
              .apply(([accountId, writerRoleArns, tableArn]) =>
                JSON.stringify(
                  bookResourcePolicy({
                    accountId,
                    tableArn,
                    writerRoleArns,
                    breakGlassRoleArn: settings.bookBreakGlassRoleArn,
                  }),
                ),
              ),
          },
          r === home ? { parent: this.table } : { parent: this.table, provider: r.provider },
        ),
      ]),
    );

    this.registerOutputs({ tableName: this.table.name, signingSecretArn: this.signingSecret.arn });
  }

  /** The table's ARN in `region` (its replica there). */
  arnIn(region: string): pulumi.Output<string> {
    return this.table.arn.apply((arn) => replicaTableArn(arn, region));
  }

  /** The stream ARN of `region`'s replica (each replica has its own stream). */
  streamArnIn(region: string): pulumi.Output<string> {
    if (region === this.regions[0]) return this.table.streamArn;
    return this.table.replicas.apply((replicas) => {
      const arn = replicas?.find((r) => r.regionName === region)?.streamArn;
      if (!arn) throw new Error(`order book: no stream ARN for the ${region} replica`);
      return arn;
    });
  }

  /**
   * What an order API process in `region` needs to acknowledge orders (lambda/shared/order-book.ts):
   * GetItem (the writer item, a replay's stored order) and the TransactWriteItems it sends, which
   * is authorised per item as ConditionCheckItem (the writer item) and PutItem (the order), on
   * every replica (the peer first, then its own); the replicas' keys through DynamoDB only; the
   * signing key (this region's copy). No UpdateItem, DeleteItem or Query: the path uses none.
   */
  writeStatements(region: string): Statement[] {
    return [
      {
        Sid: 'AcknowledgeOrdersInTheBook',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        Resource: this.regions.map((r) => this.arnIn(r)),
      },
      ...this.keys.map((r) =>
        this.keyStatement(`UseTheBookKey${sidPart(regionCode(r.region))}`, r.region, [
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:GenerateDataKey',
        ]),
      ),
      ...readSecretStatements('BookSigningKey', this.signingSecretArnIn(region), this.secretKeyArn(region), region),
    ];
  }

  /**
   * What the failover orchestrator needs to move the writer (lambda/shared/book-writer.ts
   * readWriter/moveWriter): GetItem and a conditional PutItem of the writer item in every replica,
   * and nothing else: `dynamodb:LeadingKeys` limits both to the item whose partition key is the
   * writer's (DynamoDB developer guide, "Using IAM policy conditions for fine-grained access
   * control": LeadingKeys "represents the first key attribute of a table", the partition key).
   */
  controlStatements(options: { readonly renewsLease?: boolean } = {}): Statement[] {
    return [
      {
        Sid: 'MoveTheBookWriter',
        // UpdateItem: the keeper renews its lease's end in place (lambda/shared/book-writer.ts extendRegional).
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', ...(options.renewsLease ? ['dynamodb:UpdateItem'] : [])],
        Resource: this.regions.map((r) => this.arnIn(r)),
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [WRITER_PK] } },
      },
      ...this.keys.map((r) =>
        this.keyStatement(`UseTheBookKeyToMoveTheWriter${sidPart(regionCode(r.region))}`, r.region, [
          'kms:Decrypt',
          'kms:Encrypt',
          'kms:GenerateDataKey',
        ]),
      ),
    ];
  }

  /**
   * Use of `region`'s book key through DynamoDB there, for this table only: DynamoDB sets the
   * table name as encryption context (`aws:dynamodb:tableName`, with `aws:dynamodb:subscriberId`;
   * DynamoDB developer guide, "DynamoDB encryption context").
   */
  keyStatement(sid: string, region: string, actions: string[]): Statement {
    const side = this.keys.find((r) => r.region === region);
    if (!side) throw new Error(`order book: no replica in ${region}`);
    return {
      Sid: sid,
      Action: actions,
      Resource: side.keys.key('book').arn,
      Condition: {
        StringEquals: {
          'kms:ViaService': `dynamodb.${region}.amazonaws.com`,
          'kms:EncryptionContext:aws:dynamodb:tableName': this.table.name,
        },
      },
    };
  }

  private secretKeyArn(region: string): pulumi.Output<string> {
    const side = this.keys.find((r) => r.region === region);
    if (!side) throw new Error(`order book: no replica in ${region}`);
    return side.keys.key('secrets').arn;
  }

  /** The signing key's ARN as `region` reads it (its replica there). */
  signingSecretArnIn(region: string): pulumi.Output<string> {
    return this.signingSecret.arn.apply((arn) => replicaArn(arn, region));
  }
}
