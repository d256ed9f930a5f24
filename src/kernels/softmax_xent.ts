// Kernel descriptors for shaders/softmax_xent.wgsl: softmax / log-softmax forward and backward
// over rows of [N, C], and cross-entropy fused with its gradient (torch.nn.functional semantics).
import { ConfigError } from '../errors';
import source from '../../shaders/softmax_xent.wgsl?raw';
import { grid1d, type BindingKind, type ComputeProgram } from '../gpu/program';
import { reductionDivisor, type Reduction } from './losses';

export interface RowOptions {
  /**
   * Threads sharing one row, a power of two ≤ workgroupSize. Default: 1 (one thread per row)
   * for C < 128, else 32, to keep wide rows parallel on a GPU. On CPU drivers one thread per
   * row wins even for wide rows (lavapipe, softmax 1000×1000: 12 ms with 1, 45 ms with 32,
   * and the shared-memory reduction compiles ~10× slower): pass 1 there.
   */
  threadsPerRow?: number;
  /** Invocations per workgroup, a power of two ≤ 256 (default 64). */
  workgroupSize?: number;
}

export interface CrossEntropyOptions extends RowOptions {
  /** 'mean' (default, PyTorch's) divides by N; 'sum' does not. */
  reduction?: Reduction;
  /** PyTorch's label_smoothing ε ∈ [0, 1]: target = (1 − ε)·target + ε/C. Default 0. */
  labelSmoothing?: number;
}

const BINDINGS = {
  softmax: ['read', 'write'],
  log_softmax: ['read', 'write'],
  softmax_backward: ['read', 'read', 'write'],
  log_softmax_backward: ['read', 'read', 'write'],
  cross_entropy_labels: ['read', 'read', 'write', 'write'],
  cross_entropy_soft: ['read', 'read', 'write', 'write'],
} as const satisfies Record<string, readonly BindingKind[]>;

type EntryPoint = keyof typeof BINDINGS;

const isPowerOfTwo = (v: number) => Number.isInteger(v) && v >= 1 && (v & (v - 1)) === 0;

function program(
  name: string,
  entryPoint: EntryPoint,
  n: number,
  c: number,
  options: RowOptions,
  extra: Record<string, number> = {},
  divisor = 0,
): ComputeProgram {
  const shape = `${n}×${c}`;
  if (!Number.isInteger(n) || !Number.isInteger(c) || n < 1 || c < 1) {
    throw new ConfigError(`${name}: rows×classes must be positive integers, got ${shape}`);
  }
  const wg = options.workgroupSize ?? 64;
  const t = options.threadsPerRow ?? (c < 128 ? 1 : 32);
  if (!isPowerOfTwo(wg) || wg > 256) {
    throw new ConfigError(`${name} (${shape}): workgroupSize must be a power of two ≤ 256, got ${wg}`);
  }
  if (!isPowerOfTwo(t) || t > wg) {
    throw new ConfigError(`${name} (${shape}): threadsPerRow must be a power of two ≤ ${wg}, got ${t}`);
  }
  return {
    label: `softmax_xent.${entryPoint}`,
    shader: source,
    entryPoint,
    bindings: BINDINGS[entryPoint],
    constants: { C: c, WG: wg, T: t, ...extra },
    // The rows are launch parameters: every batch size shares the pipeline.
    params: [n, divisor],
    workgroups: grid1d(n * t, wg),
  };
}

/** probs = softmax(logits) row-wise (max-subtracted). Bindings: logits [N, C], probs [N, C]. */
export function softmaxForward(n: number, c: number, options: RowOptions = {}): ComputeProgram {
  return program('softmax', 'softmax', n, c, options);
}

/** logprobs = log_softmax(logits) = x − max − log Σ exp(x − max). Bindings: logits [N, C], logprobs [N, C]. */
export function logSoftmaxForward(n: number, c: number, options: RowOptions = {}): ComputeProgram {
  return program('logSoftmax', 'log_softmax', n, c, options);
}

/**
 * Backward of softmax used alone: dlogits = probs ⊙ (dprobs − Σ_c probs⊙dprobs).
 * Bindings: probs [N, C] (the forward's output), dprobs [N, C], dlogits [N, C].
 */
export function softmaxBackward(n: number, c: number, options: RowOptions = {}): ComputeProgram {
  return program('softmaxBackward', 'softmax_backward', n, c, options);
}

/**
 * Backward of log-softmax: dlogits = dlogprobs − exp(logprobs) · Σ_c dlogprobs.
 * Bindings: logprobs [N, C] (the forward's output), dlogprobs [N, C], dlogits [N, C].
 */
export function logSoftmaxBackward(n: number, c: number, options: RowOptions = {}): ComputeProgram {
  return program('logSoftmaxBackward', 'log_softmax_backward', n, c, options);
}

function crossEntropy(name: string, entryPoint: EntryPoint, n: number, c: number, options: CrossEntropyOptions) {
  const smoothing = options.labelSmoothing ?? 0;
  if (c < 2) throw new ConfigError(`${name}: logits are ${n}×${c}; cross-entropy needs at least 2 classes`);
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new ConfigError(`${name} (${n}×${c}): labelSmoothing must lie in [0, 1], got ${smoothing}`);
  }
  const divisor = reductionDivisor(name, options.reduction, n);
  return program(name, entryPoint, n, c, options, { SMOOTHING: smoothing }, divisor);
}

/**
 * torch.nn.functional.cross_entropy(logits, labels, reduction, label_smoothing) and its
 * gradient in one dispatch, without materializing one-hot targets. The loss is the graph's
 * root, so the upstream gradient dL/dloss = 1 is implied and no backward dispatch follows.
 * Writes per-row losses already divided by N for 'mean': their plain sum is the reduced loss.
 * dlogits = (softmax(logits) − target) / N for 'mean' (/ 1 for 'sum'), with
 * target = (1 − ε)·onehot(label) + ε/C. Labels must lie in [0, C): a label outside (e.g. a
 * negative Int32, such as PyTorch's ignore_index −100, which is not supported) makes that
 * row's loss and gradient NaN. No class weights.
 * Bindings: logits [N, C] f32, labels [N] u32, loss [N] f32, dlogits [N, C] f32.
 */
export function crossEntropyFromLabels(n: number, c: number, options: CrossEntropyOptions = {}): ComputeProgram {
  return crossEntropy('crossEntropyFromLabels', 'cross_entropy_labels', n, c, options);
}

/**
 * Cross-entropy against soft targets (class probabilities, PyTorch's float-target form)
 * fused with its gradient; same conventions as {@link crossEntropyFromLabels}: per-row loss
 * −Σ_c t'_c log softmax(x)_c / N ('mean') with t' = (1 − ε)t + ε/C, and
 * dlogits = (softmax(x)·Σ_c t'_c − t') / N, exact even when a target row does not sum to 1.
 * Bindings: logits [N, C] f32, targets [N, C] f32, loss [N] f32, dlogits [N, C] f32.
 */
export function crossEntropyFromProbs(n: number, c: number, options: CrossEntropyOptions = {}): ComputeProgram {
  return crossEntropy('crossEntropyFromProbs', 'cross_entropy_soft', n, c, options);
}
