// Softmax, log-softmax and fused cross-entropy kernels against the float64 reference; the
// reference gradients are checked by central finite differences of the reference losses.
import { describe, expect, it } from 'vitest';
import {
  crossEntropyFromLabels,
  crossEntropyFromProbs,
  logSoftmaxBackward,
  logSoftmaxForward,
  softmaxBackward,
  softmaxForward,
} from '../../src/kernels/softmax_xent';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { rng, uniform } from '../helpers/random';
import * as ref from '../reference/softmax_xent';

// Every N in {1, 7, 33, 129, 1000} and every C in {2, 10, 33, 1000}, not the full product: each
// shape is a pipeline of its own, and lavapipe takes 0.3–3 s to compile one.
const SHAPES = [
  [1, 2], [1, 1000], [7, 10], [7, 33], [33, 2], [33, 10], [129, 2], [129, 33], [1000, 10], [1000, 1000],
] as const;

// f32 tolerances. Probabilities: exp and one division carry a few ulps, plus the f32 row sum
// (≤ 1000 terms). Log-probabilities and losses are differences of numbers up to ~|logit|, so
// their absolute error follows ulp(16) ≈ 2e-6. Gradients are p − t with p ≤ 1 carrying a few
// ulps: absolute error ≈ 5·ulp(1) = 3e-7.
const PROB_TOL = { atol: 5e-8, rtol: 5e-6 };
const LOG_TOL = { atol: 2e-6, rtol: 1e-6 };
const GRAD_TOL = { atol: 3e-7, rtol: 1e-5 };

const logits = (n: number, c: number, seed: number) => uniform(n * c, seed, -8, 8);
const labelsFor = (n: number, c: number, seed: number) => {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.min(c - 1, Math.floor(r() * c)));
};
/** Rows of probabilities (sum 1 up to f32 rounding). */
const softTargets = (n: number, c: number, seed: number) => new Float32Array(ref.softmax(logits(n, c, seed), n, c));
const scaled = (tol: { atol: number; rtol: number }, divisor: number) => ({ ...tol, atol: tol.atol / divisor });

/** ∂f/∂x_k by central differences for every k. */
function numericGradient(f: (x: Float64Array) => number, x0: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(x0);
  return x.map((v, k) =>
    centralDifference((u) => {
      x[k] = u;
      const y = f(x);
      x[k] = v;
      return y;
    }, v),
  );
}
const sum = (values: Float64Array) => values.reduce((a, b) => a + b, 0);
const FD_TOL = { atol: 1e-7, rtol: 1e-6 };

describe('reference softmax and cross-entropy', () => {
  it('gives the textbook gradient softmax − onehot = [0.2, 0.1, −0.3]', () => {
    const z = [0.2, 0.1, 0.7].map(Math.log);
    const { loss, grad } = ref.crossEntropy(z, ref.labelTargets([2], 1, 3, 0), 1, 3, 1);
    expectClose(grad, [0.2, 0.1, -0.3], { atol: 1e-15, rtol: 0 }, 'textbook gradient');
    expect(loss[0]).toBeCloseTo(-Math.log(0.7), 14);
  });

  it.each([0, 0.1, 1])('cross-entropy gradient (label smoothing %s) matches central differences', (eps) => {
    const [n, c] = [3, 5];
    const t = ref.labelTargets([4, 0, 2], n, c, eps);
    const x = logits(n, c, 1);
    const numeric = numericGradient((v) => sum(ref.crossEntropy(v, t, n, c, n).loss), x);
    expectClose(ref.crossEntropy(x, t, n, c, n).grad, numeric, FD_TOL, 'd loss / d logits');
  });

  it('soft-target gradient matches central differences, also for rows not summing to 1', () => {
    const [n, c] = [3, 4];
    const t = uniform(n * c, 2, 0, 1);
    const x = logits(n, c, 3);
    const numeric = numericGradient((v) => sum(ref.crossEntropy(v, t, n, c, 1).loss), x);
    expectClose(ref.crossEntropy(x, t, n, c, 1).grad, numeric, FD_TOL, 'd loss / d logits');
  });

  it('softmax and log-softmax backward match central differences', () => {
    const [n, c] = [2, 6];
    const x = logits(n, c, 4);
    const dy = uniform(n * c, 5);
    const dot = (y: Float64Array) => y.reduce((a, v, k) => a + v * dy[k]!, 0);
    const numericSoftmax = numericGradient((v) => dot(ref.softmax(v, n, c)), x);
    expectClose(ref.softmaxBackward(ref.softmax(x, n, c), dy, n, c), numericSoftmax, FD_TOL, 'softmax');
    const numericLog = numericGradient((v) => dot(ref.logSoftmax(v, n, c)), x);
    expectClose(ref.logSoftmaxBackward(ref.logSoftmax(x, n, c), dy, n, c), numericLog, FD_TOL, 'log-softmax');
  });
});

describe('softmax kernels', () => {
  it.each(SHAPES)('softmax and log-softmax forward match the reference (%i×%i)', async (n, c) => {
    const x = logits(n, c, n + c);
    const [p] = await runProgram(softmaxForward(n, c), [x, { zeros: n * c }]);
    expectClose(p!, ref.softmax(x, n, c), PROB_TOL, `softmax ${n}×${c}`);
    const [logp] = await runProgram(logSoftmaxForward(n, c), [x, { zeros: n * c }]);
    expectClose(logp!, ref.logSoftmax(x, n, c), LOG_TOL, `log-softmax ${n}×${c}`);
  });

  it.each(SHAPES)('softmax and log-softmax backward match the reference (%i×%i)', async (n, c) => {
    const x = logits(n, c, 2 * n + c);
    const dy = uniform(n * c, n * c);
    const y = new Float32Array(ref.softmax(x, n, c));
    const [dx] = await runProgram(softmaxBackward(n, c), [y, dy, { zeros: n * c }]);
    expectClose(dx!, ref.softmaxBackward(y, dy, n, c), GRAD_TOL, `softmax backward ${n}×${c}`);
    const logy = new Float32Array(ref.logSoftmax(x, n, c));
    const [dlx] = await runProgram(logSoftmaxBackward(n, c), [logy, dy, { zeros: n * c }]);
    // Σ dy over C terms is O(√C), so the absolute error grows with it.
    const tol = { atol: 1e-6, rtol: 1e-5 };
    expectClose(dlx!, ref.logSoftmaxBackward(logy, dy, n, c), tol, `log-softmax backward ${n}×${c}`);
  });

  // Besides the defaults (1 below C = 128, 32 above): lanes left idle (64 > C = 33), C not a
  // multiple of the lanes, one thread on a 1000-wide row, a whole workgroup on one row.
  it.each([
    [129, 33, 64, 64], [33, 10, 4, 64], [7, 1000, 1, 64], [5, 1000, 256, 256],
  ])('softmax %i×%i with %i threads per row (workgroup %i) matches the reference', async (n, c, t, wg) => {
    const x = logits(n, c, 9);
    const [p] = await runProgram(softmaxForward(n, c, { threadsPerRow: t, workgroupSize: wg }), [x, { zeros: n * c }]);
    expectClose(p!, ref.softmax(x, n, c), PROB_TOL, `softmax ${n}×${c}, ${t} threads/row`);
  });

  it('covers more than 65535 workgroups by folding the grid into two dimensions', async () => {
    const [n, c] = [70_000, 2];
    const program = softmaxForward(n, c, { workgroupSize: 1 });
    expect(program.workgroups[1]).toBeGreaterThan(1);
    const x = logits(n, c, 12);
    const [p] = await runProgram(program, [x, { zeros: n * c }]);
    expectClose(p!, ref.softmax(x, n, c), PROB_TOL, 'softmax, folded grid');
  });
});

describe('fused cross-entropy kernels', () => {
  it.each(SHAPES)('from labels (%i×%i): loss and gradient match the reference, ε ∈ {0, 0.1}', async (n, c) => {
    for (const [labelSmoothing, reduction] of [[0, 'mean'], [0.1, 'sum']] as const) {
      const x = logits(n, c, 3 * n + c);
      const labels = labelsFor(n, c, n * c);
      const divisor = reduction === 'mean' ? n : 1;
      const program = crossEntropyFromLabels(n, c, { labelSmoothing, reduction });
      const [loss, grad] = await runProgram(program, [x, labels, { zeros: n }, { zeros: n * c }]);
      const want = ref.crossEntropy(x, ref.labelTargets(labels, n, c, labelSmoothing), n, c, divisor);
      const what = `${n}×${c} ε=${labelSmoothing} ${reduction}`;
      expectClose(loss!, want.loss, scaled(LOG_TOL, divisor), `loss ${what}`);
      expectClose(grad!, want.grad, scaled(GRAD_TOL, divisor), `dlogits ${what}`);
    }
  });

  it.each(SHAPES)('from soft targets (%i×%i): loss and gradient match the reference', async (n, c) => {
    const x = logits(n, c, 5 * n + c);
    const t = softTargets(n, c, 7 * n + c);
    const program = crossEntropyFromProbs(n, c, { labelSmoothing: 0.2 });
    const [loss, grad] = await runProgram(program, [x, t, { zeros: n }, { zeros: n * c }]);
    const want = ref.crossEntropy(x, ref.smoothTargets(t, 0.2, c), n, c, n);
    expectClose(loss!, want.loss, scaled(LOG_TOL, n), `loss ${n}×${c}`);
    expectClose(grad!, want.grad, scaled(GRAD_TOL, n), `dlogits ${n}×${c}`);
  });

  it('gives the textbook gradient [0.2, 0.1, −0.3] for softmax [0.2, 0.1, 0.7] and class 2', async () => {
    const z = Float32Array.from([0.2, 0.1, 0.7], Math.log);
    const bindings = [z, Uint32Array.of(2), { zeros: 1 }, { zeros: 3 }];
    const [loss, grad] = await runProgram(crossEntropyFromLabels(1, 3), bindings);
    expectClose(grad!, [0.2, 0.1, -0.3], { atol: 1e-7, rtol: 0 }, 'textbook gradient');
    expectClose(loss!, [-Math.log(0.7)], { atol: 1e-7, rtol: 0 }, 'textbook loss');
  });

  it('stays finite and exact for logits of ±80', async () => {
    const [n, c] = [4, 10];
    const x = logits(n, c, 8).map((v, k) => (k % 3 === 0 ? 80 : k % 3 === 1 ? -80 : v));
    const labels = Uint32Array.of(0, 0, 0, 3); // the labelled logit is +80, −80, in (−8, 8), +80
    const [loss, grad] = await runProgram(crossEntropyFromLabels(n, c, { labelSmoothing: 0.1 }), [
      x, labels, { zeros: n }, { zeros: n * c },
    ]);
    const want = ref.crossEntropy(x, ref.labelTargets(labels, n, c, 0.1), n, c, n);
    expectClose(loss!, want.loss, { atol: 1e-6, rtol: 1e-6 }, 'loss at ±80');
    expectClose(grad!, want.grad, scaled(GRAD_TOL, n), 'dlogits at ±80');
    const [p] = await runProgram(softmaxForward(n, c), [x, { zeros: n * c }]);
    expectClose(p!, ref.softmax(x, n, c), PROB_TOL, 'softmax at ±80');
  });

  it('makes a row with an out-of-range label NaN and leaves the others intact', async () => {
    const x = logits(2, 10, 6);
    const labels = new Uint32Array(Int32Array.of(3, -100).buffer);
    const [loss, grad] = await runProgram(crossEntropyFromLabels(2, 10), [x, labels, { zeros: 2 }, { zeros: 20 }]);
    const want = ref.crossEntropy(x.subarray(0, 10), ref.labelTargets([3], 1, 10, 0), 1, 10, 2);
    expectClose(loss!.subarray(0, 1), want.loss, LOG_TOL, 'valid row loss');
    expectClose(grad!.subarray(0, 10), want.grad, GRAD_TOL, 'valid row dlogits');
    expect(Number.isNaN(loss![1])).toBe(true);
    expect(grad!.subarray(10).every(Number.isNaN)).toBe(true);
  });

  it('rejects bad shapes and settings with the kernel and shape in the message', () => {
    expect(() => crossEntropyFromLabels(8, 1)).toThrow(/crossEntropyFromLabels: logits are 8×1/);
    expect(() => crossEntropyFromProbs(0, 10)).toThrow(/crossEntropyFromProbs: .*0×10/);
    expect(() => crossEntropyFromLabels(4, 10, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing.*1\.5/);
    expect(() => softmaxForward(4, 10, { threadsPerRow: 3 })).toThrow(/softmax \(4×10\): threadsPerRow/);
    expect(() => softmaxForward(4, 10, { workgroupSize: 512 })).toThrow(/workgroupSize/);
    expect(() => crossEntropyFromLabels(4, 10, { reduction: 'none' as 'sum' })).toThrow(/reduction/);
  });
});
