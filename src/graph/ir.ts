// The graph IR: tensors with static shapes and a list of ops in build (topological) order.
// Modules append ops through GraphBuilder, which checks shapes before any GPU work.
import { ShadergradError } from '../gpu/errors';
import type { Activation } from '../kernels/elementwise';
import type { Initializer } from '../nn/init';

/** A shape or wiring mistake in a model, found when the graph is built. */
export class ShapeError extends ShadergradError {
  override name = 'ShapeError';
}

export type TensorId = number;

export interface TensorInfo {
  readonly id: TensorId;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'u32';
  /** input: the batch; label: targets; param: in the arena; value: an intermediate. */
  readonly role: 'input' | 'label' | 'param' | 'value';
  readonly name: string;
}

/** The primitive ops of a model; each has one forward lowering and one gradient rule. */
export interface OpAttrs {
  /** y = x·Wᵀ (+ b) with W [out, in] (PyTorch layout) and b [out]; inputs [x, W, b?]. */
  linear: { inFeatures: number; outFeatures: number; bias: boolean };
  /** alpha: LeakyReLU slope, ELU α or Softplus β; threshold: Softplus only. */
  activation: { activation: Activation; alpha?: number; threshold?: number };
  /** Inverted dropout with probability p; the mask comes from (seed, step, index). */
  dropout: { p: number };
  /** Batch normalization over [N, C, S]; running statistics are not parameters. */
  batchnorm: { channels: number; spatial: number; eps: number; momentum: number };
  layernorm: { features: number; eps: number };
  /** 2-D convolution over NCHW with W [out, in/groups, kh, kw] (PyTorch layout); inputs [x, W, b?]. */
  conv2d: {
    inChannels: number;
    outChannels: number;
    kernel: readonly [number, number];
    stride: readonly [number, number];
    padding: readonly [number, number];
    dilation: readonly [number, number];
    groups: number;
    bias: boolean;
    /** 'im2col' materializes the im2col matrix (src/kernels/conv.ts, conv2dPath). */
    path: 'auto' | 'im2col';
  };
  /** Max pooling over NCHW; the positions of the maxima are kept for the backward pass. */
  maxpool2d: { kernel: readonly [number, number]; stride: readonly [number, number]; padding: readonly [number, number] };
  avgpool2d: {
    kernel: readonly [number, number];
    stride: readonly [number, number];
    padding: readonly [number, number];
    countIncludePad: boolean;
  };
  adaptiveavgpool2d: { output: readonly [number, number] };
  /** Group normalization of [N, C, ...] (InstanceNorm2d: groups = C); inputs [x, γ, β] or [x]. */
  groupnorm: { groups: number; channels: number; eps: number; affine: boolean };
  /** A view with another shape (Flatten); no data moves. */
  reshape: Record<string, never>;
  /** Elementwise sum of two tensors of the same shape (residual connections). */
  add: Record<string, never>;
  /** Softmax (log: false) or log-softmax (log: true) over each row of [N, C]. */
  softmax: { log: boolean };
}

export type OpKind = keyof OpAttrs;

export interface Op<K extends OpKind = OpKind> {
  readonly kind: K;
  /** Module path, e.g. "2" or "block.0", used in errors and parameter names. */
  readonly layer: string;
  readonly inputs: readonly TensorId[];
  readonly output: TensorId;
  readonly attrs: OpAttrs[K];
}

/** A trainable parameter: a view of the parameter arena. */
export interface ParamInfo {
  readonly tensor: TensorId;
  /** PyTorch state-dict name, e.g. "0.weight". */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Initializer;
  /** Its role, which optimizer param groups can select by (see noDecayOnBiasAndNorm). */
  readonly tag: ParamTag;
}

/**
 * What a parameter is: a layer's weight (Linear, Conv2d), a layer's bias, or a normalization
 * layer's scale γ or shift β. The usual "no weight decay on biases and norms" recipe is
 * `tag !== 'weight'`.
 */
export type ParamTag = 'weight' | 'bias' | 'norm';

/**
 * A persistent non-trainable tensor of a layer (PyTorch's registered buffers: BatchNorm's
 * running statistics). 'f32' buffers live on the GPU, shared by every plan of a model;
 * 'i64' ones are counters kept on the CPU (num_batches_tracked: train-mode forward passes).
 */
export interface BufferInfo {
  /** PyTorch state-dict name, e.g. "1.running_mean". */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'f32' | 'i64';
  /** Initial values (f32 buffers). */
  readonly init?: Float32Array;
}

/** PyTorch's name of a layer's parameter or buffer: "<module path>.<field>". */
export const stateName = (layer: string, field: string): string => (layer ? `${layer}.${field}` : field);

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const showShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Records tensors, params and ops of one model for a fixed batch size. */
export class GraphBuilder {
  readonly tensors: TensorInfo[] = [];
  readonly ops: Op[] = [];
  readonly params: ParamInfo[] = [];
  readonly buffers: BufferInfo[] = [];
  /** Names of parameters and buffers in registration order: the order of PyTorch's state_dict(). */
  readonly stateNames: string[] = [];

  tensor(shape: readonly number[], role: TensorInfo['role'], name: string, dtype: TensorInfo['dtype'] = 'f32'): TensorId {
    if (shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`${name}: every dimension must be a positive integer, got ${showShape(shape)}`);
    }
    this.tensors.push({ id: this.tensors.length, shape: [...shape], dtype, role, name });
    return this.tensors.length - 1;
  }

  shape(id: TensorId): readonly number[] {
    return this.tensors[id]!.shape;
  }

  /** The op that wrote a tensor (undefined for inputs and parameters). */
  producer(id: TensorId): Op | undefined {
    return this.ops.find((op) => op.output === id);
  }

  param(layer: string, field: string, shape: readonly number[], init: Initializer, tag: ParamTag): TensorId {
    const name = stateName(layer, field);
    const tensor = this.tensor(shape, 'param', name);
    this.params.push({ tensor, name, shape: [...shape], init, tag });
    this.stateNames.push(name);
    return tensor;
  }

  /** Registers a buffer (see BufferInfo); lowering rules find f32 ones by the same name. */
  buffer(layer: string, field: string, shape: readonly number[], dtype: BufferInfo['dtype'], init?: Float32Array): string {
    const name = stateName(layer, field);
    if (this.stateNames.includes(name)) throw new ShapeError(`${name}: a parameter or buffer of this name exists already`);
    this.buffers.push({ name, shape: [...shape], dtype, init });
    this.stateNames.push(name);
    return name;
  }

  op<K extends OpKind>(kind: K, layer: string, inputs: readonly TensorId[], outShape: readonly number[], attrs: OpAttrs[K]): TensorId {
    const output = this.tensor(outShape, 'value', `${layer}:${kind}`);
    this.ops.push({ kind, layer, inputs, output, attrs } as Op);
    return output;
  }
}
