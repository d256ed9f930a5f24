// Builds the schedule of a training step or an evaluation batch from a graph: forward calls,
// the loss head, backward calls in reverse, and the fused optimizer update.
import { ResourceLimitError } from '../errors';
import { clipNorm, clipScale } from '../kernels/clip';
import { accumulate } from '../kernels/elementwise';
import { optimizerUpdate, UNIFORM_WORDS } from '../kernels/optim';
import { type OptimizerConfig } from '../kernels/optim-config';
import { showShape, sizeOf, type GraphBuilder, type Op, type TensorId } from './ir';
import { lowerAugment, type ResolvedAugment } from './augment';
import { lowerLoss, METRIC_NONFINITE_STEP, METRIC_WORDS, targetsPerRow, type LossConfig } from './loss';
import { RULES, type LowerContext } from './lower';
import { Schedule } from './schedule';
import { metricsFloats, replicaStride } from './replicas';
import type { ArenaLayout } from './arena';

/** Keys of the buffers a trainer writes or reads directly. */
export const KEYS = {
  input: 'input',
  targets: 'targets',
  metrics: 'metrics',
  optimizerUniform: 'optimizer uniform',
  segments: 'optimizer segments',
  state: 'optimizer state',
  dropoutRng: 'dropout rng',
  augment: 'augment uniform',
  params: 'params arena',
  grads: 'grads arena',
  clipStats: 'clip stats',
} as const;

export interface BuildOptions {
  /** Forward semantics: batch statistics and dropout ('train') or running statistics ('eval'). */
  mode: 'train' | 'eval';
  loss: LossConfig;
  layout: ArenaLayout;
  /** The device's fixed subgroup size, when it has subgroups (GpuRuntime.subgroupSize). */
  subgroupSize: number | undefined;
  /** An evaluation batch that may be padded past its real rows (see HeadKeys.padded). */
  padded?: boolean;
  /** Given for a training step: backward pass and update follow the loss. */
  optimizer?: { config: OptimizerConfig; stateFloats: number; segmentTable: Uint32Array; clipGradNorm?: number };
  /** Tensors whose values must survive the run to be read back (predict's outputs). */
  keep?: readonly TensorId[];
  /** Data augmentation at the start of a training step; ignored without `optimizer` (evaluation never augments). */
  augment?: ResolvedAugment;
}

/** The graph's input tensor and model output. */
export interface GraphEnds {
  input: TensorId;
  output: TensorId;
  /** End (exclusive) of this replica's ops in graph.ops (they follow the previous replica's); default: all. */
  opsEnd?: number;
}

/** The schedule, the key of the model output, and the keys of the `keep` tensors in order. */
export function buildSchedule(
  graph: GraphBuilder,
  ends: readonly GraphEnds[],
  options: BuildOptions,
): { schedule: Schedule; output: string; outputs: string[]; kept: string[] } {
  const schedule = new Schedule();
  const parts = replicaParts(schedule, graph, ends, options.loss);
  const { mode, layout } = options;
  const training = options.optimizer !== undefined;
  const f32 = (id: TensorId) => sizeOf(graph.shape(id)) * 4;
  const aliasOf = new Map<TensorId, TensorId>();
  const root = (id: TensorId): TensorId => (aliasOf.has(id) ? root(aliasOf.get(id)!) : id);
  const paramOffset = new Map(graph.params.map((p, i) => [p.tensor, layout.entries[i]!.offset]));

  // Which tensors the gradient must reach.
  const needs = new Set<TensorId>(graph.params.map((p) => p.tensor));
  for (const op of graph.ops) if (op.inputs.some((i) => needs.has(i))) needs.add(op.output);

  // Gradient contributions written so far per tensor, and accumulations still to record.
  const contributions = new Map<TensorId, number>();
  const pendingSums: { from: string; to: string; floats: number }[] = [];

  const dropoutOffsets = new Map<Op, number>();
  let dropoutCounter = 0;
  for (const op of graph.ops) {
    if (op.kind !== 'dropout') continue;
    dropoutOffsets.set(op, dropoutCounter);
    dropoutCounter += sizeOf(graph.shape(op.output));
  }

  const outputRoots = () => new Set(ends.map((e) => root(e.output)));
  // Augmentation reads the input batch first; the forward pass then reads its result (one replica only: compile checks).
  const first = ends[0]!;
  const augmented =
    training && options.augment
      ? lowerAugment(schedule, options.augment, graph.shape(first.input), graph.shape(first.output)[1]!, { uniform: KEYS.augment, input: KEYS.input, targets: KEYS.targets })
      : undefined;
  const ctx: LowerContext = {
    graph,
    schedule,
    mode,
    subgroupSize: options.subgroupSize,
    value(id) {
      const r = root(id);
      const t = graph.tensors[r]!;
      if (t.role === 'param') return schedule.define(`p${r}`, f32(r), { kind: 'view', arena: 'params', offset: paramOffset.get(r)! });
      if (t.role === 'input' && augmented) return augmented.input;
      if (t.role === 'input') return parts.input(r);
      // The model outputs of an evaluation schedule are read back by predict(): keep them.
      const keep = !training && outputRoots().has(r);
      return schedule.define(`v${r}`, f32(r), keep ? { kind: 'local' } : { kind: 'planned' }, `the output of ${t.name} ${showShape(t.shape)}`);
    },
    grad(id) {
      const r = root(id);
      if (graph.tensors[r]!.role === 'param') {
        return schedule.define(`dp${r}`, f32(r), { kind: 'view', arena: 'grads', offset: paramOffset.get(r)! });
      }
      return schedule.define(`g${r}`, f32(r), { kind: 'planned' }, `the gradient of ${graph.tensors[r]!.name}`);
    },
    gradOut(id) {
      const r = root(id);
      const target = ctx.grad(r);
      const seen = contributions.get(r) ?? 0;
      contributions.set(r, seen + 1);
      if (seen === 0) return target;
      const floats = sizeOf(graph.shape(r));
      const from = schedule.define(`${target}+${seen}`, floats * 4, { kind: 'planned' });
      pendingSums.push({ from, to: target, floats });
      return from;
    },
    needsGrad: (id) => needs.has(id),
    alias(output, input) {
      aliasOf.set(output, input);
    },
    aux(op, name, floats, shared) {
      const storage = shared ? ({ kind: 'shared', init: shared } as const) : ({ kind: 'planned' } as const);
      return schedule.define(`${op.layer}.${name}`, floats * 4, storage, `${op.kind} (layer ${op.layer}) ${name}`);
    },
    buffer(name) {
      const info = graph.buffers.find((b) => b.name === name && b.dtype === 'f32');
      if (!info) throw new Error(`lowering: the model registered no f32 buffer ${name}`);
      return schedule.define(name, sizeOf(info.shape) * 4, { kind: 'shared', init: info.init });
    },
    scratch(op, name, floats) {
      return schedule.define(`${op.layer}.${name}`, floats * 4, { kind: 'planned' }, `${op.kind} (layer ${op.layer}) ${name}`);
    },
    dropout(op) {
      const rng = schedule.define(KEYS.dropoutRng, 16, { kind: 'shared', usage: 'uniform' });
      return { rng, offset: dropoutOffsets.get(op)! };
    },
  };

  // Replica by replica: its forward pass, loss head and backward pass, so that one replica's
  // activations are dead before the next one's forward pass (memory for one replica, not K)
  // and its working set stays in the caches. Replicas share no tensor a backward pass writes.
  const outShape = graph.shape(first.output);
  const opt = options.optimizer;
  let opsFrom = 0;
  const outputs = ends.map((end, r) => {
    const ops = graph.ops.slice(opsFrom, (opsFrom = end.opsEnd ?? graph.ops.length));
    for (const op of ops) lowerOp(op, () => (RULES[op.kind].forward as (c: LowerContext, o: Op) => void)(ctx, op));
    const output = ctx.value(end.output);
    const scratchPrefix = ends.length === 1 ? 'loss' : `loss#${r}`;
    lowerLoss(schedule, options.loss, outShape, {
      output,
      targets: parts.targets(r),
      metrics: parts.metrics(r),
      grad: training ? ctx.grad(end.output) : undefined,
      softTargets: augmented?.softTargets,
      scratch: (name, floats) => schedule.define(`${scratchPrefix}.${name}`, floats * 4, { kind: 'planned' }),
      padded: options.padded,
      subgroupSize: options.subgroupSize,
    });
    if (!opt) return output;
    for (const op of [...ops].reverse()) {
      lowerOp(op, () => (RULES[op.kind].backward as (c: LowerContext, o: Op) => void)(ctx, op));
      for (const { from, to, floats } of pendingSums.splice(0)) schedule.call(accumulate(floats), [from, to]);
    }
    return output;
  });
  // After the forward passes, when every alias is known: a kept view keeps the buffer it views.
  const kept = (options.keep ?? []).map((id) => schedule.keep(ctx.value(id)));
  const output = outputs[0]!;
  if (!opt) return { schedule, output, outputs, kept };

  const arenaBytes = layout.size * 4;
  const grads = schedule.define(KEYS.grads, arenaBytes, { kind: 'view', arena: 'grads', offset: 0 });
  if (opt.clipGradNorm !== undefined) {
    const stats = schedule.define(KEYS.clipStats, 8, { kind: 'local' });
    schedule.call(clipNorm(layout.size, opt.clipGradNorm, { subgroupSize: options.subgroupSize }), [grads, stats]);
    schedule.call(clipScale(layout.size, opt.clipGradNorm), [stats, grads]);
  }
  // The update also flags the first step with a non-finite gradient in the metrics.
  schedule.call(optimizerUpdate(opt.config, layout.size, layout.entries.length, { flagWord: METRIC_NONFINITE_STEP }), [
    schedule.define(KEYS.optimizerUniform, UNIFORM_WORDS * 4, { kind: 'shared', usage: 'uniform' }),
    schedule.define(KEYS.segments, opt.segmentTable.byteLength, { kind: 'shared', init: opt.segmentTable }),
    grads,
    schedule.define(KEYS.params, arenaBytes, { kind: 'view', arena: 'params', offset: 0 }),
    schedule.define(KEYS.state, Math.max(opt.stateFloats, 4) * 4, { kind: 'shared' }),
    KEYS.metrics,
  ]);
  return { schedule, output, outputs, kept };
}

/**
 * The input, targets and metrics keys of each replica. One replica uses the whole buffers;
 * with several, each gets a 256-byte-aligned part (see replicaStride) of one local buffer, and
 * replicas that share an input tensor share the input and targets.
 */
function replicaParts(schedule: Schedule, graph: GraphBuilder, ends: readonly GraphEnds[], loss: LossConfig) {
  const count = ends.length;
  const shape = graph.shape(ends[0]!.input);
  const slices = ends.every((e) => e.input === ends[0]!.input) ? 1 : count;
  const inFloats = sizeOf(shape);
  const targetFloats = shape[0]! * targetsPerRow(loss, graph.shape(ends[0]!.output)[1]!);
  const [inStride, targetStride] = [replicaStride(slices, inFloats), replicaStride(slices, targetFloats)];
  const what = `the input batch ${showShape(shape)}${slices > 1 ? ` × ${slices} replicas` : ''}`;
  const input = schedule.define(KEYS.input, slices * inStride * 4, { kind: 'local' }, what);
  const targets = schedule.define(KEYS.targets, slices * targetStride * 4, { kind: 'local' });
  const metrics = schedule.define(KEYS.metrics, metricsFloats(count) * 4, { kind: 'local' });
  const part = (whole: string, floats: number, stride: number, r: number) =>
    schedule.define(`${whole}#${r}`, floats * 4, { kind: 'part', of: whole, offset: r * stride });
  const inputOf = new Map(ends.map((e, r) => [e.input, r]));
  return {
    /** The key of input tensor `id` (its replica's part when the replicas have their own). */
    input: (id: TensorId) => (slices === 1 ? input : part(input, inFloats, inStride, inputOf.get(id)!)),
    targets: (r: number) => (slices === 1 ? targets : part(targets, targetFloats, targetStride, r)),
    metrics: (r: number) => (count === 1 ? metrics : part(metrics, METRIC_WORDS, 64, r)),
  };
}

/** Runs one op's lowering; a kernel's limit error (e.g. too many workgroups) gets the op's layer. */
function lowerOp(op: Op, lower: () => void): void {
  try {
    lower();
  } catch (error) {
    if (error instanceof ResourceLimitError) throw new ResourceLimitError(`layer ${op.layer} (${op.kind}): ${error.message}`, { cause: error });
    throw error;
  }
}
