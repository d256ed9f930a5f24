// Normalization layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm2d (torch.nn
// names, defaults and statistics).
import { ShapeError, sizeOf, type GraphBuilder, type TensorId } from '../graph/ir';
import { expectShape, type Module } from './module';
import { boolean, finiteNumber, integer, optionsObject } from '../validate';

/** torch.nn.BatchNorm1d over [N, C] (or [N, C, L]); γ = 1, β = 0, momentum 0.1, eps 1e-5. */
export class BatchNorm implements Module {
  readonly type: string;
  constructor(
    readonly channels: number,
    readonly options: { eps?: number; momentum?: number; spatialDims?: 0 | 1 | 2 } = {},
  ) {
    this.type = options.spatialDims === 2 ? 'BatchNorm2d' : 'BatchNorm1d';
    integer(`${this.type}: channels`, channels, 1);
    optionsObject(`${this.type}: options`, options);
    if (options.eps !== undefined) finiteNumber(`${this.type}: eps`, options.eps, Number.MIN_VALUE);
    if (options.momentum !== undefined) finiteNumber(`${this.type}: momentum`, options.momentum, 0, 1);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    const expected = this.type === 'BatchNorm2d' ? `[N, ${this.channels}, H, W]` : `[N, ${this.channels}] or [N, ${this.channels}, L]`;
    const rankOk = this.type === 'BatchNorm2d' ? shape.length === 4 : shape.length === 2 || shape.length === 3;
    expectShape(rankOk && shape[1] === this.channels, this.type, path, expected, shape);
    const gamma = graph.param(path, 'weight', [this.channels], { kind: 'constant', value: 1 }, 'norm');
    const beta = graph.param(path, 'bias', [this.channels], { kind: 'zeros' }, 'norm');
    // torch.nn.BatchNorm's buffers, in its order; the counter counts train-mode forward passes.
    graph.buffer(path, 'running_mean', [this.channels], 'f32', new Float32Array(this.channels));
    graph.buffer(path, 'running_var', [this.channels], 'f32', new Float32Array(this.channels).fill(1));
    graph.buffer(path, 'num_batches_tracked', [], 'i64');
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
  ) {
    integer('LayerNorm: features', features, 1);
    finiteNumber('LayerNorm: eps', eps, Number.MIN_VALUE);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    expectShape(shape.length === 2 && shape[1] === this.features, this.type, path, `[N, ${this.features}]`, shape);
    const gamma = graph.param(path, 'weight', [this.features], { kind: 'constant', value: 1 }, 'norm');
    const beta = graph.param(path, 'bias', [this.features], { kind: 'zeros' }, 'norm');
    return graph.op('layernorm', path, [x, gamma, beta], shape, { features: this.features, eps: this.eps });
  }
}

/**
 * torch.nn.GroupNorm(groups, channels, {eps = 1e-5, affine = true}) over [N, C, ...]: mean
 * and biased variance over each group of C/groups channels (and all positions) of each
 * sample; γ = 1, β = 0 per channel. The same in train and eval mode (no running statistics).
 */
export class GroupNorm implements Module {
  readonly type: string = 'GroupNorm';
  constructor(
    readonly groups: number,
    readonly channels: number,
    readonly options: { eps?: number; affine?: boolean } = {},
  ) {
    // InstanceNorm2d passes channels as groups: name only what its caller gave.
    const type = new.target === GroupNorm ? 'GroupNorm' : 'InstanceNorm2d';
    if (type === 'GroupNorm') integer(`${type}: groups`, groups, 1);
    integer(`${type}: channels`, channels, 1);
    optionsObject(`${type}: options`, options);
    if (channels % groups !== 0) throw new ShapeError(`${type}: ${channels} channels are not divisible into ${groups} groups`);
    if (options.eps !== undefined) finiteNumber(`${type}: eps`, options.eps, Number.MIN_VALUE);
    if (options.affine !== undefined) boolean(`${type}: affine`, options.affine);
  }
  build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    expectShape(shape.length >= 2 && shape[1] === this.channels, this.type, path, `[N, ${this.channels}, ...]`, shape);
    const affine = this.options.affine ?? true;
    const inputs = [x];
    if (affine) {
      inputs.push(graph.param(path, 'weight', [this.channels], { kind: 'constant', value: 1 }, 'norm'));
      inputs.push(graph.param(path, 'bias', [this.channels], { kind: 'zeros' }, 'norm'));
    }
    return graph.op('groupnorm', path, inputs, shape, {
      groups: this.groups,
      channels: this.channels,
      eps: this.options.eps ?? 1e-5,
      affine,
    });
  }
}

/**
 * torch.nn.InstanceNorm2d(channels, {eps = 1e-5, affine = false}) over [N, C, H, W]: each
 * channel of each sample normalized over its H·W positions (GroupNorm with one channel per
 * group). As torch's default, no running statistics: eval mode normalizes the same way.
 */
export class InstanceNorm2d extends GroupNorm {
  override readonly type = 'InstanceNorm2d';
  constructor(channels: number, options: { eps?: number; affine?: boolean } = {}) {
    super(channels, channels, { eps: options.eps, affine: options.affine ?? false });
  }
  override build(graph: GraphBuilder, x: TensorId, path: string): TensorId {
    const shape = graph.shape(x);
    expectShape(shape.length === 4 && shape[1] === this.channels, this.type, path, `[N, ${this.channels}, H, W]`, shape);
    return super.build(graph, x, path);
  }
}
