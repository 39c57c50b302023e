import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Settings } from '../config';
import { egressRules, POSTGRES_PORT } from '../network/egress';
import { GlobalDatabase } from './global-database';
import { buildFunction, BuiltFunction } from '../functions/lambda-function';
import { functionEnvironment } from '../functions/function-environment';
import { rotationEnvironment } from '../../lambda/rotation/environment';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { NetworkStack } from '../network/network-stack';
import { RegionKeys } from '../security/region-keys';
import { namedSecurityGroup } from '../network/named-security-group';
import type { CodeSigning } from '../functions/code-signing';

export { POSTGRES_PORT };

/**
 * Cluster inputs AWS rewrites when the roles change (switchover, failover, detach-and-promote),
 * ignored on BOTH members because either may be the writer or the replica by then
 * (terraform-provider-aws internal/service/rds/cluster.go):
 * - `replicationSourceIdentifier`: Read copies DescribeDBClusters' ReplicationSourceIdentifier,
 *   which names the current writer on whichever member replicates. Configured empty, the diff
 *   makes Update call PromoteReadReplicaDBCluster, or fail with "promoting to standalone is not
 *   supported".
 * - `globalClusterIdentifier`: Read looks the membership up in DescribeGlobalClusters; a member
 *   detached by the detach-and-promote runbook reads empty, and Update then fails ("existing RDS
 *   Clusters cannot be added to an existing RDS Global Cluster") or, the other way round, calls
 *   RemoveFromGlobalCluster.
 * Everything else either stays as configured or is Computed (no diff when unset).
 */
export const ROLE_CHANGE_DRIFT = ['replicationSourceIdentifier', 'globalClusterIdentifier'] as const;

/**
 * What the global cluster owns: a minor upgrade changes `engineVersion` on the global cluster,
 * which upgrades every member in place (ModifyGlobalCluster). A member that also diffs its own
 * version fails the update with "Provider produced inconsistent final plan"; the provider's
 * rds.GlobalCluster docs, "Upgrading Engine Versions", prescribe ignoreChanges on the members
 * (node_modules/@pulumi/aws/rds/globalCluster.d.ts; registry: pulumi.com/registry/packages/aws/api-docs/rds/globalcluster).
 * Instances too: rds.ClusterInstance's engineVersion is upgraded through its cluster only
 * (its own change "will not update the engineVersion", rds/clusterInstance.d.ts).
 */
export const GLOBAL_CLUSTER_OWNED = ['engineVersion'] as const;

/** How a region's cluster joins the global database. */
export type GlobalMembership =
  /** The writer at creation: creates the database and its master user. */
  | { readonly as: 'writer' }
  /** A read-only replica of `of`, attached once `of`'s instances are available (AWS refuses earlier). */
  | { readonly as: 'replica'; readonly of: DatabaseStack };

export interface DatabaseStackArgs {
  /** The region's code signing, when lambdaCodeSigning is warn or enforce. */
  readonly codeSigning?: CodeSigning;
  readonly settings: Settings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /**
   * The other region's network: its private subnets hold clients (rotation, schema, the order
   * API) that reach this cluster over the peering whenever it is the writer.
   */
  readonly peerNetwork: NetworkStack;
  readonly globalDatabase: GlobalDatabase;
  readonly membership: GlobalMembership;
  /** The region's keys: storage and Performance Insights use the database key, logs the logs key. */
  readonly keys: RegionKeys;
}

/** The log group RDS exports a cluster's PostgreSQL log to (it creates an unencrypted one if absent). */
export function postgresLogGroupName(clusterIdentifier: string): string {
  return `/aws/rds/cluster/${clusterIdentifier}/postgresql`;
}

/** What a cluster keeps when it is deleted, by the stack's data protection. */
export function clusterProtection(settings: Pick<Settings, 'dataProtection' | 'environmentSuffix'>, clusterId: string) {
  return settings.dataProtection === 'protected'
    ? { deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: `${clusterId}-final` }
    : { deletionProtection: false, skipFinalSnapshot: true };
}

/**
 * One region's member of the Aurora global database: its own KMS key, subnet group, security
 * group, TLS-enforcing parameter group, cluster and instances, plus the rotation function
 * (attached in the primary; on standby in the secondary for after a regional failover).
 * How it joins (writer, or replica of the writer) is an explicit argument, not a role flag.
 * Single-region: its provider comes in through the `providers` option and every child inherits it.
 */
export class DatabaseStack extends pulumi.ComponentResource {
  /** Aurora storage and Performance Insights key of this region. */
  readonly key: aws.kms.Key;
  /** The cluster's PostgreSQL log: managed here, encrypted, with retention, before RDS exports to it. */
  readonly postgresLogGroup: aws.cloudwatch.LogGroup;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly cluster: aws.rds.Cluster;
  readonly instances: aws.rds.ClusterInstance[];
  readonly rotation: BuiltFunction;
  readonly rotationSecurityGroup: aws.ec2.SecurityGroup;
  /** Ingress of the peer region's private subnets (security groups cannot cross regions). */
  readonly peerIngress: aws.vpc.SecurityGroupIngressRule[];
  private readonly n: Namer;

  constructor(name: string, args: DatabaseStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:data:DatabaseStack', name, {}, opts);
    const { settings, name: n, network, globalDatabase, membership } = args;
    const child = { parent: this };
    this.n = n;

    this.key = args.keys.key('database');
    // Exists before the cluster exports to it: otherwise RDS creates it without key or retention,
    // and a failed statement's text (literals included) would sit there for ever.
    this.postgresLogGroup = new aws.cloudwatch.LogGroup(
      n('dbCluster', 'pg'),
      {
        name: postgresLogGroupName(n('dbCluster')),
        retentionInDays: settings.logRetentionDays,
        kmsKeyId: args.keys.key('logs').arn,
      },
      { ...child, ...DELETE_BEFORE_REPLACE },
    );

    const subnetGroup = new aws.rds.SubnetGroup(
      n('dbSubnetGroup'),
      // Auto-named (`db-subnets-<region>-<env>-<7 hex>`), like the parameter group and the
      // instances: the cluster holds them, so a replacement must be created beside the old one.
      { subnetIds: network.privateSubnetIds, description: 'Aurora in the private subnets' },
      child,
    );

    // Clients in this VPC are granted 5432 by security group (the rotation function here, the
    // application tier through allowClient()); clients in the other region by its private-subnet
    // CIDRs, since a security group cannot reference a group in another region.
    this.securityGroup = namedSecurityGroup(
      n('dbSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Aurora PostgreSQL: 5432 from named client security groups and the peer private subnets',
      },
      child,
    );
    this.peerIngress = args.peerNetwork.privateSubnetCidrs.map(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          n('dbSecurityGroup', `peer-${i}`),
          {
            securityGroupId: this.securityGroup.id,
            cidrIpv4: cidr,
            ipProtocol: 'tcp',
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            description: `PostgreSQL from private subnet ${cidr} of the other region (over the peering)`,
          },
          { parent: this.securityGroup },
        ),
    );
    this.rotationSecurityGroup = namedSecurityGroup(
      n('rotationSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Secret rotation function: PostgreSQL and the AWS API endpoints',
        egress: egressRules('rotation', network, args.peerNetwork),
      },
      child,
    );
    this.allowClient('rotation', this.rotationSecurityGroup.id);

    const parameterGroup = new aws.rds.ClusterParameterGroup(
      n('dbClusterParameterGroup'),
      {
        // A new family (major version upgrade) replaces it while the cluster still uses the old one.
        family: globalDatabase.parameterGroupFamily,
        description: 'TLS required for every connection',
        parameters: [{ name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' }],
      },
      child,
    );

    const common = {
      clusterIdentifier: n('dbCluster'),
      engine: globalDatabase.engine,
      engineVersion: globalDatabase.engineVersion,
      engineLifecycleSupport: globalDatabase.engineLifecycleSupport,
      globalClusterIdentifier: globalDatabase.cluster.id,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: this.key.arn,
      port: POSTGRES_PORT,
      ...clusterProtection(settings, n('dbCluster')),
      copyTagsToSnapshot: true,
      allowMajorVersionUpgrade: false,
      enabledCloudwatchLogsExports: ['postgresql'],
      backupRetentionPeriod: settings.dbBackupRetentionDays,
      applyImmediately: true,
    };
    // Clusters hold the data: no deleteBeforeReplace. A change that would replace one fails on
    // its identifier before anything is deleted.
    if (membership.as === 'writer') {
      this.cluster = new aws.rds.Cluster(
        n('dbCluster'),
        {
          ...common,
          databaseName: settings.dbName,
          masterUsername: settings.dbMasterUsername,
          masterPassword: globalDatabase.masterPassword,
        },
        {
          ...child,
          dependsOn: [this.postgresLogGroup],
          // The rotation function owns the password after the first rotation.
          ignoreChanges: [...ROLE_CHANGE_DRIFT, ...GLOBAL_CLUSTER_OWNED, 'masterPassword'],
        },
      );
    } else {
      this.cluster = new aws.rds.Cluster(
        n('dbCluster'),
        { ...common },
        {
          ...child,
          dependsOn: [...membership.of.instances, this.postgresLogGroup],
          ignoreChanges: [...ROLE_CHANGE_DRIFT, ...GLOBAL_CLUSTER_OWNED],
        },
      );
    }

    this.instances = Array.from({ length: settings.dbInstancesPerRegion }, (_, i) => {
      const id = n('dbInstance', String(i + 1));
      return new aws.rds.ClusterInstance(
        id,
        {
          // Auto-named: a new zone replaces an instance, and the new one starts before the old stops.
          clusterIdentifier: this.cluster.id,
          instanceClass: settings.dbInstanceClass,
          engine: globalDatabase.engine,
          engineVersion: globalDatabase.engineVersion,
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
        { parent: this.cluster, ignoreChanges: [...GLOBAL_CLUSTER_OWNED] },
      );
    });

    const rotationName = n('rotationFunction');
    this.rotation = buildFunction(
      {
        name: rotationName,
        roleName: n('rotationRole'),
        codeSigning: args.codeSigning,
        code: 'rotation',
        description: 'Rotates the database credentials (createSecret, setSecret, testSecret, finishSecret)',
        settings,
        // Secret and key permissions are granted where the secrets are defined (CredentialsStack).
        statements: [],
        environment: functionEnvironment('rotation', rotationEnvironment, { DB_SSL: 'verify-full' }),
        vpc: { subnetIds: network.privateSubnetIds, securityGroupIds: [this.rotationSecurityGroup.id] },
        timeoutSeconds: 30,
        memoryMb: 256,
        logsKeyArn: args.keys.key('logs').arn,
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
      { parent: this.securityGroup },
    );
  }
}
