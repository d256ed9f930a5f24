// The small matmul kernel (shaders/matmul_small.wgsl) against the float64 reference (the
// helpers and tolerances of matmul.test.ts): odd shapes under every transpose, with vec4 and
// scalar reads of B, batched and shared operands, bias along columns or rows with fused
// activations; its grid and label; the small "scalar" classes it is offered to and lavapipe's
// table pick; and what it refuses.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import type { AdapterFacts } from '../../src/gpu/adapter-kind';
import { alternativesOf } from '../../src/gpu/kernel-choice';
import { conv2dForward } from '../../src/kernels/conv';
import { matmul, type MatmulShape } from '../../src/kernels/matmul';
import { MATMUL_VARIANTS, matmulShapeClass, matmulTableChoice } from '../../src/kernels/matmul-choice';
import { COMBOS, expectMatchesReference, name, shapeOf, SLOW } from './matmul-cases';

const small = (shape: MatmulShape): MatmulShape => ({ ...shape, variant: 'small' });
const facts = (vendor: string, architecture = '', description = ''): AdapterFacts => ({ vendor, architecture, device: '', description });
const LAVAPIPE = facts('mesa', '', 'llvmpipe (LLVM 19.1.7, 256 bits)');
const SWIFTSHADER = facts('google', 'swiftshader', 'SwiftShader Device (Subzero)');
const NVIDIA = facts('nvidia', 'hopper', 'NVIDIA H200');

describe('matmul small kernel', () => {
  // 70 columns: one workgroup with a partial last vec4 (70 = 17·4 + 2); 33 rows: a partial
  // last 4-row tile; k = 37: no stored row a multiple of 4 long.
  it.each(COMBOS)('transposeA=%s transposeB=%s matches the reference on odd shapes', async (ta, tb) => {
    await expectMatchesReference(small(shapeOf(33, 70, 37, ta, tb)), 31, `small ${name(ta, tb)} 33×70×37`);
  }, SLOW);

  it('covers several column workgroups, vec4 reads of B, one element, batched and shared operands', async () => {
    await expectMatchesReference(small(shapeOf(10, 260, 13, true, false)), 1, 'small TN 10×260×13 (vec4 B, 2 column workgroups)');
    await expectMatchesReference(small(shapeOf(1, 1, 1, false, false)), 2, 'small 1×1×1');
    await expectMatchesReference(small(shapeOf(13, 9, 10, false, false, 3, 3)), 3, 'small NN batch 3/3');
    await expectMatchesReference(small(shapeOf(13, 9, 10, true, true, 0, 3)), 4, 'small TT shared A');
  }, SLOW);

  it('adds the bias along columns or rows and applies the activation', async () => {
    await expectMatchesReference(small({ ...shapeOf(17, 10, 65, false, true), bias: true, activation: 'relu' }), 5, 'small bias + relu');
    const rows = { ...shapeOf(10, 33, 18, false, false, 0, 2), bias: true, biasRows: true, activation: 'elu' as const, alpha: 0.7 };
    await expectMatchesReference(small(rows), 6, 'small bias rows + elu');
  }, SLOW);

  it('names the variant, sizes the grid by 4×4 tiles, 64 tiles per workgroup along the columns', () => {
    const program = matmul(small({ a: [33, 37], b: [37, 260] }));
    expect(program.label).toBe('matmul.small.NN.identity');
    expect(program.shader).toContain('fn small_tile(');
    expect(program.workgroups).toEqual([2, 9, 1]);
    expect(program.constants).toEqual({ TRANS_A: 0, TRANS_B: 0, VEC_A: 0, VEC_B: 1, ACT: 0, ALPHA: 0 });
  });

  it('is offered to small matmuls only and picked by lavapipe\'s table where an operand is read as scalars', () => {
    // The MNIST MLP's 10-wide layer: dX = dY·W (k = 10) and dW = dYᵀ·H (m = 10).
    const dx = alternativesOf(matmul({ a: [128, 10], b: [10, 128], subgroupSize: 8 }))!;
    const dw = alternativesOf(matmul({ a: [128, 10], b: [128, 128], transposeA: true, subgroupSize: 8 }))!;
    expect(dx.shapeClass).toBe('matmul 2^17 scalar');
    expect(dw.shapeClass).toBe('matmul 2^17 thin scalar');
    expect(matmulShapeClass(128, 10, 128, 1, true)).toBe('matmul 2^17 thin scalar');
    for (const alt of [dx, dw]) {
      expect(alt.candidates).toEqual([...MATMUL_VARIANTS.map((v) => v.name), 'small']);
      expect(alt.table(LAVAPIPE)).toBe('small');
      expect(alt.table(SWIFTSHADER)).toBe('subgroup'); // compiles it no faster, runs it slower
      expect(alt.table(NVIDIA)).toBe('subgroup');
      expect(alt.table(facts(''))).toBe('subgroup');
      expect(alt.make('small').label).toMatch(/^matmul\.small\.(NN|TN)\.identity$/);
    }
    // Aligned operands share the block kernels' pipelines: the CPU table keeps the default.
    const aligned = alternativesOf(matmul({ a: [128, 128], b: [12, 128], transposeB: true, bias: true, subgroupSize: 8 }))!;
    expect(aligned.shapeClass).toBe('matmul 2^18 thin');
    expect(aligned.candidates).toContain('small');
    expect(aligned.table(LAVAPIPE)).toBe('subgroup');
    // Above 2^20 multiply-adds it is not a candidate, scalar or not.
    const large = alternativesOf(matmul({ a: [128, 784], b: [784, 10] }))!;
    expect(large.shapeClass).toBe('matmul 2^20 thin scalar');
    expect(large.candidates).toContain('small');
    expect(large.table(LAVAPIPE)).toBe('small');
    const larger = alternativesOf(matmul({ a: [256, 784], b: [784, 10] }))!;
    expect(larger.shapeClass).toBe('matmul 2^21 thin scalar');
    expect(larger.candidates).not.toContain('small');
    expect(larger.table(LAVAPIPE)).toBe('register');
    expect(matmulTableChoice(LAVAPIPE, 'matmul 2^21 thin scalar', 'subgroup')).toBe('subgroup');
    expect(matmulTableChoice(LAVAPIPE, 'conv2d forward 2^17 thin scalar', 'subgroup')).toBe('subgroup');
  });

  it('refuses convolutions, whose operands it cannot read', () => {
    const conv = { batch: 2, inChannels: 3, outChannels: 4, height: 5, width: 5, kernel: 3, padding: 1 } as const;
    expect(() => conv2dForward({ ...conv, variant: 'small' })).toThrow(
      new ConfigError("conv2d: variant must be 'register', 'subgroup' or 'tiled', got small"),
    );
    expect(() => matmul({ a: [3, 4], b: [4, 2], variant: 'fast' as 'small' })).toThrow(/variant must be 'register', 'subgroup', 'tiled' or 'small', got fast/);
  });
});
