// Kernel descriptors for shaders/losses.wgsl: regression and binary-classification losses, NLL
// and Gaussian NLL, forward and backward (torch.nn semantics). Forward kernels write terms
// already divided for the reduction, so their plain sum (done elsewhere) is the loss; backward
// kernels write the gradient of that reduced loss (dL/dloss = 1: a loss is the graph's root).
import { ConfigError } from '../errors';
import source from '../../shaders/losses.wgsl?raw';
import { grid1d, type BindingKind, type ComputeProgram } from '../gpu/program';

/** PyTorch's reduction: 'mean' (the default) divides the summed terms by their count. */
export type Reduction = 'mean' | 'sum';

/**
 * Elementwise losses of a prediction against a same-shaped f32 target; codes match the WGSL.
 * mse: (p − t)²; sse: Σ (p − t)², i.e. MSELoss(reduction='sum') whatever `reduction` says;
 * l1: |p − t| (gradient sign(p − t), 0 at 0); bce: BCELoss on probabilities, logs clamped
 * at −100; bceWithLogits: BCEWithLogitsLoss without pos_weight, stable for any logit.
 */
export const LOSSES = { mse: 0, sse: 0, l1: 1, bce: 2, bceWithLogits: 3 } as const;

export type Loss = keyof typeof LOSSES;

export interface LossOptions {
  reduction?: Reduction;
  workgroupSize?: number;
}

export interface GaussianNllOptions extends LossOptions {
  /** Lower clamp of the variance (torch's eps, default 1e-6). */
  eps?: number;
  /** Add the constant ½·log(2π) to every term (torch's full, default false). */
  full?: boolean;
}

/** What the per-element terms are divided by: `count` for 'mean' (default), 1 for 'sum'. */
export function reductionDivisor(kernel: string, reduction: Reduction = 'mean', count: number): number {
  if (reduction === 'mean') return count;
  if (reduction === 'sum') return 1;
  throw new ConfigError(`${kernel}: reduction must be 'mean' or 'sum', got ${String(reduction)}`);
}

function checkSize(kernel: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${kernel}: ${what} must be a positive integer, got ${v}`);
}

function program(
  kernel: string,
  entryPoint: string,
  bindings: readonly BindingKind[],
  invocations: number,
  options: LossOptions,
  constants: Record<string, number>,
): ComputeProgram {
  const wg = options.workgroupSize ?? 256;
  return {
    label: `losses.${kernel}`,
    shader: source,
    entryPoint,
    bindings,
    constants: { WG: wg, ...constants },
    workgroups: grid1d(invocations, wg),
  };
}

function elementwise(loss: Loss, n: number, entryPoint: string, bindings: BindingKind[], options: LossOptions) {
  const kernel = `${loss}.${entryPoint}`;
  checkSize(kernel, 'size', n);
  if (loss === 'sse' && options.reduction !== undefined && options.reduction !== 'sum') {
    throw new ConfigError(`${kernel} (size ${n}): sse is a sum; use mse for reduction '${options.reduction}'`);
  }
  const divisor = loss === 'sse' ? 1 : reductionDivisor(kernel, options.reduction, n);
  return program(kernel, entryPoint, bindings, n, options, { N: n, OP: LOSSES[loss], DIVISOR: divisor });
}

/** Loss terms over n elements. Bindings: prediction [n], target [n], terms [n] (sum = loss). */
export function lossForward(loss: Loss, n: number, options: LossOptions = {}): ComputeProgram {
  return elementwise(loss, n, 'forward', ['read', 'read', 'write'], options);
}

/** Gradient of the reduced loss. Bindings: prediction [n], target [n], dprediction [n]. */
export function lossBackward(loss: Loss, n: number, options: LossOptions = {}): ComputeProgram {
  return elementwise(loss, n, 'backward', ['read', 'read', 'write'], options);
}

/**
 * Forward and backward in one dispatch (a training step needs both).
 * Bindings: prediction [n], target [n], terms [n], dprediction [n].
 */
export function lossForwardBackward(loss: Loss, n: number, options: LossOptions = {}): ComputeProgram {
  return elementwise(loss, n, 'forward_backward', ['read', 'read', 'write', 'write'], options);
}

function nll(entryPoint: string, n: number, c: number, options: LossOptions, invocations: number) {
  const kernel = `nll.${entryPoint.replace('nll_', '')}`;
  checkSize(kernel, `rows (shape ${n}×${c})`, n);
  checkSize(kernel, `classes (shape ${n}×${c})`, c);
  const divisor = reductionDivisor(kernel, options.reduction, n);
  const bindings: BindingKind[] = entryPoint === 'nll_forward' ? ['read', 'read', 'write'] : ['read', 'write'];
  return program(kernel, entryPoint, bindings, invocations, options, { N: n, C: c, DIVISOR: divisor });
}

/**
 * torch.nn.functional.nll_loss terms (no class weights, no ignore_index): −logprobs[i, label_i]
 * per row, / N for 'mean'. A label ≥ C makes its row NaN.
 * Bindings: logprobs [N, C] f32, labels [N] u32, terms [N] f32.
 */
export function nllForward(n: number, c: number, options: LossOptions = {}): ComputeProgram {
  return nll('nll_forward', n, c, options, n);
}

/**
 * Gradient of NLL w.r.t. the log-probabilities: −1/N ('mean') at each row's label, 0 elsewhere.
 * Bindings: labels [N] u32, dlogprobs [N, C] f32 (fully written).
 */
export function nllBackward(n: number, c: number, options: LossOptions = {}): ComputeProgram {
  return nll('nll_backward', n, c, options, n * c);
}

/**
 * Loss terms and output gradient of torch.nn.GaussianNLLLoss for n rows of d targets, as a
 * training head: output [n, 2d] holds the means in columns [0, d) and the variances in
 * [d, 2d). Terms ½(log v + (x − t)²/v) (+ ½·log(2π) if full), v = max(var, eps), / n·d for
 * 'mean'; the gradient is (x − t)/v for the mean and ½(1/v − (x − t)²/v²) for the variance, at
 * the clamped v as torch's (the clamp is outside autograd). A negative variance gives NaN.
 * Bindings: output [n, 2d] f32, targets [n, d] f32, terms [n, d] f32, doutput [n, 2d] f32.
 */
export function gaussianNll(n: number, d: number, options: GaussianNllOptions = {}): ComputeProgram {
  const kernel = 'gaussianNll';
  checkSize(kernel, `rows (shape ${n}×${d})`, n);
  checkSize(kernel, `targets per row (shape ${n}×${d})`, d);
  const eps = options.eps ?? 1e-6;
  if (!(eps > 0 && Number.isFinite(eps))) throw new ConfigError(`${kernel} (${n}×${d}): eps must be a finite number > 0, got ${eps}`);
  const constants = { N: n, D: d, DIVISOR: reductionDivisor(kernel, options.reduction, n * d), VAR_EPS: eps, FULL: options.full ? 0.5 * Math.log(2 * Math.PI) : 0 };
  return program(kernel, 'gaussian_nll', ['read', 'read', 'write', 'write'], n * d, options, constants);
}
