// Kernel descriptors for shaders/clip.wgsl: clipping gradients by their global L2 norm.
import { ConfigError } from '../errors';
import kernelSource from '../../shaders/clip.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { summing, withTreeSum, type WorkgroupSumOptions } from './workgroup-sum';

/** The norm pass sums over a workgroup (src/kernels/workgroup-sum.ts). */
export interface ClipOptions extends WorkgroupSumOptions {
  /** Threads per workgroup, a power of two (default 256). */
  workgroupSize?: number;
}

function check(kernel: string, n: number, maxNorm: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${kernel}: size must be ≥ 1, got ${n}`);
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new ConfigError(`${kernel} (size ${n}): maxNorm must be > 0, got ${maxNorm}`);
}

/**
 * ‖g‖₂ over n gradients and torch's clip coefficient min(1, maxNorm/(‖g‖ + 1e-6)), in one
 * workgroup. Bindings: grads (read, f32 [n]), stats (write, f32 [2]: the norm, then the
 * coefficient).
 */
export function clipNorm(n: number, maxNorm: number, options: ClipOptions = {}): ComputeProgram {
  check('clipNorm', n, maxNorm);
  const { workgroupSize = 256 } = options;
  if (!Number.isInteger(workgroupSize) || workgroupSize < 1 || workgroupSize & (workgroupSize - 1)) {
    throw new ConfigError(`clipNorm: workgroup size ${workgroupSize} is not a power of two`);
  }
  return summing(options, {
    kernel: 'clipNorm',
    source: kernelSource,
    treeThreads: workgroupSize,
    terms: n,
    bindingFloats: [n, 2],
    build: ({ shader, threads, suffix }) => ({
      label: `clip.norm${suffix}`,
      shader,
      entryPoint: 'norm',
      bindings: ['read', 'write'],
      constants: { WG: threads, N: n, MAX_NORM: maxNorm },
      workgroups: [1, 1, 1],
    }),
  });
}

/** g ← g·coefficient in place. Bindings: stats (read, f32 [2] from clipNorm), grads (write, f32 [n]). */
export function clipScale(n: number, maxNorm: number, workgroupSize = 256): ComputeProgram {
  check('clipScale', n, maxNorm);
  return {
    label: 'clip.scale',
    shader: withTreeSum(kernelSource),
    entryPoint: 'scale',
    bindings: ['read', 'write'],
    constants: { WG: workgroupSize, N: n, MAX_NORM: maxNorm },
    workgroups: grid1d(n, workgroupSize),
  };
}
