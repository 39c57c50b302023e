/**
 * The Aurora engine and storage every cluster, member and instance here runs, as plain values:
 * the global database (lib/data) creates them and the network (lib/network) asks which zones
 * offer them, so they live below both.
 */

/** The Aurora engine of every cluster, member and instance here. */
export const AURORA_ENGINE = 'aurora-postgresql';
/**
 * Storage of the clusters: Aurora standard (`aurora`), the default when a cluster sets none;
 * I/O-Optimized is `aurora-iopt1` (CreateDBCluster StorageType,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html).
 */
export const AURORA_STORAGE_TYPE = 'aurora';
