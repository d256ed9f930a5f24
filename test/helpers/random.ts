// Seeded random numbers for tests (mulberry32 + Box–Muller), so failures reproduce.
import { seededRandom } from '../../src/data/dataset';

/** A seeded generator of floats in [0, 1): the library's own mulberry32. */
export const rng = seededRandom;

/** n values uniform in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** n values from N(0, std²). */
export function normal(n: number, seed: number, std = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = Math.max(r(), 1e-12);
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  });
}
