// Flat binary/linear elementwise kernels (add, multiply, scale, accumulate, bias add)
// against the float64 reference.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { accumulate, add, biasAdd, multiply, scale } from '../../src/kernels/elementwise';
import { centralDifference, expectClose } from '../helpers/compare';
import { runProgram, testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import * as ref from '../reference/binary';

const SIZES = [1, 7, 33, 129, 1000];
// [outer, channels, inner]: the 2-D case (inner = 1) and per-channel biases of (N, C, H·W).
const BIAS_SHAPES = [[1, 1, 1], [7, 33, 1], [1, 1000, 1], [129, 10, 1], [33, 7, 129], [2, 3, 1000]] as const;

const U = 2 ** -24; // unit roundoff of f32
// Add and multiply of f32 inputs are one correctly rounded operation: error ≤ U·|result|.
const ONE_ROUNDING = { atol: 0, rtol: U };
// scale: α rounded to f32, then one rounded product: ≤ 2U relative.
const SCALE_TOL = { atol: 0, rtol: 2 * U };
// accumulate: y + α·x with |α·x| ≤ 1 carries ≤ 2U absolute from α·x and U relative from the
// sum; two accumulations double that.
const ACCUMULATE_TOL = { atol: 4 * 2 * U, rtol: 2 * U };

describe('binary elementwise kernels', () => {
  it('add and multiply match the float64 reference to one rounding', async () => {
    for (const n of SIZES) {
      const a = uniform(n, n);
      const b = uniform(n, 50 + n);
      const [sum] = await runProgram(add(n), [a, b, { zeros: n }]);
      expectClose(sum!, ref.add(a, b), ONE_ROUNDING, `add n=${n}`);
      const [product] = await runProgram(multiply(n), [a, b, { zeros: n }]);
      expectClose(product!, ref.multiply(a, b), ONE_ROUNDING, `multiply n=${n}`);
    }
  });

  it('scale multiplies by an α that f32 cannot represent exactly', async () => {
    for (const n of SIZES) {
      const x = uniform(n, 3 * n);
      const [y] = await runProgram(scale(n, -0.3), [x, { zeros: n }]);
      expectClose(y!, ref.scale(x, -0.3), SCALE_TOL, `scale n=${n}`);
    }
  });

  it('accumulate adds two gradients into the same buffer within one pass', async () => {
    const runtime = await testRuntime();
    for (const n of SIZES) {
      const [y0, x1, x2] = [uniform(n, n), uniform(n, 10 + n), uniform(n, 20 + n)];
      const first = await runtime.prepare(accumulate(n));
      const second = await runtime.prepare(accumulate(n, { alpha: 0.7 }));
      const buffers = [y0, x1, x2].map((data, i) => runtime.upload(data, `accumulate ${i}`));
      const [y, b1, b2] = buffers as [GPUBuffer, GPUBuffer, GPUBuffer];
      runtime.submit([
        runtime.launch(first, [b1, y]),
        runtime.launch(second, [b2, y]),
      ]);
      const result = await runtime.readFloat32(y, n);
      buffers.forEach((buffer) => runtime.destroyBuffer(buffer));
      expectClose(result, ref.accumulate(ref.accumulate(y0, x1, 1), x2, 0.7), ACCUMULATE_TOL, `accumulate n=${n}`);
    }
  });

  it('bias add broadcasts b along outer and inner', async () => {
    for (const [outer, channels, inner] of BIAS_SHAPES) {
      const n = outer * channels * inner;
      const x = uniform(n, n);
      const b = uniform(channels, channels + 1);
      const [y] = await runProgram(biasAdd(outer, channels, inner), [x, b, { zeros: n }]);
      expectClose(y!, ref.biasAdd(x, b, channels, inner), ONE_ROUNDING, `biasAdd [${outer}, ${channels}, ${inner}]`);
    }
  });

  it('covers more than 65535 workgroups by folding the grid into two dimensions', async () => {
    const n = 70_000;
    const program = add(n, { workgroupSize: 1 });
    expect(program.workgroups[1]).toBeGreaterThan(1);
    const [a, b] = [uniform(n, 1), uniform(n, 2)];
    const [c] = await runProgram(program, [a, b, { zeros: n }]);
    expectClose(c!, ref.add(a, b), ONE_ROUNDING, 'add folded grid');
  });

  it("multiply's gradient dy ⊙ b (multiply again) matches central differences", () => {
    const [a, b, w] = [uniform(9, 4), uniform(9, 5), uniform(9, 6)];
    const loss = (a2: ArrayLike<number>) => ref.multiply(ref.multiply(a2, b), w).reduce((s, v) => s + v, 0);
    const analytic = ref.multiply(w, b);
    a.forEach((v, i) => {
      const fd = centralDifference((u) => loss(Array.from(a, (ai, k) => (k === i ? u : ai))), v);
      expect(Math.abs(fd - analytic[i]!)).toBeLessThan(1e-6);
    });
  });

  it('rejects empty sizes, bad shapes and non-finite factors', () => {
    expect(() => add(0)).toThrow(ConfigError);
    expect(() => multiply(1.5)).toThrow(/multiply: size must be ≥ 1, got 1.5/);
    expect(() => scale(4, NaN)).toThrow(/scale: α must be finite/);
    expect(() => accumulate(4, { alpha: Infinity })).toThrow(/accumulate: α must be finite/);
    expect(() => biasAdd(2, 0, 3)).toThrow(/biasAdd: \[outer, channels, inner\] = \[2, 0, 3\]/);
  });
});
