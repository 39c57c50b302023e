/**
 * The architecture diagram, drawn from the plan itself: the resources the program registers
 * pick the boxes and arrows and every label is read off their inputs (no number is typed in
 * here), ELK (elkjs, pure JavaScript) lays them out and routes the arrows orthogonally around
 * the boxes, and this file writes the SVG. `npm run docs` regenerates docs/architecture.svg;
 * CI checks it is current.
 */
import ELK, { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk.bundled.js';
import { RecordedResource } from './offline';

export type EdgeKind = 'traffic' | 'data' | 'replication' | 'peering' | 'failover';

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

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

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
    if (from && to && !edges.some((e) => e.from === from && e.to === to && e.kind === kind))
      edges.push({ from, to, kind, label });
  };

  const rotations = find('aws:secretsmanager/secretRotation:SecretRotation');
  const rotationDays = [...new Set(rotations.map((r) => r.inputs.rotationRules?.automaticallyAfterDays))];
  const rotationText = rotationDays.length ? `rotates every ${rotationDays.join('/')} days` : 'not rotated';

  const listener = find('aws:globalaccelerator/listener:Listener')[0];
  const acceleratorPorts = (listener?.inputs.portRanges ?? []).map((p: { fromPort: number }) => p.fromPort);
  const accelerator = add(
    find('aws:globalaccelerator/accelerator:Accelerator')[0],
    'Global Accelerator',
    `anycast IPs, TCP ${acceleratorPorts.join(', ')}`,
    GLOBAL,
  );
  const zone = find('aws:route53/zone:Zone')[0];
  const dns = add(zone, 'Route 53', `${zone?.inputs.name ?? ''}`, GLOBAL);
  const global = find('aws:rds/globalCluster:GlobalCluster')[0];
  const globalCluster = add(
    global,
    'Aurora global cluster',
    `${global?.inputs.engine} ${global?.inputs.engineVersion}`,
    GLOBAL,
  );
  const appSecret = find('aws:secretsmanager/secret:Secret', (r) => r.name.startsWith('secret-db-app'))[0];
  const secret = add(
    appSecret,
    'DB credentials',
    `replicated to ${(appSecret?.inputs.replicas ?? []).map((r: { region: string }) => r.region).join(', ')}`,
    GLOBAL,
  );

  const regions = [...new Set(find('aws:ec2/vpc:Vpc').map((v) => v.region!))];
  const albs: Record<string, string | undefined> = {};
  const clusters: Record<string, string | undefined> = {};
  const vpcs: Record<string, string | undefined> = {};
  for (const region of regions) {
    const inRegion = (r: RecordedResource) => r.region === region;
    const vpc = find('aws:ec2/vpc:Vpc', inRegion)[0];
    const zones = new Set(
      find('aws:ec2/subnet:Subnet', inRegion).map((s) => s.inputs.availabilityZoneId ?? s.inputs.availabilityZone),
    );
    vpcs[region] = add(vpc, 'VPC', `${vpc.inputs.cidrBlock}, ${plural(zones.size, 'AZ')}`);

    const health = find('aws:lb/targetGroup:TargetGroup', inRegion).find((t) => t.inputs.healthCheck)?.inputs
      .healthCheck;
    const ports = find('aws:lb/listener:Listener', inRegion).map((l) => l.inputs.port);
    const alb = (albs[region] = add(
      find('aws:lb/loadBalancer:LoadBalancer', inRegion)[0],
      'ALB',
      `:${ports.join(', :')}; ${health?.path} every ${health?.interval} s`,
    ));
    const asg = find('aws:autoscaling/group:Group', inRegion)[0];
    const ec2 = add(asg, 'EC2 Auto Scaling', `order API, ${asg?.inputs.minSize}-${asg?.inputs.maxSize} instances`);
    const rule = find('aws:lb/listenerRule:ListenerRule', inRegion)[0];
    const lambdaPaths: string[] = rule?.inputs.conditions?.[0]?.pathPattern?.values ?? [];
    const trading = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-trading'))[0],
      'Trading Lambda',
      'order API',
    );
    const cluster = find('aws:rds/cluster:Cluster', inRegion)[0];
    const instances = find('aws:rds/clusterInstance:ClusterInstance', inRegion).length;
    const role = cluster?.inputs.masterUsername ? 'writer' : 'read-only until promoted';
    clusters[region] = add(cluster, 'Aurora cluster', `${role}, ${plural(instances, 'instance')}`);
    const applier = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-book-apply'))[0],
      'Book applier',
      'order book stream to Aurora',
    );
    const rotation = add(
      find('aws:lambda/function:Function', (r) => inRegion(r) && r.name.startsWith('fn-rotation'))[0],
      'Rotation Lambda',
      rotations.some(inRegion) ? rotationText : 'standby',
    );
    edge(alb, ec2, 'traffic', 'default');
    edge(alb, trading, 'traffic', lambdaPaths.join(' '));
    edge(ec2, clusters[region], 'data', 'SQL/TLS');
    edge(trading, clusters[region], 'data', 'SQL/TLS');
    edge(trading, applier, 'data', 'order book');
    edge(applier, clusters[region], 'data', 'apply');
    edge(rotation, secret, 'data', rotations.some(inRegion) ? 'rotates' : '');
    edge(globalCluster, clusters[region], 'replication', 'member');
    const endpointGroup = find(
      'aws:globalaccelerator/endpointGroup:EndpointGroup',
      (r) => r.inputs.endpointGroupRegion === region,
    )[0];
    edge(accelerator, alb, 'traffic', endpointGroup ? `dial ${endpointGroup.inputs.trafficDialPercentage}` : '');
    const failoverRecord = find(
      'aws:route53/record:Record',
      (r) => r.inputs.failoverRoutingPolicies?.length > 0 && String(r.inputs.records?.[0]).startsWith(`${alb}-`),
    )[0];
    edge(dns, alb, 'traffic', failoverRecord ? failoverRecord.inputs.failoverRoutingPolicies[0].type : '');
    const orchestratorFn = find(
      'aws:lambda/function:Function',
      (r) => inRegion(r) && r.inputs.environment?.variables?.PROBE_URL,
    )[0];
    const schedule = find('aws:cloudwatch/eventRule:EventRule', inRegion)[0]?.inputs.scheduleExpression;
    const orchestrator = add(orchestratorFn, 'Failover orchestrator', `canary ${schedule ?? 'off'} + R53 alarm`);
    if (orchestrator) {
      edge(orchestrator, globalCluster, 'failover', 'FailoverGlobalCluster');
      const probeUrl = String(orchestratorFn.inputs.environment.variables.PROBE_URL);
      const probed = find('aws:lb/loadBalancer:LoadBalancer', (r) => probeUrl.includes(`//${r.inputs.name}-`))[0];
      edge(orchestrator, probed?.name, 'failover', `probe ${new URL(probeUrl).pathname}`);
    }
  }
  const [primaryRegion, secondaryRegion] = regions;
  edge(clusters[primaryRegion], clusters[secondaryRegion], 'replication', 'storage replication');
  if (find('aws:ec2/vpcPeeringConnection:VpcPeeringConnection').length)
    edge(vpcs[primaryRegion], vpcs[secondaryRegion], 'peering', 'VPC peering');
  return { groups: [GLOBAL, ...regions], nodes, edges };
}

/** One colour (and line style) per edge kind. */
export const EDGE_STYLE: Record<EdgeKind, { color: string; dash?: string; legend: string }> = {
  traffic: { color: '#0969da', legend: 'client traffic' },
  data: { color: '#1a7f37', legend: 'data access' },
  replication: { color: '#8250df', dash: '6 4', legend: 'database replication' },
  peering: { color: '#bc4c00', dash: '2 3', legend: 'VPC peering' },
  failover: { color: '#cf222e', legend: 'failover control' },
};

const LABEL_FONT = 10;
const CHAR_W = 6.1;
const NODE_H = 46;

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface DiagramLayout {
  readonly width: number;
  readonly height: number;
  readonly groups: (Box & { id: string })[];
  readonly nodes: (Box & DiagramNode)[];
  readonly edges: (DiagramEdge & { points: { x: number; y: number }[]; labelBox?: Box })[];
}

function nodeWidth(n: DiagramNode): number {
  return Math.ceil(Math.max(n.label.length * 7.4, n.detail.length * CHAR_W) + 24);
}

/** ELK layout: layered, top-down, groups as compound nodes, orthogonal edges, labels placed by ELK. */
export async function layoutDiagram(graph: ArchitectureGraph): Promise<DiagramLayout> {
  const elk = new ELK();
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.spacing.nodeNode': '40',
      'elk.spacing.edgeNode': '18',
      'elk.spacing.edgeEdge': '12',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.layered.spacing.edgeNodeBetweenLayers': '20',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '12',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.edgeLabels.sideSelection': 'SMART_DOWN',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.padding': '[top=56,left=20,bottom=20,right=20]',
    },
    children: graph.groups.map((group) => ({
      id: `group:${group}`,
      layoutOptions: { 'elk.padding': '[top=40,left=18,bottom=18,right=18]' },
      children: graph.nodes
        .filter((n) => n.group === group)
        .map((n) => ({ id: n.id, width: nodeWidth(n), height: NODE_H })),
    })),
    edges: graph.edges.map((e, i): ElkExtendedEdge => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: e.label
        ? [{ id: `e${i}:label`, text: e.label, width: e.label.length * CHAR_W + 6, height: LABEL_FONT + 4 }]
        : [],
    })),
  };
  const layout = await elk.layout(input);

  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const groups: DiagramLayout['groups'] = [];
  const nodes: DiagramLayout['nodes'] = [];
  for (const group of layout.children ?? []) {
    groups.push({
      id: group.id.slice('group:'.length),
      x: group.x ?? 0,
      y: group.y ?? 0,
      w: group.width ?? 0,
      h: group.height ?? 0,
    });
    for (const child of group.children ?? [])
      nodes.push({
        ...byId.get(child.id)!,
        x: child.x ?? 0,
        y: child.y ?? 0,
        w: child.width ?? 0,
        h: child.height ?? 0,
      });
  }
  const laidEdges = new Map<string, ElkExtendedEdge>();
  const collect = (n: ElkNode) => {
    for (const e of n.edges ?? []) laidEdges.set(e.id, e);
    for (const c of n.children ?? []) collect(c);
  };
  collect(layout);
  const edges = graph.edges.map((e, i) => {
    const laid = laidEdges.get(`e${i}`)!;
    const points = (laid.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const label = laid.labels?.[0];
    return {
      ...e,
      points,
      labelBox: label ? { x: label.x ?? 0, y: label.y ?? 0, w: label.width ?? 0, h: label.height ?? 0 } : undefined,
    };
  });
  return { width: Math.ceil(layout.width ?? 800), height: Math.ceil(layout.height ?? 600), groups, nodes, edges };
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export async function renderSvg(graph: ArchitectureGraph, title: string): Promise<string> {
  const layout = await layoutDiagram(graph);
  const kinds = Object.keys(EDGE_STYLE) as EdgeKind[];
  const parts: string[] = [];
  for (const g of layout.groups) {
    parts.push(`<rect x="${g.x}" y="${g.y}" width="${g.w}" height="${g.h}" rx="10" fill="#f6f8fa" stroke="#d0d7de"/>`);
    parts.push(
      `<text x="${g.x + 14}" y="${g.y + 25}" font-size="15" font-weight="bold" fill="#24292f">${escape(g.id)}</text>`,
    );
  }
  for (const n of layout.nodes) {
    parts.push(`<rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="6" fill="#ffffff" stroke="#57606a"/>`);
    parts.push(
      `<text x="${n.x + n.w / 2}" y="${n.y + 19}" font-size="12" font-weight="bold" text-anchor="middle" fill="#24292f">${escape(n.label)}</text>`,
    );
    parts.push(
      `<text x="${n.x + n.w / 2}" y="${n.y + 35}" font-size="${LABEL_FONT}" text-anchor="middle" fill="#57606a">${escape(n.detail)}</text>`,
    );
  }
  // Edges after boxes so an arrowhead is never hidden; labels last, on a white backing.
  for (const e of layout.edges) {
    const style = EDGE_STYLE[e.kind];
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${style.color}" stroke-width="1.6"${style.dash ? ` stroke-dasharray="${style.dash}"` : ''} marker-end="url(#arrow-${e.kind})"/>`,
    );
  }
  for (const e of layout.edges) {
    if (!e.labelBox) continue;
    const b = e.labelBox;
    parts.push(
      `<rect x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w.toFixed(1)}" height="${b.h}" fill="#ffffff" opacity="0.9"/>`,
    );
    parts.push(
      `<text x="${(b.x + b.w / 2).toFixed(1)}" y="${(b.y + b.h - 4).toFixed(1)}" font-size="${LABEL_FONT}" text-anchor="middle" fill="${EDGE_STYLE[e.kind].color}">${escape(e.label)}</text>`,
    );
  }
  const legendY = layout.height + 14;
  const legend = kinds.map((kind, i) => {
    const x = 20 + i * 175;
    const s = EDGE_STYLE[kind];
    return `<line x1="${x}" y1="${legendY}" x2="${x + 34}" y2="${legendY}" stroke="${s.color}" stroke-width="2.2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${x + 40}" y="${legendY + 4}" font-size="11" fill="#24292f">${s.legend}</text>`;
  });
  const markers = kinds
    .map(
      (kind) =>
        `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE_STYLE[kind].color}"/></marker>`,
    )
    .join('');
  const width = Math.max(layout.width, 20 + kinds.length * 175);
  const height = legendY + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<defs>${markers}</defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="30" font-size="17" font-weight="bold" fill="#24292f">${escape(title)}</text>`,
    ...parts,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
