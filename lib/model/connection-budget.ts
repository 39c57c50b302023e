/**
 * Database connection arithmetic: how many connections one region's order-API processes can
 * open at most, against how many one Aurora PostgreSQL instance accepts. Pure, so config
 * validation and tests share it.
 *
 * Aurora PostgreSQL's default `max_connections` is LEAST({DBInstanceClassMemory/9531392}, 5000)
 * (AWS, "Maximum connections to an Aurora PostgreSQL DB instance"); AWS's worked example takes
 * the class memory in GB of 10^9 bytes (db.r4.large: 15.25 * 10^9 / 9531392 = 1600), which is
 * below the GiB figure and so on the safe side. AWS asks for at least 3 connections more than
 * the application needs, for its own automation.
 */

export const MAX_CONNECTIONS_DIVISOR = 9531392;
export const MAX_CONNECTIONS_CAP = 5000;
/** Connections AWS automation needs on top of the application's. */
export const AWS_AUTOMATION_CONNECTIONS = 3;
/**
 * Pools per order-API process: the writer endpoint's and the reader endpoint's. The reader
 * endpoint lands on the writer when no reader is available, so both count against one instance.
 */
export const POOLS_PER_PROCESS = 2;

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

/** Aurora PostgreSQL's default max_connections for an instance class (undefined if unknown). */
export function defaultMaxConnections(instanceClass: string): number | undefined {
  const gib = instanceClassMemoryGib(instanceClass);
  if (gib === undefined) return undefined;
  return Math.min(Math.floor((gib * 1e9) / MAX_CONNECTIONS_DIVISOR), MAX_CONNECTIONS_CAP);
}

export interface ConnectionDemand {
  /** Reserved concurrency of the trading Lambda: at most this many environments, one pool pair each. */
  readonly tradingConcurrency: number;
  /** Largest EC2 fleet (asgMaxSize): one service process per instance. */
  readonly fleetMaxInstances: number;
  /** `max` of each pg pool (DB_POOL_MAX). */
  readonly poolSize: number;
  /** Kept for everything else: rotation, failover and schema functions, operators. */
  readonly reservedConnections: number;
  /**
   * Regions whose processes write to the one writer instance: every region writes through the
   * global writer endpoint, so the writer carries the writer pools of both regions (each
   * region's reader pool stays local, and counts once).
   */
  readonly writingRegions: number;
}

export interface ConnectionBudget {
  readonly maxConnections: number;
  readonly processes: number;
  readonly perProcess: number;
  /** Worst case the order API opens on one instance. */
  readonly application: number;
  /** application + reserved + AWS automation. */
  readonly total: number;
  readonly fits: boolean;
}

/** Worst-case connections of one region's processes against one instance of `instanceClass`. */
export function connectionBudget(instanceClass: string, demand: ConnectionDemand): ConnectionBudget {
  const maxConnections = defaultMaxConnections(instanceClass);
  if (maxConnections === undefined) throw new Error(`no memory figure for DB instance class ${instanceClass}`);
  const processes = demand.tradingConcurrency + demand.fleetMaxInstances;
  const perProcess = POOLS_PER_PROCESS * demand.poolSize;
  // This region's writer and reader pools, plus the other writing regions' writer pools.
  const application = processes * perProcess + (demand.writingRegions - 1) * processes * demand.poolSize;
  const total = application + demand.reservedConnections + AWS_AUTOMATION_CONNECTIONS;
  return { maxConnections, processes, perProcess, application, total, fits: total <= maxConnections };
}
