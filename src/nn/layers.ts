// The layers of an MLP: Linear, Flatten, activations, Dropout, BatchNorm1d/2d, LayerNorm.
import { sizeOf, type GraphBuilder, type TensorId } from '../graph/ir';
import type { Activation } from '../kernels/elementwise';
import type { Initializer } from './init';
import { expectShape, type Module } from './module';

/** y = x·Wᵀ + b (torch.nn.Linear). Default init as PyTorch: U(±1/√in) for W and b. */
export class Linear implements Module {
  readonly type = 'Linear';
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly options: { bias?: boolean; weightInit?: Initializer; biasInit?: Initializer } = {},
  ) {}

  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    expectShape(shape.length === 2 && shape[1] === this.inFeatures, this.type, path, `[N, ${this.inFeatures}]`, shape);
    const bound = 1 / Math.sqrt(this.inFeatures);
    const uniform: Initializer = { kind: 'uniform', low: -bound, high: bound };
    const bias = this.options.bias ?? true;
    const w = graph.param(path, 'weight', [this.outFeatures, this.inFeatures], this.options.weightInit ?? uniform, true);
    const inputs = [x, w];
    if (bias) inputs.push(graph.param(path, 'bias', [this.outFeatures], this.options.biasInit ?? uniform, false));
    return graph.op('linear', path, inputs, [shape[0]!, this.outFeatures], {
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias,
    });
  }
}

/** Flattens every dimension after the batch: [N, C, H, W] → [N, C·H·W]. */
export class Flatten implements Module {
  readonly type = 'Flatten';
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    if (shape.length === 2) return x;
    return graph.op('reshape', path, [x], [shape[0]!, sizeOf(shape.slice(1))], {});
  }
}

/** An elementwise activation (ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU, Identity, Step). */
export class ActivationLayer implements Module {
  readonly type: string;
  constructor(
    readonly activation: Activation,
    readonly alpha?: number,
  ) {
    this.type = activation;
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const attrs = this.alpha === undefined ? { activation: this.activation } : { activation: this.activation, alpha: this.alpha };
    return graph.op('activation', path, [x], graph.shape(x), attrs);
  }
}

export const ReLU = () => new ActivationLayer('relu');
export const Sigmoid = () => new ActivationLayer('sigmoid');
export const Tanh = () => new ActivationLayer('tanh');
export const GELU = () => new ActivationLayer('gelu');
export const LeakyReLU = (negativeSlope = 0.01) => new ActivationLayer('leakyRelu', negativeSlope);
export const ELU = (alpha = 1) => new ActivationLayer('elu', alpha);

/**
 * Inverted dropout (torch.nn.Dropout): in train mode each value is kept with probability 1 − p
 * and scaled by 1/(1 − p); identity in eval mode. Masks come from the trainer's seed and step.
 */
export class Dropout implements Module {
  readonly type = 'Dropout';
  constructor(readonly p = 0.5) {
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    return graph.op('dropout', path, [x], graph.shape(x), { p: this.p });
  }
}

/** torch.nn.BatchNorm1d over [N, C] (or [N, C, L]); γ = 1, β = 0, momentum 0.1, eps 1e-5. */
export class BatchNorm implements Module {
  readonly type: string;
  constructor(
    readonly channels: number,
    readonly options: { eps?: number; momentum?: number; spatialDims?: 0 | 1 | 2 } = {},
  ) {
    this.type = options.spatialDims === 2 ? 'BatchNorm2d' : 'BatchNorm1d';
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    const expected = this.type === 'BatchNorm2d' ? `[N, ${this.channels}, H, W]` : `[N, ${this.channels}] or [N, ${this.channels}, L]`;
    const rankOk = this.type === 'BatchNorm2d' ? shape.length === 4 : shape.length === 2 || shape.length === 3;
    expectShape(rankOk && shape[1] === this.channels, this.type, path, expected, shape);
    const gamma = graph.param(path, 'weight', [this.channels], { kind: 'constant', value: 1 }, false);
    const beta = graph.param(path, 'bias', [this.channels], { kind: 'zeros' }, false);
    return graph.op('batchnorm', path, [x, gamma, beta], shape, {
      channels: this.channels,
      spatial: sizeOf(shape.slice(2)),
      eps: this.options.eps ?? 1e-5,
      momentum: this.options.momentum ?? 0.1,
    });
  }
}

export const BatchNorm1d = (channels: number, options: { eps?: number; momentum?: number } = {}) =>
  new BatchNorm(channels, { ...options, spatialDims: 1 });
export const BatchNorm2d = (channels: number, options: { eps?: number; momentum?: number } = {}) =>
  new BatchNorm(channels, { ...options, spatialDims: 2 });

/** torch.nn.LayerNorm over the last dimension of [N, D]. */
export class LayerNorm implements Module {
  readonly type = 'LayerNorm';
  constructor(
    readonly features: number,
    readonly eps = 1e-5,
  ) {}
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    expectShape(shape.length === 2 && shape[1] === this.features, this.type, path, `[N, ${this.features}]`, shape);
    const gamma = graph.param(path, 'weight', [this.features], { kind: 'constant', value: 1 }, false);
    const beta = graph.param(path, 'bias', [this.features], { kind: 'zeros' }, false);
    return graph.op('layernorm', path, [x, gamma, beta], shape, { features: this.features, eps: this.eps });
  }
}
