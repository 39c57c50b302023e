import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { keyAdministrators, KeyUse, keyPolicy } from './key-policy';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';

/** Days KMS waits before deleting a key: the shortest it allows, or the longest for protected data (every key here). */
export const KEY_DELETION_WINDOW_DAYS = { ephemeral: 7, protected: 30 } as const;

const DESCRIPTIONS: Record<KeyUse, string> = {
  database: 'Aurora storage and Performance Insights',
  secrets: 'database credentials in Secrets Manager',
  clientKeys: 'API client signing keys in Secrets Manager',
  book: 'the live order book (DynamoDB replica and stream)',
  logs: 'CloudWatch log groups',
  backup: 'AWS Backup vault (cross-region database copies)',
  topics: 'SNS topics',
};

export interface RegionKeysArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
}

/**
 * One region's KMS keys, one per use, each with an explicit policy (lib/security/key-policy.ts): a key
 * that leaks into the wrong grant still only works through its own service. The backup key
 * exists only where backups are copied to (protected stacks).
 */
export class RegionKeys extends pulumi.ComponentResource {
  readonly keys: Partial<Record<KeyUse, aws.kms.Key>> = {};

  constructor(name: string, args: RegionKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:security:RegionKeys', name, {}, opts);
    const { settings, region, name: n } = args;
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const uses: KeyUse[] = ['database', 'secrets', 'clientKeys', 'book', 'logs'];
    if (settings.dataProtection === 'protected') uses.push('backup');
    for (const use of uses) {
      const keyName = n(
        'kmsKey',
        use.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      );
      const key = new aws.kms.Key(
        keyName,
        {
          description: `${DESCRIPTIONS[use]} in ${region.region}`,
          enableKeyRotation: true,
          deletionWindowInDays: KEY_DELETION_WINDOW_DAYS[settings.dataProtection],
          policy: account.accountId.apply((accountId) =>
            JSON.stringify(
              keyPolicy({
                use,
                accountId,
                region: region.region,
                administrators: keyAdministrators(settings, accountId),
              }),
            ),
          ),
        },
        { parent: this },
      );
      new aws.kms.Alias(
        keyName,
        { name: `alias/${keyName}`, targetKeyId: key.keyId },
        { parent: key, ...DELETE_BEFORE_REPLACE },
      );
      this.keys[use] = key;
    }
    this.registerOutputs(Object.fromEntries(Object.entries(this.keys).map(([use, key]) => [use, key.arn])));
  }

  /** The key of one use (throws for a key this stack does not create). */
  key(use: KeyUse): aws.kms.Key {
    const key = this.keys[use];
    if (!key) throw new Error(`no ${use} key in this stack`);
    return key;
  }
}
