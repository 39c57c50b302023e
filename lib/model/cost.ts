/**
 * Over 320 lines on purpose: one price-table walk; its unit mappings read best beside the
 * arithmetic that uses them.
 *
 * Monthly cost estimate from the planned resources and the checked-in price table
 * (lib/model/prices.json): pure arithmetic, so `npm run plan`, the docs and the tests all see the same
 * numbers. Only what the resources fix is priced (instance hours, gateways, endpoints, keys,
 * alarms, scheduled functions); what depends on traffic or data volume is listed with its unit
 * price and left out of the total.
 */
import PRICE_TABLE from './prices.json';

export const HOURS_PER_MONTH = 730;
export const GLOBAL = 'global';

/** Resource inputs as the provider receives them: untyped by nature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

/** What the estimator reads of a planned resource (the plan's records have more). */
export interface PricedResource {
  readonly type: string;
  readonly name: string;
  readonly region?: string;
  readonly inputs: Inputs;
}

interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  readonly confirmed: boolean;
  readonly check?: string;
}

export interface PriceTable {
  readonly compiled: string;
  readonly sources: Record<string, { what: string; where: string; date: string }>;
  readonly regions: Record<string, Record<string, Price>>;
}

export interface CostLine {
  readonly region: string;
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
  /** Whether the price was confirmed by a stored source (see lib/model/prices.json). */
  readonly confirmed: boolean;
  /** An upper bound rather than a fixed charge (scheduled functions at their timeout). */
  readonly upperBound: boolean;
  readonly resources: readonly string[];
}

export interface UsagePrice {
  readonly region: string;
  readonly item: string;
  readonly unitUsd: number;
  readonly per: string;
}

export interface CostEstimate {
  readonly hoursPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly byRegion: Readonly<Record<string, number>>;
  readonly byService: Readonly<Record<string, number>>;
  /** Share of the total priced with confirmed prices (0-1). */
  readonly confirmedShare: number;
  /** Resources the table has no price for: left out of the total, named here. */
  readonly unpriced: readonly string[];
  /** Usage-based charges left out of the total, with their unit prices. */
  readonly usage: readonly UsagePrice[];
  readonly assumptions: readonly string[];
  readonly priceTable: { readonly compiled: string; readonly sources: PriceTable['sources'] };
}

const USAGE_LABELS: Record<string, string> = {
  'usage:aurora-storage': 'Aurora storage',
  'usage:aurora-io': 'Aurora I/O (and replicated write I/O of the global database)',
  'usage:vpce-data': 'VPC endpoint data processed',
  'usage:alb-lcu': 'load balancer capacity units',
  'usage:inter-region-transfer': 'inter-region data transfer (Aurora replication, secret replication, peering)',
  'usage:logs-ingestion': 'CloudWatch Logs ingestion (Lambda logs, VPC flow logs)',
  'usage:config-item': 'AWS Config configuration items recorded',
  'usage:backup-storage':
    'Aurora backup storage beyond the retained size (snapshots, AWS Backup copies of protected stacks)',
  'usage:globalaccelerator-dt-premium': 'Global Accelerator data transfer premium',
  // The order book: on demand, no fixed charge. An order with cross-region durability is two
  // TransactWriteItems of two items (a condition check and a put), 2 write units per item in a
  // transaction, plus one replicated write per replica for each put: about 10 write units.
  'usage:dynamodb-write':
    'order book writes (each replica bills its replicated writes at this price: about 10 units per order)',
  'usage:dynamodb-read': 'order book reads (the writer item; strongly consistent)',
  'usage:dynamodb-storage': 'order book storage, per replica',
  'usage:dynamodb-pitr': 'order book point-in-time recovery, per replica',
};

/** `rate(5 minutes)` -> invocations per month; undefined for cron or other expressions. */
export function invocationsPerMonth(scheduleExpression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(scheduleExpression.trim());
  if (!match) return undefined;
  const minutes = Number(match[1]) * { minute: 1, hour: 60, day: 1440 }[match[2].replace(/s$/, '') as 'minute'];
  return (HOURS_PER_MONTH * 60) / minutes;
}

/** Route 53 bills these health-check options as optional features, each per month. */
export function healthCheckFeatures(inputs: Inputs): string[] {
  const features: string[] = [];
  if (String(inputs.type ?? '').startsWith('HTTPS')) features.push('HTTPS');
  if (inputs.searchString || String(inputs.type ?? '').endsWith('STR_MATCH')) features.push('string matching');
  if (inputs.requestInterval === 10) features.push('fast interval');
  if (inputs.measureLatency === true) features.push('latency measurement');
  return features;
}

export function estimateCost(
  resources: readonly PricedResource[],
  table: PriceTable = PRICE_TABLE as PriceTable,
): CostEstimate {
  const lines = new Map<string, CostLine>();
  const unpriced: string[] = [];
  const regions = new Set<string>();

  const add = (
    r: PricedResource,
    region: string,
    service: string,
    key: string,
    item: string,
    quantity: number,
    unit: string,
    upperBound = false,
  ) => {
    if (quantity === 0) return;
    const price = table.regions[region]?.[key];
    if (!price) {
      unpriced.push(`${r.name} (${item}, ${region}): no ${key} in lib/model/prices.json`);
      return;
    }
    regions.add(region);
    const id = `${region}|${service}|${item}`;
    const prev = lines.get(id);
    const monthly = quantity * price.usd;
    lines.set(id, {
      region,
      service,
      item,
      unit,
      unitUsd: price.usd,
      quantity: (prev?.quantity ?? 0) + quantity,
      monthlyUsd: (prev?.monthlyUsd ?? 0) + monthly,
      confirmed: price.confirmed && (prev?.confirmed ?? true),
      upperBound: upperBound || (prev?.upperBound ?? false),
      resources: [...(prev?.resources ?? []), r.name],
    });
  };
  const hours = HOURS_PER_MONTH;
  const of = (type: string) => resources.filter((r) => r.type === type);
  const regionOf = (r: PricedResource) => r.region ?? 'us-east-1';

  for (const r of of('aws:rds/clusterInstance:ClusterInstance'))
    add(
      r,
      regionOf(r),
      'Aurora',
      `rds:${r.inputs.instanceClass}`,
      `${r.inputs.instanceClass} instance`,
      hours,
      'hours',
    );

  const templates = of('aws:ec2/launchTemplate:LaunchTemplate');
  for (const asg of of('aws:autoscaling/group:Group')) {
    const sameRegion = templates.filter((t) => t.region === asg.region);
    const template =
      sameRegion.find((t) => asg.inputs.launchTemplate?.id === `${t.name}-id`) ??
      (sameRegion.length === 1 ? sameRegion[0] : undefined);
    if (!template) {
      unpriced.push(`${asg.name}: its launch template is not in the plan`);
      continue;
    }
    const count = Number(asg.inputs.desiredCapacity ?? asg.inputs.minSize ?? 0);
    const type = template.inputs.instanceType;
    add(asg, regionOf(asg), 'EC2', `ec2:${type}`, `${type} instance (desired capacity)`, count * hours, 'hours');
    for (const m of template.inputs.blockDeviceMappings ?? []) {
      const volumeType = m.ebs?.volumeType ?? 'gp3';
      add(
        asg,
        regionOf(asg),
        'EBS',
        `ebs:${volumeType}`,
        `${volumeType} volume`,
        count * Number(m.ebs?.volumeSize ?? 0),
        'GB-month',
      );
    }
  }

  for (const r of of('aws:ec2/eip:Eip'))
    add(r, regionOf(r), 'Public IPv4', 'ipv4:public', 'Elastic IP address', hours, 'address-hours');
  for (const r of of('aws:lb/loadBalancer:LoadBalancer')) {
    add(r, regionOf(r), 'Load balancer', 'alb:hour', 'application load balancer', hours, 'hours');
    // An internet-facing ALB holds at least one public IPv4 address per subnet (AZ).
    if (r.inputs.internal !== true)
      add(
        r,
        regionOf(r),
        'Public IPv4',
        'ipv4:public',
        'ALB node address (one per AZ, at least)',
        (r.inputs.subnets ?? []).length * hours,
        'address-hours',
      );
  }
  for (const r of of('aws:ec2/vpcEndpoint:VpcEndpoint').filter((e) => e.inputs.vpcEndpointType === 'Interface'))
    add(
      r,
      regionOf(r),
      'VPC endpoints',
      'vpce:interface-az',
      'interface endpoint ENI (per AZ)',
      (r.inputs.subnetIds ?? []).length * hours,
      'ENI-hours',
    );

  for (const r of of('aws:kms/key:Key')) add(r, regionOf(r), 'KMS', 'kms:key', 'customer managed key', 1, 'keys');
  for (const r of of('aws:secretsmanager/secret:Secret')) {
    add(r, regionOf(r), 'Secrets Manager', 'secretsmanager:secret', 'secret', 1, 'secrets');
    for (const replica of r.inputs.replicas ?? [])
      add(r, replica.region, 'Secrets Manager', 'secretsmanager:secret', 'secret (replica)', 1, 'secrets');
  }
  for (const r of of('aws:cloudwatch/metricAlarm:MetricAlarm')) {
    const metrics = (r.inputs.metricQueries ?? []).filter((q: Inputs) => q.metric).length || 1;
    add(
      r,
      regionOf(r),
      'CloudWatch',
      'cloudwatch:alarm-metric',
      'alarm metric (standard resolution)',
      metrics,
      'alarm metrics',
    );
  }
  for (const r of of('aws:cloudwatch/dashboard:Dashboard'))
    add(r, regionOf(r), 'CloudWatch', 'cloudwatch:dashboard', 'dashboard', 1, 'dashboards');

  // Scheduled functions run whatever the traffic: priced at their timeout (an upper bound).
  const functions = of('aws:lambda/function:Function');
  const targets = of('aws:cloudwatch/eventTarget:EventTarget');
  for (const rule of of('aws:cloudwatch/eventRule:EventRule')) {
    const perMonth = rule.inputs.scheduleExpression && invocationsPerMonth(rule.inputs.scheduleExpression);
    if (!perMonth) continue;
    for (const target of targets.filter((t) => t.region === rule.region && t.inputs.rule === rule.inputs.name)) {
      const fn = functions.find((f) =>
        String(target.inputs.arn ?? '').endsWith(`:function:${f.inputs.name ?? f.name}`),
      );
      if (!fn) continue;
      const arch = (fn.inputs.architectures ?? ['x86_64'])[0];
      const gbSeconds = perMonth * Number(fn.inputs.timeout ?? 3) * (Number(fn.inputs.memorySize ?? 128) / 1024);
      add(
        fn,
        regionOf(fn),
        'Lambda',
        `lambda:${arch}-gb-second`,
        `${fn.name} on ${rule.inputs.scheduleExpression} (at its timeout)`,
        gbSeconds,
        'GB-seconds',
        true,
      );
      add(
        fn,
        regionOf(fn),
        'Lambda',
        'lambda:request',
        `${fn.name} scheduled invocations`,
        perMonth / 1e6,
        'million requests',
      );
    }
  }

  for (const r of of('aws:wafv2/webAcl:WebAcl')) {
    add(r, regionOf(r), 'WAF', 'waf:web-acl', 'web ACL', 1, 'web ACLs');
    add(r, regionOf(r), 'WAF', 'waf:rule', 'rule (rule groups count as one)', (r.inputs.rules ?? []).length, 'rules');
  }

  for (const r of of('aws:globalaccelerator/accelerator:Accelerator'))
    add(r, GLOBAL, 'Global Accelerator', 'globalaccelerator:fixed', 'fixed fee', hours, 'hours');
  for (const r of of('aws:route53/zone:Zone')) add(r, GLOBAL, 'Route 53', 'route53:zone', 'hosted zone', 1, 'zones');
  for (const r of of('aws:route53/healthCheck:HealthCheck')) {
    add(r, GLOBAL, 'Route 53', 'route53:health-check-aws', 'health check (AWS endpoint)', 1, 'health checks');
    const features = healthCheckFeatures(r.inputs);
    add(
      r,
      GLOBAL,
      'Route 53',
      'route53:health-check-feature-aws',
      `health-check options (${features.join(', ')})`,
      features.length,
      'features',
    );
  }

  const sorted = [...lines.values()].sort(
    (a, b) => a.region.localeCompare(b.region) || b.monthlyUsd - a.monthlyUsd || a.item.localeCompare(b.item),
  );
  const sum = (xs: readonly CostLine[]) => xs.reduce((n, l) => n + l.monthlyUsd, 0);
  const group = (key: (l: CostLine) => string) => {
    const out: Record<string, number> = {};
    for (const l of sorted) out[key(l)] = (out[key(l)] ?? 0) + l.monthlyUsd;
    return out;
  };
  const totalUsd = sum(sorted);
  const usage = [...regions, GLOBAL].flatMap((region) =>
    Object.entries(table.regions[region] ?? {})
      .filter(([key]) => key.startsWith('usage:'))
      .map(([key, p]) => ({ region, item: USAGE_LABELS[key] ?? key, unitUsd: p.usd, per: p.per })),
  );
  const asgs = of('aws:autoscaling/group:Group');
  const atMax = asgs.reduce((n, a) => n + Number(a.inputs.maxSize ?? 0) - Number(a.inputs.desiredCapacity ?? 0), 0);
  return {
    hoursPerMonth: hours,
    lines: sorted,
    totalUsd,
    byRegion: group((l) => l.region),
    byService: group((l) => l.service),
    confirmedShare: totalUsd ? sum(sorted.filter((l) => l.confirmed)) / totalUsd : 1,
    unpriced,
    usage,
    assumptions: [
      `${hours} hours a month, on-demand list prices, no free tier, Savings Plans or Reserved Instances`,
      `EC2 at the Auto Scaling groups' desired capacity (${atMax} more instance(s) at their maximum)`,
      'scheduled Lambda functions at their timeout (an upper bound); request-driven invocations are usage',
      'data transfer, storage, I/O, requests and log volume are usage-based: left out, unit prices listed',
      'Route 53 health checks of the ALBs priced as AWS endpoints (same account)',
      'an internet-facing ALB holds at least one public IPv4 address per AZ (more as it scales)',
    ],
    priceTable: { compiled: table.compiled, sources: table.sources },
  };
}
