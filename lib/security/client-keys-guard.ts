import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Namer } from '../config/naming';

/**
 * What changes the API client keys (or who may change them): every one of these is a write the
 * resource policy reserves to the key administrators and the write alarm reports. PutSecretValue
 * and UpdateSecret set a new value; UpdateSecretVersionStage moves AWSCURRENT to another
 * version (an old key set); RotateSecret would run a function that writes one.
 */
export const CLIENT_KEY_VALUE_WRITES = [
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:RotateSecret',
] as const;

/**
 * Writes the alarm reports besides the value writes: the policy itself, deletion and restore,
 * replication changes. They stay with IAM (a deny on them could lock the deployer out of its own
 * stack, and `pulumi destroy` deletes the policy and the secret), so an admin can still remove the
 * policy: that is exactly what the alarm is for.
 */
export const CLIENT_KEY_OTHER_WRITES = [
  'secretsmanager:PutResourcePolicy',
  'secretsmanager:DeleteResourcePolicy',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
  'secretsmanager:RemoveRegionsFromReplication',
  'secretsmanager:StopReplicationToReplica',
] as const;

/**
 * The client-keys secret's resource policy (Secrets Manager replicates it to the replica with
 * the value: "Secrets Manager replicates the encrypted secret data and metadata such as tags and
 * resource policies", AWS Secrets Manager User Guide, "Replicate secrets across Regions").
 * Deny statements, so they bind every principal of the account whatever IAM grants it
 * (PowerUser, CI): reads only by the verifying roles and the key administrators (who must read
 * the map to change it); value writes only by the key administrators, when any are named.
 * `aws:PrincipalArn` is the role ARN for a role's sessions (IAM global condition keys).
 */
export function clientKeysPolicyDocument(readers: readonly string[], keyAdmins: readonly string[]): object {
  if (readers.length === 0) throw new Error('the client keys secret needs at least one reading role');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadOnlyByVerifiersAndKeyAdmins',
        Effect: 'Deny',
        Principal: '*',
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...readers, ...keyAdmins] } },
      },
      ...(keyAdmins.length === 0
        ? []
        : [
            {
              Sid: 'WriteOnlyByKeyAdmins',
              Effect: 'Deny',
              Principal: '*',
              Action: [...CLIENT_KEY_VALUE_WRITES],
              Resource: '*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...keyAdmins] } },
            },
          ]),
    ],
  };
}

/**
 * The EventBridge pattern for every write to the secret, as CloudTrail reports it. EventBridge
 * receives "AWS API Call via CloudTrail" events only when the account has a CloudTrail trail
 * with logging ("AWS service events delivered via AWS CloudTrail", EventBridge User Guide); the
 * free 90-day Event history alone delivers nothing. `secretId` is the name or the ARN.
 */
export function clientKeysWritePattern(secretName: string): object {
  return {
    source: ['aws.secretsmanager'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['secretsmanager.amazonaws.com'],
      eventName: [...CLIENT_KEY_VALUE_WRITES, ...CLIENT_KEY_OTHER_WRITES].map((a) => a.split(':')[1]),
      requestParameters: { secretId: [{ wildcard: `*${secretName}*` }] },
    },
  };
}

export interface ClientKeysGuardArgs {
  readonly name: Namer;
  readonly secret: aws.secretsmanager.Secret;
  /** The initial version: the policy comes after it, so the program's own first write is allowed. */
  readonly version: aws.secretsmanager.SecretVersion;
  /** The roles that verify requests (both regions): the only readers besides the key admins. */
  readonly readerRoleArns: pulumi.Input<string>[];
  readonly keyAdminRoleArns: readonly string[];
  /** Where a write is reported: the primary region's alarm topic, and its policy admitting EventBridge. */
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly alarmTopicPolicy: pulumi.Resource;
}

/** The client-keys secret's resource policy and the report of every write to it. */
export class ClientKeysGuard extends pulumi.ComponentResource {
  readonly policy: aws.secretsmanager.SecretPolicy;
  readonly writeRule: aws.cloudwatch.EventRule;

  constructor(name: string, args: ClientKeysGuardArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:security:ClientKeysGuard', name, {}, opts);
    const n = args.name;
    this.policy = new aws.secretsmanager.SecretPolicy(
      n('clientKeysGuard'),
      {
        secretArn: args.secret.arn,
        policy: pulumi
          .all(args.readerRoleArns)
          .apply((readers) => JSON.stringify(clientKeysPolicyDocument(readers, args.keyAdminRoleArns))),
        blockPublicPolicy: true,
      },
      { parent: this, dependsOn: [args.version] },
    );
    this.writeRule = new aws.cloudwatch.EventRule(
      n('clientKeysWrites'),
      {
        description: 'Every write to the API client keys secret (needs a CloudTrail trail in the account)',
        eventPattern: args.secret.name.apply((secretName) => JSON.stringify(clientKeysWritePattern(secretName))),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      n('clientKeysWrites'),
      { rule: this.writeRule.name, arn: args.alarmTopicArn },
      { parent: this.writeRule, dependsOn: [args.alarmTopicPolicy] },
    );
    this.registerOutputs({ policyId: this.policy.id, writeRuleArn: this.writeRule.arn });
  }
}
