import { KEY_ADMIN_ACTIONS, keyPolicy } from '../lib/security/key-policy';
import { named, ofType, plan, PRIMARY, PROTECTED, SECONDARY } from './helpers/plan';

const ADMIN = JSON.parse(PROTECTED.keyAdminRoleArns)[0] as string;

describe('key policies', () => {
  const statements = (use: Parameters<typeof keyPolicy>[0]['use']) =>
    keyPolicy({ use, accountId: '123456789012', region: 'us-east-1', administrators: [ADMIN] }).Statement as any[];

  it('administrators manage the key but can neither use it nor grant themselves its use', () => {
    const admin = statements('secrets').find((s) => s.Sid === 'KeyAdministration');
    expect(admin.Principal).toEqual({ AWS: [ADMIN] });
    for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:*'])
      expect(KEY_ADMIN_ACTIONS).not.toContain(action);
    expect(admin.Action).toContain('kms:PutKeyPolicy');
  });

  it.each([
    ['database', ['rds.us-east-1.amazonaws.com']],
    ['secrets', ['secretsmanager.us-east-1.amazonaws.com']],
    ['book', ['dynamodb.us-east-1.amazonaws.com']],
  ] as const)('a %s key is usable only through %s, from this account', (use, services) => {
    const all = statements(use);
    // Nothing grants kms:* or unconditioned use to the account.
    expect(all.flatMap((s) => [s.Action].flat())).not.toContain('kms:*');
    for (const s of all.filter((st) => st.Sid !== 'KeyAdministration')) {
      expect(s.Condition.StringEquals['kms:ViaService']).toEqual(services);
      expect(s.Condition.StringEquals['kms:CallerAccount']).toBe('123456789012');
    }
  });

  it("the logs key serves CloudWatch Logs only for this account's log groups in its region", () => {
    const logs = statements('logs').find((s) => s.Sid === 'CloudWatchLogsOfThisAccount');
    expect(logs.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    expect(logs.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*' },
    });
  });
});

describe('dataProtection: ephemeral (dev, pull requests) stays destroyable', () => {
  it('no deletion protection, no final snapshot, secrets deleted at once, 7-day key windows', async () => {
    const run = await plan();
    expect(named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev').inputs.deletionProtection).toBe(
      false,
    );
    for (const cluster of ofType(run, 'aws:rds/cluster:Cluster'))
      expect(cluster.inputs).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true });
    for (const key of ofType(run, 'aws:kms/key:Key')) expect(key.inputs.deletionWindowInDays).toBe(7);
    expect(ofType(run, 'aws:backup/plan:Plan')).toEqual([]);
  });
});

describe('dataProtection: protected', () => {
  it('deletion protection on the global and both regional clusters, with final snapshots', async () => {
    const run = await plan(PROTECTED);
    expect(named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev').inputs.deletionProtection).toBe(true);
    for (const code of ['use1', 'euw1']) {
      expect(named(run, 'aws:rds/cluster:Cluster', `aurora-${code}-dev`).inputs).toMatchObject({
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `aurora-${code}-dev-final`,
      });
    }
  });

  it('secrets and keys recoverable for 30 days; every key policy names the configured administrators', async () => {
    const run = await plan(PROTECTED);
    for (const secret of ofType(run, 'aws:secretsmanager/secret:Secret'))
      expect(secret.inputs.recoveryWindowInDays).toBe(30);
    const keys = ofType(run, 'aws:kms/key:Key');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      expect(key.inputs.deletionWindowInDays).toBe(30);
      const admin = JSON.parse(key.inputs.policy).Statement.find((s: any) => s.Sid === 'KeyAdministration');
      expect(admin.Principal.AWS).toEqual([ADMIN]);
    }
  });

  it('a daily AWS Backup of the primary cluster is copied to a vault in the other region', async () => {
    const run = await plan(PROTECTED);
    const backupPlan = named(run, 'aws:backup/plan:Plan', 'backup-plan-use1-dev');
    expect(backupPlan.region).toBe(PRIMARY);
    const [rule] = backupPlan.inputs.rules;
    expect(rule.lifecycle.deleteAfter).toBe(7);
    expect(rule.copyActions).toEqual([
      { destinationVaultArn: expect.stringContaining(`:${SECONDARY}:`), lifecycle: { deleteAfter: 35 } },
    ]);
    const copyVault = named(run, 'aws:backup/vault:Vault', 'backup-vault-euw1-dev');
    expect(copyVault.region).toBe(SECONDARY);
    expect(copyVault.inputs.kmsKeyArn).toBe('arn:aws:kms:eu-west-1:123456789012:key/kms-backup-euw1-dev');
    const selection = named(run, 'aws:backup/selection:Selection', 'backup-plan-use1-dev');
    expect(selection.inputs.resources).toEqual(['arn:aws:rds:us-east-1:123456789012:cluster:aurora-use1-dev']);
    const role = named(run, 'aws:iam/role:Role', 'role-backup-use1-dev');
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
    });
  });

  it('buckets are kept (not emptied on destroy) and versioned either way', async () => {
    const protectedRun = await plan(PROTECTED);
    for (const bucket of ofType(protectedRun, 'aws:s3/bucket:Bucket')) expect(bucket.inputs.forceDestroy).toBe(false);
    const run = await plan();
    const buckets = ofType(run, 'aws:s3/bucket:Bucket');
    const versioning = ofType(run, 'aws:s3/bucketVersioning:BucketVersioning');
    expect(versioning.map((v) => v.inputs.bucket).sort()).toEqual(buckets.map((b) => `${b.name}-id`).sort());
    for (const v of versioning) expect(v.inputs.versioningConfiguration.status).toBe('Enabled');
  });
});

describe('confused-deputy conditions and managed logs', () => {
  it('the AWS Config role trusts only AWS Config acting for this account', async () => {
    const run = await plan();
    const role = named(run, 'aws:iam/role:Role', 'role-config-use1-dev');
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
    });
  });

  it('Lambda invoke permissions name the source account as well as the source ARN', async () => {
    const run = await plan();
    const permissions = ofType(run, 'aws:lambda/permission:Permission').filter((p) =>
      /^fn-(trading|rotation)/.test(p.name),
    );
    expect(permissions.length).toBeGreaterThan(2);
    for (const p of permissions) expect(p.inputs).toMatchObject({ sourceAccount: '123456789012' });
  });

  it.each([
    [PRIMARY, 'use1'],
    [SECONDARY, 'euw1'],
  ])(
    'the PostgreSQL log group in %s is managed (KMS, retention) and exists before the cluster exports to it',
    async (region, code) => {
      const run = await plan();
      const group = ofType(run, 'aws:cloudwatch/logGroup:LogGroup', region).find(
        (g) => g.inputs.name === `/aws/rds/cluster/aurora-${code}-dev/postgresql`,
      )!;
      expect(group.inputs).toMatchObject({
        retentionInDays: 30,
        kmsKeyId: `arn:aws:kms:${region}:123456789012:key/kms-logs-${code}-dev`,
      });
      const cluster = named(run, 'aws:rds/cluster:Cluster', `aurora-${code}-dev`);
      expect(cluster.inputs.enabledCloudwatchLogsExports).toEqual(['postgresql']);
      expect(cluster.dependsOn).toContain(group.urn);
    },
  );
});
