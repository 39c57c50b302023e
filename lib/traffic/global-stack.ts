import * as aws from '@pulumi/aws';
import * as command from '@pulumi/command';
import * as pulumi from '@pulumi/pulumi';
import { GLOBAL_ACCELERATOR_API_REGION } from '../../lambda/facts/global-accelerator';
import { RegionRole, Settings } from '../config';
import { GlobalDatabase } from '../data/global-database';
import { Domain } from './domain';
import { LoadBalancer } from '../app/load-balancer';
import { Namer, regionalName, regionCode } from '../config/naming';
import { HEALTH_PATH } from '../app/order-api';
import { NetworkStack } from '../network/network-stack';
import { acceleratorCleanup } from './accelerator-cleanup';

/** Global Accelerator's API region: one definition, shared with the orchestrator that fences through it. */
export { GLOBAL_ACCELERATOR_API_REGION };
/** The fixed hosted zone of every Global Accelerator DNS name (AWS constant for alias records). */
export const GLOBAL_ACCELERATOR_HOSTED_ZONE_ID = 'Z2BJ6XQ5FK7U4H';

export interface RegionalEndpoint {
  readonly role: RegionRole;
  readonly region: string;
  /** The region's application: its load balancer is the endpoint. */
  readonly compute: { readonly loadBalancer: LoadBalancer };
  /** The load balancer's network: Global Accelerator leaves a security group in it (accelerator-cleanup.ts). */
  readonly network: NetworkStack;
}

export interface GlobalStackArgs {
  readonly settings: Settings;
  readonly name: Namer;
  /** Created first, before either region: this stack exposes it next to the traffic layer. */
  readonly database: GlobalDatabase;
  /** The hosted zone (created before the application, for certificate validation). */
  readonly domain: Domain;
  /** Provider for the Global Accelerator API region (Route 53, a global service, uses the component's own). */
  readonly acceleratorProvider: aws.Provider;
  /** Both regions, primary first (a RegionBundle is one). */
  readonly endpoints: readonly [RegionalEndpoint, RegionalEndpoint];
}

/** Traffic dial per role: active-passive keeps the secondary at 0 (it still takes over; see README). */
export function trafficDial(policy: Settings['trafficPolicy'], role: RegionRole): number {
  return policy === 'active-active' || role === 'primary' ? 100 : 0;
}

/** Ports to open on the accelerator: only those every region's load balancer serves. */
export function acceleratorPorts(listenerPorts: readonly (readonly number[])[]): number[] {
  const [first, ...rest] = listenerPorts;
  return first.filter((port) => rest.every((ports) => ports.includes(port))).sort((a, b) => a - b);
}

/**
 * The global layer: the Aurora global cluster both regions joined, the Global Accelerator in
 * front of both ALBs, and Route 53 in the zone `Domain` made (health checks; failover, latency, accelerator and regional names).
 *
 * The global cluster is needed first and the traffic layer last, so the cluster is built by
 * its own component (`GlobalDatabase`) before either region and handed in here: this stack
 * comes up once both load balancers exist and needs nothing from later (no deferred outputs).
 */
export class GlobalStack extends pulumi.ComponentResource {
  readonly database: GlobalDatabase;
  readonly accelerator: aws.globalaccelerator.Accelerator;
  readonly listener: aws.globalaccelerator.Listener;
  /** One endpoint group per region: the traffic dials the failover orchestrator moves. */
  readonly endpointGroups: Record<RegionRole, aws.globalaccelerator.EndpointGroup>;
  /** Per region: deletes what Global Accelerator left in the VPC, after the endpoint group, before the subnets. */
  readonly cleanups: Record<RegionRole, command.local.Command>;
  readonly zone: aws.route53.Zone;
  readonly healthChecks: Record<RegionRole, aws.route53.HealthCheck>;
  readonly apiName: string;
  readonly readName: string;
  readonly acceleratorName: string;

  constructor(name: string, args: GlobalStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super('tap:global:GlobalStack', name, {}, opts);
    const { settings, name: n, acceleratorProvider, endpoints } = args;
    this.database = args.database;

    // --- Global Accelerator: static anycast IPs, fails over on ALB target health.
    const ga = { parent: this, provider: acceleratorProvider };
    this.accelerator = new aws.globalaccelerator.Accelerator(
      n('accelerator'),
      { name: n('accelerator'), ipAddressType: 'IPV4', enabled: true },
      ga,
    );
    // A port one region does not serve would send its share of clients nowhere after a failover.
    const ports = acceleratorPorts(endpoints.map((e) => e.compute.loadBalancer.listenerPorts));
    const listener = (this.listener = new aws.globalaccelerator.Listener(
      n('accelerator', 'listener'),
      {
        acceleratorArn: this.accelerator.arn,
        protocol: 'TCP',
        clientAffinity: 'NONE',
        portRanges: ports.map((port) => ({ fromPort: port, toPort: port })),
      },
      { parent: this.accelerator, provider: acceleratorProvider },
    ));
    const groups = {} as Record<RegionRole, aws.globalaccelerator.EndpointGroup>;
    // Commands run where `pulumi` runs; default providers are off for every package.
    const local = new command.Provider(n('accelerator', 'cleanup'), {}, { parent: this });
    const cleanups = {} as Record<RegionRole, command.local.Command>;
    for (const endpoint of endpoints) {
      cleanups[endpoint.role] = acceleratorCleanup(
        `${n('accelerator', regionCode(endpoint.region))}-cleanup`,
        {
          region: endpoint.region,
          vpcId: endpoint.network.vpc.id,
          subnetIds: endpoint.network.publicSubnetIds,
        },
        { parent: this, provider: local },
      );
      groups[endpoint.role] = new aws.globalaccelerator.EndpointGroup(
        n('accelerator', regionCode(endpoint.region)),
        {
          listenerArn: listener.arn,
          endpointGroupRegion: endpoint.region,
          trafficDialPercentage: trafficDial(settings.trafficPolicy, endpoint.role),
          // For ALB endpoints AWS ignores these and follows the ALB's target health; they are
          // set for the record and for any non-ALB endpoint added later.
          healthCheckIntervalSeconds: settings.acceleratorHealthCheckIntervalSeconds,
          thresholdCount: settings.acceleratorThresholdCount,
          healthCheckPath: HEALTH_PATH,
          healthCheckProtocol: endpoint.compute.loadBalancer.health.protocol,
          healthCheckPort: endpoint.compute.loadBalancer.health.port,
          endpointConfigurations: [
            { endpointId: endpoint.compute.loadBalancer.alb.arn, weight: 100, clientIpPreservationEnabled: true },
          ],
        },
        {
          parent: listener,
          provider: acceleratorProvider,
          // The dial is the orchestrator's fence once it has moved it (recorded in its evidence
          // table, restored by an explicit failback): `pulumi up` must not undo a fence.
          ignoreChanges: ['trafficDialPercentage'],
          // Deleted before the cleanup runs (which then finds what the accelerator left).
          dependsOn: [cleanups[endpoint.role]],
        },
      );
    }
    this.endpointGroups = groups;
    this.cleanups = cleanups;

    // --- Route 53
    this.zone = args.domain.zone;
    this.apiName = `api.${settings.domainName}`;
    this.readName = `read.${settings.domainName}`;
    this.acceleratorName = `global.${settings.domainName}`;

    const checks = {} as Record<RegionRole, aws.route53.HealthCheck>;
    for (const endpoint of endpoints) {
      // Probes the health path the way clients reach it (HTTPS where the region serves it).
      const health = endpoint.compute.loadBalancer.health;
      checks[endpoint.role] = new aws.route53.HealthCheck(
        n('healthCheck', regionCode(endpoint.region)),
        {
          type: health.protocol,
          fqdn: endpoint.compute.loadBalancer.alb.dnsName,
          port: health.port,
          resourcePath: health.path,
          requestInterval: settings.route53HealthCheckIntervalSeconds,
          failureThreshold: settings.route53FailureThreshold,
          measureLatency: true,
          referenceName: `${regionCode(endpoint.region)}-${settings.environmentSuffix}`.slice(0, 64),
          tags: { Name: n('healthCheck', regionCode(endpoint.region)) },
        },
        { parent: this.zone },
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
        records: [endpoint.compute.loadBalancer.alb.dnsName],
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
        { parent: this.zone },
      );
      new aws.route53.Record(
        n('hostedZone', `read-${code}`),
        {
          ...common,
          name: this.readName,
          setIdentifier: `read-${endpoint.region}`,
          latencyRoutingPolicies: [{ region: endpoint.region }],
        },
        { parent: this.zone },
      );
    }
    // Each region's own name (`use1.<domain>`): on the certificate, so probes and operators can
    // reach one region over verified TLS.
    for (const endpoint of endpoints) {
      new aws.route53.Record(
        n('hostedZone', regionCode(endpoint.region)),
        {
          zoneId: this.zone.zoneId,
          name: regionalName(settings, endpoint.region),
          type: 'CNAME',
          ttl: settings.dnsTtlSeconds,
          records: [endpoint.compute.loadBalancer.alb.dnsName],
        },
        { parent: this.zone },
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
      { parent: this.zone },
    );

    this.registerOutputs({
      globalClusterId: this.database.cluster.id,
      globalWriterEndpoint: this.database.cluster.endpoint,
      acceleratorDnsName: this.accelerator.dnsName,
      acceleratorIps: this.accelerator.ipSets,
      zoneId: this.zone.zoneId,
      nameServers: this.zone.nameServers,
    });
  }
}
