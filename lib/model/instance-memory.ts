/**
 * Memory of the DB instance classes the configuration accepts (the memory-optimised families
 * that Aurora global databases need: lib/config/config-schema.ts refuses a class this table does
 * not know). Pure.
 */

/** Memory (GiB) of each size of the memory-optimised families config accepts (db.r5 ... db.r8g). */
const R_FAMILY_MEMORY_GIB: Record<string, number> = {
  large: 16,
  xlarge: 32,
  '2xlarge': 64,
  '4xlarge': 128,
  '8xlarge': 256,
  '12xlarge': 384,
  '16xlarge': 512,
  '24xlarge': 768,
};
/** db.x2g has twice the memory per size. */
const X2G_MEMORY_GIB: Record<string, number> = {
  large: 32,
  xlarge: 64,
  '2xlarge': 128,
  '4xlarge': 256,
  '8xlarge': 512,
  '12xlarge': 768,
  '16xlarge': 1024,
};

/** The memory of a DB instance class in GiB, or undefined for a class this table does not know. */
export function instanceClassMemoryGib(instanceClass: string): number | undefined {
  const match = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!match) return undefined;
  const [, family, size] = match;
  if (family === 'x2g') return X2G_MEMORY_GIB[size];
  if (/^r[5-8][a-z]?$/.test(family)) return R_FAMILY_MEMORY_GIB[size];
  return undefined;
}
