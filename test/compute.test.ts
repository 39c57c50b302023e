import { instanceArchitecture, serviceUserData } from '../lib/user-data';
import { ancestors, named, ofType, plan, PRIMARY, SECONDARY } from './helpers/plan';

const REGIONS = [
  [PRIMARY, 'use1'],
  [SECONDARY, 'euw1'],
] as const;

describe.each(REGIONS)('ComputeStack in %s', (region, code) => {
  it('internet-facing ALB in the public subnets, invalid headers dropped, no deletion protection', async () => {
    const run = await plan();
    const alb = named(run, 'aws:lb/loadBalancer:LoadBalancer', `alb-${code}-dev`);
    expect(alb.region).toBe(region);
    expect(alb.inputs).toMatchObject({
      internal: false,
      loadBalancerType: 'application',
      dropInvalidHeaderFields: true,
      enableDeletionProtection: false,
      securityGroups: [`sg-alb-${code}-dev-id`],
    });
    const publicSubnets = ofType(run, 'aws:ec2/subnet:Subnet', region)
      .filter((s) => s.inputs.tags.Tier === 'public')
      .map((s) => `${s.name}-id`);
    expect([...alb.inputs.subnets].sort()).toEqual(publicSubnets.sort());
    expect(
      ancestors(run, alb)
        .slice(0, 2)
        .map((a) => a.type),
    ).toEqual(['tap:compute:LoadBalancer', 'tap:compute:ComputeStack']);
  });

  it('the ALB security group opens only the listener port to the allowed CIDRs', async () => {
    const run = await plan();
    const sg = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-alb-${code}-dev`);
    expect(sg.inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 80, toPort: 80, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }),
    ]);
    const app = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-app-${code}-dev`);
    expect(app.inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 8080, securityGroups: [`sg-alb-${code}-dev-id`] }),
    ]);
  });

  it('target groups check /health as fast as AWS allows and drain quickly', async () => {
    const run = await plan();
    for (const name of [`tg-ec2-${code}-dev`, `tg-fn-${code}-dev`]) {
      const tg = named(run, 'aws:lb/targetGroup:TargetGroup', name);
      expect(tg.inputs.healthCheck).toMatchObject({
        path: '/health',
        interval: 5,
        timeout: 2,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
        matcher: '200',
      });
    }
    expect(named(run, 'aws:lb/targetGroup:TargetGroup', `tg-ec2-${code}-dev`).inputs).toMatchObject({
      targetType: 'instance',
      port: 8080,
      deregistrationDelay: 5,
    });
    expect(named(run, 'aws:lb/targetGroup:TargetGroup', `tg-fn-${code}-dev`).inputs.targetType).toBe('lambda');
  });

  it('HTTP listener forwards to EC2; the order API rule goes to the Lambda, which the ALB may invoke', async () => {
    const run = await plan();
    const listener = named(run, 'aws:lb/listener:Listener', `alb-http-${code}-dev`);
    expect(listener.inputs.defaultActions).toEqual([
      expect.objectContaining({ type: 'forward', targetGroupArn: expect.stringContaining(`tg-ec2-${code}-dev`) }),
    ]);
    const rule = named(run, 'aws:lb/listenerRule:ListenerRule', `alb-orders-${code}-dev`);
    expect(rule.inputs.conditions[0].pathPattern.values).toEqual(['/orders', '/orders/*']);
    expect(rule.inputs.actions[0].targetGroupArn).toContain(`tg-fn-${code}-dev`);
    const permission = named(run, 'aws:lambda/permission:Permission', `fn-trading-alb-${code}-dev`);
    expect(permission.inputs).toMatchObject({
      principal: 'elasticloadbalancing.amazonaws.com',
      action: 'lambda:InvokeFunction',
    });
    const attachment = named(run, 'aws:lb/targetGroupAttachment:TargetGroupAttachment', `tg-fn-${code}-dev`);
    expect(attachment.dependsOn).toContain(permission.urn);
  });

  it('launch template: looked-up AL2023 AMI, IMDSv2 only, encrypted EBS, tagged instances, user data that runs the service', async () => {
    const run = await plan();
    const lt = named(run, 'aws:ec2/launchTemplate:LaunchTemplate', `lt-trading-${code}-dev`);
    expect(lt.inputs.imageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    expect(lt.inputs.metadataOptions).toMatchObject({ httpTokens: 'required' });
    expect(lt.inputs.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: 'true', volumeType: 'gp3' });
    expect(lt.inputs.tagSpecifications.map((t: any) => t.resourceType)).toEqual([
      'instance',
      'volume',
      'network-interface',
    ]);
    expect(lt.inputs.tagSpecifications[0].tags).toEqual({
      Environment: 'dev',
      Region: region,
      CostCenter: 'trading-platform',
    });
    const script = Buffer.from(lt.inputs.userData, 'base64').toString();
    expect(script).toContain('dnf install -y nodejs22');
    expect(script).toContain(`Environment=REGION_NAME=${region}`);
    expect(script).toContain(`Environment=DB_HOST=aurora-${code}-dev.cluster-abc.${region}.rds.amazonaws.com`);
    expect(script).toMatch(/aws s3 cp 's3:\/\/artifacts-123456789012-/);
  });

  it('ASG over the private subnets with ELB health, grace period, propagated tags and two target-tracking policies', async () => {
    const run = await plan();
    const asg = named(run, 'aws:autoscaling/group:Group', `asg-trading-${code}-dev`);
    expect(asg.inputs).toMatchObject({
      healthCheckType: 'ELB',
      healthCheckGracePeriod: 120,
      minSize: 1,
      maxSize: 3,
      desiredCapacity: 1,
    });
    expect(asg.inputs.vpcZoneIdentifiers).toHaveLength(3);
    expect(asg.inputs.vpcZoneIdentifiers.every((s: string) => s.startsWith('subnet-private'))).toBe(true);
    expect(asg.inputs.tags).toContainEqual({ key: 'CostCenter', value: 'trading-platform', propagateAtLaunch: true });
    const policies = ofType(run, 'aws:autoscaling/policy:Policy', region).map(
      (p) => p.inputs.targetTrackingConfiguration,
    );
    expect(policies.map((p) => p.predefinedMetricSpecification.predefinedMetricType).sort()).toEqual([
      'ALBRequestCountPerTarget',
      'ASGAverageCPUUtilization',
    ]);
    expect(
      policies.find((p) => p.predefinedMetricSpecification.resourceLabel)!.predefinedMetricSpecification.resourceLabel,
    ).toBe(`app/alb-${code}-dev/abc123/targetgroup/tg-ec2-${code}-dev/def456`);
  });

  it('instance role: SSM access plus only its secret, key, bundle and queue', async () => {
    const run = await plan();
    expect(
      named(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', `role-ec2-trading-${code}-dev`).inputs.policyArn,
    ).toBe('arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore');
    const policy = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', `role-ec2-trading-${code}-dev`).inputs.policy,
    );
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual([
      'ReadAppCredential',
      'DecryptWithRegionKey',
      'FetchServiceBundle',
      'QueueOrdersWhileReadOnly',
    ]);
    expect(policy.Statement.find((s: any) => s.Sid === 'ReadAppCredential').Resource).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${region}:.*secret-db-app-dev`),
    );
  });

  it('trading Lambda: bundled, current runtime, in private subnets, traced, own log group, local secret replica', async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`);
    expect(fn.inputs).toMatchObject({
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: `/aws/lambda/fn-trading-${code}-dev` },
    });
    expect(fn.inputs.vpcConfig.securityGroupIds).toEqual([`sg-app-${code}-dev-id`]);
    expect(fn.inputs.environment.variables).toMatchObject({
      REGION_NAME: region,
      REGION_ROLE: region === PRIMARY ? 'primary' : 'secondary',
      DB_SSL: 'verify-full',
      // Writes to the local writer endpoint; the reader endpoint tells a read-only standby from a dead one.
      DB_HOST: `aurora-${code}-dev.cluster-abc.${region}.rds.amazonaws.com`,
      DB_READ_HOST: `aurora-${code}-dev.cluster-ro-abc.${region}.rds.amazonaws.com`,
    });
    expect(fn.inputs.environment.variables.DB_SECRET_ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${region}:`));
    expect(named(run, 'aws:cloudwatch/logGroup:LogGroup', `fn-trading-${code}-dev`).inputs.retentionInDays).toBe(30);
    const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', `role-fn-trading-${code}-dev`).inputs.policy);
    expect(policy.Statement.find((s: any) => s.Sid === 'WriteOwnLogs').Resource).toContain(`fn-trading-${code}-dev`);
    expect(policy.Statement.find((s: any) => s.Sid === 'QueueOrdersWhileReadOnly').Resource).toBe(
      `arn:aws:sqs:${region}:123456789012:sqs-orders-${code}-dev.fifo`,
    );
  });

  it('order queue: encrypted FIFO deduplicated by id, with a dead-letter queue and an SQS-driven drainer', async () => {
    const run = await plan();
    const queue = named(run, 'aws:sqs/queue:Queue', `sqs-orders-${code}-dev.fifo`);
    expect(queue.inputs).toMatchObject({
      fifoQueue: true,
      contentBasedDeduplication: false,
      kmsMasterKeyId: `arn:aws:kms:${region}:123456789012:key/kms-data-${code}-dev`,
    });
    expect(JSON.parse(queue.inputs.redrivePolicy).deadLetterTargetArn).toContain(`sqs-orders-dlq-${code}-dev.fifo`);
    const mapping = named(run, 'aws:lambda/eventSourceMapping:EventSourceMapping', `fn-drain-sqs-${code}-dev`);
    expect(mapping.inputs).toMatchObject({
      functionResponseTypes: ['ReportBatchItemFailures'],
      functionName: expect.stringContaining(`fn-drain-${code}-dev`),
    });
  });
});

describe('HTTPS when a certificate is configured', () => {
  const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
  it('adds an HTTPS listener with the certificate, redirects HTTP, and opens 443', async () => {
    const run = await plan({ primaryCertificateArn: cert });
    const https = named(run, 'aws:lb/listener:Listener', 'alb-https-use1-dev');
    expect(https.inputs).toMatchObject({ port: 443, protocol: 'HTTPS', certificateArn: cert });
    expect(named(run, 'aws:lb/listener:Listener', 'alb-http-use1-dev').inputs.defaultActions[0]).toMatchObject({
      type: 'redirect',
      redirect: { protocol: 'HTTPS', statusCode: 'HTTP_301' },
    });
    expect(named(run, 'aws:lb/listenerRule:ListenerRule', 'alb-orders-use1-dev').inputs.listenerArn).toContain(
      'alb-https-use1-dev',
    );
    expect(
      named(run, 'aws:ec2/securityGroup:SecurityGroup', 'sg-alb-use1-dev').inputs.ingress.map((r: any) => r.fromPort),
    ).toEqual([80, 443]);
    // The secondary has no certificate: plain HTTP there.
    expect(ofType(run, 'aws:lb/listener:Listener', SECONDARY)).toHaveLength(1);
  });
});

describe('user data and AMI helpers', () => {
  it('picks the AMI architecture from the instance family', () => {
    expect(instanceArchitecture('m7g.large')).toBe('arm64');
    expect(instanceArchitecture('t4g.small')).toBe('arm64');
    expect(instanceArchitecture('c6gn.xlarge')).toBe('arm64');
    expect(instanceArchitecture('m6i.large')).toBe('x86_64');
    expect(instanceArchitecture('t3.medium')).toBe('x86_64');
  });

  it('escapes environment values for systemd and rejects bad variable names', () => {
    const script = serviceUserData({
      nodeMajor: 22,
      artifactBucket: 'b',
      artifactKey: 'k.js',
      port: 8080,
      environment: { A: 'x y"z' },
    });
    expect(script).toContain('Environment=A=x\\x20y\\x22z');
    expect(() =>
      serviceUserData({
        nodeMajor: 22,
        artifactBucket: 'b',
        artifactKey: 'k',
        port: 1,
        environment: { 'bad-name': 'v' },
      }),
    ).toThrow(/invalid environment variable name/);
  });
});
