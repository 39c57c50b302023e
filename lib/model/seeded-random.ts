/**
 * A seedable uniform PRNG: the RTO model's draws and the drill's phases repeat for a seed.
 *
 * `imul` is read once: Jest runs each test file in a vm context, where every lookup of a global
 * such as `Math` is a call into the context's interceptors (see rto-paths.ts).
 */
const { imul } = Math;

/** mulberry32: a small, fast, seedable PRNG (uniform on [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
