// Optimizer constructors with torch.optim's names and defaults. Each returns the config the
// fused update kernel is specialized with; Momentum and Nesterov are SGD options, as in torch.
import type { OptimizerConfig, OptimizerOptions } from '../kernels/optim';

type Options<K extends keyof OptimizerOptions> = Partial<OptimizerOptions[K]>;

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
