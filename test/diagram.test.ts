import { architectureGraph, Box, EDGE_STYLE, layoutDiagram } from '../scripts/diagram';
import { plan } from './helpers/plan';

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
      run.resources.filter((r) => r.type === 'aws:ec2/subnet:Subnet').map((r) => r.inputs.availabilityZone),
    );
    const withoutAzC = changed.filter(
      (r) => !(r.type === 'aws:ec2/subnet:Subnet' && /c$/.test(r.inputs.availabilityZone)),
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
