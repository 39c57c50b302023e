import { CONFIG_KEYS } from './config-schema';

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0][j] = j;
  for (let i = 1; i <= x.length; i++)
    for (let j = 1; j <= y.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[x.length][y.length];
}

/** The configuration key a misspelt one most likely meant, if any is close enough to be a typo. */
export function closestKey(name: string): string | undefined {
  const ranked = CONFIG_KEYS.map((key) => ({ key, distance: editDistance(name, key) })).sort(
    (a, b) => a.distance - b.distance,
  );
  const best = ranked[0];
  // A typo changes a few characters; allow roughly one edit per four characters, at least two.
  return best && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? best.key : undefined;
}
