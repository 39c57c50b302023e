import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { MANAGED_POLICY, serviceRole, sourceConditions } from '../security/iam';
import { PLACEMENT_TAG } from '../functions/lambda-function';
import { LogArchive } from '../security/log-archive';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { secureBucket } from '../security/secure-bucket';
import { ROTATION_TAG } from '../config/tags';
import { configRecorderChoice, ExistingRecorder, RecorderChoice } from '../preflight/config-recorder-choice';

export interface ConfigRule {
  /** The AWS managed rule's identifier. */
  readonly id: string;
  /** Short name inside the rule's physical name. */
  readonly short: string;
  /** Evaluates global resources (IAM): only in the region that records them. */
  readonly globalOnly?: boolean;
  /**
   * Evaluates secret rotation, which is configured on the primary copy of a secret only:
   * deployed only where the platform's secrets are primaries (a replica region would flag
   * every replica the platform makes as not rotated).
   */
  readonly rotationRegionOnly?: boolean;
  readonly input?: Record<string, string>;
  /** Limits the rule to resources carrying this tag value. */
  readonly scope?: { readonly tagKey: string; readonly tagValue: string };
}

/** The secrets the platform rotates on a schedule (not the API client keys, rotated by hand). */
const ROTATED_SECRETS = { tagKey: ROTATION_TAG.key, tagValue: ROTATION_TAG.automatic };

/** AWS Config managed rules for what this platform promises. */
export function configRules(settings: Pick<Settings, 'secretRotationDays'>): readonly ConfigRule[] {
  return [
    { id: 'RDS_STORAGE_ENCRYPTED', short: 'rds-encrypted' },
    { id: 'RDS_INSTANCE_PUBLIC_ACCESS_CHECK', short: 'rds-not-public' },
    { id: 'ENCRYPTED_VOLUMES', short: 'ebs-encrypted' },
    { id: 'VPC_FLOW_LOGS_ENABLED', short: 'vpc-flow-logs' },
    { id: 'INCOMING_SSH_DISABLED', short: 'no-open-ssh' },
    { id: 'S3_BUCKET_SSL_REQUESTS_ONLY', short: 's3-tls-only' },
    { id: 'S3_BUCKET_PUBLIC_READ_PROHIBITED', short: 's3-no-public-read' },
    {
      id: 'SECRETSMANAGER_ROTATION_ENABLED_CHECK',
      short: 'secret-rotation-on',
      // The period the program sets: a secret rotating less often than configured is flagged.
      input: { maximumAllowedRotationFrequency: String(settings.secretRotationDays) },
      rotationRegionOnly: true,
      scope: ROTATED_SECRETS,
    },
    {
      id: 'SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK',
      short: 'secret-rotation-ok',
      rotationRegionOnly: true,
      scope: ROTATED_SECRETS,
    },
    // Only the functions placed in a VPC: the failover orchestrator runs outside on purpose.
    { id: 'LAMBDA_INSIDE_VPC', short: 'lambda-in-vpc', scope: { tagKey: PLACEMENT_TAG, tagValue: 'vpc' } },
    { id: 'ALB_HTTP_DROP_INVALID_HEADER_ENABLED', short: 'alb-drop-bad-headers' },
    {
      id: 'CLOUDWATCH_ALARM_ACTION_CHECK',
      short: 'alarms-have-actions',
      input: { alarmActionRequired: 'true', insufficientDataActionRequired: 'false', okActionRequired: 'false' },
    },
    // IAM is global: evaluated once, in the region that records global resource types.
    { id: 'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS', short: 'iam-no-admin', globalOnly: true },
  ];
}

export interface AwsConfigArgs {
  readonly settings: Settings;
  readonly name: Namer;
  /**
   * IAM is global: exactly one region records global resource types and evaluates the rules
   * marked `globalOnly` (the primary).
   */
  readonly recordsGlobalResources: boolean;
  /** Whether the platform's secrets are primaries here (rotated here, replicated elsewhere). */
  readonly rotatesSecrets: boolean;
  /** Receives the Config bucket's server access logs. */
  readonly logArchive: LogArchive;
  /** The region's recorders as read at plan time (`awsConfigRecorder: auto`; undefined otherwise). */
  readonly existingRecorders?: readonly ExistingRecorder[];
}

/**
 * AWS Config in one region: the recorder, its role and delivery bucket where the stack makes
 * them (configRecorderChoice: none in the region, or the stack's own), then the managed rules.
 */
export class AwsConfig extends pulumi.ComponentResource {
  readonly rules: aws.cfg.Rule[] = [];
  /** Whether this stack makes the region's recorder, and why. */
  readonly recorder: RecorderChoice;

  constructor(name: string, args: AwsConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:monitoring:AwsConfig', name, {}, opts);
    const { settings, name: n, recordsGlobalResources, rotatesSecrets, logArchive } = args;
    const child = { parent: this };
    let recording: pulumi.Resource[] = [];
    this.recorder = configRecorderChoice(settings.awsConfigRecorder, n('configRecorder'), args.existingRecorders);
    if (this.recorder.mode === 'create') {
      const account = aws.getCallerIdentityOutput({}, child);
      const bucket = secureBucket(
        n('configBucket'),
        {
          name: account.accountId.apply((id) => n('configBucket', id)),
          forceDestroy: settings.dataProtection === 'ephemeral',
          accessLogs: logArchive.accessLogsOf('config'),
          statements: (arn) => [
            {
              Sid: 'ConfigChecksAcl',
              Principal: { Service: 'config.amazonaws.com' },
              Action: ['s3:GetBucketAcl', 's3:ListBucket'],
              Resource: arn,
              Condition: { StringEquals: { 'AWS:SourceAccount': account.accountId } },
            },
            {
              Sid: 'ConfigDelivers',
              Principal: { Service: 'config.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: pulumi.interpolate`${arn}/AWSLogs/${account.accountId}/Config/*`,
              Condition: {
                StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'AWS:SourceAccount': account.accountId },
              },
            },
          ],
        },
        child,
      );
      const role = serviceRole(
        {
          name: n('configRole'),
          service: 'config.amazonaws.com',
          // Only AWS Config acting for this account may use the role (confused deputy).
          trustCondition: sourceConditions(account.accountId),
          managedPolicyArns: [MANAGED_POLICY.configRole],
          statements: [
            {
              Sid: 'DeliverSnapshots',
              Action: 's3:PutObject',
              Resource: pulumi.interpolate`${bucket.bucket.arn}/AWSLogs/*`,
              Condition: { StringLike: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
            },
            { Sid: 'CheckBucket', Action: 's3:GetBucketAcl', Resource: bucket.bucket.arn },
          ],
        },
        child,
      );
      const recorder = new aws.cfg.Recorder(
        n('configRecorder'),
        {
          name: n('configRecorder'),
          // Created only once the role holds its permissions.
          roleArn: role.ready.arn,
          recordingGroup: { allSupported: true, includeGlobalResourceTypes: recordsGlobalResources },
        },
        // One recorder per region and account: even renamed, a second cannot exist beside it.
        { ...child, ...DELETE_BEFORE_REPLACE },
      );
      const channel = new aws.cfg.DeliveryChannel(
        n('configRecorder'),
        // Named only once the bucket policy admits Config, which checks it when the channel is created.
        { name: n('configRecorder'), s3BucketName: bucket.deliveryName },
        { ...child, ...DELETE_BEFORE_REPLACE, dependsOn: [recorder] },
      );
      // The recorder cannot start without a delivery channel.
      const status = new aws.cfg.RecorderStatus(
        n('configRecorder'),
        { name: recorder.name, isEnabled: true },
        { ...child, dependsOn: [channel] },
      );
      recording = [status];
    }
    const applies = (r: ConfigRule) =>
      (recordsGlobalResources || !r.globalOnly) && (rotatesSecrets || !r.rotationRegionOnly);
    for (const rule of configRules(settings).filter(applies)) {
      const configRule = new aws.cfg.Rule(
        n('configRule', rule.short),
        {
          name: n('configRule', rule.short),
          source: { owner: 'AWS', sourceIdentifier: rule.id },
          inputParameters: rule.input ? JSON.stringify(rule.input) : undefined,
          scope: rule.scope,
        },
        // Managed rules need a running recorder (ours, or the account's when reused).
        { ...child, ...DELETE_BEFORE_REPLACE, dependsOn: recording },
      );
      this.rules.push(configRule);
    }
    this.registerOutputs({ recorder: this.recorder, ruleNames: this.rules.map((r) => r.name) });
  }
}
