// compile() and compileInference() options: every mistake is a ConfigError naming the option
// and the value, thrown before any buffer or pipeline is made.
import type { CompileOptions } from '../../src/graph/options';
import { describe, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { compileInference, type InferenceOptions } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Linear } from '../../src/nn/layers';
import { testRuntime } from '../helpers/gpu';
import { compileWith, failsBeforeGpuWork, tinyClassifier, validOptions, type Fragment } from './expect-error';

type Case = [label: string, overrides: Record<string, unknown>, drop: string[], fragments: Fragment[]];

const cases: Case[] = [
  ['inputShape missing', {}, ['inputShape'], ['compile: inputShape', 'non-empty array of positive integers', 'got undefined']],
  ['inputShape as a number', { inputShape: 784 }, [], ['compile: inputShape', 'got 784']],
  ['inputShape as a string', { inputShape: '4' }, [], ['compile: inputShape', 'got "4"']],
  ['inputShape empty', { inputShape: [] }, [], ['compile: inputShape', 'got []']],
  ['inputShape with a 0', { inputShape: [0] }, [], ['compile: inputShape', 'got [0]']],
  ['inputShape fractional', { inputShape: [1, 2.5] }, [], ['compile: inputShape', 'got [1, 2.5]']],
  ['inputShape with a string dimension', { inputShape: ['4'] }, [], ['compile: inputShape', 'got ["4"]']],
  ['loss missing', {}, ['loss'], ['compile: loss', 'given', 'got undefined']],
  ['loss "foo"', { loss: 'foo' }, [], ['compile: loss', "'crossEntropy'", "'mse'", 'got "foo"']],
  ['loss a number', { loss: 3 }, [], ['compile: loss', 'got 3']],
  ['loss {kind: "foo"}', { loss: { kind: 'foo' } }, [], ['compile: loss.kind', 'got "foo"']],
  ['loss labelSmoothing 1.5', { loss: { kind: 'crossEntropy', labelSmoothing: 1.5 } }, [], ['compile: loss.labelSmoothing', '[0, 1]', 'got 1.5']],
  ['loss labelSmoothing NaN', { loss: { kind: 'crossEntropy', labelSmoothing: NaN } }, [], ['compile: loss.labelSmoothing', 'got NaN']],
  ['loss mse with labelSmoothing', { loss: { kind: 'mse', labelSmoothing: 0.1 } }, [], ['compile: loss', 'unknown option "labelSmoothing"']],
  ['optimizer missing', {}, ['optimizer'], ['compile: optimizer', 'given', 'got undefined']],
  ['optimizer a string', { optimizer: 'adam' }, [], ['optimizer', "'adam'", 'got "adam"']],
  ['optimizer null', { optimizer: null }, [], ['optimizer', 'got null']],
  ['unknown key batch', { batch: 128 }, [], ['compile', 'unknown option "batch"', 'batchSize']],
  ['unknown key learningRate', { learningRate: 0.1 }, [], ['compile', 'unknown option "learningRate"']],
  ['unknown key epochs', { epochs: 3 }, [], ['compile', 'unknown option "epochs"']],
  ['batchSize missing', {}, ['batchSize'], ['compile: batchSize', 'an integer ≥ 1', 'got undefined']],
  ['batchSize 0', { batchSize: 0 }, [], ['compile: batchSize', 'an integer ≥ 1', 'got 0']],
  ['batchSize 1.5', { batchSize: 1.5 }, [], ['compile: batchSize', 'got 1.5']],
  ['batchSize "128"', { batchSize: '128' }, [], ['compile: batchSize', 'got "128"']],
  ['batchSize -4', { batchSize: -4 }, [], ['compile: batchSize', 'got -4']],
  ['batchSize NaN', { batchSize: NaN }, [], ['compile: batchSize', 'got NaN']],
  ['batchSize Infinity', { batchSize: Infinity }, [], ['compile: batchSize', 'got Infinity']],
  ['seed -1', { seed: -1 }, [], ['compile: seed', '[0, 4294967295]', 'got -1']],
  ['seed 2^32', { seed: 2 ** 32 }, [], ['compile: seed', 'got 4294967296']],
  ['seed 0.5', { seed: 0.5 }, [], ['compile: seed', 'got 0.5']],
  ['seed "7"', { seed: '7' }, [], ['compile: seed', 'got "7"']],
  ['metricsEvery 0', { metricsEvery: 0 }, [], ['compile: metricsEvery', 'an integer ≥ 1', 'got 0']],
  ['metricsEvery 2.5', { metricsEvery: 2.5 }, [], ['compile: metricsEvery', 'got 2.5']],
  ['evalBatchSize 0', { evalBatchSize: 0 }, [], ['compile: evalBatchSize', 'got 0']],
  ['evalBatchSize 2^24 + 1', { evalBatchSize: 2 ** 24 + 1 }, [], ['compile: evalBatchSize', '[1, 16777216]', 'got 16777217']],
  ['clipGradNorm -1', { clipGradNorm: -1 }, [], ['compile: clipGradNorm', 'got -1']],
  ['clipGradNorm 0', { clipGradNorm: 0 }, [], ['compile: clipGradNorm', 'got 0']],
  ['clipGradNorm NaN', { clipGradNorm: NaN }, [], ['compile: clipGradNorm', 'got NaN']],
  ['clipGradNorm Infinity', { clipGradNorm: Infinity }, [], ['compile: clipGradNorm', 'got Infinity']],
  ['clipGradNorm 1e39 (Infinity in float32)', { clipGradNorm: 1e39 }, [], ['compile: clipGradNorm', 'got 1e+39']],
  ['totalSteps 0', { totalSteps: 0 }, [], ['compile: totalSteps', 'an integer ≥ 1', 'got 0']],
  ['totalSteps 10.5', { totalSteps: 10.5 }, [], ['compile: totalSteps', 'got 10.5']],
  ['lrSchedule a number', { lrSchedule: 0.01 }, [], ['compile: lrSchedule', 'a function', 'got 0.01']],
  ['lrSchedule an object', { lrSchedule: { step: 10 } }, [], ['compile: lrSchedule', 'got an object (step)']],
  ['onDeviceLost a string', { onDeviceLost: 'log' }, [], ['compile: onDeviceLost', 'a function', 'got "log"']],
  ['runtime a plain object', { runtime: { device: {} } }, [], ['compile: runtime', 'a GpuRuntime', 'got an object (device)']],
  ['runtime a string', { runtime: 'gpu' }, [], ['compile: runtime', 'got "gpu"']],
];

describe('compile options', () => {
  it.each(cases)('%s', async (_label, overrides, drop, fragments) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compileWith(runtime, overrides, drop), ConfigError, fragments);
  });

  it.each([
    ['undefined', undefined, 'got undefined'],
    ['null', null, 'got null'],
    ['a string', 'adam', 'got "adam"'],
    ['an array', [4], 'got [4]'],
  ])('options %s', async (_label, options, fragment) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compile(tinyClassifier(), options as unknown as CompileOptions), ConfigError, ['compile options', fragment]);
  });

  it.each([
    ['null', null, 'got null'],
    ['a plain object', { layers: [] }, 'got an object (layers)'],
    ['a layer class, not an instance', Linear, 'got a function'],
    ['an array of layers', [new Linear(4, 3)], 'got [an object'],
    ['a string', 'mlp', 'got "mlp"'],
  ])('model %s', async (_label, model, fragment) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compile(model as never, validOptions(runtime)), ConfigError, ['compile: model must be a Module', fragment]);
  });
});

const inferenceCases: [string, Record<string, unknown>, string[], Fragment[]][] = [
  ['inputShape missing', {}, ['inputShape'], ['compileInference: inputShape', 'got undefined']],
  ['batchSize 0', { batchSize: 0 }, [], ['compileInference: batchSize', 'got 0']],
  ['batchSize "100"', { batchSize: '100' }, [], ['compileInference: batchSize', 'got "100"']],
  ['loss "foo"', { loss: 'foo' }, [], ['compileInference: loss', 'got "foo"']],
  ['seed -1', { seed: -1 }, [], ['compileInference: seed', 'got -1']],
  ['a training option (optimizer)', { optimizer: { kind: 'adam' } }, [], ['compileInference', 'unknown option "optimizer"']],
  ['a training option (evalBatchSize)', { evalBatchSize: 100 }, [], ['compileInference', 'unknown option "evalBatchSize"']],
  ['runtime a string', { runtime: 'gpu' }, [], ['compileInference: runtime', 'got "gpu"']],
  ['onDeviceLost a number', { onDeviceLost: 1 }, [], ['compileInference: onDeviceLost', 'got 1']],
];

describe('compileInference options', () => {
  it.each(inferenceCases)('%s', async (_label, overrides, drop, fragments) => {
    const runtime = await testRuntime();
    const options: Record<string, unknown> = { inputShape: [4], batchSize: 8, runtime, ...overrides };
    for (const key of drop) delete options[key];
    await failsBeforeGpuWork(runtime, () => compileInference(tinyClassifier(), options as unknown as InferenceOptions), ConfigError, fragments);
  });

  it('model undefined', async () => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compileInference(undefined as never, { inputShape: [4], runtime }), ConfigError, [
      'compileInference: model must be a Module',
      'got undefined',
    ]);
  });
});
