// Kernel descriptor for shaders/gaussian_head.wgsl: Gaussian negative log-likelihood
// (torch.nn.GaussianNLLLoss) over a model output that packs means and variances, [N, 2D].
import { ConfigError } from '../errors';
import source from '../../shaders/gaussian_head.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { reductionDivisor, type Reduction } from './losses';

export interface GaussianHeadOptions {
  /** Lower clamp of the variance (torch's eps, default 1e-6). */
  eps?: number;
  /** Add the constant ½·log(2π) to every term (torch's full, default false). */
  full?: boolean;
  /** 'mean' (default) divides by N·D; 'sum' does not. */
  reduction?: Reduction;
  workgroupSize?: number;
}

/**
 * Loss terms and output gradient of GaussianNLLLoss for n rows of d targets: output [n, 2d]
 * holds the means in columns [0, d) and the variances in [d, 2d). Terms are
 * ½(log v + (x − t)²/v) (+ ½·log(2π) if full), v = max(var, eps), / n·d for 'mean'; the
 * gradient is (x − t)/v for the mean and ½(1/v − (x − t)²/v²) for the variance, at the
 * clamped v as torch's (the clamp is outside autograd). A negative variance gives NaN.
 * Bindings: output [n, 2d] f32, targets [n, d] f32, terms [n, d] f32, doutput [n, 2d] f32.
 */
export function gaussianNllHead(n: number, d: number, options: GaussianHeadOptions = {}): ComputeProgram {
  const kernel = 'gaussianNllHead';
  if (![n, d].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new ConfigError(`${kernel}: rows and targets per row must be positive integers, got ${n}×${d}`);
  }
  const eps = options.eps ?? 1e-6;
  if (!(eps > 0 && Number.isFinite(eps))) throw new ConfigError(`${kernel} (${n}×${d}): eps must be a finite number > 0, got ${eps}`);
  const wg = options.workgroupSize ?? 256;
  return {
    label: `gaussian_head.${kernel}`,
    shader: source,
    entryPoint: 'forward_backward',
    bindings: ['read', 'read', 'write', 'write'],
    constants: {
      WG: wg,
      N: n,
      D: d,
      DIVISOR: reductionDivisor(kernel, options.reduction, n * d),
      VAR_EPS: eps,
      CONSTANT: options.full ? 0.5 * Math.log(2 * Math.PI) : 0,
    },
    workgroups: grid1d(n * d, wg),
  };
}
