// Kernel descriptors for shaders/norm.wgsl: LayerNorm and GroupNorm (InstanceNorm2d is
// GroupNorm with one channel per group) forward, input gradient, and the γ/β gradients (a
// separate pass that sums over rows).
import { ConfigError } from '../errors';
import kernelSource from '../../shaders/norm.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { summing, withTreeSum, type SumParts, type WorkgroupSumOptions } from './workgroup-sum';

/** The row passes and GroupNorm's γ/β pass sum over a workgroup (src/kernels/workgroup-sum.ts); LayerNorm's γ/β pass does not. */
export interface LayerNormOptions extends WorkgroupSumOptions {
  /** Added to the variance before the square root (torch default 1e-5). */
  eps?: number;
  /**
   * Power of two. Row passes: threads per row (default: D rounded up to a power of two,
   * at most 256). γ/β pass: threads per workgroup (default 64).
   */
  workgroupSize?: number;
}

type EntryPoint = 'forward' | 'backward' | 'backward_params' | 'backward_channels';

const BINDINGS: Record<EntryPoint, ComputeProgram['bindings']> = {
  forward: ['read', 'read', 'read', 'write', 'write'],
  backward: ['read', 'read', 'read', 'read', 'write'],
  backward_params: ['read', 'read', 'read', 'write', 'write'],
  backward_channels: ['read', 'read', 'read', 'write', 'write'],
};

/** GroupNorm's view of [N, C, ...spatial]: rows of one group of one sample. */
interface Grouping {
  groups: number;
  spatial: number;
}

function program(
  entryPoint: EntryPoint,
  rows: number,
  features: number,
  options: LayerNormOptions,
  grouping: Grouping = { groups: 1, spatial: 1 },
): ComputeProgram {
  const family = grouping.groups === 1 && grouping.spatial === 1 ? 'layernorm' : 'groupnorm';
  const kernel = `${family}.${entryPoint}`;
  if (!Number.isInteger(rows) || !Number.isInteger(features) || rows < 1 || features < 1) {
    throw new ConfigError(`${kernel}: input ${rows}×${features} must have at least 1 row and 1 feature`);
  }
  if (rows * features >= 2 ** 32) throw new ConfigError(`${kernel}: input ${rows}×${features} has more than 2^32 − 1 elements`);
  const { eps = 1e-5 } = options;
  if (!(eps > 0)) throw new ConfigError(`${kernel}: eps must be > 0, got ${eps}`);
  const perFeature = entryPoint === 'backward_params';
  const perChannel = entryPoint === 'backward_channels';
  const terms = perChannel ? (rows / grouping.groups) * grouping.spatial : features;
  const wg = options.workgroupSize ?? (perFeature ? 64 : Math.min(256, 2 ** Math.ceil(Math.log2(terms))));
  if (!Number.isInteger(wg) || wg < 1 || (wg & (wg - 1)) !== 0) {
    throw new ConfigError(`${kernel}: workgroup size must be a power of two, got ${wg}`);
  }
  const build = ({ shader, threads, suffix }: SumParts): ComputeProgram => ({
    label: `${kernel}${suffix}`,
    shader,
    entryPoint,
    bindings: BINDINGS[entryPoint],
    constants: { WG: threads, R: rows, D: features, EPS: eps, G: grouping.groups, S: grouping.spatial },
    // Row passes: one workgroup per row (per channel for γ/β of GroupNorm), folded into
    // (x, y) past 65535.
    workgroups: perFeature
      ? grid1d(features, threads)
      : grid1d(perChannel ? (grouping.groups * features) / grouping.spatial : rows, 1),
  });
  if (perFeature) return build({ shader: withTreeSum(kernelSource), threads: wg, suffix: '' });
  const values = rows * features;
  const channels = (grouping.groups * features) / grouping.spatial; // γ and β (features for LayerNorm)
  const floats = {
    forward: [values, channels, channels, values, 2 * rows],
    backward: [values, channels, 2 * rows, values, values],
    backward_channels: [values, 2 * rows, values, channels, channels],
  }[entryPoint];
  return summing(options, { kernel, source: kernelSource, treeThreads: wg, terms, bindingFloats: floats, build });
}

/**
 * y = γ (x − mean)/sqrt(var + eps) + β over each row (biased variance).
 * Bindings: x [rows, D] f32, γ [D], β [D], y [rows, D] (written), saved [2, rows]
 * (written: row mean, then 1/sqrt(var + eps), for the backward passes).
 */
export function layerNormForward(rows: number, features: number, options: LayerNormOptions = {}): ComputeProgram {
  return program('forward', rows, features, options);
}

/**
 * Input gradient: dx = invstd·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = dy ⊙ γ per row.
 * Bindings: x [rows, D] f32, γ [D], saved [2, rows] (from the forward), dy [rows, D],
 * dx [rows, D] (written).
 */
export function layerNormBackward(rows: number, features: number, options: LayerNormOptions = {}): ComputeProgram {
  return program('backward', rows, features, options);
}

/**
 * Parameter gradients dγ = Σ_rows dy ⊙ x̂ and dβ = Σ_rows dy, overwritten (not
 * accumulated). Bindings: x [rows, D] f32, saved [2, rows], dy [rows, D], dγ [D]
 * (written), dβ [D] (written).
 */
export function layerNormParamsBackward(rows: number, features: number, options: LayerNormOptions = {}): ComputeProgram {
  return program('backward_params', rows, features, options);
}

/** torch.nn.GroupNorm over [N, C, ...spatial] with S spatial values per channel. */
export interface GroupNormShape {
  batch: number;
  channels: number;
  groups: number;
  /** Values per channel: H·W (1 for [N, C]). */
  spatial: number;
}

function grouped(entryPoint: EntryPoint, shape: GroupNormShape, options: LayerNormOptions): ComputeProgram {
  const { batch, channels, groups, spatial } = shape;
  for (const [name, v] of Object.entries(shape)) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`groupnorm: ${name} must be a positive integer, got ${v}`);
  }
  if (channels % groups !== 0) throw new ConfigError(`groupnorm: ${channels} channels are not divisible into ${groups} groups`);
  return program(entryPoint, batch * groups, (channels / groups) * spatial, options, { groups, spatial });
}

/**
 * y = γ_c (x − mean)/sqrt(var + eps) + β_c with mean and (biased) variance over each
 * group of each sample. Bindings: x [N, C, S] f32, γ [C], β [C], y [N, C, S] (written),
 * saved [2, N·G] (written: group means, then 1/sqrt(var + eps)).
 */
export function groupNormForward(shape: GroupNormShape, options: LayerNormOptions = {}): ComputeProgram {
  return grouped('forward', shape, options);
}

/**
 * Input gradient of {@link groupNormForward}. Bindings: x [N, C, S] f32, γ [C], saved
 * [2, N·G], dy [N, C, S], dx [N, C, S] (written).
 */
export function groupNormBackward(shape: GroupNormShape, options: LayerNormOptions = {}): ComputeProgram {
  return grouped('backward', shape, options);
}

/**
 * dγ_c = Σ dy·x̂ and dβ_c = Σ dy over samples and positions, overwritten. Bindings: x
 * [N, C, S] f32, saved [2, N·G], dy [N, C, S], dγ [C] (written), dβ [C] (written).
 */
export function groupNormParamsBackward(shape: GroupNormShape, options: LayerNormOptions = {}): ComputeProgram {
  return grouped('backward_channels', shape, options);
}
