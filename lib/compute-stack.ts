import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from './config';
import { DatabaseStack, POSTGRES_PORT } from './database-stack';
import { MANAGED_POLICY, serviceRole, Statement } from './iam';
import { bundleSource } from './lambda-bundle';
import { buildFunction, BuiltFunction } from './lambda-function';
import { Namer } from './naming';
import { NetworkStack } from './network-stack';
import { secureBucket } from './secure-bucket';
import { asgTags, requiredTags } from './tags';
import { al2023ImageId, serviceUserData } from './user-data';

export const SERVICE_PORT = 8080;
export const HEALTH_PATH = '/health';
/** Order API paths the ALB sends to the trading Lambda; everything else goes to EC2. */
export const LAMBDA_PATHS = ['/orders', '/orders/*'];

export interface ComputeStackArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly provider: aws.Provider;
  readonly name: Namer;
  readonly network: NetworkStack;
  readonly database: DatabaseStack;
  /** ARN of this region's copy of the application credential. */
  readonly appSecretArn: pulumi.Input<string>;
}

/**
 * One region's application tier: internet-facing ALB, an Auto Scaling group of EC2 instances
 * and the trading Lambda behind it (same order API, one implementation), the FIFO queue that
 * holds orders while the local database is read-only, and the drainer that applies them.
 */
export class ComputeStack extends pulumi.ComponentResource {
  readonly alb: aws.lb.LoadBalancer;
  readonly instanceTargetGroup: aws.lb.TargetGroup;
  readonly lambdaTargetGroup: aws.lb.TargetGroup;
  readonly autoScalingGroup: aws.autoscaling.Group;
  readonly trading: BuiltFunction;
  readonly drainer: BuiltFunction;
  readonly orderQueue: aws.sqs.Queue;
  readonly orderDeadLetterQueue: aws.sqs.Queue;
  readonly appSecurityGroup: aws.ec2.SecurityGroup;
  readonly https: boolean;

  constructor(name: string, args: ComputeStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:ComputeStack', name, {}, opts);
    const { settings, region, provider, name: n, network, database } = args;
    const child = { parent: this, provider };
    this.https = region.certificateArn !== undefined;
    const listenerPorts = this.https ? [80, 443] : [80];

    // --- security groups: the world reaches only the listener ports; the app only via the ALB.
    const albSecurityGroup = new aws.ec2.SecurityGroup(
      n('albSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'ALB: listener ports from the allowed CIDRs',
        ingress: listenerPorts.map((port) => ({
          protocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrBlocks: [...settings.allowedIngressCidrs],
          description: `listener ${port}`,
        })),
        egress: [
          {
            protocol: 'tcp',
            fromPort: SERVICE_PORT,
            toPort: SERVICE_PORT,
            cidrBlocks: [region.vpcCidr],
            description: 'trading service',
          },
        ],
        tags: { Name: n('albSecurityGroup') },
      },
      child,
    );
    this.appSecurityGroup = new aws.ec2.SecurityGroup(
      n('appSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'Trading service (EC2, Lambda, drainer): from the ALB; to Aurora and AWS APIs',
        ingress: [
          {
            protocol: 'tcp',
            fromPort: SERVICE_PORT,
            toPort: SERVICE_PORT,
            securityGroups: [albSecurityGroup.id],
            description: 'from the ALB',
          },
        ],
        egress: [
          {
            protocol: 'tcp',
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            cidrBlocks: [region.vpcCidr],
            description: 'Aurora in this VPC',
          },
          {
            protocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ['0.0.0.0/0'],
            description: 'AWS APIs (endpoints, S3 gateway) and package repositories',
          },
        ],
        tags: { Name: n('appSecurityGroup') },
      },
      child,
    );
    database.allowClient('app', this.appSecurityGroup.id);

    // --- ALB
    this.alb = new aws.lb.LoadBalancer(
      n('alb'),
      {
        name: n('alb'),
        loadBalancerType: 'application',
        internal: false,
        securityGroups: [albSecurityGroup.id],
        subnets: network.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: false,
        idleTimeout: 60,
      },
      child,
    );
    // Fast failure detection: Global Accelerator follows these target-health numbers for ALB
    // endpoints, so interval x unhealthy threshold is the traffic path's detection time.
    const healthCheck = {
      enabled: true,
      path: HEALTH_PATH,
      interval: settings.albHealthCheckIntervalSeconds,
      timeout: settings.albHealthCheckTimeoutSeconds,
      healthyThreshold: settings.albHealthyThreshold,
      unhealthyThreshold: settings.albUnhealthyThreshold,
      matcher: '200',
    };
    this.instanceTargetGroup = new aws.lb.TargetGroup(
      n('targetGroupInstances'),
      {
        name: n('targetGroupInstances'),
        vpcId: network.vpc.id,
        targetType: 'instance',
        protocol: 'HTTP',
        port: SERVICE_PORT,
        deregistrationDelay: settings.deregistrationDelaySeconds,
        healthCheck: { ...healthCheck, protocol: 'HTTP', port: 'traffic-port' },
      },
      { parent: this.alb, provider },
    );
    this.lambdaTargetGroup = new aws.lb.TargetGroup(
      n('targetGroupLambda'),
      { name: n('targetGroupLambda'), targetType: 'lambda', healthCheck },
      { parent: this.alb, provider },
    );

    const forwardToInstances = [{ type: 'forward', targetGroupArn: this.instanceTargetGroup.arn }];
    const httpListener = new aws.lb.Listener(
      n('albListener', 'http'),
      {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: this.https
          ? [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]
          : forwardToInstances,
      },
      { parent: this.alb, provider },
    );
    const serving = this.https
      ? new aws.lb.Listener(
          n('albListener', 'https'),
          {
            loadBalancerArn: this.alb.arn,
            port: 443,
            protocol: 'HTTPS',
            sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            certificateArn: region.certificateArn,
            defaultActions: forwardToInstances,
          },
          { parent: this.alb, provider },
        )
      : httpListener;

    // --- order queue (used while the local database is read-only) and its dead-letter queue
    const queueName = n('orderQueue');
    this.orderDeadLetterQueue = new aws.sqs.Queue(
      n('orderQueue', 'dlq'),
      {
        name: n('orderQueue', 'dlq'),
        fifoQueue: true,
        kmsMasterKeyId: database.key.arn,
        messageRetentionSeconds: 1209600,
      },
      child,
    );
    this.orderQueue = new aws.sqs.Queue(
      queueName,
      {
        name: queueName,
        fifoQueue: true,
        // Deduplicated by client order id (set by the API), not by body.
        contentBasedDeduplication: false,
        deduplicationScope: 'messageGroup',
        fifoThroughputLimit: 'perMessageGroupId',
        kmsMasterKeyId: database.key.arn,
        kmsDataKeyReusePeriodSeconds: 300,
        visibilityTimeoutSeconds: 60,
        messageRetentionSeconds: 345600,
        // Promotion takes minutes: allow many read-only retries before giving up on an order.
        redrivePolicy: this.orderDeadLetterQueue.arn.apply((arn) =>
          JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 60 }),
        ),
      },
      child,
    );

    // --- trading Lambda behind the ALB
    const dbEnvironment = {
      REGION_NAME: region.region,
      REGION_ROLE: region.role,
      DB_SECRET_ARN: args.appSecretArn,
      // The local cluster: writable in the active region, read-only in the standby until promoted.
      DB_HOST: database.cluster.endpoint,
      // Answers in the standby while its writer endpoint is inactive: tells read-only from down.
      DB_READ_HOST: database.cluster.readerEndpoint,
      DB_PORT: String(POSTGRES_PORT),
      DB_NAME: settings.dbName,
      DB_SSL: 'verify-full',
      ORDER_QUEUE_URL: this.orderQueue.url,
    };
    const secretAccess: Statement[] = [
      { Sid: 'ReadAppCredential', Action: 'secretsmanager:GetSecretValue', Resource: args.appSecretArn },
      { Sid: 'DecryptWithRegionKey', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: database.key.arn },
    ];
    const inVpc = { subnetIds: network.privateSubnetIds, securityGroupIds: [this.appSecurityGroup.id] };
    this.trading = buildFunction(
      {
        name: n('tradingFunction'),
        roleName: n('tradingRole'),
        code: 'trading',
        description: 'Order API (POST /orders, GET /orders/{id}, GET /health)',
        settings,
        statements: [
          ...secretAccess,
          { Sid: 'QueueOrdersWhileReadOnly', Action: 'sqs:SendMessage', Resource: this.orderQueue.arn },
        ],
        environment: dbEnvironment,
        vpc: inVpc,
        timeoutSeconds: settings.lambdaTimeoutSeconds,
        memoryMb: settings.lambdaMemoryMb,
      },
      child,
    );
    const invokeFromAlb = new aws.lambda.Permission(
      n('tradingFunction', 'alb'),
      {
        action: 'lambda:InvokeFunction',
        function: this.trading.fn.name,
        principal: 'elasticloadbalancing.amazonaws.com',
        sourceArn: this.lambdaTargetGroup.arn,
      },
      { parent: this.trading.fn, provider },
    );
    new aws.lb.TargetGroupAttachment(
      n('targetGroupLambda'),
      { targetGroupArn: this.lambdaTargetGroup.arn, targetId: this.trading.fn.arn },
      { parent: this.lambdaTargetGroup, provider, dependsOn: [invokeFromAlb] },
    );
    new aws.lb.ListenerRule(
      n('albListener', 'orders'),
      {
        listenerArn: serving.arn,
        priority: 10,
        conditions: [{ pathPattern: { values: LAMBDA_PATHS } }],
        actions: [{ type: 'forward', targetGroupArn: this.lambdaTargetGroup.arn }],
      },
      { parent: serving, provider },
    );

    this.drainer = buildFunction(
      {
        name: n('drainerFunction'),
        roleName: n('drainerRole'),
        code: 'drainer',
        description: 'Applies orders queued while the database was read-only, exactly once',
        settings,
        statements: [
          ...secretAccess,
          {
            Sid: 'ConsumeOrderQueue',
            Action: [
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:ChangeMessageVisibility',
            ],
            Resource: this.orderQueue.arn,
          },
        ],
        environment: dbEnvironment,
        vpc: inVpc,
        timeoutSeconds: 30,
        memoryMb: 256,
      },
      child,
    );
    new aws.lambda.EventSourceMapping(
      n('drainerFunction', 'sqs'),
      {
        eventSourceArn: this.orderQueue.arn,
        functionName: this.drainer.fn.arn,
        batchSize: 10,
        functionResponseTypes: ['ReportBatchItemFailures'],
      },
      { parent: this.drainer.fn, provider },
    );

    // --- EC2 service: same order API, bundled from the same code, served by systemd.
    const account = aws.getCallerIdentityOutput({}, { parent: this, provider });
    const artifacts = secureBucket(
      n('artifactBucket'),
      // S3 names are global across accounts: the account id keeps them unique.
      { name: account.accountId.apply((id) => n('artifactBucket', id)) },
      child,
    );
    const serverKey = `trading/server-${settings.lambdaRuntime}.js`;
    const serverObject = new aws.s3.BucketObjectv2(
      n('artifactBucket', 'server'),
      {
        bucket: artifacts.id,
        key: serverKey,
        content: bundleSource('trading', settings.lambdaRuntime, 'server'),
        contentType: 'application/javascript',
      },
      { parent: artifacts, provider },
    );

    const instanceRole = serviceRole(
      {
        name: n('instanceRole'),
        service: 'ec2.amazonaws.com',
        managedPolicyArns: [MANAGED_POLICY.ssmManagedInstanceCore],
        statements: [
          ...secretAccess,
          {
            Sid: 'FetchServiceBundle',
            Action: 's3:GetObject',
            Resource: pulumi.interpolate`${artifacts.arn}/${serverKey}`,
          },
          { Sid: 'QueueOrdersWhileReadOnly', Action: 'sqs:SendMessage', Resource: this.orderQueue.arn },
        ],
      },
      child,
    );
    const profile = new aws.iam.InstanceProfile(
      n('instanceProfile'),
      { name: n('instanceProfile'), role: instanceRole.name },
      { parent: instanceRole, provider },
    );

    const userData = pulumi.all([artifacts.bucket, pulumi.output(dbEnvironment)]).apply(([bucket, env]) =>
      Buffer.from(
        serviceUserData({
          nodeMajor: Number(/\d+/.exec(settings.lambdaRuntime)![0]),
          artifactBucket: bucket,
          artifactKey: serverKey,
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
        vpcSecurityGroupIds: [this.appSecurityGroup.id],
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
      { ...child, dependsOn: [serverObject] },
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
        targetGroupArns: [this.instanceTargetGroup.arn],
        healthCheckType: 'ELB',
        healthCheckGracePeriod: settings.asgHealthCheckGraceSeconds,
        instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 50 } },
        enabledMetrics: ['GroupInServiceInstances', 'GroupDesiredCapacity', 'GroupMinSize', 'GroupMaxSize'],
        tags: asgTags(tags),
      },
      // Scaling policies own the desired capacity after creation.
      { ...child, ignoreChanges: ['desiredCapacity'] },
    );
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
      { parent: this.autoScalingGroup, provider },
    );
    new aws.autoscaling.Policy(
      n('autoScalingGroup', 'requests'),
      {
        autoscalingGroupName: this.autoScalingGroup.name,
        policyType: 'TargetTrackingScaling',
        targetTrackingConfiguration: {
          predefinedMetricSpecification: {
            predefinedMetricType: 'ALBRequestCountPerTarget',
            resourceLabel: pulumi.interpolate`${this.alb.arnSuffix}/${this.instanceTargetGroup.arnSuffix}`,
          },
          targetValue: settings.asgRequestsPerTarget,
        },
      },
      { parent: this.autoScalingGroup, provider },
    );

    this.registerOutputs({
      albDnsName: this.alb.dnsName,
      albArn: this.alb.arn,
      tradingFunctionArn: this.trading.fn.arn,
      orderQueueUrl: this.orderQueue.url,
    });
  }
}
