// A seeded source of random numbers, and the Gamma and Beta samplers adaptive allocation draws
// from. Reproducibility is the point: a reallocation computed in an activity is recomputed
// exactly from its recorded seed, and in workflow code the same functions can take Temporal's
// deterministic Math.random instead. No Node modules, so both sides can import it.

/** A function returning numbers uniformly distributed in [0, 1). */
export type RandomSource = () => number;

/** A 32-bit mixer (xorshift-multiply), to spread a seed over the generator's state. */
function mix32(x: number): number {
  let z = x | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  z ^= z >>> 15;
  return z >>> 0;
}

/** FNV-1a over the string's UTF-16 code units. */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i += 1) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * xoshiro128** (Blackman & Vigna, 2018; period 2^128 − 1) seeded from a string. Each result
 * takes 53 bits from two outputs, so every double in [0, 1) it can return is a multiple of 2^−53.
 */
export function seededRandom(seed: string): RandomSource {
  let counter = hashSeed(seed);
  const next32 = () => mix32((counter = (counter + 0x9e3779b9) | 0));
  let s0 = next32();
  let s1 = next32();
  let s2 = next32();
  let s3 = next32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const step = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  return () => ((step() >>> 5) * 67_108_864 + (step() >>> 6)) / 9_007_199_254_740_992;
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** A standard normal draw (Marsaglia's polar method; the second value is discarded to stay stateless). */
export function normalDraw(random: RandomSource): number {
  for (;;) {
    const u = 2 * random() - 1;
    const v = 2 * random() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** A Gamma(shape, 1) draw: Marsaglia & Tsang (2000) for shape ≥ 1, boosted by U^(1/shape) below 1. */
export function gammaDraw(shape: number, random: RandomSource): number {
  if (!(shape > 0)) throw new RangeError(`a Gamma draw needs shape > 0, got ${shape}`);
  if (shape < 1) return gammaDraw(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normalDraw(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function betaDraw(a: number, b: number, random: RandomSource): number {
  const x = gammaDraw(a, random);
  const y = gammaDraw(b, random);
  return x / (x + y);
}
