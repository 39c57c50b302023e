import { named, ofType, plan, PRIMARY, SECONDARY, dependsOnTransitively } from './helpers/plan';

describe('Aurora global database', () => {
  it('global cluster: aurora-postgresql 14.6, encrypted, not deletion-protected, in us-east-1', async () => {
    const run = await plan();
    const global = named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev');
    expect(global.region).toBe(PRIMARY);
    expect(global.inputs).toMatchObject({
      engine: 'aurora-postgresql',
      engineVersion: '14.6',
      storageEncrypted: true,
      deletionProtection: false,
    });
  });

  it.each([
    [PRIMARY, 'use1'],
    [SECONDARY, 'euw1'],
  ])(
    'member cluster in %s: joined, encrypted with its own region key, destroyable, TLS-only parameters',
    async (region, code) => {
      const run = await plan();
      const cluster = named(run, 'aws:rds/cluster:Cluster', `aurora-${code}-dev`);
      expect(cluster.region).toBe(region);
      expect(cluster.inputs).toMatchObject({
        engine: 'aurora-postgresql',
        engineVersion: '14.6',
        globalClusterIdentifier: 'aurora-global-dev-id',
        storageEncrypted: true,
        kmsKeyId: `arn:aws:kms:${region}:123456789012:key/kms-database-${code}-dev`,
        skipFinalSnapshot: true,
        deletionProtection: false,
        dbSubnetGroupName: expect.stringMatching(new RegExp(`^db-subnets-${code}-dev-[0-9a-f]{7}$`)),
        vpcSecurityGroupIds: [`sg-db-${code}-dev-id`],
        dbClusterParameterGroupName: expect.stringMatching(new RegExp(`^db-cluster-params-${code}-dev-[0-9a-f]{7}$`)),
      });
      const params = named(run, 'aws:rds/clusterParameterGroup:ClusterParameterGroup', `db-cluster-params-${code}-dev`);
      expect(params.inputs.family).toBe('aurora-postgresql14');
      expect(params.inputs.parameters).toContainEqual(expect.objectContaining({ name: 'rds.force_ssl', value: '1' }));
      const key = named(run, 'aws:kms/key:Key', `kms-database-${code}-dev`);
      expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 7 });
      const subnets = named(run, 'aws:rds/subnetGroup:SubnetGroup', `db-subnets-${code}-dev`);
      const privateSubnets = ofType(run, 'aws:ec2/subnet:Subnet', region)
        .filter((s) => s.inputs.tags.Tier === 'private')
        .map((s) => `${s.name}-id`);
      expect([...subnets.inputs.subnetIds].sort()).toEqual(privateSubnets.sort());
    },
  );

  it('only the primary holds master credentials; both guard against known drift', async () => {
    const run = await plan();
    const primary = named(run, 'aws:rds/cluster:Cluster', 'aurora-use1-dev');
    const secondary = named(run, 'aws:rds/cluster:Cluster', 'aurora-euw1-dev');
    expect(primary.inputs.masterUsername).toBe('tapadmin');
    expect(primary.inputs.masterPassword).toBeDefined();
    expect(secondary.inputs.masterUsername).toBeUndefined();
    expect(secondary.inputs.masterPassword).toBeUndefined();
    // Rotation owns the password; failovers move membership; an update must not detach the secondary.
    expect(primary.ignoreChanges.sort()).toEqual(['globalClusterIdentifier', 'masterPassword']);
    expect(secondary.ignoreChanges.sort()).toEqual(['globalClusterIdentifier', 'replicationSourceIdentifier']);
    for (const version of ofType(run, 'aws:secretsmanager/secretVersion:SecretVersion'))
      expect(version.ignoreChanges).toEqual(['secretString']);
  });

  it('at least two instances per region across AZs, pinned version, no public access, PI encrypted', async () => {
    const run = await plan();
    for (const [region, code] of [
      [PRIMARY, 'use1'],
      [SECONDARY, 'euw1'],
    ]) {
      const instances = ofType(run, 'aws:rds/clusterInstance:ClusterInstance', region);
      expect(instances).toHaveLength(2);
      expect(new Set(instances.map((i) => i.inputs.availabilityZone)).size).toBe(2);
      for (const i of instances) {
        expect(i.inputs).toMatchObject({
          clusterIdentifier: `aurora-${code}-dev-id`,
          instanceClass: 'db.r6g.large',
          engineVersion: '14.6',
          autoMinorVersionUpgrade: false,
          publiclyAccessible: false,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: `arn:aws:kms:${region}:123456789012:key/kms-database-${code}-dev`,
        });
      }
    }
  });

  it('the secondary cluster waits for the primary instances (destroy then runs in reverse)', async () => {
    const run = await plan();
    const secondary = named(run, 'aws:rds/cluster:Cluster', 'aurora-euw1-dev');
    const primary = named(run, 'aws:rds/cluster:Cluster', 'aurora-use1-dev');
    const global = named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev');
    for (const instance of ofType(run, 'aws:rds/clusterInstance:ClusterInstance', PRIMARY))
      expect(secondary.dependsOn).toContain(instance.urn);
    expect(secondary.dependsOn).toContain(global.urn);
    expect(primary.dependsOn).toContain(global.urn);
    for (const instance of ofType(run, 'aws:rds/clusterInstance:ClusterInstance', SECONDARY))
      expect(dependsOnTransitively(run, instance, secondary)).toBe(true);
    // Nothing in the primary waits for the secondary.
    expect(dependsOnTransitively(run, primary, secondary)).toBe(false);
  });

  it('the database admits 5432 only from named security groups, never a CIDR', async () => {
    const run = await plan();
    for (const code of ['use1', 'euw1']) {
      const sg = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-db-${code}-dev`);
      expect(sg.inputs.ingress ?? []).toEqual([]);
      const rules = ofType(run, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').filter(
        (r) => r.inputs.securityGroupId === `sg-db-${code}-dev-id`,
      );
      expect(rules.map((r) => r.inputs.referencedSecurityGroupId).sort()).toEqual([
        `sg-app-${code}-dev-id`,
        `sg-ec2-${code}-dev-id`,
        `sg-fn-rotation-${code}-dev-id`,
      ]);
      expect(rules.every((r) => r.inputs.fromPort === 5432 && r.inputs.toPort === 5432 && !r.inputs.cidrIpv4)).toBe(
        true,
      );
    }
  });

  it('rejects a burstable instance class before registering anything', async () => {
    await expect(plan({ dbInstanceClass: 'db.t4g.medium' })).rejects.toThrow(
      /dbInstanceClass: global databases need a memory-optimised class/,
    );
  });
});

describe('credentials', () => {
  it('secrets live in us-east-1 under the secrets key, replicated to eu-west-1 with its key, deleted without a recovery window', async () => {
    const run = await plan();
    for (const [name, use] of [
      ['secret-db-master-dev', 'secrets'],
      ['secret-db-app-dev', 'secrets'],
      // The client signing keys have a key of their own: a grant on database credentials never reads them.
      ['secret-api-clients-dev', 'client-keys'],
    ]) {
      const secret = named(run, 'aws:secretsmanager/secret:Secret', name);
      expect(secret.region).toBe(PRIMARY);
      expect(secret.inputs).toMatchObject({
        kmsKeyId: `arn:aws:kms:us-east-1:123456789012:key/kms-${use}-use1-dev`,
        replicas: [{ region: SECONDARY, kmsKeyId: `arn:aws:kms:eu-west-1:123456789012:key/kms-${use}-euw1-dev` }],
        recoveryWindowInDays: 0,
      });
    }
  });

  it('the client keys secret starts with no clients (nothing to leak) and is never reverted once the operator writes it', async () => {
    const run = await plan();
    const version = named(run, 'aws:secretsmanager/secretVersion:SecretVersion', 'secret-api-clients-dev');
    expect(version.inputs.secretString).toBe('{}');
    expect(version.ignoreChanges).toEqual(['secretString']);
  });

  it('the secret is the rotation JSON shape with the global writer endpoint as host', async () => {
    const run = await plan();
    const version = named(run, 'aws:secretsmanager/secretVersion:SecretVersion', 'secret-db-app-dev');
    const value = JSON.parse(version.inputs.secretString);
    expect(Object.keys(value).sort()).toEqual([
      'dbname',
      'engine',
      'host',
      'masterarn',
      'password',
      'port',
      'username',
    ]);
    expect(value).toMatchObject({
      engine: 'postgres',
      host: 'aurora-global-dev.global-abc.global.rds.amazonaws.com',
      port: 5432,
      username: 'tapapp',
      dbname: 'trading',
    });
    expect(value.masterarn).toMatch(/:secret:secret-db-master-dev-/);
  });

  it('both secrets rotate every 30 days through the us-east-1 rotation function only', async () => {
    const run = await plan();
    const rotations = ofType(run, 'aws:secretsmanager/secretRotation:SecretRotation');
    expect(rotations).toHaveLength(2);
    for (const r of rotations) {
      expect(r.region).toBe(PRIMARY);
      expect(r.inputs.rotationRules).toEqual({ automaticallyAfterDays: 30 });
      expect(r.inputs.rotationLambdaArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:fn-rotation-use1-dev');
    }
    const permissions = ofType(run, 'aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === 'secretsmanager.amazonaws.com',
    );
    expect(permissions.map((p) => p.inputs.sourceArn).sort()).toEqual([
      expect.stringContaining('secret-db-app-dev'),
      expect.stringContaining('secret-db-master-dev'),
    ]);
  });

  it('a rotation period above the 30 days the platform promises is rejected before anything registers', async () => {
    await expect(plan({ secretRotationDays: 31 })).rejects.toThrow(/secretRotationDays: must be at most 30/);
  });

  it('the rotation function runs in the private subnets and its role reaches only these secrets and keys', async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', 'fn-rotation-use1-dev');
    expect(fn.inputs.vpcConfig.subnetIds).toHaveLength(3);
    expect(fn.inputs.vpcConfig.securityGroupIds).toEqual(['sg-fn-rotation-use1-dev-id']);
    const policy = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fn-rotation-secrets-use1-dev').inputs.policy,
    );
    const rotate = policy.Statement.find((s: any) => s.Sid === 'RotateTheseSecrets');
    expect(rotate.Resource).toEqual([
      expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:.*secret-db-master-dev/),
      expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:.*secret-db-app-dev/),
    ]);
    const standby = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fn-rotation-standby-euw1-dev').inputs.policy,
    );
    expect(
      standby.Statement.find((s: any) => s.Sid === 'RotateTheseSecrets').Resource.every((a: string) =>
        a.startsWith('arn:aws:secretsmanager:eu-west-1:'),
      ),
    ).toBe(true);
    const keys = policy.Statement.find((s: any) => s.Sid === 'UseTheSecretKeys');
    expect(keys.Resource).toEqual([
      'arn:aws:kms:us-east-1:123456789012:key/kms-secrets-use1-dev',
      'arn:aws:kms:eu-west-1:123456789012:key/kms-secrets-euw1-dev',
    ]);
    // Only through Secrets Manager: the role cannot decrypt with these keys directly.
    expect(keys.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com', 'secretsmanager.eu-west-1.amazonaws.com'],
      },
    });
  });
});
