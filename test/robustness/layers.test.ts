// Layers: constructor arguments (a ConfigError naming the layer, the argument and the value)
// and shape mismatches between layers (a ShapeError naming the layer, found by compile()
// before any GPU work).
import { describe, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { ShapeError } from '../../src/graph/ir';
import { compileInference } from '../../src/graph/inference';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d } from '../../src/nn/conv';
import { functional } from '../../src/nn/functional';
import { ActivationLayer, Dropout, ELU, Flatten, LeakyReLU, Linear, ReLU } from '../../src/nn/layers';
import { Sequential, type Module } from '../../src/nn/module';
import { BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm } from '../../src/nn/norm';
import { testRuntime } from '../helpers/gpu';
import { caughtSync, compileWith, expectError, failsBeforeGpuWork, type ErrorClass, type Fragment } from './expect-error';

const any = (v: unknown) => v as never;

const constructors: [label: string, make: () => unknown, kind: ErrorClass, fragments: Fragment[]][] = [
  ['Linear(0, 3)', () => new Linear(0, 3), ConfigError, ['Linear: inFeatures', 'an integer ≥ 1', 'got 0']],
  ['Linear(2.5, 3)', () => new Linear(2.5, 3), ConfigError, ['Linear: inFeatures', 'got 2.5']],
  ['Linear(3, -1)', () => new Linear(3, -1), ConfigError, ['Linear: outFeatures', 'got -1']],
  ['Linear("4", 3)', () => new Linear(any('4'), 3), ConfigError, ['Linear: inFeatures', 'got "4"']],
  ['Linear bias "no"', () => new Linear(4, 3, { bias: any('no') }), ConfigError, ['Linear: bias', 'true or false', 'got "no"']],
  ['Linear weightInit of an unknown kind', () => new Linear(4, 3, { weightInit: any({ kind: 'orthogonal' }) }), ConfigError, ['Linear: weightInit.kind', 'got "orthogonal"']],
  ['Linear weightInit normal std NaN', () => new Linear(4, 3, { weightInit: { kind: 'normal', std: NaN } }), ConfigError, ['Linear: weightInit.std', 'got NaN']],
  ['Linear biasInit constant 1e39', () => new Linear(4, 3, { biasInit: { kind: 'constant', value: 1e39 } }), ConfigError, ['Linear: biasInit.value', 'got 1e+39']],
  ['Linear weightInit uniform low > high', () => new Linear(4, 3, { weightInit: { kind: 'uniform', low: 1, high: -1 } }), ConfigError, ['Linear: weightInit.low', 'got 1']],
  ['LeakyReLU(NaN)', () => LeakyReLU(NaN), ConfigError, ['leakyRelu: negativeSlope', 'got NaN']],
  ['LeakyReLU("0.1")', () => LeakyReLU(any('0.1')), ConfigError, ['leakyRelu: negativeSlope', 'got "0.1"']],
  ['ELU(Infinity)', () => ELU(Infinity), ConfigError, ['elu: alpha', 'got Infinity']],
  ['ELU(1e39)', () => ELU(1e39), ConfigError, ['elu: alpha', 'got 1e+39']],
  ['an unknown activation', () => new ActivationLayer(any('swish')), ConfigError, ['activation must be one of', 'relu', 'got "swish"']],
  ['Dropout(1)', () => new Dropout(1), ConfigError, ['Dropout: p', '[0, 1)', 'got 1']],
  ['Dropout(-0.1)', () => new Dropout(-0.1), ConfigError, ['Dropout: p', 'got -0.1']],
  ['Dropout(NaN)', () => new Dropout(NaN), ConfigError, ['Dropout: p', 'got NaN']],
  ['Dropout("0.5")', () => new Dropout(any('0.5')), ConfigError, ['Dropout: p', 'got "0.5"']],
  ['BatchNorm1d(0)', () => BatchNorm1d(0), ConfigError, ['BatchNorm1d: channels', 'got 0']],
  ['BatchNorm1d(2.5)', () => BatchNorm1d(2.5), ConfigError, ['BatchNorm1d: channels', 'got 2.5']],
  ['BatchNorm1d eps 0', () => BatchNorm1d(4, { eps: 0 }), ConfigError, ['BatchNorm1d: eps', 'got 0']],
  ['BatchNorm1d eps -1e-5', () => BatchNorm1d(4, { eps: -1e-5 }), ConfigError, ['BatchNorm1d: eps', 'got -0.00001']],
  ['BatchNorm1d momentum 2', () => BatchNorm1d(4, { momentum: 2 }), ConfigError, ['BatchNorm1d: momentum', '[0, 1]', 'got 2']],
  ['BatchNorm1d momentum NaN', () => BatchNorm1d(4, { momentum: NaN }), ConfigError, ['BatchNorm1d: momentum', 'got NaN']],
  ['BatchNorm2d(-3)', () => BatchNorm2d(-3), ConfigError, ['BatchNorm2d: channels', 'got -3']],
  ['BatchNorm2d eps Infinity', () => BatchNorm2d(3, { eps: Infinity }), ConfigError, ['BatchNorm2d: eps', 'got Infinity']],
  ['LayerNorm(0)', () => new LayerNorm(0), ConfigError, ['LayerNorm: features', 'got 0']],
  ['LayerNorm eps -1', () => new LayerNorm(4, -1), ConfigError, ['LayerNorm: eps', 'got -1']],
  ['LayerNorm eps 0', () => new LayerNorm(4, 0), ConfigError, ['LayerNorm: eps', 'got 0']],
  ['Conv2d inChannels 0', () => new Conv2d(0, 4, 3), ConfigError, ['Conv2d: inChannels', 'got 0']],
  ['Conv2d outChannels 1.5', () => new Conv2d(3, 1.5, 3), ConfigError, ['Conv2d: outChannels', 'got 1.5']],
  ['Conv2d kernel 0', () => new Conv2d(3, 4, 0), ConfigError, ['Conv2d: kernel', 'an integer ≥ 1 or a pair', 'got 0']],
  ['Conv2d kernel 2.5', () => new Conv2d(3, 4, 2.5), ConfigError, ['Conv2d: kernel', 'got 2.5']],
  ['Conv2d kernel [3]', () => new Conv2d(3, 4, any([3])), ConfigError, ['Conv2d: kernel', 'got [3]']],
  ['Conv2d kernel [3, 3, 3]', () => new Conv2d(3, 4, any([3, 3, 3])), ConfigError, ['Conv2d: kernel', 'got [3, 3, 3]']],
  ['Conv2d kernel NaN', () => new Conv2d(3, 4, NaN), ConfigError, ['Conv2d: kernel', 'got NaN']],
  ['Conv2d kernel "3"', () => new Conv2d(3, 4, any('3')), ConfigError, ['Conv2d: kernel', 'got "3"']],
  ['Conv2d stride 0', () => new Conv2d(3, 4, 3, { stride: 0 }), ConfigError, ['Conv2d: stride', 'got 0']],
  ['Conv2d stride [1, 0]', () => new Conv2d(3, 4, 3, { stride: [1, 0] }), ConfigError, ['Conv2d: stride', 'got [1, 0]']],
  ['Conv2d padding -1', () => new Conv2d(3, 4, 3, { padding: -1 }), ConfigError, ['Conv2d: padding', 'an integer ≥ 0', 'got -1']],
  ['Conv2d padding 0.5', () => new Conv2d(3, 4, 3, { padding: 0.5 }), ConfigError, ['Conv2d: padding', 'got 0.5']],
  ['Conv2d dilation 0', () => new Conv2d(3, 4, 3, { dilation: 0 }), ConfigError, ['Conv2d: dilation', 'got 0']],
  ['Conv2d groups 0', () => new Conv2d(4, 4, 3, { groups: 0 }), ConfigError, ['Conv2d: groups', 'got 0']],
  ['Conv2d groups 1.5', () => new Conv2d(4, 4, 3, { groups: 1.5 }), ConfigError, ['Conv2d: groups', 'got 1.5']],
  ['Conv2d groups not dividing the channels', () => new Conv2d(3, 6, 3, { groups: 2 }), ShapeError, ['Conv2d', 'in (3)', 'divisible by groups (2)']],
  ['Conv2d path "winograd"', () => new Conv2d(3, 4, 3, { path: any('winograd') }), ConfigError, ['Conv2d: path', 'got "winograd"']],
  ['MaxPool2d(0)', () => new MaxPool2d(0), ConfigError, ['MaxPool2d: kernel', 'got 0']],
  ['MaxPool2d stride 0', () => new MaxPool2d(2, { stride: 0 }), ConfigError, ['MaxPool2d: stride', 'got 0']],
  ['MaxPool2d padding over half the kernel', () => new MaxPool2d(2, { padding: 2 }), ShapeError, ['MaxPool2d: padding 2×2', 'half the kernel 2×2']],
  ['AvgPool2d(-1)', () => new AvgPool2d(-1), ConfigError, ['AvgPool2d: kernel', 'got -1']],
  ['AvgPool2d padding -1', () => new AvgPool2d(2, { padding: -1 }), ConfigError, ['AvgPool2d: padding', 'got -1']],
  ['AvgPool2d countIncludePad "yes"', () => new AvgPool2d(2, { countIncludePad: any('yes') }), ConfigError, ['AvgPool2d: countIncludePad', 'got "yes"']],
  ['AdaptiveAvgPool2d(0)', () => new AdaptiveAvgPool2d(0), ConfigError, ['AdaptiveAvgPool2d: output size', 'got 0']],
  ['GroupNorm(3, 4): 4 channels in 3 groups', () => new GroupNorm(3, 4), ShapeError, ['GroupNorm', '4 channels are not divisible into 3 groups']],
  ['GroupNorm(0, 4)', () => new GroupNorm(0, 4), ConfigError, ['GroupNorm: groups', 'got 0']],
  ['GroupNorm(2, 4.5)', () => new GroupNorm(2, 4.5), ConfigError, ['GroupNorm: channels', 'got 4.5']],
  ['GroupNorm eps 0', () => new GroupNorm(2, 4, { eps: 0 }), ConfigError, ['GroupNorm: eps', 'got 0']],
  ['GroupNorm eps Infinity', () => new GroupNorm(2, 4, { eps: Infinity }), ConfigError, ['GroupNorm: eps', 'got Infinity']],
  ['InstanceNorm2d(0)', () => new InstanceNorm2d(0), ConfigError, ['InstanceNorm2d: channels', 'got 0']],
  ['Sequential([])', () => new Sequential([]), ShapeError, ['Sequential: needs at least one layer']],
  ['Sequential of a non-layer', () => new Sequential([new Linear(4, 3), any('relu')]), ConfigError, ['Sequential: layers[1]', 'a Module', 'got "relu"']],
  ['Sequential of a layer class', () => new Sequential([any(ReLU)]), ConfigError, ['Sequential: layers[0]', 'got a function']],
  ['Sequential(undefined)', () => new Sequential(any(undefined)), ConfigError, ['Sequential: layers', 'got undefined']],
  ['functional of a non-function', () => functional(any(new Linear(4, 3))), ConfigError, ['functional: fn', 'got an object']],
];

describe('layer constructors', () => {
  it.each(constructors)('%s', (_label, make, kind, fragments) => {
    expectError(caughtSync(make), kind, fragments);
  });
});

const image = (channels: number, size: number) => ({ inputShape: [channels, size, size] });

const mismatches: [label: string, model: () => Module, options: Record<string, unknown>, kind: ErrorClass, fragments: Fragment[]][] = [
  ['Linear after a Linear of another width', () => new Sequential([new Linear(4, 10), new Linear(20, 3)]), {}, ShapeError, ['Linear (layer 1)', 'expects input [N, 20] but got [4, 10]']],
  ['Linear on an image without Flatten', () => new Sequential([new Linear(16, 3)]), image(1, 4), ShapeError, ['Linear (layer 0)', 'expects input [N, 16] but got [4, 1, 4, 4]']],
  ['Linear after Flatten of the wrong size', () => new Sequential([new Flatten(), new Linear(15, 3)]), image(1, 4), ShapeError, ['Linear (layer 1)', '(Flatten of [4, 1, 4, 4])']],
  ['nested Sequential names the full path', () => new Sequential([new Linear(4, 8), new Sequential([ReLU(), new Linear(7, 3)])]), {}, ShapeError, ['Linear (layer 1.1)', 'expects input [N, 7] but got [4, 8]']],
  ['Conv2d with the wrong channel count', () => new Sequential([new Conv2d(3, 4, 3), new Flatten(), new Linear(16, 3)]), image(1, 4), ShapeError, ['Conv2d (layer 0)', 'expects input [N, 3, H, W] but got [4, 1, 4, 4]']],
  ['Conv2d on a flat input', () => new Sequential([new Conv2d(1, 4, 3)]), {}, ShapeError, ['Conv2d (layer 0)', 'but got [4, 4]']],
  ['Conv2d kernel larger than the input', () => new Sequential([new Conv2d(1, 2, 5), new Flatten(), new Linear(2, 3)]), image(1, 4), ShapeError, ['Conv2d (layer 0)', 'kernel 5×5 is larger than the padded input 4×4']],
  ['BatchNorm1d with the wrong channel count', () => new Sequential([new Linear(4, 8), BatchNorm1d(6), new Linear(8, 3)]), {}, ShapeError, ['BatchNorm1d (layer 1)', 'expects input [N, 6]', 'but got [4, 8]']],
  ['BatchNorm2d on a flat input', () => new Sequential([new Linear(4, 8), BatchNorm2d(8), new Linear(8, 3)]), {}, ShapeError, ['BatchNorm2d (layer 1)', 'expects input [N, 8, H, W] but got [4, 8]']],
  ['LayerNorm with the wrong width', () => new Sequential([new Linear(4, 8), new LayerNorm(4), new Linear(8, 3)]), {}, ShapeError, ['LayerNorm (layer 1)', 'expects input [N, 4] but got [4, 8]']],
  ['GroupNorm with the wrong channel count', () => new Sequential([new GroupNorm(2, 4), new Flatten(), new Linear(16, 3)]), image(2, 2), ShapeError, ['GroupNorm (layer 0)', 'expects input [N, 4, ...] but got [4, 2, 2, 2]']],
  ['MaxPool2d on a flat input', () => new Sequential([new Linear(4, 8), new MaxPool2d(2), new Linear(8, 3)]), {}, ShapeError, ['MaxPool2d (layer 1)', 'expects input [N, C, H, W] but got [4, 8]']],
  ['AvgPool2d window larger than the input', () => new Sequential([new AvgPool2d(5), new Flatten(), new Linear(1, 3)]), image(1, 4), ShapeError, ['AvgPool2d (layer 0)', 'kernel 5×5 is larger']],
  ['a residual add of two widths', () => functional((x) => x.apply(new Linear(4, 8), 'a').add(x.apply(new Linear(4, 6), 'b'), 'sum').apply(new Linear(8, 3))), {}, ShapeError, ['add (sum)', 'shapes [4, 8] and [4, 6] differ']],
  ['a functional layer name used twice', () => functional((x) => x.apply(new Linear(4, 4), 'fc').apply(new Linear(4, 3), 'fc')), {}, ShapeError, ['layer name "fc" is used twice']],
  ['a functional model returning a non-tensor', () => functional(() => any(42)), {}, ConfigError, ['functional model: the value fn returns', 'got 42']],
  ['a functional apply of a non-layer', () => functional((x) => x.apply(any({ type: 'fake' }))), {}, ConfigError, ['apply(layer)', 'got an object (type)']],
  ['an output that is not [N, C]', () => new Sequential([new Conv2d(1, 2, 3)]), image(1, 4), ShapeError, ['compile: the model output must be [N, C], got [4, 2, 2, 2]']],
  ['a model without parameters', () => new Sequential([ReLU()]), {}, ShapeError, ['compile: the model has no trainable parameters']],
];

describe('shape mismatches between layers', () => {
  it.each(mismatches)('%s', async (_label, model, options, kind, fragments) => {
    const runtime = await testRuntime();
    await failsBeforeGpuWork(runtime, () => compileWith(runtime, options, [], model()), kind, fragments);
  });

  it('compileInference finds the same mismatch before any GPU work', async () => {
    const runtime = await testRuntime();
    const model = new Sequential([new Linear(4, 10), new Linear(20, 3)]);
    await failsBeforeGpuWork(runtime, () => compileInference(model, { inputShape: [4], batchSize: 8, runtime }), ShapeError, [
      'Linear (layer 1)',
      'expects input [N, 20] but got [8, 10]',
    ]);
  });
});
