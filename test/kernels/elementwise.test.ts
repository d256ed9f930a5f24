// Activation kernels, forward and backward, against the float64 reference; the reference
// derivative is itself checked by central finite differences.
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, activationBackward, activationForward, type Activation } from '../../src/kernels/elementwise';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { activate, derivative, erf } from '../reference/elementwise';

const activations = Object.keys(ACTIVATIONS) as Activation[];
const SIZES = [1, 7, 33, 129, 1000];
// α: LeakyReLU slope, ELU α, Softplus β (test/kernels/softplus.test.ts covers it in depth).
const alphaOf = (a: Activation) => (a === 'leakyRelu' ? 0.2 : a === 'elu' ? 0.7 : a === 'softplus' ? 2 : 0);

// Inputs in [-6, 6), nudged away from the kinks at 0 where the derivative is not defined.
function inputs(n: number, seed: number): Float32Array {
  return uniform(n, seed, -6, 6).map((v) => (Math.abs(v) < 1e-3 ? v + 2e-3 : v));
}

// f32 tolerances: exp/tanh/erf on the GPU carry a few ulps; GELU's erf fit adds ≤1.5e-7.
const TOL = { atol: 2e-6, rtol: 2e-6 };

describe('reference activations', () => {
  it('erf matches known values to 1e-14', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 14);
  });

  it.each(activations.filter((a) => a !== 'step'))('%s derivative matches central differences', (a) => {
    for (const v of inputs(200, 11)) {
      const fd = centralDifference((u) => activate(a, u, alphaOf(a)), v);
      expect(Math.abs(fd - derivative(a, v, alphaOf(a)))).toBeLessThan(1e-6);
    }
  });
});

describe('activation kernels', () => {
  it.each(activations)('%s forward matches the float64 reference', async (a) => {
    for (const n of SIZES) {
      const x = inputs(n, n);
      const [y] = await runProgram(activationForward(a, n, { alpha: alphaOf(a) }), [x, { zeros: n }]);
      expectClose(y!, Array.from(x, (v) => activate(a, v, alphaOf(a))), TOL, `${a} forward n=${n}`);
    }
  });

  it.each(activations.filter((a) => a !== 'step'))('%s backward matches the float64 reference', async (a) => {
    for (const n of SIZES) {
      const x = inputs(n, 100 + n);
      const dy = uniform(n, 200 + n);
      const [dx] = await runProgram(activationBackward(a, n, { alpha: alphaOf(a) }), [x, dy, { zeros: n }]);
      const expected = Array.from(x, (v, i) => dy[i]! * derivative(a, v, alphaOf(a)));
      expectClose(dx!, expected, TOL, `${a} backward n=${n}`);
    }
  });

  it('covers more than 65535 workgroups by folding the grid into two dimensions', async () => {
    const n = 4 * 70_000 + 3; // 4 values per invocation: 70 001 invocations, the last one partial
    const program = activationForward('relu', n, { workgroupSize: 1 });
    expect(program.workgroups[1]).toBeGreaterThan(1);
    const x = inputs(n, 5);
    const [y] = await runProgram(program, [x, { zeros: n }]);
    expectClose(y!, Array.from(x, (v) => Math.max(v, 0)), { atol: 0, rtol: 0 }, 'relu folded grid');
  });

  // torch propagates NaN through every activation (relu(nan) = nan); a max(v, 0) may return 0
  // and hide a NaN input (found: ReLU and ELU did). Step is a threshold, not an activation torch has.
  it.each(activations.filter((a) => a !== 'step'))('%s forward propagates NaN', async (a) => {
    const x = Float32Array.of(NaN, 1, NaN, -1, -2, NaN, 0.5, NaN);
    const [y] = await runProgram(activationForward(a, x.length, { alpha: alphaOf(a) }), [x, { zeros: x.length }]);
    expect(Array.from(y!, Number.isNaN)).toEqual(Array.from(x, Number.isNaN));
  });

  it('rejects an empty size and the gradient of the step function', () => {
    expect(() => activationForward('relu', 0)).toThrow(/size must be ≥ 1/);
    expect(() => activationBackward('step', 4)).toThrow(/no useful gradient/);
  });
});
