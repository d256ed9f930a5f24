// The workgroup-memory tiled matmul kernel against the float64 reference (the helpers and
// tolerances of matmul.test.ts): odd and aligned shapes under every transpose, batched and
// shared operands, bias along columns or rows with fused activations, each block tile of
// MATMUL_VARIANTS, and its settings' errors.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { matmul, type MatmulBlockTile, type MatmulShape } from '../../src/kernels/matmul';
import { MATMUL_VARIANTS } from '../../src/kernels/matmul-choice';
import { COMBOS, expectMatchesReference, name, shapeOf, SLOW } from './matmul-cases';

const tiled = (shape: MatmulShape, blockTile?: MatmulBlockTile): MatmulShape => ({ ...shape, variant: 'tiled', blockTile });

// Each case is a pipeline, which takes lavapipe seconds to create: several blocks with edges
// everywhere (129×70×257, nothing a multiple of 4 or of the 64×64×16 block) run in all four
// modes; a partial single block (17×33×65) in NT with the bias below; the aligned
// single-block and 1×1×1 shapes in one mode each.
describe('matmul tiled kernel', () => {
  it.each(COMBOS)('transposeA=%s transposeB=%s matches the reference on odd shapes', async (ta, tb) => {
    await expectMatchesReference(tiled(shapeOf(129, 70, 257, ta, tb)), 456, `tiled ${name(ta, tb)} 129×70×257`);
  }, SLOW);

  it('one element, one aligned block, batched and shared operands', async () => {
    await expectMatchesReference(tiled(shapeOf(1, 1, 1, false, false)), 1, 'tiled 1×1×1');
    await expectMatchesReference(tiled(shapeOf(64, 64, 64, true, false)), 2, 'tiled TN 64×64×64');
    await expectMatchesReference(tiled(shapeOf(13, 9, 37, false, false, 3, 3)), 7, 'tiled NN batch 3/3');
    await expectMatchesReference(tiled(shapeOf(13, 9, 37, true, true, 0, 3)), 8, 'tiled TT shared A');
  }, SLOW);

  it('adds the bias along columns or rows and applies the activation', async () => {
    await expectMatchesReference(tiled({ ...shapeOf(17, 33, 65, false, true), bias: true, activation: 'relu' }), 3, 'tiled bias + relu');
    await expectMatchesReference(tiled({ ...shapeOf(36, 20, 64, true, false), bias: true, activation: 'gelu' }), 4, 'tiled aligned bias + gelu');
    const rows = { ...shapeOf(70, 33, 18, false, false, 0, 2), bias: true, biasRows: true, activation: 'elu' as const, alpha: 0.7 };
    await expectMatchesReference(tiled(rows), 5, 'tiled bias rows + elu');
  }, SLOW);

  // The default block (tiled-64x64) ran above; the others on one shape with edges in every dimension.
  const blockTiles = MATMUL_VARIANTS.filter((v) => v.settings.variant === 'tiled' && v.name !== 'tiled-64x64').map((v) => [v.name, v.settings.blockTile!] as const);
  it.each(blockTiles)('block tile %s gives the same results', async (_, blockTile) => {
    await expectMatchesReference(tiled(shapeOf(129, 70, 257, true, false), blockTile), 1, 'TN several blocks');
  }, SLOW);

  it('names the variant, sizes the grid by block and rejects bad settings', () => {
    const program = matmul(tiled({ a: [129, 257], b: [257, 70] }));
    expect(program.label).toBe('matmul.tiled.NN.identity');
    expect(program.workgroups).toEqual([2, 3, 1]);
    expect(program.constants).toMatchObject({ BR: 1, BC: 1, WG_X: 16, WG_Y: 16, BK: 16, A_ROWS_FIRST: 0, B_K_FIRST: 0 });
    const wide = matmul(tiled({ a: [64, 129], b: [70, 64], transposeA: true, transposeB: true }, { rows: 8, cols: 4, workgroup: [16, 16], depth: 8 }));
    expect(wide.workgroups).toEqual([2, 2, 1]);
    expect(wide.constants).toMatchObject({ BR: 2, BC: 1, BK: 8, A_ROWS_FIRST: 1, B_K_FIRST: 1 });
    const deep = { rows: 8, cols: 8, workgroup: [16, 16], depth: 16 } as const;
    expect(() => matmul(tiled({ a: [3, 4], b: [4, 2] }, deep))).toThrow(
      new ConfigError('matmul: block tile 128×128 with depth 16 needs 32768 bytes of workgroup memory; depth must be 4, 8, 16 or 32 and the memory at most 16384'),
    );
    expect(() => matmul(tiled({ a: [3, 4], b: [4, 2] }, { rows: 4, cols: 4, workgroup: [4, 4], depth: 12 as 16 }))).toThrow(/depth must be 4, 8, 16 or 32/);
    expect(() => matmul(tiled({ a: [3, 4], b: [4, 2] }, { rows: 4, cols: 4, workgroup: [32, 16], depth: 4 }))).toThrow(/unsupported tile 4×4 with workgroup 32×16/);
    expect(() => matmul({ a: [3, 4], b: [4, 2], variant: 'subgroup' })).toThrow(/the subgroup variant needs subgroupSize/);
    expect(() => matmul({ a: [3, 4], b: [4, 2], variant: 'fast' as 'tiled' })).toThrow(/variant must be 'register', 'subgroup', 'tiled' or 'small', got fast/);
  });
});
