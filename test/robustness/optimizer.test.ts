// Optimizer configs: torch.optim's rules, unknown kinds and keys, and float32 finiteness, each a
// ConfigError naming the optimizer, the hyperparameter and the value, before any GPU work.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { compile } from '../../src/graph/compile';
import { resolveOptimizer, type OptimizerConfig } from '../../src/kernels/optim-config';
import { adadelta, adagrad, adam, adamw, momentum, nesterov, rmsprop, sgd } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { compileWith, expectError, failsBeforeGpuWork, tinyClassifier, validOptions, type Fragment } from './expect-error';

const bad = (config: unknown) => config as OptimizerConfig;

const cases: [label: string, optimizer: OptimizerConfig, fragments: Fragment[]][] = [
  ['unknown kind lbfgs', bad({ kind: 'lbfgs', lr: 1 }), ['optimizer must be', "'adam'", 'got an object (kind, lr)']],
  ['kind missing', bad({ lr: 0.1 }), ['optimizer must be', 'got an object (lr)']],
  ['a factory, not called', bad(adam), ['optimizer must be', 'got a function']],
  ['betas [0.9]', adam({ betas: [0.9] as never }), ['optim adam: betas', 'a pair [β1, β2]', 'got [0.9]']],
  ['betas [0.9, 0.99, 0.999]', adam({ betas: [0.9, 0.99, 0.999] as never }), ['optim adam: betas', 'got [0.9, 0.99, 0.999]']],
  ['betas [0.9, 1]', adam({ betas: [0.9, 1] }), ['optim adam: betas[1]', 'in [0, 1)', 'got 1']],
  ['betas [-0.1, 0.999]', adamw({ betas: [-0.1, 0.999] }), ['optim adamw: betas[0]', 'got -0.1']],
  ['betas [0.9, NaN]', adam({ betas: [0.9, NaN] }), ['optim adam: betas[1]', 'got NaN']],
  ['betas a string', adam({ betas: '0.9,0.999' as never }), ['optim adam: betas', 'got "0.9,0.999"']],
  ['lr 1e39 (finite in f64, Infinity in f32)', adam({ lr: 1e39 }), ['optim adam: lr', 'float32', 'got 1e+39']],
  ['lr NaN', adam({ lr: NaN }), ['optim adam: lr', 'got NaN']],
  ['lr Infinity', sgd({ lr: Infinity }), ['optim sgd: lr', 'got Infinity']],
  ['lr -0.1', sgd({ lr: -0.1 }), ['optim sgd: lr', '≥ 0', 'got -0.1']],
  ['lr "0.01"', adam({ lr: '0.01' as never }), ['optim adam: lr', 'got "0.01"']],
  ['eps -1', adam({ eps: -1 }), ['optim adam: eps', '≥ 0', 'got -1']],
  ['eps 1e39', rmsprop({ eps: 1e39 }), ['optim rmsprop: eps', 'got 1e+39']],
  ['momentum as a string', sgd({ momentum: '0.9' as never }), ['optim sgd: momentum', 'got "0.9"']],
  ['momentum -0.5', momentum({ momentum: -0.5 }), ['optim sgd: momentum', 'got -0.5']],
  ['nesterov without momentum', sgd({ nesterov: true }), ['optim sgd: nesterov', 'momentum > 0 and dampening 0', 'momentum 0']],
  ['nesterov with dampening', nesterov({ dampening: 0.5 }), ['optim sgd: nesterov', 'dampening 0.5']],
  ['nesterov "yes"', sgd({ momentum: 0.9, nesterov: 'yes' as never }), ['optim sgd: nesterov', 'true or false', 'got "yes"']],
  ['dampening Infinity', momentum({ dampening: Infinity }), ['optim sgd: dampening', 'got Infinity']],
  ['unknown key beta1', bad({ kind: 'adam', beta1: 0.9 }), ['optim adam', 'unknown option "beta1"', 'betas']],
  ['unknown key amsgrad', bad({ kind: 'adam', amsgrad: true }), ['optim adam', 'unknown option "amsgrad"']],
  ['unknown key learningRate', bad({ kind: 'sgd', learningRate: 0.1 }), ['optim sgd', 'unknown option "learningRate"']],
  ['another kind\'s key (rho on adam)', bad({ kind: 'adam', rho: 0.9 }), ['optim adam', 'unknown option "rho"']],
  ['weightDecay -0.01', adamw({ weightDecay: -0.01 }), ['optim adamw: weightDecay', 'got -0.01']],
  ['weightDecay NaN', sgd({ weightDecay: NaN }), ['optim sgd: weightDecay', 'got NaN']],
  ['rmsprop alpha -1', rmsprop({ alpha: -1 }), ['optim rmsprop: alpha', 'got -1']],
  ['rmsprop centered 1', rmsprop({ centered: 1 as never }), ['optim rmsprop: centered', 'true or false', 'got 1']],
  ['adadelta rho 1.5', adadelta({ rho: 1.5 }), ['optim adadelta: rho', 'in [0, 1]', 'got 1.5']],
  ['adagrad lrDecay -1', adagrad({ lrDecay: -1 }), ['optim adagrad: lrDecay', 'got -1']],
  ['adagrad initialAccumulatorValue -1', adagrad({ initialAccumulatorValue: -1 }), ['optim adagrad: initialAccumulatorValue', 'got -1']],
];

describe('optimizer configs', () => {
  it.each(cases)('%s', async (_label, optimizer, fragments) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compileWith(runtime, { optimizer }), ConfigError, fragments);
  });

  it('resolveOptimizer throws the same ConfigError without compiling', () => {
    let error: unknown;
    try {
      resolveOptimizer(adam({ betas: [0.9, 1] }));
    } catch (e) {
      error = e;
    }
    expectError(error, ConfigError, ['optim adam: betas[1] must be in [0, 1), got 1']);
  });

  it.each([
    ['NaN', () => NaN, 'got NaN'],
    ['-1', () => -1, 'got -1'],
    ['1e39 (Infinity in f32)', () => 1e39, 'got 1e+39'],
  ])('an lrSchedule returning %s fails the step with a ConfigError', async (_label, lrSchedule, fragment) => {
    const runtime = await testRuntime();
    const trainer = await compile(tinyClassifier(), { ...validOptions(runtime), lrSchedule });
    try {
      let error: unknown;
      try {
        trainer.step(new Float32Array(16), new Uint32Array(4));
      } catch (e) {
        error = e;
      }
      expectError(error, ConfigError, ['optim adam: lr', fragment]);
    } finally {
      await trainer.destroy();
    }
  });

  // Fixed bug, kept as a regression test (src/graph/trainer.ts, step()); it was: the learning rate is computed after the step counter
  // is incremented and the batch is written, so a bad lrSchedule value leaves the trainer one
  // step ahead of what ran (a later checkpoint() saves a step that never happened).
  it('a failed step (lrSchedule NaN) leaves the step count where it was', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(tinyClassifier(), { ...validOptions(runtime), lrSchedule: () => NaN });
    try {
      expect(() => trainer.step(new Float32Array(16), new Uint32Array(4))).toThrow(ConfigError);
      expect(trainer.stats().steps).toBe(0);
    } finally {
      await trainer.destroy();
    }
  });
});
