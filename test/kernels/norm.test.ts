// LayerNorm and GroupNorm kernels (forward, input gradient, γ/β gradients) against the
// float64 reference; the reference gradients are checked by central finite differences of
// L = Σ y ⊙ G.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import {
  groupNormBackward,
  groupNormForward,
  groupNormParamsBackward,
  layerNormBackward,
  layerNormForward,
  layerNormParamsBackward,
  type GroupNormShape,
} from '../../src/kernels/norm';
import type { WorkgroupSumOptions } from '../../src/kernels/workgroup-sum';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram, workgroupSums } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import {
  groupNorm,
  groupNormBackward as referenceGroupBackward,
  layerNorm,
  layerNormBackward as referenceBackward,
  type GroupNormDims,
} from '../reference/norm';

// [rows, D]: one row, odd widths, D = 1 (variance 0: y = β), D wider than a workgroup.
const SHAPES: [number, number][] = [[1, 7], [7, 33], [129, 3], [1000, 10], [5, 1], [3, 1000]];
// The row passes with each workgroup sum (tree, and subgroup where the device has it).
const SUMS = await workgroupSums();
const CASES = SUMS.flatMap(([sum, options]) => SHAPES.map(([rows, d]) => [rows, d, sum, options] as const));

// f32 tolerances. A row whose variance is close to eps (likely when D ≤ 3) is
// ill-conditioned: x − mean carries an error of ~ulp(|x|), which invstd amplifies. So
// each row's absolute tolerance scales with cond = invstd·max|x| (≈ 4 for a well-spread
// row, up to 1600 for a near-constant one); measured worst error/cond on lavapipe: y
// 2e-7, dx/invstd 2.5e-7 (about 2 ulps). dγ, dβ sum over rows: rounding grows like √rows.
const Y_PER_COND = 6e-7;
const DX_PER_COND = 1e-6;
const RTOL = 2e-6;
const paramGradTol = (rows: number) => ({ atol: 2e-6 * Math.sqrt(rows), rtol: RTOL });

/** cond_r = invstd_r · max|x_r| of every row. */
const conditions = (x: Float32Array, invstd: number[], d: number) =>
  invstd.map((s, r) => s * x.subarray(r * d, (r + 1) * d).reduce((m, v) => Math.max(m, Math.abs(v)), 0));

/**
 * Checks |actual − expected| ≤ atolOf(r) + RTOL·|expected| on row r (length d), as one
 * comparison of both sides divided by the row's atol (70 000 separate calls are slow).
 */
function expectRowsClose(actual: Float32Array, expected: number[], d: number, atolOf: (r: number) => number, what: string) {
  const scale = (v: number, k: number) => v / atolOf(Math.floor(k / d));
  expectClose(Array.from(actual, scale), expected.map(scale), { atol: 1, rtol: RTOL }, `${what} (÷ row atol)`);
}

function data(rows: number, d: number, seed: number) {
  return {
    x: uniform(rows * d, seed, 1, 5),
    gamma: uniform(d, seed + 1, 0.5, 2),
    beta: uniform(d, seed + 2),
    dy: normal(rows * d, seed + 3),
  };
}

async function forward(rows: number, d: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, sum: WorkgroupSumOptions = {}) {
  const [y, saved] = await runProgram(layerNormForward(rows, d, sum), [x, gamma, beta, { zeros: rows * d }, { zeros: 2 * rows }]);
  return { y: y!, saved: saved! };
}

describe('reference layernorm gradients', () => {
  it.each([[3, 4], [2, 5], [4, 1]])('match central differences of Σ y⊙G for %i×%i', (rows, d) => {
    const { x, gamma, beta, dy: g } = data(rows, d, 30);
    const inputs = [Array.from(x), Array.from(gamma), Array.from(beta)] as const;
    const loss = (xs: number[], gs: number[], bs: number[]) =>
      layerNorm(xs, rows, d, gs, bs).y.reduce((acc, v, k) => acc + v * g[k]!, 0);
    const { dx, dgamma, dbeta } = referenceBackward(inputs[0], g, rows, d, inputs[1]);
    [dx, dgamma, dbeta].forEach((grad, which) => {
      inputs[which]!.forEach((v, i) => {
        const fd = centralDifference((u) => {
          const args = inputs.map((a) => a.slice()) as [number[], number[], number[]];
          args[which]![i] = u;
          return loss(...args);
        }, v);
        expect(Math.abs(fd - grad[i]!)).toBeLessThan(1e-6);
      });
    });
  });
});

describe('layernorm kernels', () => {
  it.each(CASES)('forward %i×%i (%s) matches the reference', async (rows, d, _, sum) => {
    const { x, gamma, beta } = data(rows, d, 1);
    const { y, saved } = await forward(rows, d, x, gamma, beta, sum);
    const ref = layerNorm(x, rows, d, gamma, beta);
    const cond = conditions(x, ref.invstd, d);
    expectRowsClose(y, ref.y, d, (r) => Y_PER_COND * cond[r]!, `y ${rows}×${d}`);
    expectClose(saved.subarray(0, rows), ref.mean, { atol: 0, rtol: RTOL }, `saved mean ${rows}×${d}`);
    // invstd's relative error is that of x − mean: about Y_PER_COND·cond.
    const savedInvstd = saved.subarray(rows);
    expectRowsClose(savedInvstd, ref.invstd, 1, (r) => Y_PER_COND * cond[r]! * ref.invstd[r]!, `saved invstd ${rows}×${d}`);
  });

  it.each(CASES)('backward %i×%i (%s) matches the analytic reference', async (rows, d, _, sum) => {
    const { x, gamma, beta, dy } = data(rows, d, 2);
    const { saved } = await forward(rows, d, x, gamma, beta, sum);
    const [dx] = await runProgram(layerNormBackward(rows, d, sum), [x, gamma, saved, dy, { zeros: rows * d }]);
    const [dgamma, dbeta] = await runProgram(layerNormParamsBackward(rows, d), [x, saved, dy, { zeros: d }, { zeros: d }]);
    const ref = referenceBackward(x, dy, rows, d, gamma);
    const { invstd } = layerNorm(x, rows, d, gamma, beta);
    const cond = conditions(x, invstd, d);
    expectRowsClose(dx!, ref.dx, d, (r) => DX_PER_COND * cond[r]! * invstd[r]!, `dx ${rows}×${d}`);
    expectClose(dgamma!, ref.dgamma, paramGradTol(rows), `dgamma ${rows}×${d}`);
    expectClose(dbeta!, ref.dbeta, paramGradTol(rows), `dbeta ${rows}×${d}`);
  });

  it('covers more than 65535 rows by folding the grid into two dimensions', async () => {
    const [rows, d] = [70_000, 2];
    expect(layerNormForward(rows, d).workgroups[1]).toBeGreaterThan(1);
    const { x, gamma, beta } = data(rows, d, 3);
    const { y } = await forward(rows, d, x, gamma, beta);
    const ref = layerNorm(x, rows, d, gamma, beta);
    const cond = conditions(x, ref.invstd, d);
    expectRowsClose(y, ref.y, d, (r) => Y_PER_COND * cond[r]!, 'y 70000×2');
  });

  it('rejects bad shapes and settings, naming the kernel and the shape', () => {
    expect(() => layerNormForward(0, 4)).toThrow(/layernorm.forward: input 0×4 must have at least 1 row/);
    expect(() => layerNormBackward(3, 2.5)).toThrow(/layernorm.backward: input 3×2.5/);
    expect(() => layerNormParamsBackward(2 ** 20, 2 ** 12)).toThrow(/layernorm.backward_params: input 1048576×4096 has more than/);
    expect(() => layerNormForward(4, 4, { eps: -1 })).toThrow(/eps must be > 0/);
    expect(() => layerNormForward(4, 4, { workgroupSize: 48 })).toThrow(/power of two/);
  });
});

// GroupNorm is LayerNorm over rows n·G + g of D = (C/G)·S values with γ, β per channel,
// so the row-conditioned tolerances above apply per group; dγ_c, dβ_c sum N·S terms.
const gnDims = ({ batch, channels, groups, spatial }: GroupNormShape): GroupNormDims => ({ n: batch, c: channels, groups, s: spatial });
const gnName = (s: GroupNormShape) => `N ${s.batch} C ${s.channels} G ${s.groups} S ${s.spatial}`;
const GN_SHAPES = ([
  // groups 1, 300 values per group: more than the 256-thread workgroup strides over.
  { batch: 2, channels: 6, groups: 1, spatial: 50 },
  { batch: 3, channels: 6, groups: 2, spatial: 7 },
  // groups = C (InstanceNorm2d): 300 terms per channel in the γ/β pass, over 256 threads.
  { batch: 3, channels: 4, groups: 4, spatial: 100 },
  // spatial 1 ([N, C] input), 2 channels per group.
  { batch: 5, channels: 6, groups: 3, spatial: 1 },
] satisfies GroupNormShape[]).map((s) => [gnName(s), s] as const);

function gnData(shape: GroupNormShape, seed: number) {
  const size = shape.batch * shape.channels * shape.spatial;
  return {
    x: uniform(size, seed, 1, 5),
    gamma: uniform(shape.channels, seed + 1, 0.5, 2),
    beta: uniform(shape.channels, seed + 2),
    dy: normal(size, seed + 3),
  };
}

describe('reference groupnorm gradients', () => {
  const shapes: GroupNormShape[] = [
    { batch: 2, channels: 4, groups: 2, spatial: 3 },
    { batch: 2, channels: 3, groups: 3, spatial: 2 },
    { batch: 3, channels: 4, groups: 2, spatial: 1 },
  ];
  it.each(shapes.map((s) => [gnName(s), s] as const))('match central differences of Σ y⊙G for %s', (_, shape) => {
    const dims = gnDims(shape);
    const { x, gamma, beta, dy: g } = gnData(shape, 50);
    const inputs = [Array.from(x), Array.from(gamma), Array.from(beta)] as const;
    const loss = (xs: number[], gs: number[], bs: number[]) => groupNorm(xs, dims, gs, bs).y.reduce((acc, v, k) => acc + v * g[k]!, 0);
    const { dx, dgamma, dbeta } = referenceGroupBackward(inputs[0], g, dims, inputs[1]);
    [dx, dgamma, dbeta].forEach((grad, which) => {
      inputs[which]!.forEach((v, i) => {
        const fd = centralDifference((u) => {
          const args = inputs.map((a) => a.slice()) as [number[], number[], number[]];
          args[which]![i] = u;
          return loss(...args);
        }, v);
        expect(Math.abs(fd - grad[i]!), `input ${which} element ${i}`).toBeLessThan(1e-6);
      });
    });
  });

  it('with one group and spatial 1 is LayerNorm over the channels', () => {
    const { x, gamma, beta } = data(4, 6, 51);
    expect(groupNorm(x, { n: 4, c: 6, groups: 1, s: 1 }, gamma, beta)).toEqual(layerNorm(x, 4, 6, gamma, beta));
  });
});

describe('groupnorm kernels', () => {
  const cases = SUMS.flatMap(([sum, options]) => GN_SHAPES.map(([what, shape]) => [what, sum, shape, options] as const));
  it.each(cases)('%s (%s): forward, saved stats, dx, dγ and dβ match the reference', async (what, _, shape, sum) => {
    const dims = gnDims(shape);
    const [rows, d] = [shape.batch * shape.groups, (shape.channels / shape.groups) * shape.spatial];
    const { x, gamma, beta, dy } = gnData(shape, 4);
    const [y, saved] = await runProgram(groupNormForward(shape, sum), [x, gamma, beta, { zeros: x.length }, { zeros: 2 * rows }]);
    const ref = groupNorm(x, dims, gamma, beta);
    const cond = conditions(x, ref.invstd, d);
    expectRowsClose(y!, ref.y, d, (r) => Y_PER_COND * cond[r]!, `y ${what}`);
    expectClose(saved!.subarray(0, rows), ref.mean, { atol: 0, rtol: RTOL }, `saved mean ${what}`);
    expectRowsClose(saved!.subarray(rows), ref.invstd, 1, (r) => Y_PER_COND * cond[r]! * ref.invstd[r]!, `saved invstd ${what}`);

    const [dx] = await runProgram(groupNormBackward(shape, sum), [x, gamma, saved!, dy, { zeros: x.length }]);
    const [dgamma, dbeta] = await runProgram(groupNormParamsBackward(shape, sum), [x, saved!, dy, { zeros: shape.channels }, { zeros: shape.channels }]);
    const grads = referenceGroupBackward(x, dy, dims, gamma);
    expectRowsClose(dx!, grads.dx, d, (r) => DX_PER_COND * cond[r]! * ref.invstd[r]!, `dx ${what}`);
    expectClose(dgamma!, grads.dgamma, paramGradTol(shape.batch * shape.spatial), `dgamma ${what}`);
    expectClose(dbeta!, grads.dbeta, paramGradTol(shape.batch * shape.spatial), `dbeta ${what}`);
  });

  it('rejects channels not divisible by groups and non-positive sizes', () => {
    const shape = { batch: 2, channels: 6, groups: 4, spatial: 3 };
    expect(() => groupNormForward(shape)).toThrow(new ConfigError('groupnorm: 6 channels are not divisible into 4 groups'));
    expect(() => groupNormBackward({ ...shape, groups: 0 })).toThrow(/groupnorm: groups must be a positive integer, got 0/);
    expect(() => groupNormParamsBackward({ ...shape, groups: 2, spatial: 1.5 })).toThrow(/spatial must be a positive integer/);
    expect(groupNormForward({ ...shape, groups: 2 }).label).toBe('groupnorm.forward');
  });
});
