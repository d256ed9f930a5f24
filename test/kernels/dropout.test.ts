// Dropout kernels: the GPU mask equals the CPU Philox replica bit for bit, keeps 1 − p of
// the values, is recomputed identically by the backward pass and changes with the step.
import { describe, expect, it } from 'vitest';
import { dropoutBackward, dropoutForward, dropoutUniforms } from '../../src/kernels/dropout';
import { expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { dropout, dropoutMask, philox2x32 } from '../reference/dropout';

// y = x·scale is one correctly rounded f32 multiply on both sides: no tolerance needed.
const EXACT = { atol: 0, rtol: 0 };
const SEED = 0x5eed;

// Inputs away from 0 so that a zero output always means "dropped".
const inputs = (n: number, seed: number) => uniform(n, seed, 0.5, 2);

async function forward(x: Float32Array, p: number, seed: number, step: number, offset = 0) {
  const n = x.length;
  const program = dropoutForward(n, p, { offset });
  const [y] = await runProgram(program, [{ uniform: dropoutUniforms(seed, step) }, x, { zeros: n }]);
  return y!;
}

const maskOf = (y: Float32Array) => Uint8Array.from(y, (v) => (v !== 0 ? 1 : 0));

describe('reference Philox-2x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    expect(philox2x32(0, 0, 0)).toEqual([0xff1dae59, 0x6cd10df2]);
    expect(philox2x32(0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x2c3f628b, 0xab4fd7ad]);
    expect(philox2x32(0x243f6a88, 0x85a308d3, 0x13198a2e)).toEqual([0xdd7ce038, 0xf62a4c12]);
  });
});

describe('dropout kernels', () => {
  it.each([1, 7, 33, 129, 1000])('forward n=%i equals the reference mask and scale exactly', async (n) => {
    const p = 0.3;
    const x = inputs(n, n);
    const y = await forward(x, p, SEED, 3);
    expectClose(y, dropout(x, dropoutMask(n, p, SEED, 3), p), EXACT, `dropout forward n=${n}`);
  });

  it.each([0.1, 0.5, 0.9])('keeps 1 − p of 1e5 values within 4σ (p = %f)', async (p) => {
    const n = 100_000;
    const x = inputs(n, 7);
    const y = await forward(x, p, SEED, 11);
    const kept = maskOf(y).reduce((a, b) => a + b, 0);
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(kept - n * (1 - p))).toBeLessThan(4 * sigma);
    expect(Array.from(maskOf(y))).toEqual(Array.from(dropoutMask(n, p, SEED, 11)));
  });

  it('backward recomputes the forward mask from the same seed and step', async () => {
    const n = 1000;
    const p = 0.4;
    const x = inputs(n, 3);
    const dy = uniform(n, 4);
    const y = await forward(x, p, SEED, 5);
    const [dx] = await runProgram(dropoutBackward(n, p), [{ uniform: dropoutUniforms(SEED, 5) }, dy, { zeros: n }]);
    expectClose(dx!, dropout(dy, maskOf(y), p), EXACT, 'dropout backward');
  });

  it('draws different masks for different steps, seeds and offsets', async () => {
    const n = 10_000;
    const p = 0.5;
    const x = inputs(n, 9);
    const base = maskOf(await forward(x, p, SEED, 1));
    for (const other of [await forward(x, p, SEED, 2), await forward(x, p, SEED + 1, 1)]) {
      // Independent masks disagree on 2p(1 − p) = 50% of the elements (σ = 0.5%).
      const differ = maskOf(other).reduce((a, m, i) => a + (m !== base[i] ? 1 : 0), 0) / n;
      expect(Math.abs(differ - 0.5)).toBeLessThan(0.02);
    }
    // A tensor at offset k sees the counters k, k + 1, …: the same draws as index k on.
    const shifted = maskOf(await forward(x.subarray(100), p, SEED, 1, 100));
    expect(Array.from(shifted)).toEqual(Array.from(base.subarray(100)));
  });

  it('is the identity for p = 0 and zero for p = 1', async () => {
    const x = uniform(129, 1);
    expectClose(await forward(x, 0, SEED, 1), x, EXACT, 'p = 0');
    expectClose(await forward(x, 1, SEED, 1), new Float32Array(129), EXACT, 'p = 1');
    const [dx] = await runProgram(dropoutBackward(129, 1), [{ uniform: dropoutUniforms(SEED, 1) }, x, { zeros: 129 }]);
    expectClose(dx!, new Float32Array(129), EXACT, 'p = 1 backward');
  });

  it('rejects bad sizes, probabilities, counter ranges and uniforms', () => {
    expect(() => dropoutForward(0, 0.5)).toThrow(/dropout: size must be ≥ 1/);
    expect(() => dropoutForward(4, 1.5)).toThrow(/dropout: p must be in \[0, 1\]/);
    expect(() => dropoutBackward(4, NaN)).toThrow(/dropout: p must be/);
    expect(() => dropoutForward(8, 0.5, { offset: 2 ** 32 - 4 })).toThrow(/do not fit in u32/);
    expect(() => dropoutUniforms(-1, 0)).toThrow(/seed must be a u32/);
    expect(() => dropoutUniforms(0, 2 ** 32)).toThrow(/step must be a u32/);
  });
});
