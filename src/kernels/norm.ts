// Kernel descriptors for shaders/norm.wgsl: LayerNorm forward, input gradient, and the
// γ/β gradients (a separate pass that sums over rows).
import kernelSource from '../../shaders/norm.wgsl?raw';
import workgroupSum from '../../shaders/workgroup_sum.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';

/** shaders/norm.wgsl after the workgroup tree sum it uses. */
const source = `${workgroupSum}\n${kernelSource}`;

export interface LayerNormOptions {
  /** Added to the variance before the square root (torch default 1e-5). */
  eps?: number;
  /**
   * Power of two. Row passes: threads per row (default: D rounded up to a power of two,
   * at most 256). γ/β pass: threads per workgroup (default 64).
   */
  workgroupSize?: number;
}

type EntryPoint = 'forward' | 'backward' | 'backward_params';

const BINDINGS: Record<EntryPoint, ComputeProgram['bindings']> = {
  forward: ['read', 'read', 'read', 'write', 'write'],
  backward: ['read', 'read', 'read', 'read', 'write'],
  backward_params: ['read', 'read', 'read', 'write', 'write'],
};

function program(entryPoint: EntryPoint, rows: number, features: number, options: LayerNormOptions): ComputeProgram {
  const kernel = `layernorm.${entryPoint}`;
  if (!Number.isInteger(rows) || !Number.isInteger(features) || rows < 1 || features < 1) {
    throw new RangeError(`${kernel}: input ${rows}×${features} must have at least 1 row and 1 feature`);
  }
  if (rows * features >= 2 ** 32) throw new RangeError(`${kernel}: input ${rows}×${features} has more than 2^32 − 1 elements`);
  const { eps = 1e-5 } = options;
  if (!(eps > 0)) throw new RangeError(`${kernel}: eps must be > 0, got ${eps}`);
  const perFeature = entryPoint === 'backward_params';
  const wg = options.workgroupSize ?? (perFeature ? 64 : Math.min(256, 2 ** Math.ceil(Math.log2(features))));
  if (!Number.isInteger(wg) || wg < 1 || (wg & (wg - 1)) !== 0) {
    throw new RangeError(`${kernel}: workgroup size must be a power of two, got ${wg}`);
  }
  return {
    label: kernel,
    shader: source,
    entryPoint,
    bindings: BINDINGS[entryPoint],
    constants: { WG: wg, R: rows, D: features, EPS: eps },
    // Row passes: one workgroup per row, folded into (x, y) past 65535 rows.
    workgroups: perFeature ? grid1d(features, wg) : grid1d(rows, 1),
  };
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
