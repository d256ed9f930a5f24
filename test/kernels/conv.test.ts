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
import { gemmShapeClass, MATMUL_VARIANTS } from '../../src/kernels/matmul-choice';
import { sumRows } from '../../src/kernels/reduce';
import { alternativesOf, KernelChooser } from '../../src/gpu/kernel-choice';
import { PipelineCache } from '../../src/gpu/pipelines';
import { matmul } from '../../src/kernels/matmul';
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

describe('conv2d kernels, workgroup-tiled body', () => {
  // The register-tiled case's shape on the 64×64 block tile: every index map at once, partial
  // last 4-blocks of k (forward K = 18, input gradient K = 27, both under one 16-k stage) and
  // 3 weight-gradient splits. One case: each tiled pipeline takes seconds to compile here.
  const shape: Conv2dShape = {
    batch: 2, inChannels: 4, outChannels: 6, height: 19, width: 17, kernel: 3, stride: 2, padding: 2, dilation: 2, groups: 2,
    bias: true, activation: 'relu', splits: 3, variant: 'tiled',
  };

  it('stride 2, padding 2, dilation 2, groups 2, bias + relu, 3 weight-gradient splits', async () => {
    expect(conv2dForward(shape).label).toBe('conv2d.tiled.forward.bias.relu');
    expect(await expectMatchesReference(shape, 11, 'tiled')).toBe(3);
  }, SLOW);
});

describe('conv2d kernel variants', () => {
  const shape: Conv2dShape = { batch: 4, inChannels: 8, outChannels: 16, height: 10, width: 12, kernel: 3, padding: 1, bias: true };

  it('each pass offers every variant the device runs, per pass and shape class, with the same bindings', () => {
    const d = conv2dDims(shape);
    const [x, w, dy] = [4 * 8 * 10 * 12, 16 * 8 * 9, 4 * 16 * 10 * 12];
    const { splits } = conv2dWeightGradSplits(shape);
    const passes = [
      // [program, class (m n k batch), binding floats]
      [conv2dForward(shape), 'conv2d forward', [16, 120, 72, 4], [x, w, 16, 4 * 16 * 120]],
      [conv2dInputGrad(shape), 'conv2d inputGrad', [8, 120, 144, 4], [dy, w, x]],
      [conv2dWeightGrad(shape), 'conv2d weightGrad', [16, 72, Math.ceil(480 / splits / 4) * 4, splits], [x, dy, splits * w]],
    ] as const;
    expect(d).toMatchObject({ oh: 10, ow: 12 });
    for (const [program, what, [m, n, k, batch], floats] of passes) {
      const alternatives = alternativesOf(program)!;
      expect(alternatives.family).toBe('conv2d');
      expect(alternatives.shapeClass).toBe(gemmShapeClass(what, m, n, k, batch));
      expect(alternatives.shapeClass.startsWith(`${what} 2^`)).toBe(true);
      expect(alternatives.candidates).toEqual(MATMUL_VARIANTS.filter((v) => !v.needsSubgroups).map((v) => v.name));
      expect(alternatives.bindingFloats).toEqual(floats);
      const tiled = alternatives.make('tiled-128x128');
      expect(tiled.label).toContain('conv2d.tiled.');
      expect(tiled.bindings).toEqual(program.bindings);
      expect(alternativesOf(tiled)).toBeUndefined();
    }
    // The subgroup body is a candidate only with fixed-size subgroups; a chosen body offers nothing.
    expect(alternativesOf(conv2dForward({ ...shape, subgroupSize: 8 }))!.candidates).toContain('subgroup');
    expect(alternativesOf(conv2dForward({ ...shape, variant: 'register' }))).toBeUndefined();
    // The weight gradient's splits do not depend on the body: 18,432 terms, where the default
    // body's 3 workgroups ask for 43 splits and a 128×128 tiled body's 2 would ask for 64.
    const big: Conv2dShape = { batch: 128, inChannels: 16, outChannels: 64, height: 12, width: 12, kernel: 3, padding: 1 };
    expect(conv2dWeightGradSplits(big).splits).toBe(43);
    expect(conv2dWeightGradSplits({ ...big, variant: 'tiled', blockTile: { rows: 8, cols: 8, workgroup: [16, 16], depth: 8 } })).toEqual(conv2dWeightGradSplits(big));
  });

  it('the runtime chooses per pass and adapter: the table, or force.conv2d (matmuls keep their own choice)', async () => {
    const { device } = await testRuntime();
    const facts = (vendor: string, description: string) => ({ vendor, architecture: '', device: '', description });
    const chooser = (vendor: string, description: string, force?: Record<string, string>) =>
      new KernelChooser(device, facts(vendor, description), new PipelineCache(device), { trials: false, store: false, force });
    const lavapipe = chooser('mesa', 'llvmpipe (LLVM 19.1.7, 256 bits)');
    expect((await lavapipe.resolve(conv2dForward(shape))).program.label).toBe('conv2d.forward.bias.identity');
    expect([...lavapipe.choices()]).toEqual([[alternativesOf(conv2dForward(shape))!.shapeClass, { name: 'register', by: 'table' }]]);
    // A GPU vendor gets the 64×64 tiled body for a large class (batch 128: 2^26 multiply-adds), not for a thin one.
    const nvidia = chooser('nvidia', 'NVIDIA H200');
    const large = { ...shape, batch: 128, inChannels: 16, outChannels: 32 };
    expect((await nvidia.resolve(conv2dForward(large))).program.label).toBe('conv2d.tiled.forward.bias.identity');
    expect((await nvidia.resolve(conv2dForward({ ...large, outChannels: 16 }))).program.label).toBe('conv2d.forward.bias.identity');
    const forced = chooser('mesa', 'llvmpipe', { conv2d: 'tiled-128x64' });
    const { program } = await forced.resolve(conv2dInputGrad(shape));
    expect(program.label).toBe('conv2d.tiled.inputGrad.identity');
    expect(program.constants).toMatchObject({ BR: 2, BC: 1, BK: 8 });
    expect((await forced.resolve(matmul({ a: [24, 20], b: [20, 36] }))).program.label).toBe('matmul.NN.identity');
    await expect(chooser('mesa', 'llvmpipe', { conv2d: 'im2col' }).resolve(conv2dForward(shape))).rejects.toThrow(
      /^kernel choice: force\.conv2d must be one of register, tiled-64x64, .* on this device, got im2col$/,
    );
  });

  it('rejects an unknown variant and a block tile over the workgroup memory, naming conv2d', () => {
    expect(() => conv2dForward({ ...shape, variant: 'fast' as never })).toThrow(new ConfigError("conv2d: variant must be 'register', 'subgroup' or 'tiled', got fast"));
    expect(() => conv2dForward({ ...shape, variant: 'tiled', blockTile: { rows: 8, cols: 8, workgroup: [16, 16], depth: 16 } })).toThrow(
      /^conv2d: block tile 128×128 with depth 16 needs 32768 bytes of workgroup memory/,
    );
  });
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
