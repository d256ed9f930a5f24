// BatchNorm kernels (training forward with running-statistics update, eval forward,
// backward) against the float64 reference; the reference gradients are checked by
// central finite differences of L = Σ y ⊙ G.
import { describe, expect, it } from 'vitest';
import { batchNormBackward, batchNormEvalForward, batchNormTrainingForward } from '../../src/kernels/batchnorm';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram, workgroupSums } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import { batchNormBackward as referenceBackward, batchNormEval, batchNormTraining, type BatchNormDims } from '../reference/batchnorm';

const name = (shape: number[]) => shape.join('×');
// [name, shape] rows so that test titles show the whole shape.
const cases = (shapes: number[][]) => shapes.map((shape) => [name(shape), shape] as const);
const TRAINING_SHAPES = cases([[7, 33], [129, 3], [33, 4, 5, 7], [1000, 10], [1, 3, 17], [128, 2, 28, 28]]);
// The training passes with each workgroup sum (tree, and subgroup where the device has it).
const SUMS = await workgroupSums();
const TRAINING_CASES = SUMS.flatMap(([sum, options]) => TRAINING_SHAPES.map(([shape, dims]) => [shape, sum, dims, options] as const));
const EVAL_SHAPES = cases([[1, 7], [7, 33], [33, 4, 5, 7], [1000, 10]]);

// f32 tolerances (measured worst errors on lavapipe in brackets). Forward: x carries an
// offset of 3, so x − mean loses ~2 bits [y 6e-7, mean/invstd 3e-7]. dx [8e-7]. dγ, dβ are
// sums of M terms of size ~1 whose rounding grows like √M [2.3e-4 at M = 1e5].
const FORWARD_TOL = { atol: 2e-6, rtol: 2e-6 };
const STATS_TOL = { atol: 1e-6, rtol: 1e-6 };
const DX_TOL = { atol: 3e-6, rtol: 3e-6 };
const paramGradTol = (m: number) => ({ atol: 2e-6 * Math.sqrt(m), rtol: 2e-6 });

const dimsOf = (shape: number[]): BatchNormDims => ({
  n: shape[0]!,
  c: shape[1]!,
  s: shape.slice(2).reduce((a, b) => a * b, 1),
});

function data(shape: number[], seed: number) {
  const { n, c, s } = dimsOf(shape);
  return {
    x: uniform(n * c * s, seed, 1, 5), // mean ≈ 3: the variance must not come from E[x²] − E[x]²
    gamma: uniform(c, seed + 1, 0.5, 2),
    beta: uniform(c, seed + 2),
    runningMean: uniform(c, seed + 3),
    runningVar: uniform(c, seed + 4, 0.5, 2),
    dy: normal(n * c * s, seed + 5),
  };
}

/** L = Σ y ⊙ G of the float64 training forward. */
function loss(x: ArrayLike<number>, dims: BatchNormDims, gamma: ArrayLike<number>, beta: ArrayLike<number>, g: ArrayLike<number>) {
  const zeros = new Array<number>(dims.c).fill(0);
  return batchNormTraining(x, dims, gamma, beta, zeros, zeros).y.reduce((acc, v, k) => acc + v * g[k]!, 0);
}

describe('reference batchnorm gradients', () => {
  it.each(cases([[4, 3], [3, 2, 5], [2, 1]]))('match central differences of Σ y⊙G for shape %s', (_, shape) => {
    const dims = dimsOf(shape);
    const { x, gamma, beta, dy: g } = data(shape, 40);
    const [xs, gs, bs] = [Array.from(x), Array.from(gamma), Array.from(beta)];
    const { dx, dgamma, dbeta } = referenceBackward(xs, g, dims, gs);
    const perturbed = (array: number[], i: number) => (v: number) => {
      const copy = array.slice();
      copy[i] = v;
      return array === xs ? loss(copy, dims, gs, bs, g) : array === gs ? loss(xs, dims, copy, bs, g) : loss(xs, dims, gs, copy, g);
    };
    for (const [array, grad] of [[xs, dx], [gs, dgamma], [bs, dbeta]] as const) {
      array.forEach((v, i) => expect(Math.abs(centralDifference(perturbed(array, i), v) - grad[i]!)).toBeLessThan(1e-6));
    }
  });
});

describe('batchnorm kernels', () => {
  it.each(TRAINING_CASES)('training forward %s (%s) matches the reference and updates running stats', async (_, __, shape, options) => {
    const dims = dimsOf(shape);
    const { x, gamma, beta, runningMean, runningVar } = data(shape, 1);
    const size = x.length;
    const [y, rm, rv, saved] = await runProgram(batchNormTrainingForward(shape, options), [
      x, gamma, beta, { zeros: size }, runningMean, runningVar, { zeros: 2 * dims.c },
    ]);
    const ref = batchNormTraining(x, dims, gamma, beta, runningMean, runningVar);
    expectClose(y!, ref.y, FORWARD_TOL, `y ${name(shape)}`);
    expectClose(saved!, [...ref.mean, ...ref.invstd], STATS_TOL, `saved mean, invstd ${name(shape)}`);
    expectClose(rm!, ref.runningMean, STATS_TOL, `running_mean ${name(shape)}`);
    expectClose(rv!, ref.runningVar, STATS_TOL, `running_var ${name(shape)}`);
  });

  it('normalizes a constant channel (variance 0) to β without NaN', async () => {
    const shape = [4, 2];
    const x = Float32Array.of(3, -1, 3, -1, 3, -1, 3, -1);
    const gamma = Float32Array.of(2, 3);
    const beta = Float32Array.of(0.5, -0.25);
    const [y, , rv] = await runProgram(batchNormTrainingForward(shape), [
      x, gamma, beta, { zeros: 8 }, new Float32Array(2), Float32Array.of(1, 1), { zeros: 4 },
    ]);
    expectClose(y!, [0.5, -0.25, 0.5, -0.25, 0.5, -0.25, 0.5, -0.25], { atol: 0, rtol: 0 }, 'constant y');
    expectClose(rv!, [0.9, 0.9], STATS_TOL, 'constant running_var');
  });

  it.each(EVAL_SHAPES)('eval forward %s uses the running statistics', async (_, shape) => {
    const dims = dimsOf(shape);
    const { x, gamma, beta, runningMean, runningVar } = data(shape, 2);
    const [y] = await runProgram(batchNormEvalForward(shape), [x, gamma, beta, { zeros: x.length }, runningMean, runningVar]);
    expectClose(y!, batchNormEval(x, dims, gamma, beta, runningMean, runningVar), FORWARD_TOL, `eval y ${name(shape)}`);
  });

  it.each(TRAINING_CASES)('backward %s (%s) matches the analytic reference', async (_, __, shape, options) => {
    const dims = dimsOf(shape);
    const { x, gamma, beta, runningMean, runningVar, dy } = data(shape, 3);
    const size = x.length;
    const [, , , saved] = await runProgram(batchNormTrainingForward(shape, options), [
      x, gamma, beta, { zeros: size }, runningMean, runningVar, { zeros: 2 * dims.c },
    ]);
    const [dx, dgamma, dbeta] = await runProgram(batchNormBackward(shape, options), [
      x, gamma, saved!, dy, { zeros: size }, { zeros: dims.c }, { zeros: dims.c },
    ]);
    const ref = referenceBackward(x, dy, dims, gamma);
    expectClose(dx!, ref.dx, DX_TOL, `dx ${name(shape)}`);
    expectClose(dgamma!, ref.dgamma, paramGradTol(dims.n * dims.s), `dgamma ${name(shape)}`);
    expectClose(dbeta!, ref.dbeta, paramGradTol(dims.n * dims.s), `dbeta ${name(shape)}`);
  });

  it('rejects bad shapes and settings, naming the kernel and the shape', () => {
    expect(() => batchNormTrainingForward([1, 7])).toThrow(/batchnorm.forward_train: input shape \[1×7\] has 1 value per channel/);
    expect(() => batchNormEvalForward([7])).toThrow(/batchnorm.forward_eval: input shape \[7\] must be \[N, C, \.\.\.spatial\]/);
    expect(() => batchNormBackward([4, 0, 3])).toThrow(/batchnorm.backward: input shape \[4×0×3\]/);
    expect(() => batchNormBackward([2, 70_000])).toThrow(/70000 channels/);
    expect(() => batchNormTrainingForward([4, 2], { momentum: 2 })).toThrow(/momentum must be in \[0, 1\]/);
    expect(() => batchNormEvalForward([4, 2], { eps: 0 })).toThrow(/eps must be > 0/);
    expect(() => batchNormBackward([4, 2], { workgroupSize: 96 })).toThrow(/power of two/);
  });
});
