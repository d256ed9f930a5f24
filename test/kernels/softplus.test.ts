// Softplus (torch.nn.Softplus(beta, threshold)) forward and backward against the float64
// reference over ±100, ±1e-3, the threshold boundary and its f32 neighbours, for β ∈ {1, 2,
// 0.5}; the reference derivative by central differences; NaN; and values printed by PyTorch.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { activationBackward, activationForward } from '../../src/kernels/elementwise';
import { ActivationLayer, Softplus } from '../../src/nn/layers';
import { centralDifference } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { activate, derivative } from '../reference/elementwise';

const BETAS = [1, 2, 0.5];
const THRESHOLD = 20;

/** The f32 values next to v (v is an f32). */
function neighbours(v: number): [number, number] {
  const f = Float32Array.of(v, v);
  const bits = new Int32Array(f.buffer);
  const up = v >= 0 ? 1 : -1;
  bits[0]! -= up;
  bits[1]! += up;
  return [f[0]!, f[1]!];
}

/** Inputs for β and threshold: fixed hard points, the boundary x = threshold/β with its neighbours, random fill. */
function inputs(beta: number, threshold: number): Float32Array {
  const edge = Math.fround(threshold / beta);
  const fixed = [-100, -87, -60, -20, -5, -1, -1e-3, -1e-30, 0, 1e-30, 1e-3, 0.5, 1, 5, 15, 100];
  return Float32Array.from([...fixed, edge, ...neighbours(edge), ...uniform(45, Math.round(10 * beta), -40 / beta, 40 / beta)]);
}

/**
 * f32 tolerance, per element: |got − want| ≤ 2⁻¹²⁶·max(1, 1/β) + (2⁻²¹ + |βx|·2⁻²²)·|want|.
 * exp's argument reduction costs about |βx|/2 ulps (measured: at most 1.4·(|βx|·2⁻²⁴ + 2⁻²³)
 * on lavapipe and SwiftShader, for forward and backward), the log1p series 2e-9, the division
 * by β 2.5 ulps; the tolerance allows about 3× that. exp(βx) below f32's normal range (βx <
 * −87.3) may be flushed to 0 before the division by β, hence the absolute term.
 */
function expectNear(got: Float32Array, want: number[], x: Float32Array, beta: number, what: string): void {
  const atol = 2 ** -126 * Math.max(1, 1 / beta);
  const ok = (w: number, i: number) => Math.abs(got[i]! - w) <= atol + (2 ** -21 + Math.abs(beta * x[i]!) * 2 ** -22) * Math.abs(w);
  const bad = want.findIndex((w, i) => !ok(w, i));
  expect(bad, `${what}: x = ${x[bad]} gave ${got[bad]}, want ${want[bad]}`).toBe(-1);
}

describe('softplus reference', () => {
  it.each(BETAS)('β = %s: derivative matches central differences', (beta) => {
    for (const v of inputs(beta, THRESHOLD)) {
      const b = beta * v;
      if (Math.abs(b - THRESHOLD) < 1e-3) continue; // the jump of torch's threshold (≤ 2e-9)
      const h = 1e-6 * Math.max(1, Math.abs(v));
      const fd = centralDifference((u) => activate('softplus', u, beta, THRESHOLD), v, h);
      const want = derivative('softplus', v, beta, THRESHOLD);
      expect(Math.abs(fd - want), `x = ${v}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(want));
    }
  });

  it('is exp(βx)/β far below 0, not 0, and x past the threshold', () => {
    expect(activate('softplus', -50, 1)).toBeCloseTo(Math.exp(-50), 35);
    expect(activate('softplus', -50, 1) / Math.exp(-50)).toBeCloseTo(1, 12);
    expect(activate('softplus', 30, 1)).toBe(30);
    expect(activate('softplus', 0, 2)).toBeCloseTo(Math.LN2 / 2, 15);
  });
});

describe('softplus kernel', () => {
  it.each(BETAS)('β = %s, threshold 20: forward and backward match the float64 reference', async (beta) => {
    const x = inputs(beta, THRESHOLD);
    const n = x.length;
    const options = { alpha: beta, threshold: THRESHOLD };
    const [y] = await runProgram(activationForward('softplus', n, options), [x, { zeros: n }]);
    expectNear(y!, Array.from(x, (v) => activate('softplus', v, beta, THRESHOLD)), x, beta, `softplus β=${beta}`);
    const dy = uniform(n, Math.round(30 * beta), -1, 1);
    const [dx] = await runProgram(activationBackward('softplus', n, options), [x, dy, { zeros: n }]);
    const want = Array.from(x, (v, i) => dy[i]! * derivative('softplus', v, beta, THRESHOLD));
    expectNear(dx!, want, x, beta, `softplus backward β=${beta}`);
  });

  it('switches to the identity exactly where β·x > threshold (threshold 1, where the two differ by 0.31)', async () => {
    const threshold = 1;
    for (const beta of BETAS) {
      const edge = Math.fround(threshold / beta);
      const [below, above] = neighbours(edge);
      const x = Float32Array.of(below, edge, above, -threshold / beta);
      const options = { alpha: beta, threshold };
      const [y] = await runProgram(activationForward('softplus', 4, options), [x, { zeros: 4 }]);
      const want = Array.from(x, (v) => activate('softplus', v, beta, threshold));
      expect(y![2]).toBe(above); // the identity, bit for bit
      expect(want[1]! - edge).toBeGreaterThan(0.3 / beta); // x = threshold/β is still softplus
      expectNear(y!, want, x, beta, `softplus β=${beta} threshold 1`);
      const [dx] = await runProgram(activationBackward('softplus', 4, options), [x, new Float32Array(4).fill(1), { zeros: 4 }]);
      expectNear(dx!, Array.from(x, (v) => derivative('softplus', v, beta, threshold)), x, beta, `softplus' β=${beta} threshold 1`);
      expect(dx![2]).toBe(1);
    }
  });

  it('stays finite where torch’s f32 exp(βx) overflows (threshold 100, βx up to 95)', async () => {
    // torch 1.13 gives softplus(95, threshold=100) = inf and gradient NaN; the stable form gives 95 and 1.
    const x = Float32Array.of(88, 89, 95, -95);
    const options = { alpha: 1, threshold: 100 };
    const [y] = await runProgram(activationForward('softplus', 4, options), [x, { zeros: 4 }]);
    expectNear(y!, Array.from(x, (v) => activate('softplus', v, 1, 100)), x, 1, 'softplus threshold 100');
    const [dx] = await runProgram(activationBackward('softplus', 4, options), [x, new Float32Array(4).fill(1), { zeros: 4 }]);
    expectNear(dx!, Array.from(x, (v) => derivative('softplus', v, 1, 100)), x, 1, 'softplus\' threshold 100');
  });

  it('propagates NaN forward and backward, as torch', async () => {
    const x = Float32Array.of(NaN, 1, NaN, -1, -30, NaN, 25, NaN);
    const n = x.length;
    for (const beta of BETAS) {
      const [y] = await runProgram(activationForward('softplus', n, { alpha: beta }), [x, { zeros: n }]);
      expect(Array.from(y!, Number.isNaN)).toEqual(Array.from(x, Number.isNaN));
      const [dx] = await runProgram(activationBackward('softplus', n, { alpha: beta }), [x, new Float32Array(n).fill(1), { zeros: n }]);
      expect(Array.from(dx!, Number.isNaN)).toEqual(Array.from(x, Number.isNaN));
    }
  });

  // Printed by /usr/bin/python3 (Debian python3-torch 1.13): x = torch.tensor(xs, requires_grad=True);
  // y = torch.nn.Softplus(beta, threshold)(x); y.backward(torch.ones_like(y)); print(y, x.grad).
  const TORCH: [number, number, number[], number[], number[]][] = [
    [1, 20,
      [-20, -1e-3, 0, 1e-3, 1, 20, 20.000001907348633, 100],
      [2.06115369216775e-9, 0.6926472783088684, 0.6931471824645996, 0.6936473250389099, 1.31326162815094, 20, 20.000001907348633, 100],
      [2.06115369216775e-9, 0.4997499883174896, 0.5, 0.5002500414848328, 0.7310585975646973, 1, 1, 1]],
    [2, 20,
      [-5, 0.5, 10, 10.000000953674316],
      [2.2699450710206293e-5, 0.65663081407547, 10, 10.000000953674316],
      [4.539786823443137e-5, 0.7310585975646973, 1, 1]],
    [0.5, 20,
      [-40, -1, 3, 40, 40.000003814697266],
      [4.1223073843355e-9, 0.9481539726257324, 3.4028265476226807, 40, 40.000003814697266],
      [2.06115369216775e-9, 0.3775406777858734, 0.8175745010375977, 1, 1]],
    [1, 1,
      [0.9999999403953552, 1, 1.0000001192092896],
      [1.31326162815094, 1.31326162815094, 1.0000001192092896],
      [0.7310585975646973, 0.7310585975646973, 1]],
  ];
  it.each(TORCH)('β = %s, threshold %s: matches PyTorch', async (beta, threshold, xs, ys, grads) => {
    const x = Float32Array.from(xs);
    const n = x.length;
    const options = { alpha: beta, threshold };
    const [y] = await runProgram(activationForward('softplus', n, options), [x, { zeros: n }]);
    expectNear(y!, ys, x, beta, `softplus vs torch β=${beta}`);
    const [dx] = await runProgram(activationBackward('softplus', n, options), [x, new Float32Array(n).fill(1), { zeros: n }]);
    expectNear(dx!, grads, x, beta, `softplus' vs torch β=${beta}`);
  });
});

describe('Softplus layer arguments', () => {
  const any = (v: unknown) => v as number;
  it.each([
    ['Softplus(0)', () => Softplus(0), ['softplus: beta', 'a finite number > 0', 'got 0']],
    ['Softplus(-1)', () => Softplus(-1), ['softplus: beta', 'got -1']],
    ['Softplus(NaN)', () => Softplus(NaN), ['softplus: beta', 'got NaN']],
    ['Softplus(Infinity)', () => Softplus(Infinity), ['softplus: beta', 'got Infinity']],
    ['Softplus(1e-40)', () => Softplus(1e-40), ['softplus: beta', 'at least 1.2e-38', 'got 1e-40']],
    ['Softplus("2")', () => Softplus(any('2')), ['softplus: beta', 'got "2"']],
    ['Softplus(1, NaN)', () => Softplus(1, NaN), ['softplus: threshold', 'a finite number', 'got NaN']],
    ['Softplus(1, -Infinity)', () => Softplus(1, -Infinity), ['softplus: threshold', 'got -Infinity']],
    ['a threshold on ELU', () => new ActivationLayer('elu', 1, 20), ['elu: threshold', 'only softplus', 'got 20']],
  ] as const)('%s is a ConfigError naming the argument', (_, make, parts) => {
    expect(make).toThrow(ConfigError);
    try {
      make();
    } catch (e) {
      for (const part of parts) expect((e as Error).message).toContain(part);
    }
  });

  it('accepts any finite threshold and small positive β', () => {
    expect(Softplus(0.01, -5).threshold).toBe(-5);
    expect(Softplus(2 ** -126).alpha).toBe(2 ** -126);
  });
});
