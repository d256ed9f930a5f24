// The device report's matmul cases: square C = A·B (NN) at each size, once per kernel
// variant the device can run, each checked against float64 before it is timed. The variants
// of one size share one pair of host matrices (at 8192² each is 256 MB to generate).
import { kernels, type GpuRuntime } from '../src/index';
import { compareAt, randomArray, spotIndices, type BenchCase } from './core';

/** One kernel variant as the report runs it: the settings passed to kernels.matmul(). */
export interface ReportVariant {
  /** The engine's variant name (kernels.MATMUL_VARIANTS), with the lanes for the subgroup kernel, e.g. "subgroup (32 lanes)". */
  name: string;
  /** Always names the variant, so the program is exactly that kernel (no per-adapter choice). */
  settings: kernels.MatmulVariantSpec['settings'] & { subgroupSize?: number };
}

/** Every engine variant (kernels.MATMUL_VARIANTS) the runtime's device can run: those needing subgroups only with a fixed subgroup size. */
export function matmulVariants(runtime: Pick<GpuRuntime, 'subgroupSize'>): ReportVariant[] {
  const lanes = runtime.subgroupSize;
  return kernels.MATMUL_VARIANTS.filter((v) => lanes !== undefined || !v.needsSubgroups).map((v) => ({
    name: v.needsSubgroups ? `${v.name} (${lanes} lanes)` : v.name,
    settings: { ...v.settings, ...(v.needsSubgroups ? { subgroupSize: lanes } : {}) },
  }));
}

export const MATMUL_FORMULA = 'GFLOP/s = 2·N³ / time per matmul (GPU timestamps where the device has them, else wall clock)';

/**
 * Spot-checks C = A·B at 64 entries against float64: |err| ≤ 1e-6 + rtol·Σ|a·b| with
 * rtol = max(1e-5, 8·√k·2⁻²⁴), the growth of rounding error in a k-term f32 sum (4.3e-5 at
 * k = 8192); a wrong entry is off by about Σ|a·b|/√k, far above that.
 */
function checkSquare(n: number, a: Float32Array, b: Float32Array, c: Float32Array): string {
  const dot = (idx: number, abs: boolean) => {
    const [i, j] = [Math.floor(idx / n), idx % n];
    let s = 0;
    for (let p = 0; p < n; p++) s += abs ? Math.abs(a[i * n + p]! * b[p * n + j]!) : a[i * n + p]! * b[p * n + j]!;
    return s;
  };
  const rtol = Math.max(1e-5, 8 * Math.sqrt(n) * 2 ** -24);
  const idx = spotIndices(n * n, 64, n);
  const worst = compareAt(`matmul NN ${n}×${n}×${n}`, idx, (i) => c[i]!, (i) => dot(i, false), { atol: 1e-6, rtol, scale: (i) => dot(i, true) });
  return `${idx.length} entries vs float64, max |err| ${worst.toExponential(1)}`;
}

/** The cases for every size × variant, sizes in the order given, a size's variants together (so they run interleaved). */
export function matmulCases(sizes: readonly number[], variants: readonly ReportVariant[]): BenchCase[] {
  // Only the current size's matrices are kept: the cases of one size are prepared together.
  let host: { n: number; a: Float32Array; b: Float32Array } | undefined;
  const matrices = (n: number) => {
    if (host?.n !== n) host = { n, a: randomArray(n * n, 1), b: randomArray(n * n, 2) };
    return host;
  };
  return sizes.flatMap((n) =>
    variants.map(
      (variant): BenchCase => ({
        suite: 'device-matmul',
        name: `matmul NN ${variant.name}`,
        size: `${n}×${n}×${n}`,
        engine: 'shadergrad',
        unit: 'gflops',
        work: 2 * n ** 3,
        formula: MATMUL_FORMULA,
        async prepare({ runtime }) {
          const { a, b } = matrices(n);
          const program = kernels.matmul({ a: [n, n], b: [n, n], ...variant.settings });
          const pipeline = await runtime.prepare(program);
          const buffers = [runtime.upload(a, 'report A'), runtime.upload(b, 'report B'), runtime.createBuffer(n * n * 4, 'report C')];
          const launch = runtime.launch(pipeline, buffers);
          return {
            async check() {
              runtime.submit([launch], 'report check');
              return checkSquare(n, a, b, await runtime.readFloat32(buffers[2]!, n * n));
            },
            iterate: () => runtime.submit([launch], 'report'),
            sync: () => runtime.sync(),
            dispose: () => buffers.forEach((buf) => runtime.destroyBuffer(buf)),
          };
        },
      }),
    ),
  );
}
