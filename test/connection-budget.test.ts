import fc from 'fast-check';
import {
  AWS_AUTOMATION_CONNECTIONS,
  connectionBudget,
  defaultMaxConnections,
  instanceClassMemoryGib,
  MAX_CONNECTIONS_CAP,
} from '../lib/model/connection-budget';

describe('Aurora PostgreSQL max_connections: LEAST(DBInstanceClassMemory/9531392, 5000)', () => {
  it("reproduces AWS's worked example scale: 16 GB classes accept 1678, and the 5000 cap applies from 64 GB", () => {
    expect(defaultMaxConnections('db.r6g.large')).toBe(Math.floor(16e9 / 9531392));
    expect(defaultMaxConnections('db.r6g.large')).toBe(1678);
    expect(defaultMaxConnections('db.r7g.xlarge')).toBe(3357);
    expect(defaultMaxConnections('db.r6g.2xlarge')).toBe(MAX_CONNECTIONS_CAP);
    expect(defaultMaxConnections('db.x2g.large')).toBe(3357);
  });

  it('knows no memory for classes outside the memory-optimised families', () => {
    expect(instanceClassMemoryGib('db.t4g.medium')).toBeUndefined();
    expect(instanceClassMemoryGib('db.r6g.medium')).toBeUndefined();
    // Only whole class names of the r5-r8 and x2g families: no prefixes, suffixes or look-alikes.
    for (const cls of [
      'xdb.r6g.large',
      'db.r6g.large2',
      'db.r6g.large-x',
      'db.r6g',
      'db.r4.large',
      'db.rr6g.large',
      'db.r6gd1.large',
    ])
      expect([cls, instanceClassMemoryGib(cls)]).toEqual([cls, undefined]);
    expect(() =>
      connectionBudget('db.t4g.medium', {
        tradingConcurrency: 1,
        fleetMaxInstances: 1,
        poolSize: 1,
        reservedConnections: 0,
        writingRegions: 1,
      }),
    ).toThrow(/no memory figure/);
  });

  it('counts two pools per process, every process, the reserve and AWS automation', () => {
    const b = connectionBudget('db.r6g.large', {
      tradingConcurrency: 100,
      fleetMaxInstances: 6,
      poolSize: 4,
      reservedConnections: 50,
      writingRegions: 1,
    });
    expect(b).toEqual({
      maxConnections: 1678,
      processes: 106,
      perProcess: 8,
      application: 848,
      total: 848 + 50 + AWS_AUTOMATION_CONNECTIONS,
      fits: true,
    });
  });

  it('a demand that uses every connection exactly still fits; one more does not', () => {
    // db.r6g.large: 1678 = 10 processes x 2 pools x 80 + 75 reserved + 3 for AWS.
    const demand = {
      tradingConcurrency: 9,
      fleetMaxInstances: 1,
      poolSize: 80,
      reservedConnections: 75,
      writingRegions: 1,
    };
    expect(connectionBudget('db.r6g.large', demand)).toMatchObject({ total: 1678, fits: true });
    expect(connectionBudget('db.r6g.large', { ...demand, reservedConnections: 76 })).toMatchObject({
      total: 1679,
      fits: false,
    });
  });

  it("with writes following the writer, the writer also carries the other region's writer pools", () => {
    const demand = {
      tradingConcurrency: 100,
      fleetMaxInstances: 6,
      poolSize: 4,
      reservedConnections: 50,
    };
    const one = connectionBudget('db.r6g.large', { ...demand, writingRegions: 1 });
    const both = connectionBudget('db.r6g.large', { ...demand, writingRegions: 2 });
    expect(both.application - one.application).toBe(106 * 4);
  });

  it('whenever it says the demand fits, every process at its pool maximum stays within max_connections', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('db.r5.large', 'db.r6g.large', 'db.r6i.xlarge', 'db.r8g.2xlarge', 'db.x2g.large'),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 5000 }),
        (cls, trading, fleet, pool, reserved) => {
          const b = connectionBudget(cls, {
            tradingConcurrency: trading,
            fleetMaxInstances: fleet,
            poolSize: pool,
            reservedConnections: reserved,
            writingRegions: 2,
          });
          // Both regions' writer pools on the writer, and this region's reader pool.
          const worstCase = (trading + fleet) * 3 * pool + reserved + AWS_AUTOMATION_CONNECTIONS;
          expect(b.fits).toBe(worstCase <= defaultMaxConnections(cls)!);
        },
      ),
    );
  });
});
