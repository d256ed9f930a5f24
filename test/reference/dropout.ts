// CPU replica of the dropout mask (Philox-2x32-10 in plain u32 arithmetic) and the
// float64 reference of inverted dropout, to check the GPU mask bit for bit.

const PHILOX_M = 0xd256d193;
const PHILOX_W = 0x9e3779b9;

/** High 32 bits of the 64-bit product of two u32 values, exact (16-bit halves). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Philox-2x32-10 (Salmon et al. 2011, as in Random123) of counter (c0, c1) under key k. */
export function philox2x32(c0: number, c1: number, key: number): [number, number] {
  let x = c0 >>> 0;
  let y = c1 >>> 0;
  let k = key >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi = mulhi(PHILOX_M, x);
    const lo = Math.imul(PHILOX_M, x) >>> 0;
    x = (hi ^ k ^ y) >>> 0;
    y = lo;
    k = (k + PHILOX_W) >>> 0;
  }
  return [x, y];
}

/** The uniform in [0, 1) drawn for element `index` at (seed, step): 24 bits of Philox. */
export function dropoutUniform(seed: number, step: number, index: number): number {
  return (philox2x32(index, step, seed)[0] >>> 8) / 2 ** 24;
}

/** Keep mask (1 kept when u ≥ p, else 0) of n elements starting at counter `offset`. */
export function dropoutMask(n: number, p: number, seed: number, step: number, offset = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (dropoutUniform(seed, step, offset + i) >= p ? 1 : 0));
}

/** Inverted dropout: y = x·mask/(1 − p), zeros when p = 1 (the f32 scale factor, as on the GPU). */
export function dropout(x: ArrayLike<number>, mask: Uint8Array, p: number): number[] {
  const scale = p < 1 ? Math.fround(1 / (1 - p)) : 0;
  return Array.from(x, (v, i) => (mask[i] ? Math.fround(v * scale) : 0));
}
