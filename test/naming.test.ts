import { maxSuffixLength, NAME_RULES, NameKind, namer, regionCode, resourceName, tightestName } from '../lib/naming';
import { asgTags, REQUIRED_TAG_KEYS, requiredTags } from '../lib/tags';

const kinds = Object.keys(NAME_RULES) as NameKind[];

describe('resource names', () => {
  it('are {resource-type}-{environmentSuffix}, with region code and qualifier inside the type part', () => {
    expect(resourceName('vpc', 'dev', 'us-east-1')).toBe('vpc-use1-dev');
    expect(resourceName('subnetPrivate', 'dev', 'eu-west-1', 'b')).toBe('subnet-private-b-euw1-dev');
    expect(resourceName('accelerator', 'prod')).toBe('ga-prod');
    expect(resourceName('orderQueue', 'dev', 'eu-west-1')).toBe('sqs-orders-euw1-dev.fifo');
  });

  it('region codes are short and distinct', () => {
    expect(regionCode('us-east-1')).toBe('use1');
    expect(regionCode('eu-west-1')).toBe('euw1');
    expect(regionCode('us-west-2')).toBe('usw2');
    expect(() => regionCode('mars-1')).toThrow(/not an AWS region name/);
  });

  it.each(kinds)('%s fits its AWS limit with the longest allowed suffix and qualifier', (kind) => {
    const rule = NAME_RULES[kind];
    const suffix = 'x'.repeat(maxSuffixLength());
    const qualifier = rule.qualifierMax > 0 ? 'q'.repeat(rule.qualifierMax) : undefined;
    const name = resourceName(kind, suffix, 'eu-west-1', qualifier);
    expect(name.length).toBeLessThanOrEqual(rule.limit);
    expect(name.endsWith(suffix) || name.endsWith(`${suffix}.fifo`)).toBe(true);
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
