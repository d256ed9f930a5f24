// Convolution kernels (forward with bias and activation epilogue, input gradient, split
// weight gradient + reduce.sumRows) against the float64 reference on awkward shapes, on both
// kernel bodies (subgroup-broadcast and register-tiled); shape errors; and the reference's
// gradients against central finite differences.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import {
  conv2dDims,
  conv2dForward,
  conv2dInputGrad,
  conv2dWeightGrad,
  conv2dWeightGradSplits,
  type Conv2dShape,
} from '../../src/kernels/conv';
import { sumRows } from '../../src/kernels/reduce';
import { centralDifference, expectClose, type Tolerance } from '../helpers/compare';
import { runProgram, testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { conv2dGradients, conv2dReference, type ConvGeometry } from '../reference/conv';

// f32 tolerance of a k-term sum of products of values in [-1, 1): rounding errors add up like
// a random walk (as in test/kernels/matmul.test.ts, where 1e-6·√k is 3× the worst measured).
const sumTol = (k: number): Tolerance => ({ atol: 1e-6 * Math.sqrt(k), rtol: 1e-6 });
// Float64 finite differences of a function linear in each input: only rounding remains.
const FD_TOL = 1e-6;
// Every (shape, settings) pair is its own pipeline (seconds to compile on SwiftShader).
const SLOW = 240_000;

const lanes = (await testRuntime()).subgroupSize;

// One case per code path. `bias`/`activation` vary across cases so that the forward
// epilogue is covered without extra pipelines.
const CASES: [string, Conv2dShape][] = [
  // 13×14 at batch 3: 546 reduction terms, so the default weight gradient takes 2 splits.
  ['3×3 pad 1, odd sizes, bias + relu', { batch: 3, inChannels: 3, outChannels: 5, height: 13, width: 14, kernel: 3, padding: 1, bias: true, activation: 'relu' }],
  ['batch 1, stride 2 pad 1, bias', { batch: 1, inChannels: 2, outChannels: 3, height: 9, width: 7, kernel: 3, stride: 2, padding: 1, bias: true }],
  ['dilation 2, groups 2, [3, 2] kernel', { batch: 2, inChannels: 4, outChannels: 6, height: 8, width: 9, kernel: [3, 2], dilation: 2, padding: [2, 1], groups: 2 }],
  ['depthwise (groups = in), multiplier 2, bias', { batch: 3, inChannels: 4, outChannels: 8, height: 6, width: 5, kernel: 3, padding: 1, groups: 4, bias: true }],
  // 27 in, 30 out: more rows than one subgroup workgroup's 4·min(6, lanes).
  ['1×1, wide channels, bias', { batch: 2, inChannels: 27, outChannels: 30, height: 5, width: 3, kernel: 1, bias: true }],
  ['kernel = input (1×1 output)', { batch: 2, inChannels: 3, outChannels: 4, height: 5, width: 4, kernel: [5, 4] }],
];

const relu = (v: number) => Math.max(0, v);

function data(d: ConvGeometry, seed: number) {
  return {
    x: uniform(d.n * d.cin * d.h * d.w, seed),
    w: uniform(d.cout * (d.cin / d.groups) * d.kh * d.kw, seed + 1),
    b: uniform(d.cout, seed + 2),
    dy: uniform(d.n * d.cout * d.oh * d.ow, seed + 3),
  };
}

/** dW by the weight-gradient kernel (with `splits` from the shape) and sumRows when it split. */
async function weightGrad(shape: Conv2dShape, x: Float32Array, dy: Float32Array, size: number) {
  const { splits } = conv2dWeightGradSplits(shape);
  const [partials] = await runProgram(conv2dWeightGrad(shape), [x, dy, { zeros: splits * size }]);
  if (splits === 1) return { splits, dw: partials! };
  const [dw] = await runProgram(sumRows(splits, size), [partials!, { zeros: size }]);
  return { splits, dw: dw! };
}

/** Forward (with the shape's bias and activation), dx and dW against the reference. */
async function expectMatchesReference(shape: Conv2dShape, seed: number, what: string) {
  const d = conv2dDims(shape);
  const { x, w, b, dy } = data(d, seed);
  const forward = conv2dForward(shape);
  expect(forward.label.includes('.subgroup.'), `${what}: kernel body`).toBe(shape.subgroupSize !== undefined);
  const [y] = await runProgram(forward, [x, w, ...(shape.bias ? [b] : []), { zeros: dy.length }]);
  let expected = conv2dReference(d, x, w, shape.bias ? b : undefined);
  if (shape.activation === 'relu') expected = expected.map(relu);
  const k = (d.cin / d.groups) * d.kh * d.kw;
  expectClose(y!, expected, sumTol(k + 1), `${what}: y`);

  const ref = conv2dGradients(d, x, w, dy);
  const [dx] = await runProgram(conv2dInputGrad(shape), [dy, w, { zeros: x.length }]);
  expectClose(dx!, ref.dx, sumTol((d.cout / d.groups) * d.kh * d.kw), `${what}: dx`);
  const { splits, dw } = await weightGrad(shape, x, dy, w.length);
  expectClose(dw, ref.dw, sumTol(d.n * d.oh * d.ow), `${what}: dw (${splits} splits)`);
  return splits;
}

// Skipped only on a device without fixed-size subgroups (none here: lavapipe 8, SwiftShader 4);
// the register-tiled body below is then the one the executor uses.
describe.skipIf(lanes === undefined)('conv2d kernels, subgroup body', () => {
  it.each(CASES)('%s: forward, input and weight gradients match the reference', async (name, shape) => {
    const splits = await expectMatchesReference({ ...shape, subgroupSize: lanes }, 1, name);
    expect(splits).toBe(name.startsWith('3×3 pad 1') ? 2 : 1);
  }, SLOW);

  it('weight gradient with splits passed explicitly: 1 (dW directly) and 3 (short last split)', async () => {
    const shape = { ...CASES[0]![1], subgroupSize: lanes };
    const d = conv2dDims(shape);
    const { x, w, dy } = data(d, 5);
    const ref = conv2dGradients(d, x, w, dy);
    // 546 terms: 3 splits of 184, 184 and 178 terms (terms per split rounds up to a multiple of 4).
    expect(conv2dWeightGradSplits({ ...shape, splits: 3 })).toEqual({ splits: 3, terms: 184 });
    for (const splits of [1, 3]) {
      const got = await weightGrad({ ...shape, splits }, x, dy, w.length);
      expect(got.splits).toBe(splits);
      expectClose(got.dw, ref.dw, sumTol(d.n * d.oh * d.ow), `dw with splits ${splits}`);
    }
  }, SLOW);
});

describe('conv2d kernels, register-tiled body', () => {
  // Stride, padding, dilation and groups at once; 10×9 = 90 output columns span two 64-column
  // workgroups of the default 8×8 tile; the weight gradient is split 3 ways explicitly.
  const shape: Conv2dShape = {
    batch: 2, inChannels: 4, outChannels: 6, height: 19, width: 17, kernel: 3, stride: 2, padding: 2, dilation: 2, groups: 2,
    bias: true, activation: 'relu', splits: 3,
  };

  it('stride 2, padding 2, dilation 2, groups 2, bias + relu, 3 weight-gradient splits', async () => {
    expect(conv2dDims(shape)).toMatchObject({ oh: 10, ow: 9 });
    expect(await expectMatchesReference(shape, 7, 'tiled')).toBe(3);
  }, SLOW);
});

describe('conv2d shapes', () => {
  const base: Conv2dShape = { batch: 1, inChannels: 4, outChannels: 6, height: 4, width: 4, kernel: 3 };

  it('rejects a kernel larger than the padded input, in every pass', () => {
    const tooBig = { ...base, kernel: 6, padding: 0 };
    for (const make of [conv2dForward, conv2dInputGrad, conv2dWeightGrad]) {
      expect(() => make(tooBig)).toThrow(ConfigError);
    }
    expect(() => conv2dForward(tooBig)).toThrow(/kernel 6×6 \(dilation 1×1\) is larger than the padded input 4×4/);
    // 3 taps at dilation 2 span 5 rows: larger than 4 unless padded.
    expect(() => conv2dForward({ ...base, dilation: 2 })).toThrow(/kernel 3×3 \(dilation 2×2\) is larger than the padded input 4×4/);
    expect(conv2dDims({ ...base, dilation: 2, padding: 1 })).toMatchObject({ oh: 2, ow: 2 });
    expect(conv2dDims({ ...base, kernel: 6, padding: 1 })).toMatchObject({ oh: 1, ow: 1 });
  });

  it('rejects channels not divisible by groups, bad sizes and bad splits', () => {
    expect(() => conv2dForward({ ...base, groups: 3 })).toThrow(new ConfigError('conv2d: in (4) and out (6) channels must both be divisible by groups (3)'));
    expect(() => conv2dInputGrad({ ...base, groups: 4 })).toThrow(/in \(4\) and out \(6\) channels must both be divisible by groups \(4\)/);
    expect(() => conv2dWeightGrad({ ...base, inChannels: 3, groups: 2 })).toThrow(ConfigError);
    expect(() => conv2dForward({ ...base, stride: 0 })).toThrow(/strideH must be a positive integer, got 0/);
    expect(() => conv2dForward({ ...base, padding: [0, -1] })).toThrow(/paddingW must be a non-negative integer, got -1/);
    expect(() => conv2dForward({ ...base, batch: 1.5 })).toThrow(/batch must be a positive integer/);
    expect(() => conv2dWeightGrad({ ...base, splits: 0 })).toThrow(/splits must be a positive integer, got 0/);
  });

  it('declares the bias binding only with bias, and splits no more than there are terms', () => {
    expect(conv2dForward(base).bindings).toEqual(['read', 'read', 'write']);
    expect(conv2dForward({ ...base, bias: true }).bindings).toEqual(['read', 'read', 'read', 'write']);
    // 4 output positions, at most one 4-term step per split: 8 requested splits become 1.
    expect(conv2dWeightGradSplits({ ...base, splits: 8 })).toEqual({ splits: 1, terms: 4 });
  });
});

describe('reference conv2d gradients', () => {
  // Stride, padding, dilation and groups all away from 1, on a small shape.
  const d = conv2dDims({
    batch: 2, inChannels: 4, outChannels: 2, height: 5, width: 6, kernel: [2, 3], stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2,
  });

  it('dx, dW and db match central differences of Σ y⊙G', () => {
    const { x, w, b, dy: g } = data(d, 11);
    const inputs = [Float64Array.from(x), Float64Array.from(w), Float64Array.from(b)] as const;
    const loss = (xs: Float64Array, ws: Float64Array, bs: Float64Array) =>
      conv2dReference(d, xs, ws, bs).reduce((acc, v, i) => acc + v * g[i]!, 0);
    const { dx, dw, db } = conv2dGradients(d, x, w, g);
    [dx, dw, db].forEach((grad, which) => {
      inputs[which]!.forEach((v, i) => {
        const fd = centralDifference((u) => {
          const args = inputs.map((a) => a.slice()) as [Float64Array, Float64Array, Float64Array];
          args[which]![i] = u;
          return loss(...args);
        }, v);
        expect(Math.abs(fd - grad[i]!), `input ${which} element ${i}`).toBeLessThan(FD_TOL);
      });
    });
  });
});
