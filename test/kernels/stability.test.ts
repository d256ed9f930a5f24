// Numerical stability under logits and probabilities that break naive formulas: softmax,
// log-softmax and cross-entropy with logits above 88.7 (where exp overflows f32) with the row
// maximum at every position in turn, logits down to −1e4 (where exp underflows), mixed rows;
// BCE at probabilities of exactly 0 and 1 (torch clamps its logs at −100) and BCE-with-logits
// at ±100 and ±1e4. Each kernel's loss and gradient must be finite and match the float64
// reference computed on the same f32 inputs.
import { describe, expect, it } from 'vitest';
import { lossBackward, lossForward, lossForwardBackward, type Loss } from '../../src/kernels/losses';
import {
  crossEntropyFromLabels,
  crossEntropyFromProbs,
  logSoftmaxBackward,
  logSoftmaxForward,
  softmaxBackward,
  softmaxForward,
} from '../../src/kernels/softmax_xent';
import { expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { rng, uniform } from '../helpers/random';
import * as lossRef from '../reference/losses';
import * as ref from '../reference/softmax_xent';

const ULP = 2 ** -23;

/**
 * C rows of C logits uniform in [lo, hi), row i with its maximum `top` at position i: the
 * maximum visits every position, so every lane and the strided tail of a wide row see it.
 */
function maxAtEachPosition(c: number, lo: number, hi: number, top: number, seed: number): Float32Array {
  const x = uniform(c * c, seed, lo, hi);
  for (let i = 0; i < c; i++) x[i * c + i] = top;
  return x;
}

/** Labels that land on the row maximum (row 0), just after it, and anywhere. */
const labelsFor = (n: number, c: number) => Uint32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i % c : (i * 7 + 1) % c));

const finite = (values: ArrayLike<number>, what: string) => {
  const bad = Array.from(values).findIndex((v) => !Number.isFinite(v));
  expect(bad, `${what}: element ${bad} is ${values[bad]}`).toBe(-1);
};

const largest = (x: ArrayLike<number>) => Math.max(...Array.from(x, Math.abs));

// C = 130 compiles the 32-lane shared-memory reduction: seconds per pipeline on lavapipe.
const WIDE_TIMEOUT = 240_000;

// Rows of f32 logits: above exp's overflow at 88.72, below its underflow, and both at once.
// C = 10 runs one thread per row, C = 130 runs 32 threads per row (the default split).
const ROWS: [string, number, number, number, number][] = [
  ['in [89, 200]', 10, 89, 199, 200],
  ['in [89, 200]', 130, 89, 199, 200],
  ['in [−1e4, −200]', 10, -1e4, -201, -200],
  ['in [−1e4, −200]', 130, -1e4, -201, -200],
  ['mixed, in [−1e4, 200]', 10, -1e4, 199, 200],
  ['mixed, in [−1e4, 200]', 130, -1e4, 199, 200],
];

describe('softmax and log-softmax far outside exp’s range', () => {
  it.each(ROWS)('logits %s, C = %i, maximum at each position', async (_, c, lo, hi, top) => {
    const n = c;
    const x = maxAtEachPosition(c, lo, hi, top, c + Math.round(hi));
    const what = `${lo}..${top} C=${c}`;
    const [p] = await runProgram(softmaxForward(n, c), [x, { zeros: n * c }]);
    finite(p!, `softmax ${what}`);
    expectClose(p!, ref.softmax(x, n, c), { atol: 1e-7, rtol: 1e-5 }, `softmax ${what}`);
    const [logp] = await runProgram(logSoftmaxForward(n, c), [x, { zeros: n * c }]);
    finite(logp!, `log-softmax ${what}`);
    // x − max and the log of the row sum carry an ulp of the largest logit each.
    const logTol = { atol: 4 * ULP * largest(x), rtol: 1e-6 };
    const wantLogp = ref.logSoftmax(x, n, c);
    expectClose(logp!, wantLogp, logTol, `log-softmax ${what}`);

    // Backward through probabilities of exactly 0 and 1 and log-probabilities of −1e4 (no exp
    // of a logit there, so the narrow rows suffice: each wide-row pipeline costs seconds to compile).
    if (c >= 128) return;
    const dy = uniform(n * c, 3, -1, 1);
    const y = new Float32Array(ref.softmax(x, n, c));
    const [dx] = await runProgram(softmaxBackward(n, c), [y, dy, { zeros: n * c }]);
    finite(dx!, `softmax backward ${what}`);
    expectClose(dx!, ref.softmaxBackward(y, dy, n, c), { atol: 1e-6, rtol: 1e-5 }, `softmax backward ${what}`);
    const logy = new Float32Array(wantLogp);
    const [dlx] = await runProgram(logSoftmaxBackward(n, c), [logy, dy, { zeros: n * c }]);
    finite(dlx!, `log-softmax backward ${what}`);
    expectClose(dlx!, ref.logSoftmaxBackward(logy, dy, n, c), { atol: 1e-5, rtol: 1e-5 }, `log-softmax backward ${what}`);
  }, WIDE_TIMEOUT);

  it('rows of one huge value among −1e4s give one-hot probabilities; equal rows give 1/C', async () => {
    const c = 7;
    const x = new Float32Array(3 * c).fill(-1e4);
    x[3] = 200;
    x[c + 6] = 1e4; // spread of 2e4
    x.fill(150, 2 * c); // a row of ties above the overflow threshold
    const [p] = await runProgram(softmaxForward(3, c), [x, { zeros: 3 * c }]);
    const want = [...[0, 0, 0, 1, 0, 0, 0], ...[0, 0, 0, 0, 0, 0, 1], ...Array(c).fill(1 / c)];
    expectClose(p!, want, { atol: 1e-7, rtol: 1e-6 }, 'one-hot and uniform rows');
  });
});

describe('cross-entropy far outside exp’s range', () => {
  it.each(ROWS)('from labels, logits %s, C = %i: loss and gradient finite and exact, ε ∈ {0, 0.1}', async (_, c, lo, hi, top) => {
    const n = c;
    const x = maxAtEachPosition(c, lo, hi, top, 2 * c + Math.round(hi));
    const labels = labelsFor(n, c);
    for (const [labelSmoothing, reduction] of [[0, 'mean'], [0.1, 'sum']] as const) {
      const divisor = reduction === 'mean' ? n : 1;
      const program = crossEntropyFromLabels(n, c, { labelSmoothing, reduction });
      const [loss, grad] = await runProgram(program, [x, labels, { zeros: n }, { zeros: n * c }]);
      const what = `${lo}..${top} C=${c} ε=${labelSmoothing}`;
      finite(loss!, `loss ${what}`);
      finite(grad!, `dlogits ${what}`);
      const want = ref.crossEntropy(x, ref.labelTargets(labels, n, c, labelSmoothing), n, c, divisor);
      // Losses reach |x_label − max| ≈ 1e4: a few ulps of the largest logit, plus, with
      // smoothing, the f32 row sum Σ(x − max) of C terms of that size, divided by C.
      const lossTol = { atol: (8 * ULP * largest(x)) / divisor, rtol: 1e-6 };
      expectClose(loss!, want.loss, lossTol, `loss ${what}`);
      expectClose(grad!, want.grad, { atol: 3e-7 / divisor, rtol: 1e-5 }, `dlogits ${what}`);
    }
  }, WIDE_TIMEOUT);

  it.each(ROWS)('from soft targets, logits %s, C = %i: loss and gradient finite and exact', async (_, c, lo, hi, top) => {
    const n = c;
    const x = maxAtEachPosition(c, lo, hi, top, 3 * c + Math.round(hi));
    const t = new Float32Array(ref.softmax(uniform(n * c, 11, -3, 3), n, c));
    const program = crossEntropyFromProbs(n, c, { labelSmoothing: 0.1 });
    const [loss, grad] = await runProgram(program, [x, t, { zeros: n }, { zeros: n * c }]);
    const what = `${lo}..${top} C=${c}`;
    finite(loss!, `loss ${what}`);
    finite(grad!, `dlogits ${what}`);
    const want = ref.crossEntropy(x, ref.smoothTargets(t, 0.1, c), n, c, n);
    expectClose(loss!, want.loss, { atol: (8 * ULP * largest(x)) / n, rtol: 1e-6 }, `loss ${what}`);
    expectClose(grad!, want.grad, { atol: 3e-7 / n, rtol: 1e-5 }, `dlogits ${what}`);
  }, WIDE_TIMEOUT);

  it('a confidently right row has loss 0 and a confidently wrong one loss = the logit gap', async () => {
    const c = 4;
    const x = Float32Array.of(200, -1e4, -1e4, -1e4, 200, -1e4, -1e4, -1e4);
    const [loss, grad] = await runProgram(crossEntropyFromLabels(2, c, { reduction: 'sum' }), [
      x, Uint32Array.of(0, 2), { zeros: 2 }, { zeros: 2 * c },
    ]);
    expectClose(loss!, [0, 10200], { atol: 0, rtol: 1e-7 }, 'losses');
    expectClose(grad!, [0, 0, 0, 0, 1, 0, -1, 0], { atol: 0, rtol: 0 }, 'dlogits');
  });
});

describe('BCE at the ends of its domain', () => {
  const kernels = (loss: Loss, n: number) => [
    ['forward', lossForward(loss, n, { reduction: 'sum' })],
    ['backward', lossBackward(loss, n, { reduction: 'sum' })],
    ['fused', lossForwardBackward(loss, n, { reduction: 'sum' })],
  ] as const;

  /** Runs forward, backward and fused kernels and checks each output against the reference. */
  async function check(loss: Loss, pv: readonly number[], tv: readonly number[], termTol: object, gradTol: object) {
    const [p, t] = [Float32Array.from(pv), Float32Array.from(tv)];
    const n = p.length;
    const terms = Array.from(p, (v, i) => lossRef.lossTerm(loss, v, t[i]!));
    const grads = Array.from(p, (v, i) => lossRef.lossGradient(loss, v, t[i]!));
    for (const [name, program] of kernels(loss, n)) {
      const outputs = await runProgram(program, [p, t, ...program.bindings.slice(2).map(() => ({ zeros: n }))]);
      const expected = name === 'forward' ? [terms] : name === 'backward' ? [grads] : [terms, grads];
      outputs.forEach((out, k) => {
        const what = `${loss} ${name} ${expected[k] === terms ? 'terms' : 'gradient'}`;
        finite(out, what);
        expectClose(out, expected[k]!, (expected[k] === terms ? termTol : gradTol) as { atol: number; rtol: number }, what);
      });
    }
  }

  it('BCELoss at p ∈ {0, 1, 1e−30, 1 − 2⁻²⁴}: logs clamped at −100, gradient (p − t)/max(p(1 − p), 1e−12)', async () => {
    const ps = [0, 1, 1e-30, 1 - 2 ** -24, 0.5];
    const ts = [0, 1, 0.3];
    const pv = ps.flatMap((p) => ts.map(() => p));
    const tv = ps.flatMap(() => ts);
    // Terms up to 100 (a few ulps: 2e-5); gradients up to 1e12 (relative).
    await check('bce', pv, tv, { atol: 2e-5, rtol: 1e-6 }, { atol: 1e-6, rtol: 1e-6 });
  });

  it('BCEWithLogitsLoss at x ∈ {±88.8, ±100, ±1e4} and 0', async () => {
    const xs = [88.8, -88.8, 100, -100, 1e4, -1e4, 0];
    const ts = [0, 1, 0.25];
    const pv = xs.flatMap((x) => ts.map(() => x));
    const tv = xs.flatMap(() => ts);
    // Terms up to 1e4: an ulp of the logit (log(2) at x = 0: WGSL's log is 2^-21 absolute); gradients σ(x) − t within an ulp of 1.
    await check('bceWithLogits', pv, tv, { atol: 1e-6, rtol: 2e-7 }, { atol: 2 * ULP, rtol: 0 });
  });

  // A bug found: for a subnormal probability (p < 2⁻¹²⁶ ≈ 1.2e−38, e.g. sigmoid(−95)) WGSL's
  // log() need not be exact: lavapipe returned ≈ −88.03 for every subnormal, capping the term
  // at 88.03 instead of torch's −log p (92.10 at p = 1e−40, 96.71 at 1e−42). clamped_log now
  // takes a subnormal's log from its bits.
  it('BCELoss at subnormal probabilities 1e−40 and 1e−42 matches torch (−log p, not yet clamped)', async () => {
    await check('bce', [1e-40, 1e-42, 1e-40], [1, 1, 0.5], { atol: 2e-5, rtol: 1e-6 }, { atol: 1e-6, rtol: 1e-6 });
  });

  it('random probabilities with a third of them exactly 0 or 1 stay finite and exact', async () => {
    const r = rng(5);
    const n = 300;
    const pv = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : r()));
    const tv = Array.from({ length: n }, () => r());
    await check('bce', pv, tv, { atol: 2e-5, rtol: 1e-6 }, { atol: 1e-6, rtol: 1e-6 });
  });
});
