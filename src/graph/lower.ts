// The one table of lowering rules: for each op kind, the kernel calls of its forward pass
// and of its gradient. A missing kind is a compile error (the table is a mapped type).
import { batchNormBackward, batchNormEvalForward, batchNormTrainingForward } from '../kernels/batchnorm';
import { dropoutBackward, dropoutForward } from '../kernels/dropout';
import { activationBackward, activationForward, add, scale } from '../kernels/elementwise';
import { matmul } from '../kernels/matmul';
import { layerNormBackward, layerNormForward, layerNormParamsBackward } from '../kernels/norm';
import { biasGradient } from '../kernels/reduce';
import { logSoftmaxBackward, logSoftmaxForward, softmaxBackward, softmaxForward } from '../kernels/softmax_xent';
import { CNN_RULES } from './lower-cnn';
import { sizeOf, stateName, type GraphBuilder, type Op, type OpKind, type TensorId } from './ir';
import type { Schedule } from './schedule';

/** What a rule sees: keys of tensors and their gradients in the schedule being built. */
export interface LowerContext {
  readonly graph: GraphBuilder;
  readonly schedule: Schedule;
  readonly mode: 'train' | 'eval';
  /** The device's fixed subgroup size, when it has subgroups (selects subgroup kernels). */
  readonly subgroupSize: number | undefined;
  /** Key of a tensor's value (params: a view of the parameter arena). */
  value(id: TensorId): string;
  /** Key of a tensor's gradient, to read (params: a view of the gradient arena). */
  grad(id: TensorId): string;
  /**
   * Key to write one contribution to a tensor's gradient into. The first contribution goes
   * straight to the gradient; later ones (a tensor read by several ops) go to a scratch
   * buffer that is added to it right after the rule's calls.
   */
  gradOut(id: TensorId): string;
  /** Whether the loss gradient must flow into this tensor (false for the input batch). */
  needsGrad(id: TensorId): boolean;
  /** Makes `output` another name for `input`'s buffer (views such as Flatten). */
  alias(output: TensorId, input: TensorId): void;
  /** A per-op buffer: planned (saved statistics) or shared by every plan (constants). */
  aux(op: Op, name: string, floats: number, shared?: Float32Array): string;
  /** Key of a buffer the model registered (GraphBuilder.buffer), shared by every plan. */
  buffer(name: string): string;
  /** Key of a planned scratch buffer for a gradient nobody reads. */
  scratch(op: Op, name: string, floats: number): string;
  /** Key of the dropout RNG uniform, and this op's disjoint counter offset. */
  dropout(op: Op<'dropout'>): { rng: string; offset: number };
}

export interface Rule<K extends OpKind> {
  forward(ctx: LowerContext, op: Op<K>): void;
  /** Emits the calls that write the gradients of op.inputs from the gradient of op.output. */
  backward(ctx: LowerContext, op: Op<K>): void;
}

const rows = (ctx: LowerContext, id: TensorId) => ctx.graph.shape(id)[0]!;

export const RULES: { readonly [K in OpKind]: Rule<K> } = {
  ...CNN_RULES,

  linear: {
    forward(ctx, op) {
      const [x, w, b] = op.inputs as [TensorId, TensorId, TensorId?];
      const program = matmul({
        a: ctx.graph.shape(x),
        b: ctx.graph.shape(w),
        transposeB: true,
        bias: b !== undefined,
        subgroupSize: ctx.subgroupSize,
      });
      const keys = [ctx.value(x), ctx.value(w), ...(b === undefined ? [] : [ctx.value(b)]), ctx.value(op.output)];
      ctx.schedule.call(program, keys);
    },
    backward(ctx, op) {
      const [x, w, b] = op.inputs as [TensorId, TensorId, TensorId?];
      const dy = ctx.grad(op.output);
      const n = rows(ctx, x);
      const { inFeatures, outFeatures } = op.attrs;
      if (ctx.needsGrad(x)) {
        // dx = dy · W: [N, out] · [out, in]
        const program = matmul({ a: [n, outFeatures], b: [outFeatures, inFeatures], subgroupSize: ctx.subgroupSize });
        ctx.schedule.call(program, [dy, ctx.value(w), ctx.gradOut(x)]);
      }
      // dW = dyᵀ · x: [out, N] · [N, in] = [out, in], PyTorch's weight layout.
      const dw = matmul({ a: [n, outFeatures], b: [n, inFeatures], transposeA: true, subgroupSize: ctx.subgroupSize });
      ctx.schedule.call(dw, [dy, ctx.value(x), ctx.gradOut(w)]);
      if (b !== undefined) ctx.schedule.call(biasGradient(n, outFeatures, 1, { subgroupSize: ctx.subgroupSize }), [dy, ctx.gradOut(b)]);
    },
  },

  activation: {
    forward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      const program = activationForward(op.attrs.activation, sizeOf(ctx.graph.shape(x)), op.attrs);
      ctx.schedule.call(program, [ctx.value(x), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (!ctx.needsGrad(x)) return;
      const program = activationBackward(op.attrs.activation, sizeOf(ctx.graph.shape(x)), op.attrs);
      ctx.schedule.call(program, [ctx.value(x), ctx.grad(op.output), ctx.gradOut(x)]);
    },
  },

  dropout: {
    forward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (ctx.mode === 'eval' || op.attrs.p === 0) return ctx.alias(op.output, x); // identity at test time
      const { rng, offset } = ctx.dropout(op);
      const program = dropoutForward(sizeOf(ctx.graph.shape(x)), op.attrs.p, { offset });
      ctx.schedule.call(program, [rng, ctx.value(x), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      if (!ctx.needsGrad(x) || op.attrs.p === 0) return; // p = 0: the alias already shares the gradient
      const { rng, offset } = ctx.dropout(op);
      const program = dropoutBackward(sizeOf(ctx.graph.shape(x)), op.attrs.p, { offset });
      ctx.schedule.call(program, [rng, ctx.grad(op.output), ctx.gradOut(x)]);
    },
  },

  batchnorm: {
    forward(ctx, op) {
      const [x, gamma, beta] = op.inputs as [TensorId, TensorId, TensorId];
      const shape = ctx.graph.shape(x);
      const { channels, eps, momentum } = op.attrs;
      const runningMean = ctx.buffer(stateName(op.layer, 'running_mean'));
      const runningVar = ctx.buffer(stateName(op.layer, 'running_var'));
      const common = [ctx.value(x), ctx.value(gamma), ctx.value(beta), ctx.value(op.output), runningMean, runningVar];
      if (ctx.mode === 'eval') {
        ctx.schedule.call(batchNormEvalForward(shape, { eps }), common);
      } else {
        const saved = ctx.aux(op, 'saved', 2 * channels);
        ctx.schedule.call(batchNormTrainingForward(shape, { eps, momentum, subgroupSize: ctx.subgroupSize }), [...common, saved]);
      }
    },
    backward(ctx, op) {
      const [x, gamma, beta] = op.inputs as [TensorId, TensorId, TensorId];
      const shape = ctx.graph.shape(x);
      const saved = ctx.aux(op, 'saved', 2 * op.attrs.channels);
      const dx = ctx.needsGrad(x) ? ctx.gradOut(x) : ctx.scratch(op, 'dx', sizeOf(shape));
      ctx.schedule.call(batchNormBackward(shape, { eps: op.attrs.eps, subgroupSize: ctx.subgroupSize }), [
        ctx.value(x),
        ctx.value(gamma),
        saved,
        ctx.grad(op.output),
        dx,
        ctx.gradOut(gamma),
        ctx.gradOut(beta),
      ]);
    },
  },

  layernorm: {
    forward(ctx, op) {
      const [x, gamma, beta] = op.inputs as [TensorId, TensorId, TensorId];
      const n = rows(ctx, x);
      const saved = ctx.aux(op, 'saved', 2 * n);
      ctx.schedule.call(layerNormForward(n, op.attrs.features, { eps: op.attrs.eps, subgroupSize: ctx.subgroupSize }), [
        ctx.value(x),
        ctx.value(gamma),
        ctx.value(beta),
        ctx.value(op.output),
        saved,
      ]);
    },
    backward(ctx, op) {
      const [x, gamma, beta] = op.inputs as [TensorId, TensorId, TensorId];
      const n = rows(ctx, x);
      const { features, eps } = op.attrs;
      const saved = ctx.aux(op, 'saved', 2 * n);
      const dy = ctx.grad(op.output);
      if (ctx.needsGrad(x)) {
        ctx.schedule.call(layerNormBackward(n, features, { eps, subgroupSize: ctx.subgroupSize }), [ctx.value(x), ctx.value(gamma), saved, dy, ctx.gradOut(x)]);
      }
      ctx.schedule.call(layerNormParamsBackward(n, features, { eps }), [
        ctx.value(x),
        saved,
        dy,
        ctx.gradOut(gamma),
        ctx.gradOut(beta),
      ]);
    },
  },

  add: {
    forward(ctx, op) {
      const [a, b] = op.inputs as [TensorId, TensorId];
      ctx.schedule.call(add(sizeOf(ctx.graph.shape(a))), [ctx.value(a), ctx.value(b), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      // d(a + b)/da = d(a + b)/db = 1: each input receives a copy of the output gradient.
      const n = sizeOf(ctx.graph.shape(op.output));
      for (const input of op.inputs) {
        if (ctx.needsGrad(input)) ctx.schedule.call(scale(n, 1), [ctx.grad(op.output), ctx.gradOut(input)]);
      }
    },
  },

  softmax: {
    forward(ctx, op) {
      const [x] = op.inputs as [TensorId];
      const [n, c] = ctx.graph.shape(x) as [number, number];
      const program = op.attrs.log ? logSoftmaxForward(n, c) : softmaxForward(n, c);
      ctx.schedule.call(program, [ctx.value(x), ctx.value(op.output)]);
    },
    backward(ctx, op) {
      // Both gradients are functions of the forward's output, which is kept for them.
      const [x] = op.inputs as [TensorId];
      if (!ctx.needsGrad(x)) return;
      const [n, c] = ctx.graph.shape(x) as [number, number];
      const program = op.attrs.log ? logSoftmaxBackward(n, c) : softmaxBackward(n, c);
      ctx.schedule.call(program, [ctx.value(op.output), ctx.grad(op.output), ctx.gradOut(x)]);
    },
  },

  reshape: {
    forward(ctx, op) {
      ctx.alias(op.output, op.inputs[0]!);
    },
    backward() {
      // The output is an alias of the input, so their gradients are one buffer too.
    },
  },
};
