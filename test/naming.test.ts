import {
  maxSuffixLength,
  NAME_RULES,
  NameKind,
  namer,
  regionCode,
  resourceName,
  tightestName,
} from '../lib/config/naming';
import { asgTags, REQUIRED_TAG_KEYS, requiredTags } from '../lib/config/tags';

const kinds = Object.keys(NAME_RULES) as NameKind[];

describe('resource names', () => {
  it('are {resource-type}-{environmentSuffix}, with region code and qualifier inside the type part', () => {
    expect(resourceName('vpc', 'dev', 'us-east-1')).toBe('vpc-use1-dev');
    expect(resourceName('subnetPrivate', 'dev', 'eu-west-1', 'b')).toBe('subnet-private-b-euw1-dev');
    expect(resourceName('accelerator', 'prod')).toBe('ga-prod');
  });

  it('region codes are short and distinct', () => {
    expect(regionCode('us-east-1')).toBe('use1');
    expect(regionCode('eu-west-1')).toBe('euw1');
    expect(regionCode('us-west-2')).toBe('usw2');
    expect(regionCode('ap-southeast-2')).toBe('apse2');
    expect(regionCode('eu-central-1')).toBe('euc1');
    for (const bad of ['mars-1', 'xus-east-1', 'us-east-1x', 'us-east-'])
      expect(() => regionCode(bad)).toThrow(`not an AWS region name: "${bad}"`);
  });

  it('the suffix limit is the smallest headroom of any name, auto-naming and qualifiers included', () => {
    // Headroom: what is left of the limit once the fixed parts (and Pulumi's -<7 hex>) are in.
    const headroom = (kind: NameKind) => {
      const rule = NAME_RULES[kind];
      const qualifier = rule.qualifierMax > 0 ? 'q'.repeat(rule.qualifierMax) : undefined;
      const fixed = resourceName(kind, 'x', 'us-east-1', qualifier).length - 1 + (rule.autoNamed ? 8 : 0);
      return rule.limit - fixed;
    };
    const least = Math.min(...kinds.map(headroom));
    expect(maxSuffixLength()).toBe(least);
    // The first declared kind with that headroom names the limit in error messages.
    expect(tightestName()).toBe(kinds.find((k) => headroom(k) === least));
  });

  it.each(kinds)('%s fits its AWS limit with the longest allowed suffix and qualifier', (kind) => {
    const rule = NAME_RULES[kind];
    const suffix = 'x'.repeat(maxSuffixLength());
    const qualifier = rule.qualifierMax > 0 ? 'q'.repeat(rule.qualifierMax) : undefined;
    const name = resourceName(kind, suffix, 'eu-west-1', qualifier);
    expect(name.length + (rule.autoNamed ? 8 : 0)).toBeLessThanOrEqual(rule.limit);
    expect(name.endsWith(suffix)).toBe(true);
    expect(name).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
  });

  it('the suffix limit is set by the tightest name, which is exactly full at that length', () => {
    const kind = tightestName();
    const name = resourceName(
      kind,
      'x'.repeat(maxSuffixLength()),
      'us-east-1',
      NAME_RULES[kind].qualifierMax ? 'q'.repeat(NAME_RULES[kind].qualifierMax) : undefined,
    );
    // Auto-named kinds get `-<7 hex>` from the provider on top.
    expect(name.length + (NAME_RULES[kind].autoNamed ? 8 : 0)).toBe(NAME_RULES[kind].limit);
    expect(() =>
      resourceName(
        kind,
        'x'.repeat(maxSuffixLength() + 1),
        'us-east-1',
        NAME_RULES[kind].qualifierMax ? 'q'.repeat(NAME_RULES[kind].qualifierMax) : undefined,
      ),
    ).toThrow(/AWS allows/);
  });

  it("counts the provider's -<7 hex> in the limit of auto-named kinds", () => {
    // tg-ec2-use1-<suffix> is 12 + suffix characters; the provider adds 8 more.
    expect(resourceName('targetGroupInstances', 'x'.repeat(12), 'us-east-1')).toHaveLength(24);
    expect(() => resourceName('targetGroupInstances', 'x'.repeat(13), 'us-east-1')).toThrow(
      `name "tg-ec2-use1-${'x'.repeat(13)}" is 33 characters once named; AWS allows 32 for targetGroupInstances`,
    );
  });

  it('refuses undeclared qualifiers and per-region names without a region', () => {
    expect(() => resourceName('vpc', 'dev', 'us-east-1', 'extra')).toThrow(/longer than the 0 characters/);
    expect(() => resourceName('alb', 'dev')).toThrow(/per region/);
    expect(namer('dev', 'eu-west-1')('accelerator')).toBe('ga-dev');
  });
});

describe('tags', () => {
  it('carry Environment, Region and CostCenter', () => {
    const tags = requiredTags('dev', 'cc-42', 'eu-west-1');
    expect(Object.keys(tags).sort()).toEqual([...REQUIRED_TAG_KEYS].sort());
    expect(tags).toEqual({ Environment: 'dev', Region: 'eu-west-1', CostCenter: 'cc-42' });
    expect(asgTags(tags)).toContainEqual({ key: 'Region', value: 'eu-west-1', propagateAtLaunch: true });
  });
});
