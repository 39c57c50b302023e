/** What the scripts derive from the plan: the deploy critical path, the report, the architecture diagram. */
import { criticalPath, failoverTimeline, rtoInputsFromPlan } from '../scripts/analysis';
import { rtoBudget } from '../lib/model/rto';
import { architectureGraph, Box, EDGE_STYLE, layoutDiagram } from '../scripts/diagram';
import { RecordedResource } from '../scripts/offline';
import { groupByRegion, shortType, table } from '../scripts/report';
import { plan } from './helpers/plan';

const r = (urn: string, type: string, dependsOn: string[] = [], parent?: string, custom = true): RecordedResource => ({
  urn,
  type,
  name: urn,
  dependsOn,
  parent,
  custom,
  inputs: {},
  ignoreChanges: [],
  deleteBeforeReplace: false,
});

describe('deploy critical path', () => {
  it('follows the longest chain, expanding dependencies on components to their children', () => {
    const resources = [
      r('a', 'slow'),
      r('comp', 'tap:x:Comp', [], undefined, false),
      r('b', 'fast', [], 'comp'),
      r('c', 'slow', [], 'comp'),
      r('d', 'fast', ['comp']),
    ];
    const cp = criticalPath(resources, (t) => (t === 'slow' ? 100 : 1));
    expect(cp.totalSeconds).toBe(101);
    expect(cp.path.map((s) => s.name)).toEqual(['c', 'd']);
  });

  it('the real program: only the Aurora primary -> secondary chain is on the critical path', async () => {
    const run = await plan();
    const cp = criticalPath(run.resources);
    const onPath = cp.path.filter((s) => s.seconds > 0).map((s) => s.type);
    expect(onPath).toEqual([
      'aws:rds/globalCluster:GlobalCluster',
      'aws:rds/cluster:Cluster',
      'aws:rds/clusterInstance:ClusterInstance',
      'aws:rds/cluster:Cluster',
      'aws:rds/clusterInstance:ClusterInstance',
    ]);
    expect(cp.ratio).toBeGreaterThanOrEqual(1);
    expect(cp.ratio).toBeLessThan(1.05);
  });
});

describe('failover timeline', () => {
  it('alarms of the primary only, each no earlier than its signal plus period x datapoints', async () => {
    const run = await plan();
    const budget = rtoBudget(
      rtoInputsFromPlan(run.resources, {
        acceleratorReactionSeconds: 10,
        dbPromotionEstimateSeconds: 120,
        rtoTargetSeconds: 60,
      }),
    );
    const timeline = failoverTimeline(run.resources, budget, 'us-east-1');
    const alarms = timeline.filter((e) => e.event.startsWith('alarm '));
    expect(alarms.length).toBeGreaterThan(0);
    // The secondary's own ALB and Route 53 alarms stay quiet when the primary fails.
    expect(alarms.filter((e) => /-euw1-/.test(e.event) && !/failover/.test(e.event))).toEqual([]);
    const detection = Math.min(...budget.paths.map((p) => p.terms[0].seconds));
    for (const a of alarms) expect(a.seconds).toBeGreaterThanOrEqual(detection + 60);
    expect(timeline.map((e) => e.seconds)).toEqual([...timeline.map((e) => e.seconds)].sort((x, y) => x - y));
  });
});

describe('plan report formatting', () => {
  it('shortens types, aligns columns, groups by region', () => {
    expect(shortType('aws:ec2/vpc:Vpc')).toBe('aws:ec2:Vpc');
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toEqual(['  a    bb', '  ccc  d']);
    const resources = [
      { ...r('y', 'random:index/randomPassword:RandomPassword') },
      { ...r('w', 'aws:globalaccelerator/accelerator:Accelerator'), region: 'us-west-2' },
      { ...r('v', 'aws:ec2/vpc:Vpc'), region: 'eu-west-1' },
      { ...r('x', 'aws:ec2/vpc:Vpc'), region: 'us-east-1' },
    ];
    // Primary and secondary first (in that order), other regions by name, non-AWS last.
    expect([...groupByRegion(resources, ['us-east-1', 'eu-west-1']).keys()]).toEqual([
      'us-east-1',
      'eu-west-1',
      'us-west-2',
      'not in AWS',
    ]);
    expect(
      table(
        [
          ['1', 'x'],
          ['100', 'y'],
        ],
        '',
        [0],
      ),
    ).toEqual(['  1  x', '100  y']);
  });
});

const overlap = (a: Box, b: Box, margin = 0) =>
  a.x < b.x + b.w - margin && b.x < a.x + a.w - margin && a.y < b.y + b.h - margin && b.y < a.y + a.h - margin;

/** Whether the axis-parallel segment p-q passes through the inside of box b (its border excluded). */
function crosses(p: { x: number; y: number }, q: { x: number; y: number }, b: Box): boolean {
  const [x1, x2] = [Math.min(p.x, q.x), Math.max(p.x, q.x)];
  const [y1, y2] = [Math.min(p.y, q.y), Math.max(p.y, q.y)];
  return x1 < b.x + b.w - 1 && x2 > b.x + 1 && y1 < b.y + b.h - 1 && y2 > b.y + 1;
}

describe('architecture diagram', () => {
  it('labels are read off the plan: health path and interval, AZs, engine, rotation period, dials', async () => {
    const run = await plan();
    // The same plan with other values in the inputs the labels come from: nothing is typed in.
    const changed = structuredClone(run.resources).map((r) => {
      if (r.type === 'aws:lb/targetGroup:TargetGroup') r.inputs.healthCheck.interval = 10;
      if (r.type === 'aws:secretsmanager/secretRotation:SecretRotation')
        r.inputs.rotationRules.automaticallyAfterDays = 7;
      if (r.type === 'aws:globalaccelerator/endpointGroup:EndpointGroup') r.inputs.trafficDialPercentage = 100;
      if (r.type === 'aws:rds/globalCluster:GlobalCluster') r.inputs.engineVersion = '14.10';
      return r;
    });
    const zones = new Set(
      run.resources.filter((r) => r.type === 'aws:ec2/subnet:Subnet').map((r) => r.inputs.availabilityZoneId),
    );
    const withoutAzC = changed.filter(
      (r) => !(r.type === 'aws:ec2/subnet:Subnet' && /-az1$/.test(r.inputs.availabilityZoneId)),
    );
    expect(zones.size).toBe(6);
    const graph = architectureGraph(withoutAzC);
    const detail = (label: string) => graph.nodes.filter((n) => n.label === label).map((n) => n.detail);
    expect(detail('ALB')).toEqual([':80; /health every 10 s', ':80; /health every 10 s']);
    expect(detail('VPC')).toEqual(['10.0.0.0/16, 2 AZs', '10.1.0.0/16, 2 AZs']);
    expect(detail('Aurora global cluster')).toEqual(['aurora-postgresql 14.10']);
    expect(detail('Rotation Lambda').sort()).toEqual(['rotates every 7 days', 'standby']);
    expect(graph.edges.filter((e) => e.label.startsWith('dial')).map((e) => e.label)).toEqual(['dial 100', 'dial 100']);
    // And the real plan's values, for the record.
    expect(architectureGraph(run.resources).nodes.find((n) => n.label === 'ALB')!.detail).toBe(
      ':80; /health every 5 s',
    );
  });

  it('is laid out readably: orthogonal edges that go around boxes, no label on a box or another label', async () => {
    const run = await plan();
    const layout = await layoutDiagram(architectureGraph(run.resources));
    const problems: string[] = [];
    for (const e of layout.edges) {
      expect(e.points.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < e.points.length; i++) {
        const [p, q] = [e.points[i - 1], e.points[i]];
        if (Math.abs(p.x - q.x) > 0.5 && Math.abs(p.y - q.y) > 0.5) problems.push(`${e.from}->${e.to} has a diagonal`);
        for (const n of layout.nodes)
          if (n.id !== e.from && n.id !== e.to && crosses(p, q, n)) problems.push(`${e.from}->${e.to} crosses ${n.id}`);
      }
      if (e.label) expect(e.labelBox).toBeDefined();
      if (!e.labelBox) continue;
      for (const n of layout.nodes) if (overlap(e.labelBox, n)) problems.push(`label "${e.label}" covers ${n.id}`);
      for (const other of layout.edges)
        if (other !== e && other.labelBox && overlap(e.labelBox, other.labelBox))
          problems.push(`label "${e.label}" overlaps "${other.label}"`);
    }
    for (const a of layout.nodes)
      for (const b of layout.nodes) if (a !== b && overlap(a, b)) problems.push(`${a.id} overlaps ${b.id}`);
    expect(problems).toEqual([]);
  });

  it('every edge kind has its own colour', () => {
    const colours = Object.values(EDGE_STYLE).map((s) => s.color);
    expect(new Set(colours).size).toBe(colours.length);
  });
});
