// Float64 reference of a whole model given as a list of layers (what Sequential and the
// functional API build on the GPU): forward in train or eval mode, hand-written backward,
// built from the per-kernel references. Model-level tests follow a trainer with it for
// several steps (test/reference/trainer.ts).
import type { Activation } from '../../src/kernels/elementwise';
import { batchNormBackward, batchNormEval, batchNormTraining } from './batchnorm';
import { conv2dGradients, conv2dReference, type ConvGeometry } from './conv';
import { dropoutMask } from './dropout';
import { activate, derivative } from './elementwise';
import { linear, linearBackward } from './network';
import { groupNorm, groupNormBackward, layerNorm, layerNormBackward } from './norm';
import { maxPool2d, maxPool2dBackward, type PoolGeometry } from './pool';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from './softmax_xent';

/** One layer; `name` is its state-dict prefix ("0", "fc1"). Hyperparameters are given, never defaulted. */
export type Layer =
  | { kind: 'linear'; name: string; inFeatures: number; outFeatures: number; bias: boolean }
  | { kind: 'conv2d'; name: string; cin: number; cout: number; kernel: number; stride: number; padding: number; bias: boolean }
  | { kind: 'batchnorm'; name: string; channels: number; eps: number; momentum: number }
  | { kind: 'layernorm'; name: string; features: number; eps: number }
  | { kind: 'groupnorm'; name: string; groups: number; channels: number; eps: number } // affine
  | { kind: 'activation'; activation: Activation; alpha: number }
  | { kind: 'dropout'; p: number }
  | { kind: 'maxpool'; kernel: number } // stride = kernel, no padding
  | { kind: 'flatten' }
  /** Softmax or (log: true) log-softmax over the rows of [N, C]. */
  | { kind: 'softmax'; log: boolean }
  /** y = x + body(x) (functional: `h.add(h.apply(...))`). */
  | { kind: 'residual'; body: Layer[] };

/** Named float64 tensors (parameters, their gradients, BatchNorm running statistics). */
export type Tensors = Map<string, Float64Array>;

/** Train mode draws dropout masks from (seed, step) and uses batch statistics; eval mode neither. */
export type Mode = { train: true; seed: number; step: number } | { train: false };

/** A parameter's role: a layer's weight or bias, or a normalization layer's γ or β. */
export type ParamRole = 'weight' | 'bias' | 'norm';

/** Parameter names in graph order, and their roles. */
export function parameterNames(layers: readonly Layer[]): { name: string; role: ParamRole }[] {
  return layers.flatMap((l): { name: string; role: ParamRole }[] => {
    switch (l.kind) {
      case 'linear':
      case 'conv2d':
        return [{ name: `${l.name}.weight`, role: 'weight' }, ...(l.bias ? [{ name: `${l.name}.bias`, role: 'bias' as const }] : [])];
      case 'batchnorm':
      case 'layernorm':
      case 'groupnorm':
        return [{ name: `${l.name}.weight`, role: 'norm' }, { name: `${l.name}.bias`, role: 'norm' }];
      case 'residual':
        return parameterNames(l.body);
      default:
        return [];
    }
  });
}

/** BatchNorm running statistics at torch's initial values (mean 0, var 1). */
export function initialBuffers(layers: readonly Layer[]): Tensors {
  const buffers: Tensors = new Map();
  const visit = (ls: readonly Layer[]) => {
    for (const l of ls) {
      if (l.kind === 'batchnorm') {
        buffers.set(`${l.name}.running_mean`, new Float64Array(l.channels));
        buffers.set(`${l.name}.running_var`, new Float64Array(l.channels).fill(1));
      } else if (l.kind === 'residual') visit(l.body);
    }
  };
  visit(layers);
  return buffers;
}

interface Context {
  mode: Mode;
  params: Tensors;
  /** Running statistics read in eval mode; train mode writes the updated ones to `updated`. */
  buffers: Tensors;
  updated: Tensors;
  grads: Tensors;
  /** Next dropout counter: each dropout layer takes the next numel(output) counters, in graph order. */
  counter: number;
}

type Backward = (dy: ArrayLike<number>) => ArrayLike<number>;
interface Traced {
  y: ArrayLike<number>;
  shape: number[];
  backward: Backward;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function addGrad(ctx: Context, name: string, g: ArrayLike<number>): void {
  const sum = ctx.grads.get(name);
  if (!sum) ctx.grads.set(name, Float64Array.from(g));
  else for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + g[i]!;
}

function param(ctx: Context, name: string): Float64Array {
  const p = ctx.params.get(name);
  if (!p) throw new Error(`reference model: no parameter ${name}`);
  return p;
}

function layerForward(l: Layer, x: ArrayLike<number>, shape: number[], ctx: Context): Traced {
  const n = shape[0]!;
  switch (l.kind) {
    case 'linear': {
      const w = param(ctx, `${l.name}.weight`);
      const b = l.bias ? param(ctx, `${l.name}.bias`) : new Float64Array(l.outFeatures);
      const y = linear(x, w, b, n, l.inFeatures, l.outFeatures);
      return {
        y,
        shape: [n, l.outFeatures],
        backward: (dy) => {
          const g = linearBackward(x, w, dy, n, l.inFeatures, l.outFeatures);
          addGrad(ctx, `${l.name}.weight`, g.dw);
          if (l.bias) addGrad(ctx, `${l.name}.bias`, g.db);
          return g.dx;
        },
      };
    }
    case 'conv2d': {
      const [, , h, w] = shape as [number, number, number, number];
      const o = (s: number) => Math.floor((s + 2 * l.padding - l.kernel) / l.stride) + 1;
      const [k, s, p] = [l.kernel, l.stride, l.padding];
      const g: ConvGeometry = { n, cin: l.cin, cout: l.cout, groups: 1, h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: 1, dw: 1, oh: o(h), ow: o(w) };
      const weight = param(ctx, `${l.name}.weight`);
      const y = conv2dReference(g, x, weight, l.bias ? param(ctx, `${l.name}.bias`) : undefined);
      return {
        y,
        shape: [n, l.cout, g.oh, g.ow],
        backward: (dy) => {
          const grads = conv2dGradients(g, x, weight, dy);
          addGrad(ctx, `${l.name}.weight`, grads.dw);
          if (l.bias) addGrad(ctx, `${l.name}.bias`, grads.db);
          return grads.dx;
        },
      };
    }
    case 'batchnorm': {
      const dims = { n, c: l.channels, s: size(shape.slice(2)) };
      const gamma = param(ctx, `${l.name}.weight`);
      const beta = param(ctx, `${l.name}.bias`);
      const mean = ctx.buffers.get(`${l.name}.running_mean`)!;
      const variance = ctx.buffers.get(`${l.name}.running_var`)!;
      if (!ctx.mode.train) {
        const y = batchNormEval(x, dims, gamma, beta, mean, variance, l.eps);
        return { y, shape, backward: () => { throw new Error('reference model: no backward in eval mode'); } };
      }
      const bn = batchNormTraining(x, dims, gamma, beta, mean, variance, l.eps, l.momentum);
      ctx.updated.set(`${l.name}.running_mean`, Float64Array.from(bn.runningMean));
      ctx.updated.set(`${l.name}.running_var`, Float64Array.from(bn.runningVar));
      return {
        y: bn.y,
        shape,
        backward: (dy) => {
          const g = batchNormBackward(x, dy, dims, gamma, l.eps);
          addGrad(ctx, `${l.name}.weight`, g.dgamma);
          addGrad(ctx, `${l.name}.bias`, g.dbeta);
          return g.dx;
        },
      };
    }
    case 'layernorm': {
      const gamma = param(ctx, `${l.name}.weight`);
      const y = layerNorm(x, n, l.features, gamma, param(ctx, `${l.name}.bias`), l.eps).y;
      return {
        y,
        shape,
        backward: (dy) => {
          const g = layerNormBackward(x, dy, n, l.features, gamma, l.eps);
          addGrad(ctx, `${l.name}.weight`, g.dgamma);
          addGrad(ctx, `${l.name}.bias`, g.dbeta);
          return g.dx;
        },
      };
    }
    case 'groupnorm': {
      const dims = { n, c: l.channels, groups: l.groups, s: size(shape.slice(2)) };
      const gamma = param(ctx, `${l.name}.weight`);
      const y = groupNorm(x, dims, gamma, param(ctx, `${l.name}.bias`), l.eps).y;
      return {
        y,
        shape,
        backward: (dy) => {
          const g = groupNormBackward(x, dy, dims, gamma, l.eps);
          addGrad(ctx, `${l.name}.weight`, g.dgamma);
          addGrad(ctx, `${l.name}.bias`, g.dbeta);
          return g.dx;
        },
      };
    }
    case 'activation':
      return {
        y: Array.from(x, (v) => activate(l.activation, v, l.alpha)),
        shape,
        backward: (dy) => Array.from(dy, (g, i) => g * derivative(l.activation, x[i]!, l.alpha)),
      };
    case 'dropout': {
      if (!ctx.mode.train) return { y: x, shape, backward: (dy) => dy };
      const mask = dropoutMask(x.length, l.p, ctx.mode.seed, ctx.mode.step, ctx.counter);
      ctx.counter += x.length;
      // In float64 (dropout() in ./dropout rounds to f32 as the GPU does, which would make
      // the loss a step function at the scale of finite differences).
      const scaled = (v: ArrayLike<number>) => Array.from(v, (g, i) => (mask[i] ? g / (1 - l.p) : 0));
      return { y: scaled(x), shape, backward: scaled };
    }
    case 'maxpool': {
      const [, c, h, w] = shape as [number, number, number, number];
      const o = (s: number) => Math.floor((s - l.kernel) / l.kernel) + 1;
      const d: PoolGeometry = { nc: n * c, h, w, kh: l.kernel, kw: l.kernel, sh: l.kernel, sw: l.kernel, ph: 0, pw: 0, oh: o(h), ow: o(w) };
      const pooled = maxPool2d(d, x);
      return { y: pooled.y, shape: [n, c, d.oh, d.ow], backward: (dy) => maxPool2dBackward(d, dy, pooled.indices) };
    }
    case 'flatten':
      return { y: x, shape: [n, size(shape.slice(1))], backward: (dy) => dy };
    case 'softmax': {
      const c = shape[1]!;
      const y = l.log ? logSoftmax(x, n, c) : softmax(x, n, c);
      return { y, shape, backward: (dy) => (l.log ? logSoftmaxBackward(y, dy, n, c) : softmaxBackward(y, dy, n, c)) };
    }
    case 'residual': {
      const body = sequence(l.body, x, shape, ctx);
      return {
        y: Array.from(x, (v, i) => v + body.y[i]!),
        shape,
        // The input's gradient is the sum of its two uses: the skip connection and the body.
        backward: (dy) => {
          const through = body.backward(dy);
          return Array.from(dy, (g, i) => g + through[i]!);
        },
      };
    }
  }
}

function sequence(layers: readonly Layer[], x: ArrayLike<number>, shape: number[], ctx: Context): Traced {
  const traced: Traced[] = [];
  let value = { y: x, shape };
  for (const l of layers) {
    const t = layerForward(l, value.y, value.shape, ctx);
    traced.push(t);
    value = t;
  }
  return {
    ...value,
    backward: (dy) => traced.reduceRight<ArrayLike<number>>((g, t) => t.backward(g), dy),
  };
}

/** The result of one forward pass: output, updated running statistics, and backward. */
export interface ModelForward {
  y: ArrayLike<number>;
  shape: number[];
  /** Running statistics after this train-mode pass (empty in eval mode). */
  buffers: Tensors;
  /** Gradients of Σ dy ⊙ y with respect to every parameter. */
  backward(dy: ArrayLike<number>): Tensors;
}

/** Runs the model on a batch x [N, ...inputShape]. */
export function modelForward(
  layers: readonly Layer[],
  params: Tensors,
  buffers: Tensors,
  x: ArrayLike<number>,
  shape: readonly number[],
  mode: Mode,
): ModelForward {
  const ctx: Context = { mode, params, buffers, updated: new Map(), grads: new Map(), counter: 0 };
  const out = sequence(layers, x, [...shape], ctx);
  return {
    y: out.y,
    shape: out.shape,
    buffers: ctx.updated,
    backward(dy) {
      ctx.grads = new Map();
      out.backward(dy);
      return ctx.grads;
    },
  };
}
