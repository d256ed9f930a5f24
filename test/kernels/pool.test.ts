// Pooling kernels (max with argmax indices, average with and without count_include_pad,
// adaptive average) forward and backward against the float64 torch-semantics reference;
// shape errors; and the reference's gradients against central finite differences.
import { describe, expect, it } from 'vitest';
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  pool2dDims,
  type AdaptivePool2dShape,
  type Pool2dShape,
} from '../../src/kernels/pool';
import { centralDifference, expectClose, type Tolerance } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import * as ref from '../reference/pool';

// Max pooling moves values: exact, indices included (toEqual also matches NaN with NaN).
// Max backward sums the N(0, 1) dy of ≤ 2·2 overlapping windows: a few f32 roundings.
const MAX_DX_TOL: Tolerance = { atol: 2e-6, rtol: 1e-6 };
// Averages of ≤ 63 values in [-1, 1) and sums of ≤ 9 gradient shares rounded in f32:
// (terms + 1)·2⁻²⁴ relative to the terms' size is ≤ 4e-6; 1e-6 + 1e-6·|y| is ample.
const AVG_TOL: Tolerance = { atol: 1e-6, rtol: 1e-6 };
// Float64 finite differences: max and averages are piecewise linear, so only rounding remains
// (random inputs keep every window's maximum apart from the rest by more than h).
const FD_TOL = 1e-6;

const size = (s: { batch: number; channels: number; height: number; width: number }) => s.batch * s.channels * s.height * s.width;
const asU32 = (values: Float32Array) => Array.from(new Uint32Array(values.buffer));

/** Geometry of an adaptive pooling, in the reference's terms. */
function adaptiveGeometry(s: AdaptivePool2dShape): ref.PoolGeometry {
  const [oh, ow] = typeof s.output === 'number' ? [s.output, s.output] : s.output;
  return { nc: s.batch * s.channels, h: s.height, w: s.width, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, oh, ow };
}

// Overlapping windows (kernel 3 > stride 2 along H; kernel 2 > stride 1 along W), padding
// in both dimensions, odd sizes; and torch's default stride = kernel on an odd size that
// leaves the last row and column out.
const OVERLAPPING: Pool2dShape = { batch: 2, channels: 3, height: 7, width: 9, kernel: [3, 2], stride: [2, 1], padding: 1 };
const DEFAULT_STRIDE: Pool2dShape = { batch: 1, channels: 2, height: 7, width: 7, kernel: 2 };

describe('max pooling', () => {
  async function expectMatches(shape: Pool2dShape, x: Float32Array, what: string) {
    const d = pool2dDims('maxPool2d', shape);
    const outputs = d.nc * d.oh * d.ow;
    const [y, indices] = await runProgram(maxPool2dForward(shape), [x, { zeros: outputs }, { zeros: outputs }]);
    const expected = ref.maxPool2d(d, x);
    expect(Array.from(y!), `${what}: y`).toEqual(Array.from(expected.y));
    expect(asU32(indices!), `${what}: indices`).toEqual(expected.indices);
    const dy = normal(outputs, 9);
    const [dx] = await runProgram(maxPool2dBackward(shape), [dy, indices!, { zeros: x.length }]);
    expectClose(dx!, ref.maxPool2dBackward(d, dy, expected.indices), MAX_DX_TOL, `${what}: dx`);
  }

  it('overlapping windows with padding: values, indices and routed gradient', async () => {
    await expectMatches(OVERLAPPING, uniform(size(OVERLAPPING), 1), 'overlapping');
  });

  it('ties go to the first maximum in window order, also where windows overlap', async () => {
    // Values from {0, 1, 2}: most windows hold a tie, and the first max differs between
    // overlapping windows, so one input can collect several gradients or none.
    const x = uniform(size(OVERLAPPING), 2, 0, 3).map(Math.floor);
    await expectMatches(OVERLAPPING, x, 'ties');
    // A constant plane: every window picks its first in-range position.
    await expectMatches(OVERLAPPING, new Float32Array(size(OVERLAPPING)).fill(-2), 'constant');
  });

  it('NaN wins over numbers, as in torch', async () => {
    const x = uniform(size(OVERLAPPING), 3);
    for (const i of [0, 10, 40, 200]) x[i] = NaN;
    await expectMatches(OVERLAPPING, x, 'NaN');
  });

  it('default stride = kernel on an odd size (the last row and column are left out)', async () => {
    const d = pool2dDims('maxPool2d', DEFAULT_STRIDE);
    expect(d).toMatchObject({ sh: 2, sw: 2, oh: 3, ow: 3 });
    await expectMatches(DEFAULT_STRIDE, uniform(size(DEFAULT_STRIDE), 4), 'default stride');
  });
});

describe('average pooling', () => {
  // Padded windows at every edge; stride 2 < kernel 3, so windows overlap in the backward pass.
  const shape: Pool2dShape = { batch: 2, channels: 2, height: 7, width: 8, kernel: 3, stride: 2, padding: 1 };

  it.each([true, false])('countIncludePad %s: forward and backward match the reference', async (countIncludePad) => {
    const s = { ...shape, countIncludePad };
    const d = pool2dDims('avgPool2d', s);
    const x = uniform(size(s), 5);
    const [y] = await runProgram(avgPool2dForward(s), [x, { zeros: d.nc * d.oh * d.ow }]);
    expectClose(y!, ref.avgPool2d(d, x, countIncludePad), AVG_TOL, `y (countIncludePad ${countIncludePad})`);
    const dy = normal(d.nc * d.oh * d.ow, 6);
    const [dx] = await runProgram(avgPool2dBackward(s), [dy, { zeros: x.length }]);
    expectClose(dx!, ref.avgPool2dBackward(d, dy, countIncludePad), AVG_TOL, `dx (countIncludePad ${countIncludePad})`);
    // The corner window covers 2×2 inputs of a 3×3 padded window: divisor 9 or 4.
    const corner = (x[0]! + x[1]! + x[8]! + x[9]!) / (countIncludePad ? 9 : 4);
    expect(y![0]).toBeCloseTo(corner, 6);
  });
});

describe('adaptive average pooling', () => {
  const CASES: [string, AdaptivePool2dShape][] = [
    ['divisible 8×6 → 4×3', { batch: 2, channels: 3, height: 8, width: 6, output: [4, 3] }],
    // 7 → 3: windows [0, 3), [2, 5), [4, 7) overlap; 5 → 7: more outputs than inputs.
    ['non-divisible 7×5 → 3×7', { batch: 1, channels: 2, height: 7, width: 5, output: [3, 7] }],
    ['global average 7×9 → 1', { batch: 2, channels: 3, height: 7, width: 9, output: 1 }],
  ];

  it.each(CASES)('%s: forward and backward match the reference', async (what, shape) => {
    const d = adaptiveGeometry(shape);
    const x = uniform(size(shape), 7);
    const [y] = await runProgram(adaptiveAvgPool2dForward(shape), [x, { zeros: d.nc * d.oh * d.ow }]);
    expectClose(y!, ref.adaptiveAvgPool2d(d, x), AVG_TOL, `${what}: y`);
    const dy = normal(d.nc * d.oh * d.ow, 8);
    const [dx] = await runProgram(adaptiveAvgPool2dBackward(shape), [dy, { zeros: x.length }]);
    expectClose(dx!, ref.adaptiveAvgPool2dBackward(d, dy), AVG_TOL, `${what}: dx`);
    if (d.oh === 1 && d.ow === 1) {
      const plane = d.h * d.w;
      const means = Array.from({ length: d.nc }, (_, p) => x.subarray(p * plane, (p + 1) * plane).reduce((a, v) => a + v, 0) / plane);
      expectClose(y!, means, AVG_TOL, 'global average = plane mean');
    }
  });
});

describe('pooling shapes', () => {
  const base: Pool2dShape = { batch: 1, channels: 2, height: 4, width: 5, kernel: 3 };

  it('rejects padding over half the kernel, a kernel larger than the padded input, bad sizes', () => {
    expect(() => maxPool2dForward({ ...base, padding: 2 })).toThrow(/maxPool2d: padding 2×2 must be at most half the kernel 3×3/);
    expect(() => avgPool2dBackward({ ...base, kernel: [5, 3] })).toThrow(/avgPool2d: kernel 5×3 is larger than the padded input 4×5/);
    expect(() => maxPool2dBackward({ ...base, stride: 0 })).toThrow(/strideH must be an integer ≥ 1, got 0/);
    expect(() => avgPool2dForward({ ...base, padding: -1 })).toThrow(/paddingH must be an integer ≥ 0/);
    expect(() => adaptiveAvgPool2dForward({ ...base, output: [2, 0] })).toThrow(/adaptiveAvgPool2d: outputW must be an integer ≥ 1/);
    expect(pool2dDims('avgPool2d', { ...base, kernel: [5, 3], padding: [1, 0] })).toMatchObject({ oh: 1, ow: 1 });
  });
});

describe('reference pooling gradients', () => {
  const shape: Pool2dShape = { batch: 1, channels: 2, height: 5, width: 4, kernel: [3, 2], stride: [2, 1], padding: 1 };
  const d = pool2dDims('maxPool2d', shape);
  const adaptive = adaptiveGeometry({ batch: 1, channels: 2, height: 5, width: 4, output: [3, 3] });

  /** Checks grad against central differences of Σ forward(x)⊙G at every x. */
  function expectFiniteDifferences(forward: (x: Float64Array) => Float64Array, grad: Float64Array, x: Float64Array, g: Float32Array, what: string) {
    const loss = (xs: Float64Array) => forward(xs).reduce((acc, v, i) => acc + v * g[i]!, 0);
    x.forEach((v, i) => {
      const fd = centralDifference((u) => loss(Float64Array.from(x, (xi, k) => (k === i ? u : xi))), v);
      expect(Math.abs(fd - grad[i]!), `${what} element ${i}`).toBeLessThan(FD_TOL);
    });
  }

  it('max, average (both divisors) and adaptive backward match central differences of Σ y⊙G', () => {
    const x = Float64Array.from(uniform(d.nc * d.h * d.w, 21));
    const g = uniform(d.nc * d.oh * d.ow, 22);
    const { indices } = ref.maxPool2d(d, x);
    expectFiniteDifferences((xs) => ref.maxPool2d(d, xs).y, ref.maxPool2dBackward(d, g, indices), x, g, 'max');
    for (const pad of [true, false]) {
      expectFiniteDifferences((xs) => ref.avgPool2d(d, xs, pad), ref.avgPool2dBackward(d, g, pad), x, g, `avg pad ${pad}`);
    }
    const ga = uniform(adaptive.nc * adaptive.oh * adaptive.ow, 23);
    expectFiniteDifferences((xs) => ref.adaptiveAvgPool2d(adaptive, xs), ref.adaptiveAvgPool2dBackward(adaptive, ga), x, ga, 'adaptive');
  });
});
