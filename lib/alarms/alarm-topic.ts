import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { keyAdministrators, keyPolicy } from '../security/key-policy';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { KEY_DELETION_WINDOW_DAYS } from '../security/region-keys';

export interface AlarmTopicArgs {
  readonly name: Namer;
  readonly kind: 'alarmTopic' | 'failoverTopic';
  readonly settings: Settings;
  readonly description: string;
}

export interface AlarmTopic {
  readonly topic: aws.sns.Topic;
  readonly key: aws.kms.Key;
  readonly policy: aws.sns.TopicPolicy;
}

/**
 * An SNS topic CloudWatch alarms can publish to while it is encrypted: the AWS-managed SNS key
 * cannot grant CloudWatch, so the topic has its own key whose policy admits CloudWatch (and
 * EventBridge) of this account. Operators' email/HTTPS endpoints from config are subscribed.
 */
export function alarmTopic(args: AlarmTopicArgs, opts: pulumi.CustomResourceOptions): AlarmTopic {
  const name = args.name(args.kind);
  const account = aws.getCallerIdentityOutput({}, opts);
  const region = aws.getRegionOutput({}, opts);
  const key = new aws.kms.Key(
    name,
    {
      description: `Encrypts ${name}: ${args.description}`,
      enableKeyRotation: true,
      deletionWindowInDays: KEY_DELETION_WINDOW_DAYS[args.settings.dataProtection],
      // Named administrators, use only through SNS, and CloudWatch/EventBridge of this account.
      policy: pulumi.all([account.accountId, region.name]).apply(([id, regionName]) => {
        const policy = keyPolicy({
          use: 'topics',
          accountId: id,
          region: regionName,
          administrators: keyAdministrators(args.settings, id),
        });
        return JSON.stringify({
          ...policy,
          Statement: [
            ...(policy.Statement as unknown[]),
            {
              Sid: 'AlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': id } },
            },
          ],
        });
      }),
    },
    opts,
  );
  const topic = new aws.sns.Topic(name, { name, kmsMasterKeyId: key.arn }, { ...opts, ...DELETE_BEFORE_REPLACE });
  // Without a topic policy SNS applies its default (the owner account only): EventBridge rules
  // (the client-keys write report) could not publish, and nothing required TLS.
  const policy = new aws.sns.TopicPolicy(
    name,
    {
      arn: topic.arn,
      policy: pulumi
        .all([topic.arn, account.accountId])
        .apply(([arn, id]) => JSON.stringify(alarmTopicPolicy(arn, id))),
    },
    { ...opts, parent: topic },
  );
  const subscriptions: [string, string | undefined][] = [
    ['email', args.settings.alarmEmail],
    ['https', args.settings.alarmHttpsEndpoint],
  ];
  for (const [protocol, endpoint] of subscriptions) {
    if (endpoint) {
      new aws.sns.TopicSubscription(
        args.name(args.kind, protocol),
        { topic: topic.arn, protocol, endpoint },
        { ...opts, parent: topic },
      );
    }
  }
  return { topic, key, policy };
}

/**
 * The alarm topics' policy: the owner account manages and publishes (SNS's default policy,
 * written out), CloudWatch alarms and EventBridge rules of this account publish
 * (`aws:SourceAccount`, the confused-deputy guard), and nothing is accepted without TLS.
 */
export function alarmTopicPolicy(topicArn: string, accountId: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnerAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: [
          'sns:GetTopicAttributes',
          'sns:SetTopicAttributes',
          'sns:AddPermission',
          'sns:RemovePermission',
          'sns:DeleteTopic',
          'sns:Subscribe',
          'sns:ListSubscriptionsByTopic',
          'sns:Publish',
        ],
        Resource: topicArn,
      },
      {
        Sid: 'AlarmsAndRulesPublish',
        Effect: 'Allow',
        Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topicArn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}
