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
  return { topic, key };
}
