import { createHash } from 'crypto';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { ServiceRole, serviceRole, SESSION_MANAGER_STATEMENT } from '../security/iam';
import { bundleSource } from '../functions/lambda-bundle';
import { LoadBalancer } from './load-balancer';
import { DELETE_BEFORE_REPLACE, Namer } from '../config/naming';
import { LogArchive } from '../security/log-archive';
import { NetworkStack } from '../network/network-stack';
import { SERVICE_PORT } from './order-api';
import { ServiceRuntime } from '../functions/service-runtime';
import { secureBucket } from '../security/secure-bucket';
import { asgTags, requiredTags } from '../config/tags';
import { al2023ImageId, serviceUserData } from '../model/user-data';
import { SessionLogging, sessionLogging } from './session-logging';

export interface FleetArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /** The order API's runtime. */
  readonly service: ServiceRuntime;
  /** Registers the instances in its instance target group; scales on its request count. */
  readonly loadBalancer: LoadBalancer;
  /** Receives the artifact bucket's server access logs. */
  readonly logArchive: LogArchive;
  /** The region's logs key (the session log group's). */
  readonly logsKeyArn: pulumi.Input<string>;
}

/**
 * The order API on EC2: the same code as the trading Lambda, bundled into a bucket, installed
 * by the launch template's user data and run by systemd on instances of an Auto Scaling group
 * that tracks CPU and requests per target.
 */
export class Fleet extends pulumi.ComponentResource {
  readonly autoScalingGroup: aws.autoscaling.Group;
  /** The instances' role: it verifies requests, so the client keys secret names it as a reader. */
  readonly instanceRole: ServiceRole;
  readonly artifactBucket: aws.s3.Bucket;
  /** Session Manager's way in, with every session logged. */
  readonly sessions: SessionLogging;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:Fleet', name, {}, opts);
    const { settings, region, name: n, network, service, loadBalancer } = args;
    const child = { parent: this };

    const account = aws.getCallerIdentityOutput({}, child);
    this.artifactBucket = secureBucket(
      n('artifactBucket'),
      {
        // S3 names are global across accounts: the account id keeps them unique.
        name: account.accountId.apply((id) => n('artifactBucket', id)),
        forceDestroy: settings.dataProtection === 'ephemeral',
        accessLogs: args.logArchive.accessLogsOf('artifacts'),
      },
      child,
    ).bucket;
    const serverSource = bundleSource('trading', settings.lambdaRuntime, 'server');
    // The digest travels in the user data: an instance runs exactly the bundle this plan built.
    const serverSha256 = createHash('sha256').update(serverSource).digest('hex');
    const serverKey = `trading/server-${settings.lambdaRuntime}.js`;
    const serverObject = new aws.s3.BucketObjectv2(
      n('artifactBucket', 'server'),
      {
        bucket: this.artifactBucket.id,
        key: serverKey,
        content: serverSource,
        contentType: 'application/javascript',
      },
      { parent: this.artifactBucket },
    );

    this.sessions = sessionLogging(
      { settings, name: n, logsKeyArn: args.logsKeyArn, region: region.region, accountId: account.accountId },
      child,
    );
    const instanceRole = (this.instanceRole = serviceRole(
      {
        name: n('instanceRole'),
        service: 'ec2.amazonaws.com',
        statements: [
          SESSION_MANAGER_STATEMENT,
          ...this.sessions.instanceStatements,
          ...service.statements,
          {
            Sid: 'FetchServiceBundle',
            Action: 's3:GetObject',
            Resource: pulumi.interpolate`${this.artifactBucket.arn}/${serverKey}`,
          },
        ],
      },
      child,
    ));
    const profile = new aws.iam.InstanceProfile(
      n('instanceProfile'),
      { name: n('instanceProfile'), role: instanceRole.ready.name },
      { parent: instanceRole.resource, ...DELETE_BEFORE_REPLACE },
    );

    const userData = pulumi
      .all([this.artifactBucket.bucket, pulumi.output(service.environment)])
      .apply(([bucket, env]) =>
        Buffer.from(
          serviceUserData({
            nodeMajor: Number(/\d+/.exec(settings.lambdaRuntime)![0]),
            artifactBucket: bucket,
            artifactKey: serverKey,
            artifactSha256: serverSha256,
            port: SERVICE_PORT,
            environment: { ...env, AWS_REGION: region.region },
          }),
        ).toString('base64'),
      );
    const tags = requiredTags(settings.environmentSuffix, settings.costCenter, region.region);
    const launchTemplate = new aws.ec2.LaunchTemplate(
      n('launchTemplate'),
      {
        name: n('launchTemplate'),
        imageId: al2023ImageId(settings.instanceType),
        instanceType: settings.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: service.vpc.securityGroupIds,
        userData,
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
        monitoring: { enabled: true },
        blockDeviceMappings: [
          {
            deviceName: '/dev/xvda',
            ebs: { volumeSize: 20, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
          },
        ],
        // defaultTags do not reach what an Auto Scaling group launches.
        tagSpecifications: ['instance', 'volume', 'network-interface'].map((resourceType) => ({ resourceType, tags })),
        updateDefaultVersion: true,
      },
      // Instances fetch the bundle at boot: it must be there first.
      { ...child, ...DELETE_BEFORE_REPLACE, dependsOn: [serverObject] },
    );
    this.autoScalingGroup = new aws.autoscaling.Group(
      n('autoScalingGroup'),
      {
        name: n('autoScalingGroup'),
        vpcZoneIdentifiers: network.privateSubnetIds,
        minSize: settings.asgMinSize,
        maxSize: settings.asgMaxSize,
        desiredCapacity: settings.asgDesiredCapacity,
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        targetGroupArns: [loadBalancer.instanceTargetGroup.arn],
        healthCheckType: 'ELB',
        healthCheckGracePeriod: settings.asgHealthCheckGraceSeconds,
        instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 50 } },
        enabledMetrics: ['GroupInServiceInstances', 'GroupDesiredCapacity', 'GroupMinSize', 'GroupMaxSize'],
        tags: asgTags(tags),
      },
      // Scaling policies own the desired capacity after creation.
      { ...child, ...DELETE_BEFORE_REPLACE, ignoreChanges: ['desiredCapacity'] },
    );
    const asg = { parent: this.autoScalingGroup };
    new aws.autoscaling.Policy(
      n('autoScalingGroup', 'cpu'),
      {
        autoscalingGroupName: this.autoScalingGroup.name,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
          targetValue: settings.asgCpuTargetPercent,
        },
      },
      asg,
    );
    new aws.autoscaling.Policy(
      n('autoScalingGroup', 'requests'),
      {
        autoscalingGroupName: this.autoScalingGroup.name,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: 'ALBRequestCountPerTarget',
            resourceLabel: pulumi.interpolate`${loadBalancer.alb.arnSuffix}/${loadBalancer.instanceTargetGroup.arnSuffix}`,
          },
          targetValue: settings.asgRequestsPerTarget,
        },
      },
      asg,
    );

    this.registerOutputs({ autoScalingGroupName: this.autoScalingGroup.name });
  }
}
