// The layers of a CNN over NCHW tensors: Conv2d and pooling (torch.nn names, arguments,
// defaults and output sizes). Shapes are checked when the graph is built.
import { ShapeError, showShape, type GraphBuilder, type TensorId } from '../graph/ir';
import { convOutputSize, type Pair } from '../kernels/conv';
import { boolean, fail, integer, optionsObject } from '../validate';
import { checkInitializer, fans, type Initializer } from './init';
import { expectShape, type Module } from './module';

/** A number or [height, width], each an integer ≥ min; a ConfigError naming the argument otherwise. */
function checkPair(type: string, name: string, value: Pair, min: number): readonly [number, number] {
  const p: readonly unknown[] = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : [];
  if (p.length !== 2 || !p.every((v) => Number.isInteger(v) && (v as number) >= min)) fail(`${type}: ${name}`, value, `an integer ≥ ${min} or a pair of them`);
  return p as readonly [number, number];
}

/** The [N, C, H, W] input of a layer, or a ShapeError naming the layer. */
function imageInput(graph: GraphBuilder, x: TensorId, type: string, path: string, channels?: number) {
  const shape = graph.shape(x);
  const expected = `[N, ${channels ?? 'C'}, H, W]`;
  expectShape(shape.length === 4 && (channels === undefined || shape[1] === channels), type, path, expected, shape);
  return shape as readonly [number, number, number, number];
}

/** Output height and width of a windowed layer, or a ShapeError when the window does not fit. */
function outputSize(
  type: string,
  path: string,
  input: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): [number, number] {
  const oh = convOutputSize(input[2]!, kernel[0], stride[0], padding[0], dilation[0]);
  const ow = convOutputSize(input[3]!, kernel[1], stride[1], padding[1], dilation[1]);
  if (oh < 1 || ow < 1) {
    const span = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
    throw new ShapeError(
      `${type} (layer ${path}): kernel ${span.join('×')} is larger than the padded input ` +
        `${input[2]! + 2 * padding[0]}×${input[3]! + 2 * padding[1]} (input ${showShape(input)}, padding ${padding.join('×')})`,
    );
  }
  return [oh, ow];
}

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
  /**
   * How the GPU computes it (not a PyTorch option): 'auto' (the measured choice, see
   * conv2dPath in src/kernels/conv.ts) or 'im2col' (materialize the im2col matrix, then matmul).
   */
  path?: 'auto' | 'im2col';
}

/**
 * torch.nn.Conv2d: y = conv2d(x, W) + b over [N, in, H, W], W [out, in/groups, kh, kw].
 * Zero padding; `groups = in` is a depthwise convolution. Default init as PyTorch:
 * U(±1/√fanIn) for W and b, fanIn = in/groups·kh·kw.
 */
export class Conv2d implements Module {
  readonly type = 'Conv2d';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: Pair,
    readonly options: Conv2dOptions = {},
  ) {
    const t = this.type;
    integer(`${t}: inChannels`, inChannels, 1);
    integer(`${t}: outChannels`, outChannels, 1);
    optionsObject(`${t}: options`, options);
    integer(`${t}: groups`, options.groups ?? 1, 1);
    if (options.weightInit !== undefined) checkInitializer(`${t}: weightInit`, options.weightInit);
    if (options.biasInit !== undefined) checkInitializer(`${t}: biasInit`, options.biasInit);
    if (options.bias !== undefined) boolean(`${t}: bias`, options.bias);
    if (options.path !== undefined && options.path !== 'auto' && options.path !== 'im2col') fail(`${t}: path`, options.path, "'auto' or 'im2col'");
    this.kernel = checkPair(t, 'kernel', kernel, 1);
    this.stride = checkPair(t, 'stride', options.stride ?? 1, 1);
    this.padding = checkPair(t, 'padding', options.padding ?? 0, 0);
    this.dilation = checkPair(t, 'dilation', options.dilation ?? 1, 1);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ShapeError(`${t}: in (${inChannels}) and out (${outChannels}) channels must both be divisible by groups (${this.groups})`);
    }
  }

  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const input = imageInput(graph, x, this.type, path, this.inChannels);
    const [oh, ow] = outputSize(this.type, path, input, this.kernel, this.stride, this.padding, this.dilation);
    const shape = [this.outChannels, this.inChannels / this.groups, ...this.kernel];
    const bound = 1 / Math.sqrt(fans(shape).fanIn);
    const uniform: Initializer = { kind: 'uniform', low: -bound, high: bound };
    const bias = this.options.bias ?? true;
    const inputs = [x, graph.param(path, 'weight', shape, this.options.weightInit ?? uniform, 'weight')];
    if (bias) inputs.push(graph.param(path, 'bias', [this.outChannels], this.options.biasInit ?? uniform, 'bias'));
    return graph.op('conv2d', path, inputs, [input[0], this.outChannels, oh, ow], {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernel: this.kernel,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      bias,
      path: this.options.path ?? 'auto',
    });
  }
}

/** Kernel, stride (default: the kernel, as torch) and padding (at most half the kernel) of a pooling layer. */
function poolWindow(type: string, kernel: Pair, options: { stride?: Pair; padding?: Pair }) {
  optionsObject(`${type}: options`, options);
  const k = checkPair(type, 'kernel', kernel, 1);
  const stride = checkPair(type, 'stride', options.stride ?? kernel, 1);
  const padding = checkPair(type, 'padding', options.padding ?? 0, 0);
  if (2 * padding[0] > k[0] || 2 * padding[1] > k[1]) {
    throw new ShapeError(`${type}: padding ${padding.join('×')} must be at most half the kernel ${k.join('×')}`);
  }
  return { kernel: k, stride, padding };
}

/** torch.nn.MaxPool2d(kernel, {stride = kernel, padding = 0}); the gradient goes to the first maximum. */
export class MaxPool2d implements Module {
  readonly type = 'MaxPool2d';
  readonly window: ReturnType<typeof poolWindow>;
  constructor(kernel: Pair, options: { stride?: Pair; padding?: Pair } = {}) {
    this.window = poolWindow(this.type, kernel, options);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const input = imageInput(graph, x, this.type, path);
    const [oh, ow] = outputSize(this.type, path, input, this.window.kernel, this.window.stride, this.window.padding);
    return graph.op('maxpool2d', path, [x], [input[0], input[1], oh, ow], this.window);
  }
}

/** torch.nn.AvgPool2d(kernel, {stride = kernel, padding = 0, countIncludePad = true}). */
export class AvgPool2d implements Module {
  readonly type = 'AvgPool2d';
  readonly window: ReturnType<typeof poolWindow>;
  readonly countIncludePad: boolean;
  constructor(kernel: Pair, options: { stride?: Pair; padding?: Pair; countIncludePad?: boolean } = {}) {
    this.window = poolWindow(this.type, kernel, options);
    if (options.countIncludePad !== undefined) boolean(`${this.type}: countIncludePad`, options.countIncludePad);
    this.countIncludePad = options.countIncludePad ?? true;
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const input = imageInput(graph, x, this.type, path);
    const [oh, ow] = outputSize(this.type, path, input, this.window.kernel, this.window.stride, this.window.padding);
    return graph.op('avgpool2d', path, [x], [input[0], input[1], oh, ow], { ...this.window, countIncludePad: this.countIncludePad });
  }
}

/** torch.nn.AdaptiveAvgPool2d(output); `AdaptiveAvgPool2d(1)` is global average pooling. */
export class AdaptiveAvgPool2d implements Module {
  readonly type = 'AdaptiveAvgPool2d';
  readonly output: readonly [number, number];
  constructor(output: Pair) {
    this.output = checkPair(this.type, 'output size', output, 1);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const input = imageInput(graph, x, this.type, path);
    return graph.op('adaptiveavgpool2d', path, [x], [input[0], input[1], ...this.output], { output: this.output });
  }
}
