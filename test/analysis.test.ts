import { criticalPath } from '../scripts/analysis';
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

describe('plan report formatting', () => {
  it('shortens types, aligns columns, groups by region', () => {
    expect(shortType('aws:ec2/vpc:Vpc')).toBe('aws:ec2:Vpc');
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toEqual(['  a    bb', '  ccc  d']);
    const groups = groupByRegion([
      { ...r('x', 'aws:ec2/vpc:Vpc'), region: 'us-east-1' },
      { ...r('y', 'random:index/randomPassword:RandomPassword') },
    ]);
    expect([...groups.keys()]).toEqual(['not in AWS', 'us-east-1']);
  });
});
