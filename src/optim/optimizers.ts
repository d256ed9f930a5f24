// Optimizer constructors with torch.optim's names and defaults. Each returns the config the
// fused update kernel is specialized with; Momentum and Nesterov are SGD options, as in torch.
// Each takes `groups` too (per-parameter lr and weight decay, see ParamGroup).
import type { OptimizerConfig, OptimizerOptions } from '../kernels/optim-config';
import type { ParamGroup } from '../kernels/optim-groups';

type Options<K extends keyof OptimizerOptions> = Partial<OptimizerOptions[K]> & { groups?: readonly ParamGroup[] };

/** torch.optim.SGD; plain gradient descent unless momentum is set. */
export const sgd = (options: Options<'sgd'> = {}): OptimizerConfig => ({ kind: 'sgd', ...options });
/** SGD with classical momentum (default 0.9): v ← μv + g; w ← w − ηv. */
export const momentum = (options: Options<'sgd'> = {}): OptimizerConfig => ({ kind: 'sgd', momentum: 0.9, ...options });
/** SGD with Nesterov momentum (torch's nesterov=True; default momentum 0.9). */
export const nesterov = (options: Options<'sgd'> = {}): OptimizerConfig => ({ kind: 'sgd', momentum: 0.9, nesterov: true, ...options });
export const adagrad = (options: Options<'adagrad'> = {}): OptimizerConfig => ({ kind: 'adagrad', ...options });
export const adadelta = (options: Options<'adadelta'> = {}): OptimizerConfig => ({ kind: 'adadelta', ...options });
export const rmsprop = (options: Options<'rmsprop'> = {}): OptimizerConfig => ({ kind: 'rmsprop', ...options });
export const adam = (options: Options<'adam'> = {}): OptimizerConfig => ({ kind: 'adam', ...options });
export const adamw = (options: Options<'adamw'> = {}): OptimizerConfig => ({ kind: 'adamw', ...options });

/** By name, as the CLI and the demo select them. */
export const OPTIMIZER_FACTORIES = { sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamw } as const;

/**
 * The common param group "no weight decay on biases and normalization parameters" (every
 * Linear/Conv2d bias and every BatchNorm/LayerNorm/GroupNorm γ and β; torch recipes select
 * them with `p.ndim == 1` or by name). A default optimizer decays every parameter, as torch's
 * does; pass this to decay only the weights:
 *
 *     adamw({ lr: 1e-3, weightDecay: 0.05, groups: [noDecayOnBiasAndNorm()] })
 *
 * `options` add to the group (e.g. a higher lr for these parameters).
 */
export const noDecayOnBiasAndNorm = (options: Omit<ParamGroup, 'params' | 'weightDecay'> = {}): ParamGroup => ({
  params: (_name, _shape, tag) => tag !== 'weight',
  weightDecay: 0,
  ...options,
});
