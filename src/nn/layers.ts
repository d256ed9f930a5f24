// The layers of an MLP: Linear, Flatten, activations, Softmax / LogSoftmax, Dropout
// (normalization layers: ./norm.ts; convolution and pooling: ./conv.ts).
import { ConfigError } from '../errors';
import { ShapeError, showShape, sizeOf, type GraphBuilder, type OpAttrs, type TensorId } from '../graph/ir';
import { ACTIVATIONS, type Activation } from '../kernels/elementwise';
import { boolean, F32_MAX, fail, finiteNumber, integer, optionsObject, show } from '../validate';
import { checkInitializer, type Initializer } from './init';
import type { Module } from './module';

/** The smallest normal float32: Softplus divides by β, which must not be subnormal. */
const F32_MIN_NORMAL = 2 ** -126;

/** y = x·Wᵀ + b (torch.nn.Linear). Default init as PyTorch: U(±1/√in) for W and b. */
export class Linear implements Module {
  readonly type = 'Linear';
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly options: { bias?: boolean; weightInit?: Initializer; biasInit?: Initializer } = {},
  ) {
    integer('Linear: inFeatures', inFeatures, 1);
    integer('Linear: outFeatures', outFeatures, 1);
    optionsObject('Linear: options', options);
    if (options.bias !== undefined) boolean('Linear: bias', options.bias);
    if (options.weightInit !== undefined) checkInitializer('Linear: weightInit', options.weightInit);
    if (options.biasInit !== undefined) checkInitializer('Linear: biasInit', options.biasInit);
  }

  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    if (!(shape.length === 2 && shape[1] === this.inFeatures)) {
      // After Flatten, name the shape it flattened: the usual mistake is a wrong C·H·W.
      const from = graph.producer(x);
      const flattened = from?.kind === 'reshape' ? ` (Flatten of ${showShape(graph.shape(from.inputs[0]!))})` : '';
      throw new ShapeError(`${this.type} (layer ${path}): expects input [N, ${this.inFeatures}] but got ${showShape(shape)}${flattened}`);
    }
    const bound = 1 / Math.sqrt(this.inFeatures);
    const uniform: Initializer = { kind: 'uniform', low: -bound, high: bound };
    const bias = this.options.bias ?? true;
    const w = graph.param(path, 'weight', [this.outFeatures, this.inFeatures], this.options.weightInit ?? uniform, 'weight');
    const inputs = [x, w];
    if (bias) inputs.push(graph.param(path, 'bias', [this.outFeatures], this.options.biasInit ?? uniform, 'bias'));
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

/**
 * An elementwise activation (ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU, Softplus, Identity,
 * Step). `alpha` is LeakyReLU's slope, ELU's α or Softplus's β; `threshold` is Softplus's only.
 */
export class ActivationLayer implements Module {
  readonly type: string;
  constructor(
    readonly activation: Activation,
    readonly alpha?: number,
    readonly threshold?: number,
  ) {
    if (!Object.hasOwn(ACTIVATIONS, activation)) {
      throw new ConfigError(`activation must be one of ${Object.keys(ACTIVATIONS).join(', ')}, got ${show(activation)}`);
    }
    if (activation === 'softplus') {
      if (alpha !== undefined && !(typeof alpha === 'number' && alpha >= F32_MIN_NORMAL && alpha <= F32_MAX)) {
        fail('softplus: beta', alpha, 'a finite number > 0 (float32, at least 1.2e-38)');
      }
      if (threshold !== undefined) finiteNumber('softplus: threshold', threshold);
    } else {
      if (alpha !== undefined) finiteNumber(`${activation}: ${activation === 'leakyRelu' ? 'negativeSlope' : 'alpha'}`, alpha);
      if (threshold !== undefined) fail(`${activation}: threshold`, threshold, 'undefined (only softplus has a threshold)');
    }
    this.type = activation;
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const attrs: OpAttrs['activation'] = { activation: this.activation };
    if (this.alpha !== undefined) attrs.alpha = this.alpha;
    if (this.threshold !== undefined) attrs.threshold = this.threshold;
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
 * torch.nn.Softplus(beta, threshold): log(1 + exp(β·x))/β, the identity where β·x > threshold;
 * gradient sigmoid(β·x). Positive everywhere, e.g. for a variance head.
 */
export const Softplus = (beta = 1, threshold = 20) => new ActivationLayer('softplus', beta, threshold);

/**
 * Softmax or log-softmax over the class dimension of [N, C] (torch.nn.Softmax(dim) /
 * LogSoftmax(dim)); dim must be 1 or −1, the only class dimension a 2-D output has. No
 * parameters. A model ending in LogSoftmax trains with loss 'nll' as in torch; one ending in
 * Softmax must not use 'crossEntropy', which applies its own log-softmax to the output.
 */
export class SoftmaxLayer implements Module {
  readonly type: 'Softmax' | 'LogSoftmax';
  constructor(
    readonly log: boolean,
    readonly dim: number,
  ) {
    this.type = log ? 'LogSoftmax' : 'Softmax';
    if (dim !== 1 && dim !== -1) fail(`${this.type}: dim`, dim, '1 or -1 (the class dimension of [N, C])');
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    if (shape.length !== 2) throw new ShapeError(`${this.type} (layer ${path}): expects input [N, C] but got ${showShape(shape)}`);
    return graph.op('softmax', path, [x], shape, { log: this.log });
  }
}

export const Softmax = (dim: number) => new SoftmaxLayer(false, dim);
export const LogSoftmax = (dim: number) => new SoftmaxLayer(true, dim);

/**
 * Inverted dropout (torch.nn.Dropout): in train mode each value is kept with probability 1 − p
 * and scaled by 1/(1 − p); identity in eval mode. Masks come from the trainer's seed and step.
 */
export class Dropout implements Module {
  readonly type = 'Dropout';
  constructor(readonly p = 0.5) {
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) fail('Dropout: p', p, 'a number in [0, 1)');
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    return graph.op('dropout', path, [x], graph.shape(x), { p: this.p });
  }
}
