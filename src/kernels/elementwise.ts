// Kernel descriptors for shaders/elementwise.wgsl (after shaders/activation.wgsl): activation
// forward and backward, and the flat binary/linear ops (add, multiply, scale, accumulate,
// bias add).
import { ConfigError } from '../errors';
import activationSource from '../../shaders/activation.wgsl?raw';
import elementwiseSource from '../../shaders/elementwise.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';

/** shaders/activation.wgsl, the activation maths that elementwise.wgsl and the matmul kernels share, goes first. */
export const ACTIVATION_SOURCE = activationSource;
const source = `${activationSource}\n${elementwiseSource}`;

/** Activation functions with a GPU kernel; codes match the constants in shaders/activation.wgsl. */
export const ACTIVATIONS = {
  identity: 0,
  step: 1,
  sigmoid: 2,
  tanh: 3,
  relu: 4,
  leakyRelu: 5,
  elu: 6,
  gelu: 7,
  softplus: 8,
} as const;

export type Activation = keyof typeof ACTIVATIONS;

/** Default α per activation, as in torch.nn (LeakyReLU 0.01, ELU 1.0). */
export const DEFAULT_ALPHA: Partial<Record<Activation, number>> = { leakyRelu: 0.01, elu: 1 };

/** torch.nn.Softplus's defaults: β = 1 (the kernels' α) and threshold = 20. */
export const SOFTPLUS_DEFAULTS = { beta: 1, threshold: 20 } as const;
DEFAULT_ALPHA.softplus = SOFTPLUS_DEFAULTS.beta;

export interface ActivationOptions {
  /** LeakyReLU negative slope, ELU α or Softplus β. */
  alpha?: number;
  /** Softplus: the identity where β·x exceeds it (torch's default 20). */
  threshold?: number;
  workgroupSize?: number;
}

function program(
  activation: Activation,
  n: number,
  entryPoint: 'forward' | 'backward',
  options: ActivationOptions,
): ComputeProgram {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`activation ${activation}: size must be ≥ 1, got ${n}`);
  const wg = options.workgroupSize ?? 256;
  return {
    label: `elementwise.${activation}.${entryPoint}`,
    shader: source,
    entryPoint,
    bindings: entryPoint === 'forward' ? ['read', 'write'] : ['read', 'read', 'write'],
    constants: {
      WG: wg,
      ACT: ACTIVATIONS[activation],
      ALPHA: options.alpha ?? DEFAULT_ALPHA[activation] ?? 0,
      ...(activation === 'softplus' ? { THRESHOLD: options.threshold ?? SOFTPLUS_DEFAULTS.threshold } : {}),
    },
    params: [n],
    workgroups: grid1d(Math.ceil(n / 4), wg), // 4 values per invocation
  };
}

/** y = f(x) over n values. Bindings: x, y. */
export function activationForward(activation: Activation, n: number, options: ActivationOptions = {}): ComputeProgram {
  return program(activation, n, 'forward', options);
}

/** dx = dy ⊙ f'(x) over n values. Bindings: x, dy, dx. */
export function activationBackward(activation: Activation, n: number, options: ActivationOptions = {}): ComputeProgram {
  if (activation === 'step') throw new ConfigError('activation step has no useful gradient (it is 0 almost everywhere)');
  return program(activation, n, 'backward', options);
}

export interface FlatOptions {
  workgroupSize?: number;
}

/** One thread per element of a flat array of n values (a launch parameter); `constants` adds to WG. */
function flat(
  kernel: string,
  entryPoint: string,
  n: number,
  bindings: ComputeProgram['bindings'],
  options: FlatOptions,
  constants: Record<string, number> = {},
): ComputeProgram {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${kernel}: size must be ≥ 1, got ${n}`);
  const wg = options.workgroupSize ?? 256;
  return {
    label: `elementwise.${kernel}`,
    shader: source,
    entryPoint,
    bindings,
    constants: { WG: wg, ...constants },
    params: [n],
    workgroups: grid1d(n, wg),
  };
}

/** c = a + b over n values. Bindings: a (read, f32 [n]), b (read, f32 [n]), c (write, f32 [n]). */
export function add(n: number, options: FlatOptions = {}): ComputeProgram {
  return flat('add', 'add', n, ['read', 'read', 'write'], options);
}

/** c = a ⊙ b over n values. Bindings: a (read, f32 [n]), b (read, f32 [n]), c (write, f32 [n]). */
export function multiply(n: number, options: FlatOptions = {}): ComputeProgram {
  return flat('multiply', 'multiply', n, ['read', 'read', 'write'], options);
}

/** y = α·x over n values (α baked into the pipeline). Bindings: x (read, f32 [n]), y (write, f32 [n]). */
export function scale(n: number, alpha: number, options: FlatOptions = {}): ComputeProgram {
  if (!Number.isFinite(alpha)) throw new ConfigError(`scale: α must be finite, got ${alpha}`);
  return flat('scale', 'scale', n, ['read', 'write'], options, { SCALE: alpha });
}

/**
 * y += α·x over n values (α defaults to 1): sums the gradients of a tensor that feeds
 * several consumers. Bindings: x (read, f32 [n]), y (write, f32 [n], read and updated).
 */
export function accumulate(n: number, options: FlatOptions & { alpha?: number } = {}): ComputeProgram {
  const alpha = options.alpha ?? 1;
  if (!Number.isFinite(alpha)) throw new ConfigError(`accumulate: α must be finite, got ${alpha}`);
  return flat('accumulate', 'accumulate', n, ['read', 'write'], options, { SCALE: alpha });
}

/**
 * y[o, c, s] = x[o, c, s] + b[c] for a row-major [outer, channels, inner] tensor; inner = 1
 * is the [rows, cols] case, inner = H·W a per-channel bias of (N, C, H, W). Its gradients are
 * dx = dy and db = reduce's biasGradient. Bindings: x (read, f32 [outer, channels, inner]),
 * b (read, f32 [channels]), y (write, f32 [outer, channels, inner]).
 */
export function biasAdd(outer: number, channels: number, inner = 1, options: FlatOptions = {}): ComputeProgram {
  const dims = [outer, channels, inner];
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ConfigError(`biasAdd: [outer, channels, inner] = [${dims.join(', ')}] must be positive integers`);
  }
  const n = outer * channels * inner;
  return flat('biasAdd', 'bias_add', n, ['read', 'read', 'write'], options, { CHANNELS: channels, INNER: inner });
}
