import * as fc from 'fast-check';
import {
  cidrContains,
  cidrsOverlap,
  coversEveryAddress,
  formatCidr,
  maxVpcPrefixFor,
  parseCidr,
  planSubnets,
} from '../lib/model/cidr';

describe('CIDR planner', () => {
  it('splits a /16 into 3 public and 3 private /19s in order', () => {
    expect(planSubnets('10.0.0.0/16', 3)).toEqual({
      public: ['10.0.0.0/19', '10.0.32.0/19', '10.0.64.0/19'],
      private: ['10.0.96.0/19', '10.0.128.0/19', '10.0.160.0/19'],
    });
  });

  it('rejects VPCs too small for AWS subnets', () => {
    expect(maxVpcPrefixFor(3)).toBe(25);
    expect(planSubnets('10.0.0.0/25', 3).private[2]).toBe('10.0.0.80/28');
    expect(() => planSubnets('10.0.0.0/26', 3)).toThrow(/too small for 6 subnets/);
  });

  it('parses and formats round trip, and rejects malformed input', () => {
    expect(formatCidr(parseCidr('172.16.32.0/20'))).toBe('172.16.32.0/20');
    expect(() => parseCidr('10.0.0.0')).toThrow(/not an IPv4 CIDR/);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/above \/32/);
    expect(() => parseCidr('10.0.1.0/16')).toThrow(/network address is 10.0.0.0\/16/);
  });

  it('names what is wrong with a malformed CIDR', () => {
    expect(() => parseCidr('x10.0.0.0/16')).toThrow('"x10.0.0.0/16" is not an IPv4 CIDR such as 10.0.0.0/16');
    expect(() => parseCidr('10.0.0.0/16x')).toThrow('"10.0.0.0/16x" is not an IPv4 CIDR such as 10.0.0.0/16');
    expect(() => parseCidr('10.0.256.0/24')).toThrow('"10.0.256.0/24" has an octet above 255');
    expect(() => parseCidr('10.0.0.0/33')).toThrow('"10.0.0.0/33" has a prefix above /32');
    // Boundaries that are fine: surrounding spaces, the octet 255, a /32.
    expect(parseCidr(' 10.255.0.0/16 ')).toEqual({ base: 10 * 2 ** 24 + 255 * 2 ** 16, prefix: 16 });
    expect(formatCidr(parseCidr('10.0.0.7/32'))).toBe('10.0.0.7/32');
  });

  it('refuses an AZ count that is not a positive integer', () => {
    for (const az of [0, -1, 1.5])
      expect(() => planSubnets('10.0.0.0/16', az)).toThrow(`azCount must be a positive integer, got ${az}`);
    expect(planSubnets('10.0.0.0/16', 1)).toEqual({ public: ['10.0.0.0/17'], private: ['10.0.128.0/17'] });
  });

  it('adjacent blocks neither overlap nor contain each other; a block contains itself', () => {
    const [low, high] = [parseCidr('10.0.0.0/24'), parseCidr('10.0.1.0/24')];
    expect([cidrsOverlap(low, high), cidrsOverlap(high, low)]).toEqual([false, false]);
    expect([cidrContains(low, high), cidrContains(high, low)]).toEqual([false, false]);
    expect([cidrsOverlap(low, low), cidrContains(low, low)]).toEqual([true, true]);
    // A block that starts inside but is larger overlaps without being contained.
    const wide = parseCidr('10.0.0.0/23');
    expect([cidrsOverlap(high, wide), cidrContains(high, wide), cidrContains(wide, high)]).toEqual([true, false, true]);
  });

  it('overlap and containment', () => {
    expect(cidrsOverlap(parseCidr('10.0.0.0/16'), parseCidr('10.0.255.0/24'))).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16'))).toBe(false);
    expect(cidrContains(parseCidr('10.0.0.0/16'), parseCidr('10.0.4.0/22'))).toBe(true);
    expect(cidrContains(parseCidr('10.0.4.0/22'), parseCidr('10.0.0.0/16'))).toBe(false);
  });

  it('every plan is disjoint subnets inside the VPC (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 16, max: 25 }),
        fc.integer({ min: 1, max: 4 }),
        (addr, prefix, az) => {
          const size = 2 ** (32 - prefix);
          const vpc = formatCidr({ base: addr - (addr % size), prefix });
          if (prefix > maxVpcPrefixFor(az)) {
            expect(() => planSubnets(vpc, az)).toThrow();
            return;
          }
          const plan = planSubnets(vpc, az);
          const all = [...plan.public, ...plan.private].map(parseCidr);
          expect(all).toHaveLength(2 * az);
          all.forEach((s, i) => {
            expect(cidrContains(parseCidr(vpc), s)).toBe(true);
            all.slice(i + 1).forEach((t) => expect(cidrsOverlap(s, t)).toBe(false));
          });
        },
      ),
    );
  });
});

describe('coverage of the whole IPv4 space (issue 23: an ingress allowlist must not blind the canaries)', () => {
  const covers = (...cidrs: string[]) => coversEveryAddress(cidrs.map(parseCidr));
  it('0.0.0.0/0, or blocks that add up to it in any order, cover everything; a gap anywhere does not', () => {
    expect(covers('0.0.0.0/0')).toBe(true);
    expect(covers('128.0.0.0/1', '0.0.0.0/1')).toBe(true);
    expect(covers('0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/2')).toBe(true);
    expect(covers('0.0.0.0/1', '128.0.0.0/2')).toBe(false);
    expect(covers('10.0.0.0/8')).toBe(false);
    expect(covers()).toBe(false);
  });

  it('property: splitting 0.0.0.0/0 into its halves down to any depth still covers; dropping one piece does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.nat(), (depth, drop) => {
        const pieces = Array.from({ length: 2 ** depth }, (_, i) => ({ base: i * 2 ** (32 - depth), prefix: depth }));
        const without = pieces.filter((_, i) => i !== drop % pieces.length);
        return coversEveryAddress(pieces) && !coversEveryAddress(without);
      }),
    );
  });
});
