import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { RegionRole, Settings } from './config';
import { Namer, regionCode } from './naming';

/** Global Accelerator's API is served from us-west-2 only, whatever regions its endpoints are in. */
export const GLOBAL_ACCELERATOR_API_REGION = 'us-west-2';
/** The fixed hosted zone of every Global Accelerator DNS name (AWS constant for alias records). */
export const GLOBAL_ACCELERATOR_HOSTED_ZONE_ID = 'Z2BJ6XQ5FK7U4H';

export interface RegionalEndpoint {
  readonly role: RegionRole;
  readonly region: string;
  readonly albArn: pulumi.Input<string>;
  readonly albDnsName: pulumi.Input<string>;
  /** Whether the region's ALB terminates HTTPS (a certificate was configured). */
  readonly https: boolean;
}

export interface GlobalStackArgs {
  readonly settings: Settings;
  readonly name: Namer;
  /** Provider of the primary region: the global cluster and Route 53 (a global service) use it. */
  readonly primaryProvider: aws.Provider;
  /** Provider for the Global Accelerator API region. */
  readonly acceleratorProvider: aws.Provider;
  readonly endpoints: readonly [RegionalEndpoint, RegionalEndpoint];
}

/** Traffic dial per role: active-passive keeps the secondary at 0 (it still takes over; see README). */
export function trafficDial(policy: Settings['trafficPolicy'], role: RegionRole): number {
  return policy === 'active-active' || role === 'primary' ? 100 : 0;
}

/**
 * The global layer: the Aurora global cluster both regions join, the Global Accelerator in
 * front of both ALBs, and Route 53 (zone, health checks, failover/latency/accelerator names).
 */
export class GlobalStack extends pulumi.ComponentResource {
  readonly globalCluster: aws.rds.GlobalCluster;
  readonly accelerator: aws.globalaccelerator.Accelerator;
  readonly zone: aws.route53.Zone;
  readonly healthChecks: Record<RegionRole, aws.route53.HealthCheck>;
  readonly apiName: string;
  readonly readName: string;
  readonly acceleratorName: string;

  constructor(name: string, args: GlobalStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:global:GlobalStack', name, {}, opts);
    const { settings, name: n, primaryProvider, acceleratorProvider, endpoints } = args;

    this.globalCluster = new aws.rds.GlobalCluster(
      n('globalCluster'),
      {
        globalClusterIdentifier: n('globalCluster'),
        engine: 'aurora-postgresql',
        engineVersion: settings.dbEngineVersion,
        storageEncrypted: true,
        deletionProtection: false,
      },
      { parent: this, provider: primaryProvider },
    );

    // --- Global Accelerator: static anycast IPs, fails over on ALB target health.
    const ga = { parent: this, provider: acceleratorProvider };
    this.accelerator = new aws.globalaccelerator.Accelerator(
      n('accelerator'),
      { name: n('accelerator'), ipAddressType: 'IPV4', enabled: true },
      ga,
    );
    const ports = endpoints.some((e) => e.https) ? [80, 443] : [80];
    const listener = new aws.globalaccelerator.Listener(
      n('accelerator', 'listener'),
      {
        acceleratorArn: this.accelerator.arn,
        protocol: 'TCP',
        clientAffinity: 'NONE',
        portRanges: ports.map((port) => ({ fromPort: port, toPort: port })),
      },
      { parent: this.accelerator, provider: acceleratorProvider },
    );
    for (const endpoint of endpoints) {
      new aws.globalaccelerator.EndpointGroup(
        n('accelerator', regionCode(endpoint.region)),
        {
          listenerArn: listener.arn,
          endpointGroupRegion: endpoint.region,
          trafficDialPercentage: trafficDial(settings.trafficPolicy, endpoint.role),
          // For ALB endpoints AWS ignores these and follows the ALB's target health; they are
          // set for the record and for any non-ALB endpoint added later.
          healthCheckIntervalSeconds: settings.acceleratorHealthCheckIntervalSeconds,
          thresholdCount: settings.acceleratorThresholdCount,
          healthCheckPath: '/health',
          healthCheckProtocol: 'HTTP',
          healthCheckPort: 80,
          endpointConfigurations: [{ endpointId: endpoint.albArn, weight: 100, clientIpPreservationEnabled: true }],
        },
        { parent: listener, provider: acceleratorProvider },
      );
    }

    // --- Route 53
    const r53 = { parent: this, provider: primaryProvider };
    this.zone = new aws.route53.Zone(
      n('hostedZone'),
      { name: settings.domainName, comment: `Trading platform ${settings.environmentSuffix}`, forceDestroy: true },
      r53,
    );
    this.apiName = `api.${settings.domainName}`;
    this.readName = `read.${settings.domainName}`;
    this.acceleratorName = `global.${settings.domainName}`;

    const checks = {} as Record<RegionRole, aws.route53.HealthCheck>;
    for (const endpoint of endpoints) {
      checks[endpoint.role] = new aws.route53.HealthCheck(
        n('healthCheck', regionCode(endpoint.region)),
        {
          type: endpoint.https ? 'HTTPS' : 'HTTP',
          fqdn: endpoint.albDnsName,
          port: endpoint.https ? 443 : 80,
          resourcePath: '/health',
          requestInterval: settings.route53HealthCheckIntervalSeconds,
          failureThreshold: settings.route53FailureThreshold,
          measureLatency: true,
          referenceName: `${regionCode(endpoint.region)}-${settings.environmentSuffix}`.slice(0, 64),
          tags: { Name: n('healthCheck', regionCode(endpoint.region)) },
        },
        { parent: this.zone, provider: primaryProvider },
      );
    }
    this.healthChecks = checks;

    // Plain CNAMEs with a short TTL, not alias records: an alias to an ALB has a fixed 60 s
    // TTL, which alone would spend the whole RTO budget.
    for (const endpoint of endpoints) {
      const code = regionCode(endpoint.region);
      const common = {
        zoneId: this.zone.zoneId,
        type: 'CNAME',
        ttl: settings.dnsTtlSeconds,
        records: [endpoint.albDnsName],
        healthCheckId: checks[endpoint.role].id,
      };
      new aws.route53.Record(
        n('hostedZone', `api-${code}`),
        {
          ...common,
          name: this.apiName,
          setIdentifier: `api-${endpoint.role}`,
          failoverRoutingPolicies: [{ type: endpoint.role === 'primary' ? 'PRIMARY' : 'SECONDARY' }],
        },
        { parent: this.zone, provider: primaryProvider },
      );
      new aws.route53.Record(
        n('hostedZone', `read-${code}`),
        {
          ...common,
          name: this.readName,
          setIdentifier: `read-${endpoint.region}`,
          latencyRoutingPolicies: [{ region: endpoint.region }],
        },
        { parent: this.zone, provider: primaryProvider },
      );
    }
    new aws.route53.Record(
      n('hostedZone', 'global'),
      {
        zoneId: this.zone.zoneId,
        name: this.acceleratorName,
        type: 'A',
        aliases: [
          { name: this.accelerator.dnsName, zoneId: GLOBAL_ACCELERATOR_HOSTED_ZONE_ID, evaluateTargetHealth: false },
        ],
      },
      { parent: this.zone, provider: primaryProvider },
    );

    this.registerOutputs({
      globalClusterId: this.globalCluster.id,
      globalWriterEndpoint: this.globalCluster.endpoint,
      acceleratorDnsName: this.accelerator.dnsName,
      acceleratorIps: this.accelerator.ipSets,
      zoneId: this.zone.zoneId,
      nameServers: this.zone.nameServers,
    });
  }
}
