// Kernel descriptors for shaders/elementwise.wgsl: activation forward and backward.
import source from '../../shaders/elementwise.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';

/** Activation functions with a GPU kernel; codes match the constants in the WGSL file. */
export const ACTIVATIONS = {
  identity: 0,
  step: 1,
  sigmoid: 2,
  tanh: 3,
  relu: 4,
  leakyRelu: 5,
  elu: 6,
  gelu: 7,
} as const;

export type Activation = keyof typeof ACTIVATIONS;

/** Default α per activation, as in torch.nn (LeakyReLU 0.01, ELU 1.0). */
export const DEFAULT_ALPHA: Partial<Record<Activation, number>> = { leakyRelu: 0.01, elu: 1 };

export interface ActivationOptions {
  /** LeakyReLU negative slope or ELU α. */
  alpha?: number;
  workgroupSize?: number;
}

function program(
  activation: Activation,
  n: number,
  entryPoint: 'forward' | 'backward',
  options: ActivationOptions,
): ComputeProgram {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`activation ${activation}: size must be ≥ 1, got ${n}`);
  const wg = options.workgroupSize ?? 256;
  return {
    label: `elementwise.${activation}.${entryPoint}`,
    shader: source,
    entryPoint,
    bindings: entryPoint === 'forward' ? ['read', 'write'] : ['read', 'read', 'write'],
    constants: {
      WG: wg,
      N: n,
      OP: ACTIVATIONS[activation],
      ALPHA: options.alpha ?? DEFAULT_ALPHA[activation] ?? 0,
    },
    workgroups: grid1d(n, wg),
  };
}

/** y = f(x) over n values. Bindings: x, y. */
export function activationForward(activation: Activation, n: number, options: ActivationOptions = {}): ComputeProgram {
  return program(activation, n, 'forward', options);
}

/** dx = dy ⊙ f'(x) over n values. Bindings: x, dy, dx. */
export function activationBackward(activation: Activation, n: number, options: ActivationOptions = {}): ComputeProgram {
  if (activation === 'step') throw new RangeError('activation step has no useful gradient (it is 0 almost everywhere)');
  return program(activation, n, 'backward', options);
}
