/**
 * KMS key policies, one per use, as pure documents: named administrators who can manage but
 * never use a key, and use only through the AWS service the key exists for (`kms:ViaService`),
 * from this account. IAM policies still decide which role may use it; the key policy bounds
 * what any IAM policy can grant.
 */

/** What a key protects; each use gets its own key per region. */
export const KEY_USES = ['database', 'secrets', 'clientKeys', 'book', 'logs', 'backup', 'topics'] as const;
export type KeyUse = (typeof KEY_USES)[number];

/** The AWS services (endpoint prefixes) a key of each use is reached through. */
export const KEY_SERVICES: Record<KeyUse, readonly string[]> = {
  database: ['rds'],
  secrets: ['secretsmanager'],
  clientKeys: ['secretsmanager'],
  // The live order book (DynamoDB global table replica, its stream and its backups).
  book: ['dynamodb'],
  logs: ['logs'],
  backup: ['backup', 'rds'],
  topics: ['sns'],
};

/** Who administers keys: the configured roles on protected stacks, the account (IAM decides) otherwise. */
export function keyAdministrators(
  settings: { readonly dataProtection: 'ephemeral' | 'protected'; readonly keyAdminRoleArns: readonly string[] },
  accountId: string,
): string[] {
  return settings.dataProtection === 'protected' ? [...settings.keyAdminRoleArns] : [`arn:aws:iam::${accountId}:root`];
}

/** Manage, never use: no Encrypt/Decrypt/GenerateDataKey/CreateGrant. */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:UpdateKeyDescription',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:RevokeGrant',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
] as const;

export const KEY_USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
] as const;

export interface KeyPolicyArgs {
  readonly use: KeyUse;
  readonly accountId: string;
  readonly region: string;
  /**
   * Administrators: the configured roles (protected stacks), or the account itself (ephemeral
   * stacks, where IAM decides). Must include whoever runs `pulumi up`, or KMS refuses the policy
   * (its lockout safety check).
   */
  readonly administrators: readonly string[];
}

/** `service.region.amazonaws.com` for each service a key of `use` is reached through. */
export function viaServices(use: KeyUse, regions: readonly string[]): string[] {
  return regions.flatMap((region) => KEY_SERVICES[use].map((service) => `${service}.${region}.amazonaws.com`));
}

export function keyPolicy(args: KeyPolicyArgs): Record<string, unknown> {
  const { use, accountId, region } = args;
  const account = `arn:aws:iam::${accountId}:root`;
  const statements: Record<string, unknown>[] = [
    {
      Sid: 'KeyAdministration',
      Effect: 'Allow',
      Principal: { AWS: [...args.administrators] },
      Action: [...KEY_ADMIN_ACTIONS],
      Resource: '*',
    },
  ];
  if (use === 'logs') {
    // CloudWatch Logs encrypts as itself, for this account's log groups in this region only.
    statements.push({
      Sid: 'CloudWatchLogsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${accountId}:log-group:*` },
      },
    });
  } else {
    statements.push(
      {
        Sid: 'UseOnlyThroughItsService',
        Effect: 'Allow',
        Principal: { AWS: account },
        Action: [...KEY_USE_ACTIONS],
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:ViaService': viaServices(use, [region]), 'kms:CallerAccount': accountId },
        },
      },
      {
        // RDS, Secrets Manager, DynamoDB and AWS Backup hold grants on the key for the resources they manage.
        Sid: 'GrantsForAwsResourcesOnly',
        Effect: 'Allow',
        Principal: { AWS: account },
        Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
        Resource: '*',
        Condition: {
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
          StringEquals: { 'kms:ViaService': viaServices(use, [region]), 'kms:CallerAccount': accountId },
        },
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
