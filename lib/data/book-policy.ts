/**
 * Who may write the live order book (issue 25 item 1, "No back door to the book"), as pure
 * documents: the resource policy each replica carries and the role names it admits. Pure: the
 * OrderBook component turns them into `aws.dynamodb.ResourcePolicy` resources, tests read them.
 *
 * Facts the policy rests on:
 * - Global table replicas are DynamoDB tables and take resource-based policies one by one
 *   (DynamoDB developer guide, "DynamoDB global tables security"; the policy is not copied to
 *   other replicas, so each region gets its own).
 * - A replica policy must not deny the replication service-linked role
 *   (AWSServiceRoleForDynamoDBReplication): replication stops, the replica turns
 *   REPLICATION_NOT_AUTHORIZED and, after 20 hours, is irreversibly converted into a single-Region
 *   table (same page). Adding or deleting a replica also fails while the SLR is denied
 *   ("DynamoDB resource-based policy considerations", global table considerations).
 * - An explicit Deny in a resource policy overrides any Allow in the caller's identity policy, so
 *   account administrators are refused too (IAM policy evaluation logic).
 * - `aws:PrincipalArn` is the role's ARN for an assumed-role session (IAM global condition keys),
 *   so the roles can be named before they exist (they are built after the book).
 * - Transactions are authorised per item action: TransactWriteItems needs PutItem / UpdateItem /
 *   DeleteItem / ConditionCheckItem on the items it touches (DynamoDB API permissions reference).
 */
import { Statement } from '../security/iam';
import { Namer, NameKind } from '../config/naming';

/** Every DynamoDB action that writes an item (PartiQL included): refused to everyone but the service. */
export const BOOK_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/**
 * The roles that write the book, by name kind: the order API (Lambda and EC2, either region) and
 * the failover orchestrator and the primary's keeper (they move the writer item). The applier only reads the stream and
 * the signing key: it is not a writer.
 */
export const BOOK_WRITER_ROLES = [
  'tradingRole',
  'instanceRole',
  'orchestratorRole',
  'keeperRole',
] as const satisfies readonly NameKind[];

/** The service-linked role DynamoDB replicates global tables with (never denied: see above). */
export const REPLICATION_ROLE_PATH =
  'role/aws-service-role/replication.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBReplication';

/** The writer roles of every region, as ARNs of `accountId`. */
export function bookWriterRoleArns(accountId: string, regionNames: readonly Namer[]): string[] {
  return regionNames.flatMap((n) => BOOK_WRITER_ROLES.map((kind) => `arn:aws:iam::${accountId}:role/${n(kind)}`));
}

export interface BookPolicyArgs {
  readonly accountId: string;
  /** The replica (table) ARN in the region the policy is attached in. */
  readonly tableArn: string;
  readonly writerRoleArns: readonly string[];
  /** The one human escape hatch (config `bookBreakGlassRoleArn`); none: nobody else, ever. */
  readonly breakGlassRoleArn?: string;
}

/**
 * One replica's policy: a Deny of every item write on the table and its indexes to every
 * principal that is not a service writer, the break-glass role or the replication role. Reads
 * and control-plane actions are left to IAM.
 */
export function bookResourcePolicy(args: BookPolicyArgs): { Version: string; Statement: Statement[] } {
  const allowed = [
    ...args.writerRoleArns,
    ...(args.breakGlassRoleArn ? [args.breakGlassRoleArn] : []),
    `arn:aws:iam::${args.accountId}:${REPLICATION_ROLE_PATH}`,
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OnlyTheServiceWritesOrders',
        Effect: 'Deny',
        Principal: '*',
        Action: [...BOOK_WRITE_ACTIONS],
        Resource: [args.tableArn, `${args.tableArn}/index/*`],
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': allowed },
          // Replication of a multi-account global table runs as the service principal itself.
          Bool: { 'aws:PrincipalIsAWSService': 'false' },
        },
      },
    ],
  };
}

/** The ARN the same table has in another region (a global table's replicas share the name). */
export function replicaTableArn(arn: string, region: string): string {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[2] !== 'dynamodb' || !parts[5].startsWith('table/')) {
    throw new Error(`not a DynamoDB table ARN: ${arn}`);
  }
  parts[3] = region;
  return parts.join(':');
}
