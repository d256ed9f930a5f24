// Lowering rules of the convolutional ops (conv2d, pooling, group norm): their forward
// kernel calls and gradients. Part of the one rule table in ./lower.ts.
import { conv2dDims, conv2dForward, conv2dInputGrad, conv2dWeightGrad, conv2dWeightGradSplits, type Conv2dShape } from '../kernels/conv';
import { col2im, conv2dPath, im2col, im2colFloats } from '../kernels/im2col';
import { matmul } from '../kernels/matmul';
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
    path: a.path === 'im2col' ? 'im2col' : undefined,
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
      const shape = convShape(ctx, op);
      const bias = b !== undefined;
      const keys = [ctx.value(w), ...(bias ? [ctx.value(b)] : []), ctx.value(op.output)];
      if (conv2dPath(shape) === 'implicit') {
        ctx.schedule.call(conv2dForward({ ...shape, bias }), [ctx.value(x), ...keys]);
        return;
      }
      // y[n] = W [out, K] · col[n] [K, OH·OW]; col stays for the weight gradient.
      const d = conv2dDims(shape);
      const k = d.cin * d.kh * d.kw;
      const col = ctx.aux(op, 'im2col', im2colFloats(d));
      ctx.schedule.call(im2col(shape), [ctx.value(x), col]);
      const product = matmul({ a: [d.cout, k], b: [d.n, k, d.oh * d.ow], bias, biasRows: true, subgroupSize: ctx.subgroupSize });
      const [weights, ...rest] = keys;
      ctx.schedule.call(product, [weights!, col, ...rest]);
    },
    backward(ctx, op) {
      const [x, w, b] = op.inputs as [TensorId, TensorId, TensorId?];
      const shape = convShape(ctx, op);
      const d = conv2dDims(shape);
      const dy = ctx.grad(op.output);
      const weights = sizeOf(ctx.graph.shape(w));
      const sumPartials = (partials: string, rows: number) => ctx.schedule.call(sumRows(rows, weights), [partials, ctx.gradOut(w)]);
      if (conv2dPath(shape) === 'implicit') {
        if (ctx.needsGrad(x)) ctx.schedule.call(conv2dInputGrad(shape), [dy, ctx.value(w), ctx.gradOut(x)]);
        // dW: split partial sums over N·OH·OW (enough workgroups for the GPU), then their sum.
        const { splits } = conv2dWeightGradSplits(shape);
        if (splits === 1) {
          ctx.schedule.call(conv2dWeightGrad(shape), [ctx.value(x), dy, ctx.gradOut(w)]);
        } else {
          const partials = ctx.scratch(op, 'weight grad partials', splits * weights);
          ctx.schedule.call(conv2dWeightGrad(shape), [ctx.value(x), dy, partials]);
          sumPartials(partials, splits);
        }
      } else {
        const k = d.cin * d.kh * d.kw;
        const p = d.oh * d.ow;
        if (ctx.needsGrad(x)) {
          // dcol[n] = Wᵀ [K, out] · dy[n] [out, OH·OW], folded back onto the input by col2im.
          const dcol = ctx.scratch(op, 'im2col grad', im2colFloats(d));
          ctx.schedule.call(matmul({ a: [d.cout, k], transposeA: true, b: [d.n, d.cout, p], subgroupSize: ctx.subgroupSize }), [
            ctx.value(w),
            dy,
            dcol,
          ]);
          ctx.schedule.call(col2im(shape), [dcol, ctx.gradOut(x)]);
        }
        // dW = Σ_n dy[n] [out, OH·OW] · col[n]ᵀ [OH·OW, K]: one partial per sample, then their sum.
        const partials = ctx.scratch(op, 'weight grad partials', d.n * weights);
        const col = ctx.aux(op, 'im2col', im2colFloats(d));
        ctx.schedule.call(matmul({ a: [d.n, d.cout, p], b: [d.n, k, p], transposeB: true, subgroupSize: ctx.subgroupSize }), [
          dy,
          col,
          partials,
        ]);
        sumPartials(partials, d.n);
      }
      if (b !== undefined) ctx.schedule.call(biasGradient(d.n, d.cout, d.oh * d.ow, { subgroupSize: ctx.subgroupSize }), [dy, ctx.gradOut(b)]);
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
      ctx.schedule.call(groupNormForward(shape, { eps: op.attrs.eps, subgroupSize: ctx.subgroupSize }), [
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
        ctx.schedule.call(groupNormBackward(shape, { eps, subgroupSize: ctx.subgroupSize }), [ctx.value(x), affine(ctx, op)[0], saved, dy, ctx.gradOut(x)]);
      }
      if (gamma !== undefined && beta !== undefined) {
        ctx.schedule.call(groupNormParamsBackward(shape, { eps, subgroupSize: ctx.subgroupSize }), [ctx.value(x), saved, dy, ctx.gradOut(gamma), ctx.gradOut(beta)]);
      }
    },
  },
};
