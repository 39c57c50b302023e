import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { artifactInstallScript, instanceArchitecture, serviceUserData } from '../lib/model/user-data';
import { HEALTH_DEADLINE_MS } from '../lambda/facts/order-api';
import { LAMBDA_INVOKE_MARGIN_MS } from '../lib/model/health-timeout';
import { ancestors, named, ofType, plan, PRIMARY, SECONDARY, TUNED } from './helpers/plan';

/** The Aurora global writer endpoint (mocked): it follows the writer across regions. */

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
    const fleet = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-ec2-${code}-dev`);
    expect(fleet.inputs.ingress).toEqual([
      expect.objectContaining({ fromPort: 8080, securityGroups: [`sg-alb-${code}-dev-id`] }),
    ]);
    // The ALB invokes the Lambda functions through the Lambda API: their group admits nothing.
    expect(named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-app-${code}-dev`).inputs.ingress ?? []).toEqual([]);
  });

  it('the order API reaches the order book and the endpoints only: no PostgreSQL, nothing beyond the VPC and the peering', async () => {
    const run = await plan();
    const [vpcCidr, peerCidr] = region === PRIMARY ? ['10.0.0.0/16', '10.1.0.0/16'] : ['10.1.0.0/16', '10.0.0.0/16'];
    const app = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-app-${code}-dev`);
    expect(app.inputs.egress.map((e: any) => [e.fromPort, e.cidrBlocks ?? e.prefixListIds])).toEqual([
      [443, [vpcCidr]],
      // The order book's replica here, through the DynamoDB gateway endpoint; the other one
      // through the other region's DynamoDB interface endpoint, over the peering.
      [443, [`pl-vpce-dynamodb-${code}-dev`]],
      [443, [peerCidr]],
    ]);
    const fleet = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-ec2-${code}-dev`);
    expect(fleet.inputs.egress.map((e: any) => [e.fromPort, e.cidrBlocks ?? e.prefixListIds])).toEqual([
      [443, [vpcCidr]],
      [443, [`pl-vpce-s3-${code}-dev`]],
      [443, [`pl-vpce-dynamodb-${code}-dev`]],
      [443, [peerCidr]],
    ]);
    // Issue 22: the journal's NAT egress is gone with it; no group here leaves for the internet.
    for (const sg of ofType(run, 'aws:ec2/securityGroup:SecurityGroup', region))
      expect([sg.name, (sg.inputs.egress ?? []).flatMap((e: any) => e.cidrBlocks ?? [])]).not.toContainEqual([
        sg.name,
        expect.arrayContaining(['0.0.0.0/0']),
      ]);
  });

  it('a WAF web ACL guards the ALB: per-IP and per-client rate limits from config, managed rule groups for an API, logs without signatures', async () => {
    const run = await plan(TUNED); // wafRateLimit 500, wafClientRateLimit 120
    const acl = named(run, 'aws:wafv2/webAcl:WebAcl', `waf-${code}-dev`);
    expect(acl.region).toBe(region);
    expect(acl.inputs).toMatchObject({ scope: 'REGIONAL', defaultAction: { allow: {} } });
    const rules = [...acl.inputs.rules].sort((a: any, b: any) => a.priority - b.priority);
    expect(rules[0]).toMatchObject({
      action: { block: {} },
      statement: { rateBasedStatement: { limit: 500, aggregateKeyType: 'IP' } },
    });
    // Per client from one address: the header the service requires to equal the signed client
    // id, with the source IP in the key so a forged header blocks only the forger's address.
    expect(rules[1]).toEqual({
      name: 'rate-limit-per-client',
      priority: 1,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: 120,
          aggregateKeyType: 'CUSTOM_KEYS',
          evaluationWindowSec: 300,
          customKeys: [
            { header: { name: 'x-tap-client', textTransformations: [{ priority: 0, type: 'NONE' }] } },
            { ip: {} },
          ],
        },
      },
      visibilityConfig: expect.objectContaining({ metricName: 'rate-limit-per-client' }),
    });
    expect(rules.slice(2).map((r: any) => r.statement.managedRuleGroupStatement)).toEqual([
      { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' },
      { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
      { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' },
    ]);
    // Managed groups keep their own block actions; no rule is left in count mode.
    for (const r of rules.slice(2)) {
      expect(r.overrideAction).toEqual({ none: {} });
      expect(r.statement.managedRuleGroupStatement.ruleActionOverrides).toBeUndefined();
    }
    for (const r of [...rules, acl.inputs])
      expect(r.visibilityConfig).toMatchObject({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true });
    expect(new Set(rules.map((r: any) => r.priority)).size).toBe(rules.length);
    const association = named(run, 'aws:wafv2/webAclAssociation:WebAclAssociation', `waf-${code}-dev`);
    expect(association.inputs.resourceArn).toContain(`loadbalancer/app/alb-${code}-dev/`);
    const logging = named(run, 'aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration', `waf-${code}-dev`);
    expect(logging.inputs.redactedFields).toEqual([{ singleHeader: { name: 'authorization' } }]);
    const logGroup = named(run, 'aws:cloudwatch/logGroup:LogGroup', `aws-waf-logs-alb-${code}-dev`);
    expect(logGroup.inputs.name).toMatch(/^aws-waf-logs-/);
    expect(logGroup.inputs.kmsKeyId).toBe(`arn:aws:kms:${region}:123456789012:key/kms-logs-${code}-dev`);
    const delivery = JSON.parse(
      named(run, 'aws:cloudwatch/logResourcePolicy:LogResourcePolicy', `aws-waf-logs-alb-${code}-dev`).inputs
        .policyDocument,
    );
    expect(delivery.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': `arn:aws:logs:${region}:123456789012:*` },
    });
  });

  it('reserved concurrency caps the trading function at the configured connection budget', async () => {
    const run = await plan();
    expect(
      named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`).inputs.reservedConcurrentExecutions,
    ).toBe(100);
  });

  it('every target group on the ALB asks /health the same way, with a timeout that covers the bounded health answer', async () => {
    const run = await plan();
    const groups = ofType(run, 'aws:lb/targetGroup:TargetGroup', region);
    expect(groups.map((g) => g.name).sort()).toEqual([`tg-ec2-${code}-dev`, `tg-fn-${code}-dev`]);
    // Global Accelerator needs EVERY target group healthy: the Lambda group must not be the one
    // that times out while the EC2 group answers (lib/app/health.ts, lib/model/health-timeout.ts).
    const {
      protocol: _protocol,
      port: _port,
      ...ec2Check
    } = groups.find((g) => g.name.startsWith('tg-ec2'))!.inputs.healthCheck;
    const fnCheck = groups.find((g) => g.name.startsWith('tg-fn'))!.inputs.healthCheck;
    expect(fnCheck).toEqual(ec2Check);
    expect(fnCheck).toMatchObject({
      enabled: true,
      path: '/health',
      interval: 5,
      timeout: 3,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      matcher: '200',
    });
    expect(fnCheck.timeout * 1000).toBeGreaterThanOrEqual(HEALTH_DEADLINE_MS + LAMBDA_INVOKE_MARGIN_MS);
    expect(fnCheck.timeout).toBeLessThan(fnCheck.interval);
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
    expect(script).toContain('dnf install -y nodejs24');
    expect(script).toContain(`Environment=REGION_NAME=${region}`);
    // Instances take orders in the book only: no database settings, no RDS certificates.
    expect(script).not.toMatch(/Environment=DB_|rds-ca|NODE_EXTRA_CA_CERTS/);
    expect(script).toMatch(/"\$\{AWS_CLI:-aws\}" s3 cp 's3:\/\/artifacts-123456789012-/);
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
    ).toMatch(new RegExp(`^app/alb-${code}-dev/abc123/targetgroup/tg-ec2-${code}-dev-[0-9a-f]{7}/def456$`));
  });

  it('instance role: Session Manager only (no AmazonSSMManagedInstanceCore), its session log, plus only the client keys, its ledger, the book and its bundle', async () => {
    const run = await plan();
    // The managed policy allows ssm:GetParameter* on every parameter of the account.
    expect(
      ofType(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter((a) =>
        a.name.startsWith(`role-ec2-trading-${code}-dev`),
      ),
    ).toEqual([]);
    const policy = JSON.parse(
      named(run, 'aws:iam/rolePolicy:RolePolicy', `role-ec2-trading-${code}-dev`).inputs.policy,
    );
    const actions = policy.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('ssm:'))).toEqual(['ssm:UpdateInstanceInformation']);
    expect(policy.Statement.map((s: any) => s.Sid)).toEqual([
      'SessionManagerOnly',
      'StreamSessionLogs',
      'CheckSessionLogEncryption',
      'ReadClientKeys',
      'DecryptClientKeys',
      'RequestLedger',
      'AcknowledgeOrdersInTheBook',
      'UseTheBookKeyUse1',
      'UseTheBookKeyEuw1',
      'ReadBookSigningKey',
      'DecryptBookSigningKey',
      'FetchServiceBundle',
    ]);
    // Issue 22: no database credential (the order API reaches no database).
    expect(JSON.stringify(policy)).not.toContain('secret-db-app');
  });

  it('every KMS grant of the order API names its service and its one resource (kms:ViaService + encryption context)', async () => {
    const run = await plan();
    for (const role of [`role-ec2-trading-${code}-dev`, `role-fn-trading-${code}-dev`]) {
      const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', role).inputs.policy);
      const kms = policy.Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
      expect(kms.length).toBeGreaterThan(0);
      for (const s of kms) {
        const equals = s.Condition?.StringEquals ?? {};
        // The book's peer replica's key too: each grant goes through the service of the key's own region.
        const keyRegion = /^arn:aws:kms:([a-z0-9-]+):/.exec(s.Resource)![1];
        expect([PRIMARY, SECONDARY]).toContain(keyRegion);
        // The book's keys go through DynamoDB with the table name as encryption context.
        expect(equals['kms:ViaService']).toMatch(
          new RegExp(`^(secretsmanager|dynamodb)\\.${keyRegion}\\.amazonaws\\.com$`),
        );
        expect(Object.keys(equals).some((k) => k.startsWith('kms:EncryptionContext:'))).toBe(true);
      }
    }
    const fleet = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', `role-ec2-trading-${code}-dev`).inputs.policy);
    expect(fleet.Statement.find((s: any) => s.Sid === 'DecryptClientKeys')).toMatchObject({
      Resource: `arn:aws:kms:${region}:123456789012:key/kms-client-keys-${code}-dev`,
      Condition: {
        StringEquals: {
          'kms:EncryptionContext:SecretARN': expect.stringMatching(
            new RegExp(`^arn:aws:secretsmanager:${region}:.*secret-api-clients-dev`),
          ),
        },
      },
    });
  });

  it("the trading function and the fleet read the API client keys from this region's replica", async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`);
    expect(fn.inputs.environment.variables.CLIENT_KEYS_SECRET_ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${region}:123456789012:secret:secret-api-clients-dev`),
    );
    const lt = named(run, 'aws:ec2/launchTemplate:LaunchTemplate', `lt-trading-${code}-dev`);
    const script = Buffer.from(lt.inputs.userData, 'base64').toString();
    expect(script).toMatch(new RegExp(`Environment=CLIENT_KEYS_SECRET_ARN=arn:aws:secretsmanager:${region}:`));
  });

  it('trading Lambda: bundled, current runtime, in private subnets, traced, own log group, local secret replica', async () => {
    const run = await plan();
    const fn = named(run, 'aws:lambda/function:Function', `fn-trading-${code}-dev`);
    expect(fn.inputs).toMatchObject({
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: `/aws/lambda/fn-trading-${code}-dev` },
    });
    expect(fn.inputs.vpcConfig.securityGroupIds).toEqual([`sg-app-${code}-dev-id`]);
    expect(fn.inputs.environment.variables).toMatchObject({
      REGION_NAME: region,
      REGION_ROLE: region === PRIMARY ? 'primary' : 'secondary',
    });
    // Issue 22: the order API takes orders in the book; it has no database settings at all.
    expect(Object.keys(fn.inputs.environment.variables).filter((k) => /^(DB_|JOURNAL_|FENCE_)/.test(k))).toEqual([]);
    expect(named(run, 'aws:cloudwatch/logGroup:LogGroup', `fn-trading-${code}-dev`).inputs.retentionInDays).toBe(30);
    const policy = JSON.parse(named(run, 'aws:iam/rolePolicy:RolePolicy', `role-fn-trading-${code}-dev`).inputs.policy);
    expect(policy.Statement.find((s: any) => s.Sid === 'WriteOwnLogs').Resource).toContain(`fn-trading-${code}-dev`);
  });

  it('only the book applier, the rotation and the schema functions are admitted to PostgreSQL, never an order API process', async () => {
    const run = await plan();
    const admitted = ofType(run, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', region)
      .filter((r) => r.name.startsWith('sg-db-') && r.inputs.referencedSecurityGroupId)
      .map((r) => r.inputs.referencedSecurityGroupId)
      .sort();
    expect(admitted).toEqual(
      [`sg-fn-book-apply-${code}-dev-id`, `sg-fn-rotation-${code}-dev-id`, `sg-fn-schema-${code}-dev-id`].filter(
        (g) => region === PRIMARY || !g.startsWith('sg-fn-schema'),
      ),
    );
    const applier = named(run, 'aws:ec2/securityGroup:SecurityGroup', `sg-fn-book-apply-${code}-dev`);
    expect(applier.inputs.egress.map((e: any) => [e.fromPort, e.cidrBlocks])).toEqual([
      [5432, [region === PRIMARY ? '10.0.0.0/16' : '10.1.0.0/16']],
      [443, [region === PRIMARY ? '10.0.0.0/16' : '10.1.0.0/16']],
    ]);
    expect(
      named(run, 'aws:lambda/function:Function', `fn-book-apply-${code}-dev`).inputs.vpcConfig.securityGroupIds,
    ).toEqual([`sg-fn-book-apply-${code}-dev-id`]);
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
      artifactSha256: 'a'.repeat(64),
      port: 8080,
      environment: { A: 'x y"z' },
    });
    expect(script).toContain('Environment=A=x\\x20y\\x22z');
    expect(() =>
      serviceUserData({
        nodeMajor: 22,
        artifactBucket: 'b',
        artifactKey: 'k',
        artifactSha256: 'a'.repeat(64),
        port: 1,
        environment: { 'bad-name': 'v' },
      }),
    ).toThrow(/invalid environment variable name/);
  });
});

describe('EC2 verifies the service bundle before running it', () => {
  /** Runs the generated install step with bash, a stand-in AWS CLI copying `served` as the download. */
  function install(served: string, expected: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-'));
    const source = path.join(dir, 'served.js');
    fs.writeFileSync(source, served);
    const fakeAws = path.join(dir, 'aws');
    fs.writeFileSync(fakeAws, `#!/bin/bash\ncp ${source} "$4"\n`, { mode: 0o755 });
    const installDir = path.join(dir, 'opt');
    const script = artifactInstallScript(
      { artifactBucket: 'b', artifactKey: 'k.js', artifactSha256: createHash('sha256').update(expected).digest('hex') },
      installDir,
    );
    // stdin closed: a bash whose stdin is a socket reads /etc/bash.bashrc (Debian's SSH_SOURCE_BASHRC).
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
      env: { ...process.env, AWS_CLI: fakeAws },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const installed = path.join(installDir, 'server.js');
    const outcome = {
      status: result.status,
      stderr: result.stderr.toString(),
      installed: fs.existsSync(installed) ? fs.readFileSync(installed, 'utf8') : undefined,
      leftovers: fs.readdirSync(installDir).filter((f) => f !== 'server.js'),
    };
    fs.rmSync(dir, { recursive: true, force: true });
    return outcome;
  }

  it('installs the bundle whose SHA-256 matches the plan', () => {
    expect(execFileSync('bash', ['--version']).toString()).toMatch(/GNU bash/);
    expect(install('console.log("ok")', 'console.log("ok")')).toEqual({
      status: 0,
      stderr: '',
      installed: 'console.log("ok")',
      leftovers: [],
    });
  });

  it('refuses a replaced or tampered bundle: non-zero exit, nothing installed, so the service never starts', () => {
    const outcome = install('console.log("evil")', 'console.log("ok")');
    expect(outcome.status).not.toBe(0);
    expect(outcome.stderr).toMatch(/SHA-256 mismatch/);
    expect(outcome.installed).toBeUndefined();
    expect(outcome.leftovers).toEqual([]);
  });

  it('the user data runs the check before the unit is written and started, with the digest of the planned bundle', async () => {
    const run = await plan();
    const lt = named(run, 'aws:ec2/launchTemplate:LaunchTemplate', 'lt-trading-use1-dev');
    const script = Buffer.from(lt.inputs.userData, 'base64').toString();
    const object = ofType(run, 'aws:s3/bucketObjectv2:BucketObjectv2').find(
      (o) => o.name === 'artifacts-server-use1-dev',
    )!;
    const digest = createHash('sha256').update(object.inputs.content).digest('hex');
    expect(script).toContain(`${digest}  /opt/trading/server.js.download`);
    expect(script.indexOf('sha256sum --check')).toBeLessThan(script.indexOf('systemctl enable --now trading.service'));
    expect(script).toMatch(/^set -euo pipefail$/m);
  });
});
