import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionSettings, Settings } from '../config';
import { targetHealthCheck } from './health';
import { LOG_PREFIX, LogArchive } from '../security/log-archive';
import { HTTPS_PORT } from '../network/egress';
import { DELETE_BEFORE_REPLACE, Namer, regionalName } from '../config/naming';
import { NetworkStack } from '../network/network-stack';
import { HEALTH_PATH, LAMBDA_PATHS, SERVICE_PORT } from './order-api';
import { namedSecurityGroup } from '../network/named-security-group';

const HTTP_PORT = 80;

export interface LoadBalancerArgs {
  readonly settings: Settings;
  readonly region: RegionSettings;
  readonly name: Namer;
  readonly network: NetworkStack;
  /** Receives the ALB's access logs. */
  readonly logArchive: LogArchive;
  /** The certificate the HTTPS listener serves (validated); required unless `tls: none`. */
  readonly certificateArn?: pulumi.Input<string>;
}

/** Where and how the public health path answers: what Route 53 and the failover canary probe. */
export interface PublicHealth {
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly port: number;
  readonly path: string;
  /**
   * With TLS, on the region's own name (`use1.<domain>`, on the certificate) so a probe can
   * verify it; without, on the ALB's DNS name.
   */
  readonly url: pulumi.Output<string>;
}

/**
 * One region's internet-facing entry: the ALB and its security group, the two target groups
 * (EC2 instances, trading Lambda), the listeners and the rule that sends the order API to the
 * Lambda. Whether it serves HTTPS is decided here, once, from the `tls` setting; with TLS, HTTP
 * only redirects to HTTPS.
 */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly alb: aws.lb.LoadBalancer;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly instanceTargetGroup: aws.lb.TargetGroup;
  readonly lambdaTargetGroup: aws.lb.TargetGroup;
  readonly https: boolean;
  /** The ports the listeners (and so the security group) open to clients. */
  readonly listenerPorts: readonly number[];
  readonly health: PublicHealth;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:compute:LoadBalancer', name, {}, opts);
    const { settings, region, name: n, network } = args;
    this.https = settings.tls !== 'none';
    if (this.https && args.certificateArn === undefined) {
      throw new Error(`${region.region}: tls is ${settings.tls} but no certificate reached the load balancer`);
    }
    this.listenerPorts = this.https ? [HTTP_PORT, HTTPS_PORT] : [HTTP_PORT];

    // The world reaches only the listener ports; the ALB reaches only the service port.
    this.securityGroup = namedSecurityGroup(
      n('albSecurityGroup'),
      {
        vpcId: network.vpc.id,
        description: 'ALB: listener ports from the allowed CIDRs',
        ingress: this.listenerPorts.map((port) => ({
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
      },
      { parent: this },
    );

    this.alb = new aws.lb.LoadBalancer(
      n('alb'),
      {
        name: n('alb'),
        loadBalancerType: 'application',
        internal: false,
        securityGroups: [this.securityGroup.id],
        subnets: network.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: false,
        idleTimeout: 60,
        // The audit trail of every request. Pointed at the archive only once its bucket policy
        // admits ELB's log delivery: AWS checks that permission when logging is enabled.
        accessLogs: { bucket: args.logArchive.archive.deliveryName, prefix: LOG_PREFIX.alb, enabled: true },
      },
      { parent: this, ...DELETE_BEFORE_REPLACE },
    );
    this.health = {
      protocol: this.https ? 'HTTPS' : 'HTTP',
      port: this.https ? HTTPS_PORT : HTTP_PORT,
      path: HEALTH_PATH,
      url: this.https
        ? pulumi.output(`https://${regionalName(settings, region.region)}${HEALTH_PATH}`)
        : pulumi.interpolate`http://${this.alb.dnsName}${HEALTH_PATH}`,
    };

    // Fast failure detection: Global Accelerator follows these target-health numbers for ALB
    // endpoints, so interval x unhealthy threshold is the traffic path's detection time. Both
    // target groups ask the same question the same way (lib/app/health.ts says why).
    const healthCheck = targetHealthCheck(settings);
    const child = { parent: this.alb };
    this.instanceTargetGroup = new aws.lb.TargetGroup(
      n('targetGroupInstances'),
      {
        // No fixed name: a listener rule holds the group, so AWS refuses to delete it before its
        // replacement exists (a new port or protocol replaces it); the provider names it
        // `tg-ec2-<region>-<env>-<7 hex>` and the replacement is created beside it.
        vpcId: network.vpc.id,
        targetType: 'instance',
        protocol: 'HTTP',
        port: SERVICE_PORT,
        deregistrationDelay: settings.deregistrationDelaySeconds,
        healthCheck: { ...healthCheck, protocol: 'HTTP', port: 'traffic-port' },
      },
      child,
    );
    this.lambdaTargetGroup = new aws.lb.TargetGroup(
      n('targetGroupLambda'),
      { targetType: 'lambda', healthCheck },
      child,
    );

    const forwardToInstances = [{ type: 'forward', targetGroupArn: this.instanceTargetGroup.arn }];
    const httpListener = new aws.lb.Listener(
      n('albListener', 'http'),
      {
        loadBalancerArn: this.alb.arn,
        port: HTTP_PORT,
        protocol: 'HTTP',
        defaultActions: this.https
          ? [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: String(HTTPS_PORT), statusCode: 'HTTP_301' } }]
          : forwardToInstances,
      },
      child,
    );
    const serving = this.https
      ? new aws.lb.Listener(
          n('albListener', 'https'),
          {
            loadBalancerArn: this.alb.arn,
            port: HTTPS_PORT,
            protocol: 'HTTPS',
            sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
            certificateArn: args.certificateArn,
            defaultActions: forwardToInstances,
          },
          child,
        )
      : httpListener;
    new aws.lb.ListenerRule(
      n('albListener', 'orders'),
      {
        listenerArn: serving.arn,
        priority: 10,
        conditions: [{ pathPattern: { values: LAMBDA_PATHS } }],
        actions: [{ type: 'forward', targetGroupArn: this.lambdaTargetGroup.arn }],
      },
      { parent: serving },
    );

    this.registerOutputs({ albArn: this.alb.arn, albDnsName: this.alb.dnsName, healthUrl: this.health.url });
  }
}
