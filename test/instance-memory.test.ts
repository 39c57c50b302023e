/** The memory table behind the config's instance-class check (lib/model/instance-memory.ts). */
import { instanceClassMemoryGib } from '../lib/model/instance-memory';

describe('DB instance class memory', () => {
  it('knows the memory of the memory-optimised families, twice as much per size for x2g', () => {
    expect(instanceClassMemoryGib('db.r6g.large')).toBe(16);
    expect(instanceClassMemoryGib('db.r7g.xlarge')).toBe(32);
    expect(instanceClassMemoryGib('db.r8g.24xlarge')).toBe(768);
    expect(instanceClassMemoryGib('db.x2g.large')).toBe(32);
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
  });
});
