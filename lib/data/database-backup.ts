import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { serviceRole, sourceConditions } from '../security/iam';
import { Namer } from '../config/naming';
import { RegionKeys } from '../security/region-keys';

/** The AWS-managed permissions AWS Backup needs to snapshot and copy an Aurora cluster. */
export const BACKUP_SERVICE_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup';

export interface BackupSide {
  readonly name: Namer;
  readonly region: string;
  readonly provider: aws.Provider;
  /** The region's keys: its `backup` key encrypts the region's vault. */
  readonly keys: RegionKeys;
}

export interface DatabaseBackupArgs {
  readonly settings: Settings;
  /** Where the cluster lives and the daily backup is taken. */
  readonly source: BackupSide & { readonly database: { readonly cluster: aws.rds.Cluster } };
  /** The other region: the copy survives the loss of the source region, and a DROP replicated by the global database. */
  readonly copyTo: BackupSide;
}

/**
 * Protected stacks: a daily AWS Backup of the primary cluster, kept `dbBackupRetentionDays` in
 * its region and copied to a vault in the other region for `backupCopyRetentionDays`. The
 * global database replicates a mistake (a DROP) at once; a backup in another region does not.
 */
export class DatabaseBackup extends pulumi.ComponentResource {
  readonly plan: aws.backup.Plan;
  readonly copyVault: aws.backup.Vault;

  constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:DatabaseBackup', name, {}, opts);
    const { settings, source, copyTo } = args;
    const here = { parent: this, provider: source.provider };
    const vault = new aws.backup.Vault(
      source.name('backupVault'),
      { name: source.name('backupVault'), kmsKeyArn: source.keys.key('backup').arn },
      here,
    );
    this.copyVault = new aws.backup.Vault(
      copyTo.name('backupVault'),
      { name: copyTo.name('backupVault'), kmsKeyArn: copyTo.keys.key('backup').arn },
      { parent: this, provider: copyTo.provider },
    );
    const account = aws.getCallerIdentityOutput({}, here);
    const role = serviceRole(
      {
        name: source.name('backupRole'),
        service: 'backup.amazonaws.com',
        managedPolicyArns: [BACKUP_SERVICE_POLICY],
        trustCondition: sourceConditions(account.accountId),
      },
      here,
    );
    this.plan = new aws.backup.Plan(
      source.name('backupPlan'),
      {
        name: source.name('backupPlan'),
        rules: [
          {
            ruleName: 'daily-with-cross-region-copy',
            targetVaultName: vault.name,
            schedule: 'cron(0 3 * * ? *)',
            lifecycle: { deleteAfter: settings.dbBackupRetentionDays },
            copyActions: [
              {
                destinationVaultArn: this.copyVault.arn,
                lifecycle: { deleteAfter: settings.backupCopyRetentionDays },
              },
            ],
          },
        ],
      },
      here,
    );
    new aws.backup.Selection(
      source.name('backupPlan'),
      {
        name: source.name('backupPlan'),
        planId: this.plan.id,
        iamRoleArn: role.ready.arn,
        resources: [source.database.cluster.arn],
      },
      { ...here, parent: this.plan },
    );
    this.registerOutputs({ backupPlanId: this.plan.id, copyVaultArn: this.copyVault.arn });
  }
}
