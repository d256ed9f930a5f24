// Loss kernels (MSE, SSE, L1, BCE, BCE-with-logits, NLL, Gaussian NLL), forward and backward,
// against the float64 reference; the reference gradients are checked by central differences.
import { describe, expect, it } from 'vitest';
import {
  gaussianNll,
  lossBackward,
  lossForward,
  lossForwardBackward,
  nllBackward,
  nllForward,
  type Loss,
  type Reduction,
} from '../../src/kernels/losses';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { rng, uniform } from '../helpers/random';
import * as ref from '../reference/losses';

const SIZES = [1, 7, 33, 129, 1000];
const ELEMENTWISE: Loss[] = ['mse', 'sse', 'l1', 'bce', 'bceWithLogits'];

// f32 tolerances. Terms: a log or a square of f32 inputs carries a few ulps; BCE-with-logits
// subtracts x·t from max(x, 0) with |x| ≤ 20, so its absolute error follows ulp(20) ≈ 2e-6.
// Gradients: p − t, sign, sigmoid − t and BCE's quotient, each within a few ulps.
const TERM_TOL = { atol: 2e-6, rtol: 2e-6 };
const GRAD_TOL = { atol: 2e-7, rtol: 2e-6 };
const FD_TOL = 1e-6;
const scaled = (tol: { atol: number; rtol: number }, divisor: number) => ({ ...tol, atol: tol.atol / divisor });

/** Predictions and targets in each loss's domain, kept off L1's kink at p = t. */
function inputs(loss: Loss, n: number, seed: number): [Float32Array, Float32Array] {
  if (loss === 'bce') return [uniform(n, seed, 0.02, 0.98), uniform(n, seed + 1, 0, 1)];
  if (loss === 'bceWithLogits') return [uniform(n, seed, -20, 20), uniform(n, seed + 1, 0, 1)];
  const p = uniform(n, seed, -3, 3);
  const t = uniform(n, seed + 1, -3, 3).map((v, i) => (Math.abs(v - p[i]!) < 1e-3 ? v + 2e-3 : v));
  return [p, t];
}

const divisorOf = (loss: Loss, reduction: Reduction, n: number) => (loss === 'sse' || reduction === 'sum' ? 1 : n);

describe('reference losses', () => {
  it.each(ELEMENTWISE)('%s gradient matches central differences', (loss) => {
    const [p, t] = inputs(loss, 200, 3);
    p.forEach((v, i) => {
      const fd = centralDifference((u) => ref.lossTerm(loss, u, t[i]!), v);
      expect(Math.abs(fd - ref.lossGradient(loss, v, t[i]!))).toBeLessThan(FD_TOL);
    });
  });

  it('Gaussian NLL gradients match central differences', () => {
    const [x, t, v] = [uniform(100, 1, -3, 3), uniform(100, 2, -3, 3), uniform(100, 3, 0.1, 2)];
    x.forEach((xi, i) => {
      const [ti, vi] = [t[i]!, v[i]!];
      const [dx, dvar] = ref.gaussianNllGradient(xi, ti, vi, 1e-6);
      expect(Math.abs(centralDifference((u) => ref.gaussianNll(u, ti, vi, 1e-6), xi) - dx)).toBeLessThan(FD_TOL);
      expect(Math.abs(centralDifference((u) => ref.gaussianNll(xi, ti, u, 1e-6), vi) - dvar)).toBeLessThan(FD_TOL);
    });
  });

  it('NLL gradient matches central differences', () => {
    const [n, c] = [3, 4];
    const logp = Float64Array.from(uniform(n * c, 4, -5, 0));
    const labels = [3, 0, 2];
    const { grad } = ref.nll(logp, labels, n, c, n);
    logp.forEach((v, k) => {
      const total = (u: number) => {
        logp[k] = u;
        const s = ref.nll(logp, labels, n, c, n).loss.reduce((a, b) => a + b, 0);
        logp[k] = v;
        return s;
      };
      expect(Math.abs(centralDifference(total, v) - grad[k]!)).toBeLessThan(FD_TOL);
    });
  });
});

describe('elementwise loss kernels', () => {
  it.each(ELEMENTWISE)('%s forward, backward and fused match the reference', async (loss) => {
    for (const [k, n] of SIZES.entries()) {
      const reduction: Reduction = loss === 'sse' || k % 2 === 1 ? 'sum' : 'mean';
      const divisor = divisorOf(loss, reduction, n);
      const [p, t] = inputs(loss, n, 10 * n);
      const terms = Array.from(p, (v, i) => ref.lossTerm(loss, v, t[i]!) / divisor);
      const grads = Array.from(p, (v, i) => ref.lossGradient(loss, v, t[i]!) / divisor);
      const what = `${loss} n=${n} ${reduction}`;
      const [out] = await runProgram(lossForward(loss, n, { reduction }), [p, t, { zeros: n }]);
      expectClose(out!, terms, scaled(TERM_TOL, divisor), `${what} terms`);
      const [dp] = await runProgram(lossBackward(loss, n, { reduction }), [p, t, { zeros: n }]);
      expectClose(dp!, grads, scaled(GRAD_TOL, divisor), `${what} gradient`);
      const fused = lossForwardBackward(loss, n, { reduction });
      const [fusedTerms, fusedGrad] = await runProgram(fused, [p, t, { zeros: n }, { zeros: n }]);
      expectClose(fusedTerms!, terms, scaled(TERM_TOL, divisor), `${what} fused terms`);
      expectClose(fusedGrad!, grads, scaled(GRAD_TOL, divisor), `${what} fused gradient`);
    }
  });

  it('matches PyTorch at the edges: BCE at p ∈ {0, 1}, logits of ±80, L1 at p = t', async () => {
    const cases: [Loss, number[], number[]][] = [
      ['bce', [0, 0, 0, 1, 1, 1], [0, 1, 0.5, 0, 1, 0.5]], // terms 0, 100, 50, 100, 0, 50
      ['bceWithLogits', [80, -80, 80, -80, 0], [0, 1, 1, 0, 0.5]],
      ['l1', [1.5, -2, 0], [1.5, -2, 0]],
    ];
    for (const [loss, pv, tv] of cases) {
      const [p, t] = [Float32Array.from(pv), Float32Array.from(tv)];
      const program = lossForwardBackward(loss, p.length, { reduction: 'sum' });
      const [terms, grad] = await runProgram(program, [p, t, { zeros: p.length }, { zeros: p.length }]);
      expectClose(terms!, pv.map((v, i) => ref.lossTerm(loss, v, tv[i]!)), TERM_TOL, `${loss} edge terms`);
      expectClose(grad!, pv.map((v, i) => ref.lossGradient(loss, v, tv[i]!)), GRAD_TOL, `${loss} edge gradient`);
    }
  });
});

describe('NLL and Gaussian NLL kernels', () => {
  it.each([[1, 1], [7, 10], [33, 33], [129, 2], [1000, 1000]])('NLL %i×%i matches the reference', async (n, c) => {
    const r = rng(n + c);
    const logp = uniform(n * c, n * c, -9, 0);
    const labels = Uint32Array.from({ length: n }, () => Math.min(c - 1, Math.floor(r() * c)));
    const want = ref.nll(logp, labels, n, c, n);
    const [terms] = await runProgram(nllForward(n, c), [logp, labels, { zeros: n }]);
    // One f32 division, which WGSL lets be 2.5 ulps off (SwiftShader uses all of it).
    const tol = { atol: 0, rtol: 3e-7 };
    expectClose(terms!, want.loss, tol, `NLL ${n}×${c} terms`);
    const [grad] = await runProgram(nllBackward(n, c), [labels, { zeros: n * c }]);
    expectClose(grad!, want.grad, tol, `NLL ${n}×${c} gradient`);
  });

  it('NLL makes a row with an out-of-range label NaN', async () => {
    const logp = uniform(6, 1, -3, 0);
    const labels = Uint32Array.of(2, 3);
    const [terms] = await runProgram(nllForward(2, 3, { reduction: 'sum' }), [logp, labels, { zeros: 2 }]);
    const [grad] = await runProgram(nllBackward(2, 3, { reduction: 'sum' }), [labels, { zeros: 6 }]);
    expectClose([terms![0]!, ...grad!.subarray(0, 3)], [-logp[2]!, 0, 0, -1], { atol: 0, rtol: 0 }, 'valid row');
    expect([terms![1], ...grad!.subarray(3)].every(Number.isNaN)).toBe(true);
  });

  it('rejects bad shapes and settings with the kernel and shape in the message', () => {
    expect(() => lossForward('mse', 0)).toThrow(/mse\.forward: size must be a positive integer, got 0/);
    expect(() => lossBackward('sse', 8, { reduction: 'mean' })).toThrow(/sse\.backward \(size 8\): sse is a sum/);
    expect(() => lossForward('l1', 8, { reduction: 'none' as Reduction })).toThrow(/l1\.forward: reduction/);
    expect(() => nllForward(4, 0)).toThrow(/nll\.forward: classes \(shape 4×0\)/);
    expect(() => nllBackward(2.5, 3)).toThrow(/nll\.backward: rows \(shape 2\.5×3\)/);
    expect(() => gaussianNll(5, 2, { eps: 0 })).toThrow(/gaussianNll \(5×2\): eps must be a finite number > 0, got 0/);
  });
});
