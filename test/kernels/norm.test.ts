// LayerNorm kernels (forward, input gradient, γ/β gradients) against the float64
// reference; the reference gradients are checked by central finite differences of
// L = Σ y ⊙ G.
import { describe, expect, it } from 'vitest';
import { layerNormBackward, layerNormForward, layerNormParamsBackward } from '../../src/kernels/norm';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import { layerNorm, layerNormBackward as referenceBackward } from '../reference/norm';

// [rows, D]: one row, odd widths, D = 1 (variance 0: y = β), D wider than a workgroup.
const SHAPES: [number, number][] = [[1, 7], [7, 33], [129, 3], [1000, 10], [5, 1], [3, 1000]];

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

async function forward(rows: number, d: number, x: Float32Array, gamma: Float32Array, beta: Float32Array) {
  const [y, saved] = await runProgram(layerNormForward(rows, d), [x, gamma, beta, { zeros: rows * d }, { zeros: 2 * rows }]);
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
  it.each(SHAPES)('forward %i×%i matches the reference', async (rows, d) => {
    const { x, gamma, beta } = data(rows, d, 1);
    const { y, saved } = await forward(rows, d, x, gamma, beta);
    const ref = layerNorm(x, rows, d, gamma, beta);
    const cond = conditions(x, ref.invstd, d);
    expectRowsClose(y, ref.y, d, (r) => Y_PER_COND * cond[r]!, `y ${rows}×${d}`);
    expectClose(saved.subarray(0, rows), ref.mean, { atol: 0, rtol: RTOL }, `saved mean ${rows}×${d}`);
    // invstd's relative error is that of x − mean: about Y_PER_COND·cond.
    const savedInvstd = saved.subarray(rows);
    expectRowsClose(savedInvstd, ref.invstd, 1, (r) => Y_PER_COND * cond[r]! * ref.invstd[r]!, `saved invstd ${rows}×${d}`);
  });

  it.each(SHAPES)('backward %i×%i matches the analytic reference', async (rows, d) => {
    const { x, gamma, beta, dy } = data(rows, d, 2);
    const { saved } = await forward(rows, d, x, gamma, beta);
    const [dx] = await runProgram(layerNormBackward(rows, d), [x, gamma, saved, dy, { zeros: rows * d }]);
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
