import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { RegionSettings, Settings } from './config';
import { buildFunction, BuiltFunction } from './lambda-function';
import { Namer } from './naming';
import { NetworkStack } from './network-stack';

export const POSTGRES_PORT = 5432;

/** Generated passwords: long, and free of the characters RDS rejects in passwords (/ @ " space). */
export const DB_PASSWORD_SPEC: random.RandomPasswordArgs = {
  length: 32,
  special: true,
  overrideSpecial: '!#$%^&*()-_=+[]{}<>:?',
};

export interface DatabaseStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly provider: aws.Provider;
  readonly name: Namer;
  readonly network: NetworkStack;
  readonly globalCluster: aws.rds.GlobalCluster;
  /**
   * Secondary only: the primary's instances. A secondary can attach only to an available
   * primary, so the secondary cluster waits for them.
   */
  readonly primaryInstances?: aws.rds.ClusterInstance[];
}

/**
 * One region's member of the Aurora global database: its own KMS key, subnet group, security
 * group, TLS-enforcing parameter group, cluster and instances, plus the rotation function
 * (attached in the primary; on standby in the secondary for after a regional failover).
 */
export class DatabaseStack extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly cluster: aws.rds.Cluster;
  readonly instances: aws.rds.ClusterInstance[];
  readonly rotation: BuiltFunction;
  readonly rotationSecurityGroup: aws.ec2.SecurityGroup;
  /** Primary only: the initial master password, which the credentials secret starts from. */
  readonly masterPassword?: pulumi.Output<string>;
  private readonly n: Namer;
  private readonly provider: aws.Provider;

  constructor(name: string, args: DatabaseStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:DatabaseStack', name, {}, opts);
    const { settings, region, provider, name: n, network } = args;
    const isPrimary = region.role === 'primary';
    const child = { parent: this, provider };
    this.n = n;
    this.provider = provider;

    this.key = new aws.kms.Key(
      n('kmsKey'),
      {
        description: `Aurora storage, Performance Insights and database secrets in ${region.region}`,
        enableKeyRotation: true,
        deletionWindowInDays: 7,
      },
      child,
    );
    new aws.kms.Alias(
      n('kmsKey'),
      { name: `alias/${n('kmsKey')}`, targetKeyId: this.key.keyId },
      { parent: this.key, provider },
    );

    const subnetGroup = new aws.rds.SubnetGroup(
      n('dbSubnetGroup'),
      { name: n('dbSubnetGroup'), subnetIds: network.privateSubnetIds, description: 'Aurora in the private subnets' },
      child,
    );

    // Clients are granted 5432 by security group, never by CIDR: the rotation function here,
    // the application tier through allowClient().
    this.securityGroup = new aws.ec2.SecurityGroup(
      n('dbSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Aurora PostgreSQL: 5432 from named client security groups only',
        tags: { Name: n('dbSecurityGroup') },
      },
      child,
    );
    this.rotationSecurityGroup = new aws.ec2.SecurityGroup(
      n('rotationSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Secret rotation function: PostgreSQL and the AWS API endpoints',
        egress: [
          {
            protocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            cidrBlocks: [region.vpcCidr],
            description: 'VPC endpoints (Secrets Manager, KMS)',
          },
          {
            protocol: 'tcp',
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            cidrBlocks: [region.vpcCidr],
            description: 'Aurora in this VPC',
          },
        ],
        tags: { Name: n('rotationSecurityGroup') },
      },
      child,
    );
    this.allowClient('rotation', this.rotationSecurityGroup.id);

    const parameterGroup = new aws.rds.ClusterParameterGroup(
      n('dbClusterParameterGroup'),
      {
        name: n('dbClusterParameterGroup'),
        family: 'aurora-postgresql14',
        description: 'TLS required for every connection',
        parameters: [{ name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' }],
      },
      child,
    );

    const common = {
      clusterIdentifier: n('dbCluster'),
      engine: 'aurora-postgresql',
      engineVersion: settings.dbEngineVersion,
      globalClusterIdentifier: args.globalCluster.id,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: this.key.arn,
      port: POSTGRES_PORT,
      skipFinalSnapshot: true,
      deletionProtection: false,
      copyTagsToSnapshot: true,
      allowMajorVersionUpgrade: false,
      enabledCloudwatchLogsExports: ['postgresql'],
      backupRetentionPeriod: settings.dbBackupRetentionDays,
      applyImmediately: true,
    };
    if (isPrimary) {
      this.masterPassword = new random.RandomPassword(n('dbCluster', 'pw'), DB_PASSWORD_SPEC, { parent: this }).result;
      this.cluster = new aws.rds.Cluster(
        n('dbCluster'),
        {
          ...common,
          databaseName: settings.dbName,
          masterUsername: settings.dbMasterUsername,
          masterPassword: this.masterPassword,
        },
        {
          ...child,
          // The rotation function owns the password after the first rotation; the global
          // cluster membership drifts after a failover. Neither may be reverted by `pulumi up`.
          ignoreChanges: ['masterPassword', 'globalClusterIdentifier'],
        },
      );
    } else {
      if (!args.primaryInstances?.length) throw new Error('the secondary DatabaseStack needs the primary instances');
      this.cluster = new aws.rds.Cluster(
        n('dbCluster'),
        { ...common },
        {
          ...child,
          dependsOn: args.primaryInstances,
          // Known provider drift: an update that touches replicationSourceIdentifier detaches
          // the secondary from the global cluster.
          ignoreChanges: ['replicationSourceIdentifier', 'globalClusterIdentifier'],
        },
      );
    }

    this.instances = Array.from({ length: settings.dbInstancesPerRegion }, (_, i) => {
      const id = n('dbInstance', String(i + 1));
      return new aws.rds.ClusterInstance(
        id,
        {
          identifier: id,
          clusterIdentifier: this.cluster.id,
          instanceClass: settings.dbInstanceClass,
          engine: 'aurora-postgresql',
          engineVersion: settings.dbEngineVersion,
          // Versions must match across regions for failover; upgrades are a deliberate change.
          autoMinorVersionUpgrade: false,
          availabilityZone: network.availabilityZones[i % settings.azCount],
          dbSubnetGroupName: subnetGroup.name,
          publiclyAccessible: false,
          performanceInsightsEnabled: true,
          performanceInsightsKmsKeyId: this.key.arn,
          promotionTier: i,
          applyImmediately: true,
        },
        { parent: this.cluster, provider },
      );
    });

    const rotationName = n('rotationFunction');
    this.rotation = buildFunction(
      {
        name: rotationName,
        roleName: n('rotationRole'),
        code: 'rotation',
        description: 'Rotates the database credentials (createSecret, setSecret, testSecret, finishSecret)',
        settings,
        // Secret and key permissions are granted where the secrets are defined (CredentialsStack).
        statements: [],
        environment: { DB_SSL: 'verify-full' },
        vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.rotationSecurityGroup.id] },
        timeoutSeconds: 30,
        memoryMb: 256,
      },
      child,
    );

    this.registerOutputs({
      clusterArn: this.cluster.arn,
      clusterEndpoint: this.cluster.endpoint,
      readerEndpoint: this.cluster.readerEndpoint,
      rotationFunctionArn: this.rotation.fn.arn,
    });
  }

  /** Admit PostgreSQL from one client security group (the only way into the database). */
  allowClient(label: string, sourceSecurityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
    return new aws.vpc.SecurityGroupIngressRule(
      this.n('dbSecurityGroup', label),
      {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: sourceSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: `PostgreSQL from ${label}`,
      },
      { parent: this.securityGroup, provider: this.provider },
    );
  }
}
