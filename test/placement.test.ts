import { chooseZones, zonesOffering } from '../lib/network/placement';

const zones = [
  { name: 'us-east-1a', id: 'use1-az3' },
  { name: 'us-east-1b', id: 'use1-az10' },
  { name: 'us-east-1c', id: 'use1-az1' },
  { name: 'us-east-1d', id: 'use1-az2' },
];
const everywhere = (what: string) => ({ what, zoneIds: zones.map((z) => z.id) });

describe('chooseZones', () => {
  it('takes the lowest zone IDs (numerically), whatever the account calls them', () => {
    expect(chooseZones('us-east-1', zones, [everywhere('m6i.large')], 3).map((z) => z.id)).toEqual([
      'use1-az1',
      'use1-az2',
      'use1-az3',
    ]);
  });

  it('skips a zone that lacks any requirement', () => {
    const chosen = chooseZones(
      'us-east-1',
      zones,
      [everywhere('EC2'), { what: 'Aurora', zoneIds: ['use1-az1', 'use1-az2', 'use1-az10'] }],
      3,
    );
    expect(chosen.map((z) => z.name)).toEqual(['us-east-1c', 'us-east-1d', 'us-east-1b']);
  });

  it('names what is missing where when too few zones qualify', () => {
    expect(() =>
      chooseZones('us-east-1', zones, [{ what: 'EC2 m7i.large', zoneIds: ['use1-az1', 'use1-az2'] }], 3),
    ).toThrow(
      'us-east-1: 2 of 4 availability zones offer everything the platform needs, azCount is 3 (EC2 m7i.large is not offered in use1-az3, use1-az10)',
    );
  });

  it('names every missing requirement, and only those that are missing somewhere', () => {
    expect(() =>
      chooseZones(
        'us-east-1',
        zones,
        [
          everywhere('EC2'),
          { what: 'Aurora', zoneIds: ['use1-az1', 'use1-az2', 'use1-az3'] },
          { what: 'KMS', zoneIds: ['use1-az1', 'use1-az3', 'use1-az10'] },
        ],
        3,
      ),
    ).toThrow(
      'us-east-1: 2 of 4 availability zones offer everything the platform needs, azCount is 3 (Aurora is not offered in use1-az10; KMS is not offered in use1-az2)',
    );
  });
});

describe('zonesOffering', () => {
  const chosen = zones.slice(0, 3);
  it('keeps the chosen zones (by position) where the service is listed', () => {
    expect(zonesOffering('kms endpoint', chosen, ['us-east-1a', 'us-east-1c', 'us-east-1x'])).toEqual([0, 2]);
  });
  it('refuses a service offered in fewer than two of them (one zone would take it down)', () => {
    expect(() => zonesOffering('kms endpoint', chosen, ['us-east-1a', 'us-east-1d'])).toThrow(
      'kms endpoint is offered in 1 of the chosen zones (use1-az3, use1-az10, use1-az1); it needs two to survive a zone',
    );
  });
});
