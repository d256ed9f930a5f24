// Global-norm gradient clipping against a float64 reference (torch.nn.utils.clip_grad_norm_).
import { describe, expect, it } from 'vitest';
import { clipNorm, clipScale } from '../../src/kernels/clip';
import { expectClose } from '../helpers/compare';
import { testRuntime, workgroupSums } from '../helpers/gpu';
import { normal } from '../helpers/random';

/** torch: coef = max/(‖g‖ + 1e-6), clamped to 1; g ← g·coef. */
function reference(g: Float32Array, maxNorm: number) {
  const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, coefficient, clipped: Array.from(g, (v) => v * coefficient) };
}

// The norm sums n squares in f32 (strided chunks + the workgroup sum): relative error ≲ 1e-6 here.
const NORM_TOL = { atol: 0, rtol: 2e-6 };
// With each workgroup sum (tree, and subgroup where the device has it).
const SUMS = await workgroupSums();

describe('clip by global norm', () => {
  const cases = SUMS.flatMap(([sum, options]) => [1, 7, 129, 1000, 100_003].map((n) => [n, sum, options] as const));
  it.each(cases)('n = %i (%s): norm, coefficient and scaled gradients match', async (n, _, sum) => {
    const runtime = await testRuntime();
    const g = normal(n, n);
    for (const maxNorm of [0.5, 1e9]) {
      const ref = reference(g, maxNorm);
      const grads = runtime.upload(g, 'grads');
      const stats = runtime.createBuffer(8, 'stats');
      const [norm, scale] = await Promise.all([runtime.prepare(clipNorm(n, maxNorm, sum)), runtime.prepare(clipScale(n, maxNorm))]);
      runtime.submit([
        runtime.launch(norm, [grads, stats]),
        runtime.launch(scale, [stats, grads]),
      ]);
      const [total, coefficient] = await runtime.readFloat32(stats, 2);
      expectClose([total!], [ref.norm], NORM_TOL, `norm n=${n}`);
      expectClose([coefficient!], [ref.coefficient], NORM_TOL, `coefficient n=${n}`);
      if (maxNorm > ref.norm) expect(coefficient).toBe(1);
      expectClose(await runtime.readFloat32(grads, n), ref.clipped, { atol: 0, rtol: 3e-6 }, `clipped n=${n}`);
      runtime.destroyBuffer(grads);
      runtime.destroyBuffer(stats);
    }
  });

  it('rejects a non-positive max norm', () => {
    expect(() => clipNorm(10, 0)).toThrow(/clipNorm \(size 10\): maxNorm must be > 0, got 0/);
  });
});
