import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import type { Statement } from '../security/iam';

export interface SessionLoggingArgs {
  readonly settings: Settings;
  readonly name: Namer;
  /** The region's logs key: the session log group is encrypted like every other. */
  readonly logsKeyArn: pulumi.Input<string>;
  readonly region: string;
  readonly accountId: pulumi.Input<string>;
}

export interface SessionLogging {
  /** The Session document operators start sessions with (`--document-name`). */
  readonly document: aws.ssm.Document;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** What the instances need to stream a session's log into the group (the SSM agent writes it). */
  readonly instanceStatements: Statement[];
}

/** Session preferences of the document (Session document schema, Systems Manager user guide). */
export interface SessionPreferences {
  readonly cloudWatchLogGroupName: string;
  readonly idleSessionTimeoutMinutes: number;
  readonly maxSessionDurationMinutes: number;
}

/**
 * The content of a `Standard_Stream` Session document (schemaVersion 1.0, the only one Session
 * documents support): every session streamed to an encrypted CloudWatch Logs group as it happens
 * (`cloudWatchStreamingEnabled`; the agent refuses to start the session when the group is not
 * encrypted, `cloudWatchEncryptionEnabled`), as ssm-user (no run-as), with idle and total limits
 * (minutes, strings in the schema). S3 output is off: the log group is the record.
 */
export function sessionDocumentContent(p: SessionPreferences): string {
  return JSON.stringify({
    schemaVersion: '1.0',
    description: 'Order API instances: every session streamed to an encrypted CloudWatch Logs group',
    sessionType: 'Standard_Stream',
    inputs: {
      s3BucketName: '',
      s3KeyPrefix: '',
      s3EncryptionEnabled: true,
      cloudWatchLogGroupName: p.cloudWatchLogGroupName,
      cloudWatchEncryptionEnabled: true,
      cloudWatchStreamingEnabled: true,
      idleSessionTimeout: String(p.idleSessionTimeoutMinutes),
      maxSessionDuration: String(p.maxSessionDurationMinutes),
      kmsKeyId: '',
      runAsEnabled: false,
      runAsDefaultUser: '',
      shellProfile: { windows: '', linux: '' },
    },
  });
}

/** A session left idle closes after this (the console's default preference). */
export const SESSION_IDLE_MINUTES = 20;
/** No session outlives this: long enough to diagnose, short enough to notice a forgotten one. */
export const SESSION_MAX_MINUTES = 60;

/**
 * Session Manager with session logging, per region. The account-wide preferences document
 * (`SSM-SessionManagerRunShell`) belongs to the account, not to one stack, so this program makes
 * its own Session document; operators start sessions with it, and an operator policy with
 * `ssm:SessionDocumentAccessCheck` makes it the only way in (docs/security.md).
 */
export function sessionLogging(args: SessionLoggingArgs, opts: pulumi.CustomResourceOptions): SessionLogging {
  const { settings, name: n } = args;
  const logGroupName = `/tap/${n('sessionLogGroup')}`;
  const logGroup = new aws.cloudwatch.LogGroup(
    n('sessionLogGroup'),
    { name: logGroupName, retentionInDays: settings.logRetentionDays, kmsKeyId: args.logsKeyArn },
    { ...opts, ...DELETE_BEFORE_REPLACE },
  );
  const document = new aws.ssm.Document(
    n('sessionDocument'),
    {
      name: n('sessionDocument'),
      documentType: 'Session',
      documentFormat: 'JSON',
      content: sessionDocumentContent({
        cloudWatchLogGroupName: logGroupName,
        idleSessionTimeoutMinutes: SESSION_IDLE_MINUTES,
        maxSessionDurationMinutes: SESSION_MAX_MINUTES,
      }),
    },
    { ...opts, ...DELETE_BEFORE_REPLACE, dependsOn: [logGroup] },
  );
  const instanceStatements: Statement[] = [
    {
      Sid: 'StreamSessionLogs',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      Resource: [logGroup.arn, pulumi.interpolate`${logGroup.arn}:*`],
    },
    {
      // The agent checks the group's encryption before it starts a session; DescribeLogGroups
      // lists, so it takes only the account's log-group wildcard of the region.
      Sid: 'CheckSessionLogEncryption',
      Action: 'logs:DescribeLogGroups',
      Resource: pulumi.interpolate`arn:aws:logs:${args.region}:${args.accountId}:log-group:*`,
    },
  ];
  return { document, logGroup, instanceStatements };
}
