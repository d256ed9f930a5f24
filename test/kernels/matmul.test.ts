// Matmul kernel against the float64 reference: every transpose combination, bias and
// activation epilogue, batched and shared operands, tile shapes, shape errors, and the
// gradients dA = G·op(B)ᵀ, dB = op(A)ᵀ·G computed by this same kernel.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import type { Activation } from '../../src/kernels/elementwise';
import { gemm } from '../../src/kernels/gemm';
import { DEFAULT_MATMUL_TILE, matmul, type MatmulShape, type MatmulTile } from '../../src/kernels/matmul';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram, testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { dims, matmulGradients, matmulReference } from '../reference/matmul';
import { COMBOS, expectMatchesReference, name, shapeOf, size, SLOW, tolerance } from './matmul-cases';

/** (m, n, k): edge cases, nothing a multiple of 4, then one shape where every vec4 path applies. */
const SHAPES = [
  [1, 1, 1],
  [7, 33, 129],
  [1000, 7, 33],
  [129, 1, 1000],
  [36, 20, 64],
] as const;

// Float64 finite differences of a linear function: only rounding error remains.
const FD_TOL = 1e-6;

describe('matmul forward', () => {
  it.each(COMBOS)('transposeA=%s transposeB=%s matches the reference on awkward shapes', async (ta, tb) => {
    for (const [m, n, k] of SHAPES) {
      await expectMatchesReference(shapeOf(m, n, k, ta, tb), m + n + k, `${name(ta, tb)} ${m}×${n}×${k}`);
    }
  }, SLOW);

  const epilogues: [Activation, number | undefined][] = [
    ['identity', undefined],
    ['relu', undefined],
    ['leakyRelu', 0.2],
    ['sigmoid', undefined],
    ['tanh', undefined],
    ['elu', 0.7],
    ['gelu', undefined],
  ];
  it('adds the bias and applies each activation', async () => {
    for (const [activation, alpha] of epilogues) {
      const shape = { ...shapeOf(7, 33, 129, false, true), bias: true, activation, alpha };
      await expectMatchesReference(shape, 3, `bias + ${activation}`);
    }
    const aligned = { ...shapeOf(36, 20, 64, true, false), bias: true, activation: 'gelu' as const };
    await expectMatchesReference(aligned, 4, 'aligned bias + gelu');
    await expectMatchesReference({ ...shapeOf(33, 7, 20, true, false), activation: 'elu' }, 5, 'elu without bias');
  }, SLOW);

  it('batched and shared operands', async () => {
    const cases = [
      [false, false, 3, 3],
      [true, false, 0, 3],
      [false, true, 3, 0],
      [true, true, 3, 3],
    ] as const;
    for (const [ta, tb, batchA, batchB] of cases) {
      const shape = shapeOf(13, 9, 37, ta, tb, batchA, batchB);
      await expectMatchesReference(shape, 7, `${name(ta, tb)} batch A ${batchA} B ${batchB}`);
    }
    const aligned = { ...shapeOf(8, 12, 16, false, true, 2, 0), bias: true, activation: 'relu' as const };
    await expectMatchesReference(aligned, 9, 'aligned batch');
  }, SLOW);

  const tiles: MatmulTile[] = [
    { rows: 4, cols: 4, workgroup: [16, 4] },
    { rows: 4, cols: 8, workgroup: [4, 8] },
    { rows: 8, cols: 4, workgroup: [8, 4] },
    { rows: 8, cols: 8, workgroup: [1, 64] },
  ];
  it.each(tiles)('tile %o gives the same results', async (tile) => {
    await expectMatchesReference({ ...shapeOf(37, 45, 23, false, true), tile }, 1, 'NT unaligned');
    await expectMatchesReference({ ...shapeOf(36, 20, 64, true, false), tile }, 2, 'TN aligned');
  }, SLOW);
});

// The subgroup-broadcast kernel on this device's subgroup size (lavapipe 8, SwiftShader 4):
// the same references and tolerances, on shapes smaller and larger than its 24-row ×
// 4·lanes-column workgroup tile.
const lanes = (await testRuntime()).subgroupSize;
// Skipped only on a device without fixed-size subgroups (none here: lavapipe 8, SwiftShader 4),
// where the executor never selects this kernel.
describe.skipIf(lanes === undefined)('matmul subgroup kernel (skipped: the device has no fixed-size subgroups)', () => {
  const sub = (shape: MatmulShape): MatmulShape => ({ ...shape, subgroupSize: lanes });

  it.each(COMBOS)('transposeA=%s transposeB=%s matches the reference on awkward shapes', async (ta, tb) => {
    for (const [m, n, k] of [...SHAPES, [50, 70, 9]] as const) {
      await expectMatchesReference(sub(shapeOf(m, n, k, ta, tb)), m + n + k, `subgroup ${name(ta, tb)} ${m}×${n}×${k}`);
    }
  }, SLOW);

  it('adds the bias and applies an activation, batched and shared operands', async () => {
    await expectMatchesReference(sub({ ...shapeOf(7, 33, 129, false, true), bias: true, activation: 'elu', alpha: 0.7 }), 3, 'subgroup bias + elu');
    await expectMatchesReference(sub({ ...shapeOf(36, 20, 64, true, false), bias: true, activation: 'relu' }), 4, 'subgroup aligned bias + relu');
    await expectMatchesReference(sub(shapeOf(13, 9, 37, false, false, 3, 3)), 7, 'subgroup NN batch 3/3');
    await expectMatchesReference(sub(shapeOf(13, 9, 37, true, true, 0, 3)), 8, 'subgroup TT shared A');
  }, SLOW);

  it('uses one subgroup per workgroup, 4·lanes columns and as many rows as fit the shape', () => {
    const program = matmul(sub({ a: [120, 8], b: [8, 70] }));
    expect(program.label).toBe('matmul.subgroup.NN.identity');
    // At most 8 row blocks (32 rows), or the lanes if fewer: 120 rows in 4 × 32 waste 6.7%.
    const most = Math.min(8, lanes!);
    expect(program.constants).toMatchObject({ SG: lanes, RB: most });
    expect(program.workgroups).toEqual([Math.ceil(70 / (4 * lanes!)), Math.ceil(120 / (4 * most)), 1]);
    // Over 15% of rows wasted with the most blocks: fewer blocks that waste less
    // (8 lanes: 100 rows → 5 blocks, not 4×32; 20 rows → 5 blocks, not 1×32; 4 lanes: 100 → 4 blocks, 12% wasted; 20 → 3 blocks).
    const rowBlocks = (m: number, maxRowBlocks?: number) =>
      gemm({ m, n: 8, k: 8, batch: 1, bias: false, activation: 'identity', alpha: undefined, tile: DEFAULT_MATMUL_TILE, subgroupSize: lanes, maxRowBlocks }, {
        family: 'test', variant: 'x', what: 'x', source: '', constants: {},
      }).constants.RB;
    const expected: Record<number, number[]> = { 8: [8, 5, 5, 4, 3], 4: [4, 4, 3, 4, 3] };
    expect([rowBlocks(32), rowBlocks(100), rowBlocks(20), rowBlocks(16), rowBlocks(32, 3)]).toEqual(expected[lanes!] ?? expect.any(Array));
    expect(() => rowBlocks(8, 9)).toThrow(/maxRowBlocks must be an integer in 1 ..= 8, got 9/);
    expect(() => matmul({ a: [3, 4], b: [4, 2], subgroupSize: 0 })).toThrow(/subgroupSize must be an integer in 1 ..= 256, got 0/);
  });
});

describe('matmul gradients', () => {
  // dop(A) = G·op(B)ᵀ and dop(B) = op(A)ᵀ·G, rewritten in A's and B's stored layouts.
  function gradientShapes(shape: MatmulShape, g: readonly number[]) {
    const ta = Boolean(shape.transposeA);
    const tb = Boolean(shape.transposeB);
    const da: MatmulShape = ta
      ? { a: shape.b, transposeA: tb, b: g, transposeB: true }
      : { a: g, b: shape.b, transposeB: !tb };
    const db: MatmulShape = tb
      ? { a: g, transposeA: true, b: shape.a, transposeB: ta }
      : { a: shape.a, transposeA: !ta, b: g };
    return { da, db, daOrder: ta ? 'bg' : 'gb', dbOrder: tb ? 'ga' : 'ag' };
  }

  it.each(COMBOS)('reference gradients match central differences (transposeA=%s transposeB=%s)', (ta, tb) => {
    for (const [batchA, batchB] of [[0, 0], [2, 2], [2, 0], [0, 2]] as const) {
      const shape = shapeOf(3, 4, 5, ta, tb, batchA, batchB);
      const { m, n, batch } = dims(shape);
      const a = Float64Array.from(uniform(size(shape.a), 1));
      const b = Float64Array.from(uniform(size(shape.b), 2));
      const g = Float64Array.from(uniform(batch * m * n, 3));
      const loss = (x: Float64Array, y: Float64Array) =>
        matmulReference(shape, x, y).reduce((s, c, i) => s + c * g[i]!, 0);
      const { da, db } = matmulGradients(shape, a, b, g);
      for (const [x, grad, f] of [
        [a, da, (v: Float64Array) => loss(v, b)],
        [b, db, (v: Float64Array) => loss(a, v)],
      ] as const) {
        for (let i = 0; i < x.length; i++) {
          const fd = centralDifference((v) => f(Float64Array.from(x, (u, j) => (j === i ? v : u))), x[i]!);
          const what = `${name(ta, tb)} batch ${batchA}/${batchB} element ${i}`;
          expect(Math.abs(fd - grad[i]!), what).toBeLessThan(FD_TOL);
        }
      }
    }
  });

  it.each(COMBOS)('dA and dB by the kernel match the reference (transposeA=%s transposeB=%s)', async (ta, tb) => {
    const batch = ta === tb ? 3 : 0;
    const shape = shapeOf(37, 21, 45, ta, tb, batch, batch);
    const { m, n } = dims(shape);
    const gShape = batch ? [batch, m, n] : [m, n];
    const data = { a: uniform(size(shape.a), 11), b: uniform(size(shape.b), 12), g: uniform(size(gShape), 13) };
    const expected = matmulGradients(shape, data.a, data.b, data.g);
    const { da, db, daOrder, dbOrder } = gradientShapes(shape, gShape);
    const pick = (order: string) => [...order].map((key) => data[key as 'a' | 'b' | 'g']);
    const [gotA] = await runProgram(matmul(da), [...pick(daOrder), { zeros: data.a.length }]);
    const [gotB] = await runProgram(matmul(db), [...pick(dbOrder), { zeros: data.b.length }]);
    // dA sums over n and dB over m (and the batch when the operand is shared).
    expectClose(gotA!, expected.da, tolerance(n), `${name(ta, tb)} batch ${batch} dA`);
    expectClose(gotB!, expected.db, tolerance(m), `${name(ta, tb)} batch ${batch} dB`);
  }, SLOW);

  it('the gradient of a shared B folds the batch into the inner dimension', async () => {
    const [batch, m, n, k] = [4, 9, 6, 11];
    const shape = shapeOf(m, n, k, false, false, batch, 0);
    const a = uniform(batch * m * k, 21);
    const b = uniform(k * n, 22);
    const g = uniform(batch * m * n, 23);
    // dB = Σ_t A_tᵀ·G_t = Aᵀ·G with A viewed as (batch·m)×k and G as (batch·m)×n.
    const program = matmul({ a: [batch * m, k], transposeA: true, b: [batch * m, n] });
    const [db] = await runProgram(program, [a, g, { zeros: k * n }]);
    expectClose(db!, matmulGradients(shape, a, b, g).db, tolerance(batch * m), 'shared dB');
  }, SLOW);
});

describe('matmul shapes', () => {
  it('names the shapes when the inner dimensions differ', () => {
    expect(() => matmul({ a: [3, 4], b: [5, 2] })).toThrow(
      new ConfigError('matmul: A is 3×4 but B is 5×2 (inner dimensions differ)'),
    );
    expect(() => matmul({ a: [4, 3], b: [2, 5], transposeA: true, transposeB: true })).toThrow(
      'matmul: A is 4×3 (transposed: 3×4) but B is 2×5 (transposed: 5×2) (inner dimensions differ)',
    );
  });

  it('rejects zero or fractional dimensions, bad ranks, batch mismatches, huge grids and bad tiles', () => {
    expect(() => matmul({ a: [0, 4], b: [4, 2] })).toThrow(/positive integer, got A 0×4 and B 4×2/);
    expect(() => matmul({ a: [3, 4], b: [4, 2.5] })).toThrow(ConfigError);
    expect(() => matmul({ a: [4], b: [4, 2] })).toThrow(/A must be 2-D or 3-D/);
    expect(() => matmul({ a: [2, 3, 4], b: [3, 4, 2] })).toThrow(/A is 2×3×4 and B is 3×4×2 \(batch sizes/);
    expect(() => matmul({ a: [5_000_000, 1], b: [1, 1] })).toThrow(/needs 1×78125×1 workgroups/);
    const tile = { rows: 8, cols: 8, workgroup: [32, 32] } as const;
    expect(() => matmul({ a: [3, 4], b: [4, 2], tile })).toThrow(/unsupported tile 8×8 with workgroup 32×32/);
  });

  it('declares the bias binding only when asked', () => {
    expect(matmul({ a: [3, 4], b: [4, 2] }).bindings).toEqual(['read', 'read', 'write']);
    expect(matmul({ a: [3, 4], b: [4, 2], bias: true }).bindings).toEqual(['read', 'read', 'read', 'write']);
    expect(matmul({ a: [5, 3, 4], b: [4, 2] }).workgroups).toEqual([1, 1, 5]);
  });
});
