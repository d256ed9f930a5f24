// Lowering rules of the convolutional ops (conv2d, pooling, group norm): their forward
// kernel calls and gradients. Part of the one rule table in ./lower.ts.
import { conv2dForward, conv2dInputGrad, conv2dWeightGrad, conv2dWeightGradSplits, type Conv2dShape } from '../kernels/conv';
import { groupNormBackward, groupNormForward, groupNormParamsBackward, type GroupNormShape } from '../kernels/norm';
import {
  adaptiveAvgPool2dBackward,
  adaptiveAvgPool2dForward,
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  maxPool2dForward,
  type Pool2dShape,
} from '../kernels/pool';
import { biasGradient, sumRows } from '../kernels/reduce';
import { sizeOf, type Op, type TensorId } from './ir';
import type { LowerContext, Rule } from './lower';

function convShape(ctx: LowerContext, op: Op<'conv2d'>): Conv2dShape {
  const [n, , h, w] = ctx.graph.shape(op.inputs[0]!) as [number, number, number, number];
  const a = op.attrs;
  return {
    batch: n,
    inChannels: a.inChannels,
    outChannels: a.outChannels,
    height: h,
    width: w,
    kernel: a.kernel,
    stride: a.stride,
    padding: a.padding,
    dilation: a.dilation,
    groups: a.groups,
    subgroupSize: ctx.subgroupSize,
  };
}

function poolShape(ctx: LowerContext, op: Op<'maxpool2d' | 'avgpool2d'>): Pool2dShape {
  const [n, c, h, w] = ctx.graph.shape(op.inputs[0]!) as [number, number, number, number];
  return { batch: n, channels: c, height: h, width: w, ...op.attrs };
}

function adaptiveShape(ctx: LowerContext, op: Op<'adaptiveavgpool2d'>) {
  const [n, c, h, w] = ctx.graph.shape(op.inputs[0]!) as [number, number, number, number];
  return { batch: n, channels: c, height: h, width: w, output: op.attrs.output };
}

function groupShape(ctx: LowerContext, op: Op<'groupnorm'>): GroupNormShape {
  const shape = ctx.graph.shape(op.inputs[0]!);
  return { batch: shape[0]!, channels: op.attrs.channels, groups: op.attrs.groups, spatial: sizeOf(shape.slice(2)) };
}

/** γ and β of a group norm: parameters, or shared constant ones and zeros when not affine. */
function affine(ctx: LowerContext, op: Op<'groupnorm'>): [string, string] {
  const [, gamma, beta] = op.inputs as [TensorId, TensorId?, TensorId?];
  if (gamma !== undefined && beta !== undefined) return [ctx.value(gamma), ctx.value(beta)];
  const c = op.attrs.channels;
  return [ctx.aux(op, 'ones', c, new Float32Array(c).fill(1)), ctx.aux(op, 'zeros', c, new Float32Array(c))];
}

export const CNN_RULES: {
  readonly conv2d: Rule<'conv2d'>;
  readonly maxpool2d: Rule<'maxpool2d'>;
  readonly avgpool2d: Rule<'avgpool2d'>;
  readonly adaptiveavgpool2d: Rule<'adaptiveavgpool2d'>;
  readonly groupnorm: Rule<'groupnorm'>;
} = {
  conv2d: {
    forward(ctx, op) {
      const [x, w, b] = op.inputs as [TensorId, TensorId, TensorId?];
      const program = conv2dForward({ ...convShape(ctx, op), bias: b !== undefined });
      const keys = [ctx.value(x), ctx.value(w), ...(b === undefined ? [] : [ctx.value(b)]), ctx.value(op.output)];
      ctx.schedule.call(program, keys);
    },
    backward(ctx, op) {
      const [x, w, b] = op.inputs as [TensorId, TensorId, TensorId?];
      const shape = convShape(ctx, op);
      const dy = ctx.grad(op.output);
      if (ctx.needsGrad(x)) ctx.schedule.call(conv2dInputGrad(shape), [dy, ctx.value(w), ctx.gradOut(x)]);
      // dW: split partial sums over N·OH·OW (enough workgroups for the GPU), then their sum.
      const { splits } = conv2dWeightGradSplits(shape);
      const weights = sizeOf(ctx.graph.shape(w));
      if (splits === 1) {
        ctx.schedule.call(conv2dWeightGrad(shape), [ctx.value(x), dy, ctx.gradOut(w)]);
      } else {
        const partials = ctx.scratch(op, 'weight grad partials', splits * weights);
        ctx.schedule.call(conv2dWeightGrad(shape), [ctx.value(x), dy, partials]);
        ctx.schedule.call(sumRows(splits, weights), [partials, ctx.gradOut(w)]);
      }
      if (b !== undefined) {
        const [n, c, oh, ow] = ctx.graph.shape(op.output) as [number, number, number, number];
        ctx.schedule.call(biasGradient(n, c, oh * ow), [dy, ctx.gradOut(b)]);
      }
    },
  },

  maxpool2d: {
    forward(ctx, op) {
      const indices = ctx.aux(op, 'indices', sizeOf(ctx.graph.shape(op.output)));
      ctx.schedule.call(maxPool2dForward(poolShape(ctx, op)), [ctx.value(op.inputs[0]!), ctx.value(op.output), indices]);
    },
    backward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (!ctx.needsGrad(x)) return;
      const indices = ctx.aux(op, 'indices', sizeOf(ctx.graph.shape(op.output)));
      ctx.schedule.call(maxPool2dBackward(poolShape(ctx, op)), [ctx.grad(op.output), indices, ctx.gradOut(x)]);
    },
  },

  avgpool2d: {
    forward(ctx, op) {
      ctx.schedule.call(avgPool2dForward(poolShape(ctx, op)), [ctx.value(op.inputs[0]!), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (ctx.needsGrad(x)) ctx.schedule.call(avgPool2dBackward(poolShape(ctx, op)), [ctx.grad(op.output), ctx.gradOut(x)]);
    },
  },

  adaptiveavgpool2d: {
    forward(ctx, op) {
      ctx.schedule.call(adaptiveAvgPool2dForward(adaptiveShape(ctx, op)), [ctx.value(op.inputs[0]!), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (!ctx.needsGrad(x)) return;
      ctx.schedule.call(adaptiveAvgPool2dBackward(adaptiveShape(ctx, op)), [ctx.grad(op.output), ctx.gradOut(x)]);
    },
  },

  groupnorm: {
    forward(ctx, op) {
      const shape = groupShape(ctx, op);
      const saved = ctx.aux(op, 'saved', 2 * shape.batch * shape.groups);
      const [gamma, beta] = affine(ctx, op);
      ctx.schedule.call(groupNormForward(shape, { eps: op.attrs.eps }), [
        ctx.value(op.inputs[0]!),
        gamma,
        beta,
        ctx.value(op.output),
        saved,
      ]);
    },
    backward(ctx, op) {
      const [x, gamma, beta] = op.inputs as [TensorId, TensorId?, TensorId?];
      const shape = groupShape(ctx, op);
      const saved = ctx.aux(op, 'saved', 2 * shape.batch * shape.groups);
      const dy = ctx.grad(op.output);
      const { eps } = op.attrs;
      if (ctx.needsGrad(x)) {
        ctx.schedule.call(groupNormBackward(shape, { eps }), [ctx.value(x), affine(ctx, op)[0], saved, dy, ctx.gradOut(x)]);
      }
      if (gamma !== undefined && beta !== undefined) {
        ctx.schedule.call(groupNormParamsBackward(shape, { eps }), [ctx.value(x), saved, dy, ctx.gradOut(gamma), ctx.gradOut(beta)]);
      }
    },
  },
};
