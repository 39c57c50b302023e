/**
 * The architecture diagram, drawn from the plan itself: the resources the program registers
 * pick the boxes and arrows, ELK (elkjs, pure JavaScript) lays them out, and this file writes
 * the SVG. `npm run diagram` regenerates docs/architecture.svg; CI checks it is current.
 */
import ELK, { ElkNode } from 'elkjs/lib/elk.bundled.js';
import { RecordedResource } from './offline';

export type EdgeKind = 'traffic' | 'replication' | 'peering' | 'failover' | 'data';

export interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
  readonly group: string;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label: string;
}

export interface ArchitectureGraph {
  readonly groups: string[];
  readonly nodes: DiagramNode[];
  readonly edges: DiagramEdge[];
}

const GLOBAL = 'global';

/** Boxes and arrows from the registered resources (nothing drawn that the plan does not hold). */
export function architectureGraph(resources: readonly RecordedResource[]): ArchitectureGraph {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const find = (type: string, predicate: (r: RecordedResource) => boolean = () => true) =>
    resources.filter((r) => r.type === type && predicate(r));
  const add = (
    r: RecordedResource | undefined,
    label: string,
    detail: string,
    group = r?.region ?? GLOBAL,
  ): string | undefined => {
    if (!r) return undefined;
    nodes.push({ id: r.name, label, detail, group });
    return r.name;
  };
  const edge = (from: string | undefined, to: string | undefined, kind: EdgeKind, label: string) => {
    if (from && to) edges.push({ from, to, kind, label });
  };

  const accelerator = add(
    find('aws:globalaccelerator/accelerator:Accelerator')[0],
    'Global Accelerator',
    'static anycast IPs',
    GLOBAL,
  );
  const zone = find('aws:route53/zone:Zone')[0];
  const dns = add(zone, 'Route 53', `${zone?.inputs.name ?? ''}`, GLOBAL);
  const globalCluster = add(
    find('aws:rds/globalCluster:GlobalCluster')[0],
    'Aurora global cluster',
    'aurora-postgresql 14.6',
    GLOBAL,
  );
  const secret = add(
    find('aws:secretsmanager/secret:Secret', (r) => r.name.startsWith('secret-db-app'))[0],
    'DB credentials',
    'Secrets Manager, replicated',
    GLOBAL,
  );

  const regions = [...new Set(find('aws:ec2/vpc:Vpc').map((v) => v.region!))];
  const albs: Record<string, string | undefined> = {};
  const clusters: Record<string, string | undefined> = {};
  const vpcs: Record<string, string | undefined> = {};
  for (const region of regions) {
    const inRegion = (r: RecordedResource) => r.region === region;
    const vpc = find('aws:ec2/vpc:Vpc', inRegion)[0];
    vpcs[region] = add(vpc, 'VPC', `${vpc.inputs.cidrBlock}, 3 AZs`);
    const alb = (albs[region] = add(find('aws:lb/loadBalancer:LoadBalancer', inRegion)[0], 'ALB', '/health every 5 s'));
    const asg = find('aws:autoscaling/group:Group', inRegion)[0];
    const ec2 = add(asg, 'EC2 Auto Scaling', `order API, ${asg?.inputs.minSize}-${asg?.inputs.maxSize} instances`);
    const trading = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-trading'))[0],
      'Trading Lambda',
      'POST/GET /orders',
    );
    const cluster = find('aws:rds/cluster:Cluster', inRegion)[0];
    const role = cluster?.inputs.masterUsername ? 'writer' : 'read-only until promoted';
    clusters[region] = add(cluster, 'Aurora cluster', role);
    const queue = add(
      find('aws:sqs/queue:Queue', (r) => inRegion(r) && !r.name.includes('dlq'))[0],
      'Order queue',
      'SQS FIFO while read-only',
    );
    const rotation = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-rotation'))[0],
      'Rotation Lambda',
      find('aws:secretsmanager/secretRotation:SecretRotation', inRegion).length ? 'rotates every 30 days' : 'standby',
    );
    edge(alb, ec2, 'traffic', '');
    edge(alb, trading, 'traffic', '/orders');
    edge(ec2, clusters[region], 'data', '');
    edge(trading, clusters[region], 'data', 'SQL/TLS');
    edge(trading, queue, 'data', 'if read-only');
    edge(queue, clusters[region], 'data', 'drain');
    edge(rotation, secret, 'data', '');
    edge(globalCluster, clusters[region], 'replication', 'member');
    const endpointGroup = find(
      'aws:globalaccelerator/endpointGroup:EndpointGroup',
      (r) => r.inputs.endpointGroupRegion === region,
    )[0];
    edge(accelerator, alb, 'traffic', endpointGroup ? `dial ${endpointGroup.inputs.trafficDialPercentage}` : '');
    const failover = find(
      'aws:route53/record:Record',
      (r) => r.inputs.failoverRoutingPolicies?.length > 0 && String(r.inputs.records?.[0]).startsWith(`${alb}-`),
    )[0];
    edge(dns, alb, 'traffic', failover ? `${failover.inputs.failoverRoutingPolicies[0].type} CNAME` : '');
    const orchestrator = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-failover'))[0],
      'Failover orchestrator',
      'canary + Route 53 alarm',
    );
    if (orchestrator) {
      edge(orchestrator, globalCluster, 'failover', 'FailoverGlobalCluster');
      const primary = find('aws:rds/cluster:Cluster', (r) => Boolean(r.inputs.masterUsername))[0];
      edge(orchestrator, albs[primary?.region ?? ''] ?? undefined, 'failover', 'probe /health');
    }
  }
  const [primaryRegion, secondaryRegion] = regions;
  edge(clusters[primaryRegion], clusters[secondaryRegion], 'replication', 'storage replication');
  if (find('aws:ec2/vpcPeeringConnection:VpcPeeringConnection').length)
    edge(vpcs[primaryRegion], vpcs[secondaryRegion], 'peering', 'VPC peering');
  // The orchestrator probes the primary ALB: drawn once even though it is found per region.
  const unique = edges.filter(
    (e, i) => edges.findIndex((x) => x.from === e.from && x.to === e.to && x.kind === e.kind) === i,
  );
  return { groups: [GLOBAL, ...regions], nodes, edges: unique };
}

const COLORS: Record<EdgeKind, string> = {
  traffic: '#1f6feb',
  replication: '#8250df',
  peering: '#6e7781',
  failover: '#cf222e',
  data: '#57606a',
};
const NODE_W = 190;
const NODE_H = 46;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export async function renderSvg(graph: ArchitectureGraph, title: string): Promise<string> {
  const elk = new ELK();
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.spacing.nodeNode': '30',
      'elk.layered.spacing.nodeNodeBetweenLayers': '50',
      'elk.padding': '[top=50,left=20,bottom=20,right=20]',
    },
    children: graph.groups.map((group) => ({
      id: `group:${group}`,
      layoutOptions: { 'elk.padding': '[top=36,left=16,bottom=16,right=16]' },
      children: graph.nodes.filter((n) => n.group === group).map((n) => ({ id: n.id, width: NODE_W, height: NODE_H })),
    })),
    edges: graph.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const layout = await elk.layout(input);

  const boxes = new Map<string, { x: number; y: number; w: number; h: number }>();
  const parts: string[] = [];
  for (const group of layout.children ?? []) {
    const gx = group.x ?? 0;
    const gy = group.y ?? 0;
    parts.push(
      `<rect x="${gx}" y="${gy}" width="${group.width}" height="${group.height}" rx="10" fill="#f6f8fa" stroke="#d0d7de"/>`,
    );
    parts.push(
      `<text x="${gx + 14}" y="${gy + 24}" font-size="15" font-weight="bold" fill="#24292f">${escape(group.id.slice('group:'.length))}</text>`,
    );
    for (const child of group.children ?? [])
      boxes.set(child.id, { x: gx + (child.x ?? 0), y: gy + (child.y ?? 0), w: NODE_W, h: NODE_H });
  }
  const center = (id: string) => {
    const b = boxes.get(id)!;
    return { x: b.x + b.w / 2, y: b.y + b.h / 2 };
  };
  /** Where the line between two box centres leaves the box around `from`. */
  const border = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const t = Math.min(dx ? NODE_W / 2 / Math.abs(dx) : Infinity, dy ? NODE_H / 2 / Math.abs(dy) : Infinity, 1);
    return { x: from.x + dx * t, y: from.y + dy * t };
  };
  for (const e of graph.edges) {
    const ca = center(e.from);
    const cb = center(e.to);
    const a = border(ca, cb);
    const b = border(cb, ca);
    const dash = e.kind === 'peering' || e.kind === 'replication' ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<line x1="${a.x.toFixed(1)}" y1="${a.y.toFixed(1)}" x2="${b.x.toFixed(1)}" y2="${b.y.toFixed(1)}" stroke="${COLORS[e.kind]}" stroke-width="1.6"${dash} marker-end="url(#arrow-${e.kind})" opacity="0.85"/>`,
    );
    if (e.label) {
      parts.push(
        `<text x="${((a.x + b.x) / 2).toFixed(1)}" y="${((a.y + b.y) / 2 - 4).toFixed(1)}" font-size="10" fill="${COLORS[e.kind]}" text-anchor="middle">${escape(e.label)}</text>`,
      );
    }
  }
  for (const n of graph.nodes) {
    const b = boxes.get(n.id)!;
    parts.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" rx="6" fill="#ffffff" stroke="#57606a"/>`);
    parts.push(
      `<text x="${b.x + b.w / 2}" y="${b.y + 19}" font-size="12" font-weight="bold" text-anchor="middle" fill="#24292f">${escape(n.label)}</text>`,
    );
    parts.push(
      `<text x="${b.x + b.w / 2}" y="${b.y + 35}" font-size="10" text-anchor="middle" fill="#57606a">${escape(n.detail.slice(0, 34))}</text>`,
    );
  }
  const width = Math.ceil(layout.width ?? 800);
  const legendY = Math.ceil(layout.height ?? 600) + 10;
  const legend = (Object.keys(COLORS) as EdgeKind[]).map(
    (kind, i) =>
      `<line x1="${20 + i * 130}" y1="${legendY}" x2="${50 + i * 130}" y2="${legendY}" stroke="${COLORS[kind]}" stroke-width="2"/><text x="${56 + i * 130}" y="${legendY + 4}" font-size="11" fill="#24292f">${kind}</text>`,
  );
  const markers = (Object.keys(COLORS) as EdgeKind[])
    .map(
      (kind) =>
        `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${COLORS[kind]}"/></marker>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${legendY + 20}" viewBox="0 0 ${width} ${legendY + 20}" font-family="Helvetica, Arial, sans-serif">`,
    `<defs>${markers}</defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="28" font-size="17" font-weight="bold" fill="#24292f">${escape(title)}</text>`,
    ...parts,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
