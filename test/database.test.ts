import { planSubnets } from '../lib/model/cidr';
import { GLOBAL_CLUSTER_OWNED, ROLE_CHANGE_DRIFT } from '../lib/data/database-stack';
import { named, ofType, plan, PRIMARY, SECONDARY, dependsOnTransitively, TUNED } from './helpers/plan';

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
    // Rotation owns the primary's password.
    expect(primary.ignoreChanges).toContain('masterPassword');
    // Every value the program writes: held by a permanent label (never deprecated, deleted and
    // re-created as AWSCURRENT), and neither its value nor its labels reverted after a rotation.
    const versions = ofType(run, 'aws:secretsmanager/secretVersion:SecretVersion');
    expect(versions.length).toBeGreaterThanOrEqual(4);
    for (const version of versions) {
      expect([version.name, version.ignoreChanges]).toEqual([version.name, ['secretString', 'versionStages']]);
      expect([version.name, version.inputs.versionStages]).toEqual([
        version.name,
        ['AWSCURRENT', 'TAP_PROGRAM_WRITTEN'],
      ]);
    }
  });

  it('pulumi up after a switchover or failover changes no membership: both members ignore what AWS rewrites', async () => {
    const run = await plan();
    // After a failover the old primary replicates (AWS reports its replicationSourceIdentifier;
    // diffing it back to empty calls PromoteReadReplicaDBCluster) and the old secondary writes:
    // roles swap, so both members carry the same guards.
    for (const code of ['use1', 'euw1']) {
      const cluster = named(run, 'aws:rds/cluster:Cluster', `aurora-${code}-dev`);
      expect({ code, ignored: [...cluster.ignoreChanges].sort() }).toEqual({
        code,
        ignored: expect.arrayContaining(['globalClusterIdentifier', 'replicationSourceIdentifier']),
      });
    }
    expect([...ROLE_CHANGE_DRIFT].sort()).toEqual(['globalClusterIdentifier', 'replicationSourceIdentifier']);
    // Nothing else is ignored: a real config change (parameters, security groups) still applies.
    const secondary = named(run, 'aws:rds/cluster:Cluster', 'aurora-euw1-dev');
    expect([...secondary.ignoreChanges].sort()).toEqual([...ROLE_CHANGE_DRIFT, ...GLOBAL_CLUSTER_OWNED].sort());
    const primary = named(run, 'aws:rds/cluster:Cluster', 'aurora-use1-dev');
    expect([...primary.ignoreChanges].sort()).toEqual(
      [...ROLE_CHANGE_DRIFT, ...GLOBAL_CLUSTER_OWNED, 'masterPassword'].sort(),
    );
  });

  it('RDS Extended Support is off by default on the global cluster and both members, and is config', async () => {
    // CreateGlobalCluster / CreateDBCluster EngineLifecycleSupport defaults to enrolment in paid
    // Extended Support (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateGlobalCluster.html).
    const lifecycleOf = (run: Awaited<ReturnType<typeof plan>>) => [
      named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev').inputs.engineLifecycleSupport,
      named(run, 'aws:rds/cluster:Cluster', 'aurora-use1-dev').inputs.engineLifecycleSupport,
      named(run, 'aws:rds/cluster:Cluster', 'aurora-euw1-dev').inputs.engineLifecycleSupport,
    ];
    expect(lifecycleOf(await plan())).toEqual(Array(3).fill('open-source-rds-extended-support-disabled'));
    const enrolled = await plan(TUNED); // engineLifecycleSupport: open-source-rds-extended-support
    expect(lifecycleOf(enrolled)).toEqual(Array(3).fill('open-source-rds-extended-support'));
  });

  it('a minor upgrade goes through the global cluster: the planned change carries the new version there only', async () => {
    // The provider's rds.GlobalCluster docs, "Upgrading Engine Versions": the global cluster
    // upgrades its members in place; members that diff their own engineVersion fail the update
    // with "Provider produced inconsistent final plan", so they ignore it.
    const upgraded = await plan(TUNED); // dbEngineVersion 14.10
    const global = named(upgraded, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev');
    expect(global.inputs.engineVersion).toBe('14.10');
    const members = ofType(upgraded, 'aws:rds/cluster:Cluster');
    const instances = ofType(upgraded, 'aws:rds/clusterInstance:ClusterInstance');
    expect(members).toHaveLength(2);
    expect(instances).toHaveLength(4);
    for (const r of [...members, ...instances])
      expect({ name: r.name, ignored: r.ignoreChanges }).toEqual({
        name: r.name,
        ignored: expect.arrayContaining(['engineVersion']),
      });
    // Same parameter-group family: a minor upgrade replaces no parameter group.
    for (const group of ofType(upgraded, 'aws:rds/clusterParameterGroup:ClusterParameterGroup'))
      expect(group.inputs.family).toBe('aurora-postgresql14');
  });

  it.each([
    ['15.8', 'aurora-postgresql15'],
    ['16.4', 'aurora-postgresql16'],
  ])(
    'engine %s: the global cluster, both members and their parameter groups move together (%s)',
    async (version, family) => {
      const run = await plan({ dbEngineVersion: version });
      expect(named(run, 'aws:rds/globalCluster:GlobalCluster', 'aurora-global-dev').inputs.engineVersion).toBe(version);
      const groups = ofType(run, 'aws:rds/clusterParameterGroup:ClusterParameterGroup');
      expect(groups.map((g) => g.inputs.family)).toEqual([family, family]);
      for (const cluster of ofType(run, 'aws:rds/cluster:Cluster')) expect(cluster.inputs.engineVersion).toBe(version);
    },
  );

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

  it('the database admits 5432 from named security groups in its VPC and, by CIDR, only the other region private subnets', async () => {
    const run = await plan();
    for (const [code, peerVpc] of [
      ['use1', '10.1.0.0/16'],
      ['euw1', '10.0.0.0/16'],
    ]) {
      const sg = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-db-${code}-dev`);
      expect(sg.inputs.ingress ?? []).toEqual([]);
      const rules = ofType(run, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').filter(
        (r) => r.inputs.securityGroupId === `sg-db-${code}-dev-id`,
      );
      expect(rules.every((r) => r.inputs.fromPort === 5432 && r.inputs.toPort === 5432)).toBe(true);
      const bySg = rules
        .filter((r) => r.inputs.referencedSecurityGroupId)
        .map((r) => r.inputs.referencedSecurityGroupId);
      expect(bySg.sort()).toEqual(
        [
          // Issue 22: the order API (sg-app, sg-ec2) reaches no database; the book applier feeds it.
          `sg-fn-book-apply-${code}-dev-id`,
          `sg-fn-rotation-${code}-dev-id`,
          ...(code === 'use1' ? ['sg-fn-schema-use1-dev-id'] : []),
        ].sort(),
      );
      // Security groups cannot reference another region's groups: the peer's clients come by CIDR,
      // exactly its private subnets (where every client runs), never its public ones.
      const byCidr = rules.filter((r) => r.inputs.cidrIpv4).map((r) => r.inputs.cidrIpv4);
      expect(byCidr.sort()).toEqual([...planSubnets(peerVpc, 3).private].sort());
    }
  });

  it('every database client may reach PostgreSQL in both VPCs, over routes through the peering', async () => {
    const run = await plan();
    const postgresEgress = (name: string) =>
      named(run, 'aws:ec2/securityGroup:SecurityGroup', name)
        .inputs.egress.filter((e: any) => e.fromPort === 5432)
        .flatMap((e: any) => e.cidrBlocks)
        .sort();
    for (const [code, vpc] of [
      ['use1', '10.0.0.0/16'],
      ['euw1', '10.1.0.0/16'],
    ]) {
      expect(postgresEgress(`sg-fn-rotation-${code}-dev`)).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
      // The applier writes only its own region's cluster.
      expect(postgresEgress(`sg-fn-book-apply-${code}-dev`)).toEqual([vpc]);
    }
    expect(postgresEgress('sg-fn-schema-use1-dev')).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
    // Each private route table sends the other region's private subnets (its clients and its
    // database) through the peering.
    for (const [region, peer] of [
      [PRIMARY, '10.1.0.0/16'],
      [SECONDARY, '10.0.0.0/16'],
    ]) {
      const tables = ofType(run, 'aws:ec2/routeTable:RouteTable', region).filter((t) => /rt-private/.test(t.name));
      for (const cidr of planSubnets(peer, 3).private) {
        const routes = ofType(run, 'aws:ec2/route:Route', region).filter(
          (r) => r.inputs.destinationCidrBlock === cidr && r.inputs.vpcPeeringConnectionId,
        );
        expect(routes.map((r) => r.inputs.routeTableId).sort()).toEqual(tables.map((t) => `${t.name}-id`).sort());
      }
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
    expect(version.ignoreChanges).toEqual(['secretString', 'versionStages']);
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
    // Recovering from an abandoned rotation lists the versions.
    expect(rotate.Action).toContain('secretsmanager:ListSecretVersionIds');
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

describe('first rotations', () => {
  it('the app secret rotation is requested only after the master one (it logs in as master)', async () => {
    const run = await plan();
    const master = named(run, 'aws:secretsmanager/secretRotation:SecretRotation', 'secret-db-master-dev');
    const app = named(run, 'aws:secretsmanager/secretRotation:SecretRotation', 'secret-db-app-dev');
    expect(app.dependsOn).toContain(master.urn);
    expect(dependsOnTransitively(run, master, app)).toBe(false);
  });
});

describe('deploy-time schema', () => {
  it('the schema function runs in the primary private subnets as master, 120 s, with TLS verify-full', async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', 'fn-schema-use1-dev');
    expect(fn.region).toBe(PRIMARY);
    expect(fn.inputs).toMatchObject({ timeout: 120, memorySize: 256 });
    expect(fn.inputs.timeout).toBeGreaterThanOrEqual(90);
    expect(fn.inputs.vpcConfig.securityGroupIds).toEqual(['sg-fn-schema-use1-dev-id']);
    expect(fn.inputs.vpcConfig.subnetIds).toHaveLength(3);
    expect(fn.inputs.environment.variables).toMatchObject({
      MASTER_SECRET_ARN: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:.*:secret:secret-db-master-dev-/),
      DB_SSL: 'verify-full',
    });
    const statements = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', 'role-fn-schema-use1-dev').inputs.policy,
    ).Statement.filter(
      // Every function's own logs and traces; Lambda's network interfaces (test/lambda-role.test.ts).
      (s: any) => !['WriteOwnLogs', 'XRayTracing', 'LambdaManagesItsNetworkInterfaces'].includes(s.Sid),
    );
    // Through Secrets Manager only, for this secret only.
    expect(statements).toEqual([
      {
        Sid: 'ReadMasterCredential',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: fn.inputs.environment.variables.MASTER_SECRET_ARN,
      },
      {
        Sid: 'DecryptMasterCredential',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/kms-secrets-use1-dev',
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
            'kms:EncryptionContext:SecretARN': fn.inputs.environment.variables.MASTER_SECRET_ARN,
          },
        },
      },
    ]);
  });

  it('is invoked once per code change, after the instances, the master secret, its grants and its way in', async () => {
    const run = await plan();
    const invocation = named(run, 'aws:lambda/invocation:Invocation', 'fn-schema-run-use1-dev');
    expect(invocation.region).toBe(PRIMARY);
    expect(invocation.inputs).toMatchObject({ functionName: 'fn-schema-use1-dev', input: '{}' });
    expect(Object.keys(invocation.inputs.triggers ?? { code: undefined })).toEqual(['code']);
    const waitsFor = (type: string, name: string) =>
      expect({ name, waits: dependsOnTransitively(run, invocation, named(run, type, name)) }).toEqual({
        name,
        waits: true,
      });
    for (const instance of ofType(run, 'aws:rds/clusterInstance:ClusterInstance', PRIMARY))
      waitsFor(instance.type, instance.name);
    waitsFor('aws:secretsmanager/secretVersion:SecretVersion', 'secret-db-master-dev');
    waitsFor('aws:iam/rolePolicy:RolePolicy', 'role-fn-schema-use1-dev');
    waitsFor('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'sg-db-schema-use1-dev');
  });

  it('nothing writes the ledger before the schema exists, in either region (the book appliers wait for it)', async () => {
    const run = await plan();
    const invocation = named(run, 'aws:lambda/invocation:Invocation', 'fn-schema-run-use1-dev');
    const consumers = ofType(run, 'aws:lambda/eventSourceMapping:EventSourceMapping').filter((m) =>
      /^fn-book-apply-/.test(m.name),
    );
    expect(consumers.map((c) => c.region).sort()).toEqual([SECONDARY, PRIMARY]);
    for (const c of consumers)
      expect({ c: c.name, waits: dependsOnTransitively(run, c, invocation) }).toEqual({ c: c.name, waits: true });
  });
});
