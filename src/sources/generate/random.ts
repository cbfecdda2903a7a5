/**
 * Seeded randomness for the sample-data generator. Each concern (population, lifecycle,
 * activity, support, bad rows of each kind) draws from its own stream, so changing one rate
 * does not reshuffle the rows of another kind, and the same seed gives the same bytes.
 */
export type Random = () => number;

/** mulberry32: tiny, fast, good enough for synthetic data; returns [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A bijective 32-bit mix (splitmix-style finaliser): distinct inputs give distinct outputs. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** An independent stream for one concern, derived from the user's seed and the concern's name. */
export function streamFor(seed: number, concern: string): Random {
  let h = mix32(seed >>> 0);
  for (let i = 0; i < concern.length; i += 1) h = mix32(h ^ concern.charCodeAt(i));
  return mulberry32(h);
}

/** Poisson count by Knuth's method: cost grows with lambda, which stays small (< ~30) here. */
export function poisson(rnd: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  const limit = Math.exp(-lambda);
  let n = 0;
  let p = rnd();
  while (p > limit) {
    n += 1;
    p *= rnd();
  }
  return n;
}

/** Rows until the next pick of a rate-r event (geometric gap, ≥ 1); Infinity when r is 0. */
export function gapFor(rnd: Random, rate: number): number {
  if (rate <= 0) return Infinity;
  if (rate >= 1) return 1;
  return 1 + Math.floor(Math.log(1 - rnd()) / Math.log(1 - rate));
}

/** Integer in [lo, hi]. */
export const between = (rnd: Random, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

/**
 * A weighted choice as a lookup table of indices: one multiply per draw on hot paths.
 * Weights are rounded to 1/resolution.
 */
export function weightedTable(weights: readonly number[], resolution = 1000): Uint16Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const table = new Uint16Array(resolution);
  let at = 0;
  let cumulative = 0;
  weights.forEach((w, index) => {
    cumulative += w;
    const end = index === weights.length - 1 ? resolution : Math.round((cumulative / total) * resolution);
    for (; at < end; at += 1) table[at] = index;
  });
  return table;
}

export const pickFrom = (rnd: Random, table: Uint16Array): number => table[Math.floor(rnd() * table.length)]!;
