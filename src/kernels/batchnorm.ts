// Kernel descriptors for shaders/batchnorm.wgsl: BatchNorm1d/2d training forward (batch
// statistics, running-statistics update), eval forward, and training backward.
import { ConfigError, ResourceLimitError } from '../errors';
import kernelSource from '../../shaders/batchnorm.wgsl?raw';
import { grid1d, MAX_WORKGROUPS_PER_DIM, type ComputeProgram } from '../gpu/program';
import { summing, withTreeSum, type SumParts, type WorkgroupSumOptions } from './workgroup-sum';

/** The training passes sum over a workgroup (src/kernels/workgroup-sum.ts); eval does not. */
export interface BatchNormOptions extends WorkgroupSumOptions {
  /** Added to the variance before the square root (torch default 1e-5). */
  eps?: number;
  /**
   * Weight of the batch statistic in the running update (torch default 0.1). torch's
   * momentum=None (cumulative average) is not supported.
   */
  momentum?: number;
  /**
   * Power of two; threads per channel in the training passes, per group in eval. Default: 32
   * when a channel has fewer than 4096 values, else 256 (measured on lavapipe at 128×256:
   * 2.4 ms with 32 threads against 14.8 ms with 256; at 64×16×28×28 the two are within 12%).
   */
  workgroupSize?: number;
}

interface Dims {
  n: number;
  c: number;
  s: number;
}

/**
 * Validates a torch-style input shape [N, C] or [N, C, L] or [N, C, H, W] and views it
 * as [N, C, S] with S the product of the trailing dimensions.
 */
function dims(kernel: string, shape: readonly number[], perChannel: boolean): Dims {
  const text = `[${shape.join('×')}]`;
  if (shape.length < 2 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ConfigError(`${kernel}: input shape ${text} must be [N, C, ...spatial] with every dimension ≥ 1`);
  }
  const [n, c] = shape as [number, number];
  const s = shape.slice(2).reduce((a, b) => a * b, 1);
  if (n * c * s >= 2 ** 32) throw new ConfigError(`${kernel}: input shape ${text} has more than 2^32 − 1 elements`);
  if (perChannel && c > MAX_WORKGROUPS_PER_DIM) {
    throw new ResourceLimitError(`${kernel}: input shape ${text} has ${c} channels, over the ${MAX_WORKGROUPS_PER_DIM} workgroups of one dispatch dimension (one workgroup each)`);
  }
  return { n, c, s };
}

function program(
  entryPoint: 'forward_train' | 'forward_eval' | 'backward',
  shape: readonly number[],
  options: BatchNormOptions,
): ComputeProgram {
  const kernel = `batchnorm.${entryPoint}`;
  const { n, c, s } = dims(kernel, shape, entryPoint !== 'forward_eval');
  if (entryPoint === 'forward_train' && n * s < 2) {
    throw new ConfigError(`${kernel}: input shape [${shape.join('×')}] has 1 value per channel; training needs more than 1 (as torch)`);
  }
  const { eps = 1e-5, momentum = 0.1, workgroupSize: wg = n * s < 4096 ? 32 : 256 } = options;
  if (!(eps > 0)) throw new ConfigError(`${kernel}: eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ConfigError(`${kernel}: momentum must be in [0, 1], got ${momentum}`);
  if (!Number.isInteger(wg) || wg < 1 || (wg & (wg - 1)) !== 0) {
    throw new ConfigError(`${kernel}: workgroup size must be a power of two, got ${wg}`);
  }
  const bindings: ComputeProgram['bindings'] = {
    forward_train: ['read', 'read', 'read', 'write', 'write', 'write', 'write'] as const,
    forward_eval: ['read', 'read', 'read', 'write', 'read', 'read'] as const,
    backward: ['read', 'read', 'read', 'read', 'write', 'write', 'write'] as const,
  }[entryPoint];
  const build = ({ shader, threads, suffix }: SumParts): ComputeProgram => ({
    label: `${kernel}${suffix}`,
    shader,
    entryPoint,
    bindings,
    constants: { WG: threads, N: n, C: c, S: s, EPS: eps, MOMENTUM: momentum },
    workgroups: entryPoint === 'forward_eval' ? grid1d(n * c * s, threads) : [c, 1, 1],
  });
  if (entryPoint === 'forward_eval') return build({ shader: withTreeSum(kernelSource), threads: wg, suffix: '' });
  const values = n * c * s;
  const floats = { forward_train: [values, c, c, values, c, c, 2 * c], backward: [values, c, 2 * c, values, values, c, c] }[entryPoint];
  return summing(options, { kernel, source: kernelSource, treeThreads: wg, terms: n * s, bindingFloats: floats, build });
}

/**
 * Training forward with batch statistics over N·S values per channel; updates the
 * running statistics in place (running_var gets the unbiased variance, as in torch).
 * Like torch, refuses a batch with one value per channel (N·S = 1), whose unbiased
 * variance is undefined. Bindings: x [N, C, S] f32, γ [C], β [C], y [N, C, S] (written),
 * running_mean [C] (read-write), running_var [C] (read-write), saved [2, C] (written:
 * batch mean, then 1/sqrt(biased var + eps), for the backward pass).
 */
export function batchNormTrainingForward(shape: readonly number[], options: BatchNormOptions = {}): ComputeProgram {
  return program('forward_train', shape, options);
}

/**
 * Eval forward y = γ (x − running_mean)/sqrt(running_var + eps) + β. Bindings: x [N, C, S]
 * f32, γ [C], β [C], y [N, C, S] (written), running_mean [C], running_var [C].
 */
export function batchNormEvalForward(shape: readonly number[], options: BatchNormOptions = {}): ComputeProgram {
  return program('forward_eval', shape, options);
}

/**
 * Backward of the training forward. dγ and dβ are overwritten, not accumulated.
 * Bindings: x [N, C, S] f32, γ [C], saved [2, C] (from the training forward), dy [N, C, S],
 * dx [N, C, S] (written), dγ [C] (written), dβ [C] (written).
 */
export function batchNormBackward(shape: readonly number[], options: BatchNormOptions = {}): ComputeProgram {
  return program('backward', shape, options);
}
