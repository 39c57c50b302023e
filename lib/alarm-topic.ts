import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from './config';
import { DELETE_BEFORE_REPLACE, Namer } from './naming';

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
  const key = new aws.kms.Key(
    name,
    {
      description: `Encrypts ${name}: ${args.description}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: account.accountId.apply((id) =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            // The default key policy: IAM in this account decides who else may use the key.
            {
              Sid: 'AccountAdministers',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${id}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
            {
              Sid: 'AlarmsPublish',
              Effect: 'Allow',
              Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': id } },
            },
          ],
        }),
      ),
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
