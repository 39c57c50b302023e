/**
 * IPv4 CIDR planning for the VPCs. Pure: the NetworkStack only turns these specs into subnets.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

export interface SubnetPlan {
  readonly public: readonly string[];
  readonly private: readonly string[];
}

/** AWS allows VPC and subnet prefixes from /16 to /28. */
export const MIN_VPC_PREFIX = 16;
export const MAX_SUBNET_PREFIX = 28;

export function parseCidr(text: string): Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not an IPv4 CIDR such as 10.0.0.0/16`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) throw new Error(`"${text}" has an octet above 255`);
  if (prefix > 32) throw new Error(`"${text}" has a prefix above /32`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % blockSize(prefix) !== 0) {
    throw new Error(
      `"${text}" has host bits set: the network address is ${formatCidr({ base: base - (base % blockSize(prefix)), prefix })}`,
    );
  }
  return { base, prefix };
}

function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function formatCidr(cidr: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return `${octets.join('.')}/${cidr.prefix}`;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + blockSize(a.prefix);
  const bEnd = b.base + blockSize(b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix)
  );
}

/** How many prefix bits splitting a VPC into `count` equal blocks takes. */
function splitBits(count: number): number {
  return Math.ceil(Math.log2(count));
}

/** The largest VPC prefix that still fits `2 * azCount` subnets of the smallest AWS size. */
export function maxVpcPrefixFor(azCount: number): number {
  return MAX_SUBNET_PREFIX - splitBits(2 * azCount);
}

/**
 * Split the VPC into equal blocks, a power of two of them: public subnets take the first
 * `azCount`, private subnets the next `azCount`; any blocks left stay free for later tiers.
 * Equal sizes keep the layout predictable for operators reading route tables.
 */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  if (!Number.isInteger(azCount) || azCount < 1) throw new Error(`azCount must be a positive integer, got ${azCount}`);
  const vpc = parseCidr(vpcCidr);
  const prefix = vpc.prefix + splitBits(2 * azCount);
  if (prefix > MAX_SUBNET_PREFIX) {
    throw new Error(
      `${vpcCidr} is too small for ${2 * azCount} subnets: each would be /${prefix}, AWS's smallest subnet is /${MAX_SUBNET_PREFIX}`,
    );
  }
  const block = (index: number): string => formatCidr({ base: vpc.base + index * blockSize(prefix), prefix });
  const indexes = Array.from({ length: azCount }, (_, i) => i);
  return {
    public: indexes.map((i) => block(i)),
    private: indexes.map((i) => block(azCount + i)),
  };
}

/** Whether the blocks together cover every IPv4 address (0.0.0.0/0, or pieces that add up to it). */
export function coversEveryAddress(cidrs: readonly Cidr[]): boolean {
  const blocks = [...cidrs].sort((a, b) => a.base - b.base);
  let next = 0;
  for (const c of blocks) {
    if (c.base > next) return false;
    next = Math.max(next, c.base + blockSize(c.prefix));
  }
  return next >= 2 ** 32;
}
