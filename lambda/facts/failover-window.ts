/**
 * The gate's fast-path window (the region is gone): long enough for three transport failures from
 * each canary, short enough that moving the order book's writer fits the RTO target. Bounded: at
 * least MIN_FAST_WINDOW_SECONDS, below the recovery window. The configuration (lib/config) and the
 * orchestrator read one definition. Imports nothing.
 */
export const DEFAULT_FAST_WINDOW_SECONDS = 20;
export const MIN_FAST_WINDOW_SECONDS = 10;
export const MAX_FAST_WINDOW_SECONDS = 60;
