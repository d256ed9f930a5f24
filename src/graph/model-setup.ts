// Setting a compiled model up: argument and device-limit checks, the graph for one batch
// size, the evaluation plan buckets and the registered buffers (shared by compile() and
// compileInference()).
import { ConfigError, ResourceLimitError } from '../errors';
import type { GpuRuntime } from '../gpu/runtime';
import type { Module } from '../nn/module';
import { show } from '../validate';
import type { ArenaLayout } from './arena';
import { buildSchedule, type GraphEnds } from './build';
import { GraphBuilder, ShapeError, showShape, sizeOf, type TensorId } from './ir';
import { moduleOutputs } from './layer-outputs';
import { replicaPath } from './replicas';
import type { LossConfig } from './loss';
import type { SharedBuffers } from './schedule';

/** The model argument of compile() / compileInference(): a Module (a layer or Sequential). */
export function checkModel(what: string, model: unknown): void {
  if (typeof model !== 'object' || model === null || typeof (model as Module).build !== 'function') {
    throw new ConfigError(`${what}: model must be a Module (a layer, Sequential or functional graph), got ${show(model)}`);
  }
}

/** The parameter arena is bound whole by the optimizer: it must fit one storage binding. */
export function checkArenaLimits(runtime: GpuRuntime, layout: ArenaLayout, what: string): void {
  const { maxStorageBufferBindingSize, maxBufferSize } = runtime.device.limits;
  const limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
  if (layout.size * 4 > limit) {
    const largest = layout.entries.reduce((a, b) => (b.length > a.length ? b : a));
    throw new ResourceLimitError(
      `${what}: the ${layout.entries.length} parameters need ${layout.size * 4} bytes, over this device's ` +
        `maxStorageBufferBindingSize of ${limit} bytes (the largest is ${largest.name} ${showShape(largest.shape)}, ${largest.length * 4} bytes)`,
    );
  }
}

/**
 * The graph of `replicas` copies of the model for batches of `batch` rows (each replica's
 * parameters under its module path, see replicaPath). Training gives each replica its own
 * input tensor; evaluation (`sharedInput`) feeds one batch to every replica.
 */
export function buildGraph(model: Module, batch: number, inputShape: readonly number[], replicas = 1, sharedInput = false) {
  const graph = new GraphBuilder();
  const ends: GraphEnds[] = [];
  let shared: TensorId | undefined;
  for (let r = 0; r < replicas; r++) {
    const input = sharedInput && shared !== undefined ? shared : graph.tensor([batch, ...inputShape], 'input', 'input');
    shared = input;
    const output = model.build(graph, input, replicaPath(replicas, r));
    ends.push({ input, output, opsEnd: graph.ops.length });
  }
  if (graph.params.length === 0) throw new ShapeError('compile: the model has no trainable parameters');
  const outShape = graph.shape(ends[0]!.output);
  if (outShape.length !== 2) throw new ShapeError(`compile: the model output must be [N, C], got ${showShape(outShape)}`);
  return { graph, ends, outputs: outShape[1]! };
}

/** What an evaluation plan is built from. */
export interface EvalPlanSpec {
  model: Module;
  inputShape: readonly number[];
  loss: LossConfig;
  layout: ArenaLayout;
  /** Copies of the model in the plan (compile's replicas); default 1. */
  replicas?: number;
}

/**
 * The forward schedule of `batch` rows for predict()/evaluate(): batch statistics in 'train'
 * mode, running statistics and a padded batch (see HeadKeys.padded) in 'eval' mode. The
 * outputs of the modules named in `keep` (names checked by the caller, see moduleOutputs)
 * are kept to be read back.
 */
export function evalSchedule(spec: EvalPlanSpec, batch: number, mode: 'train' | 'eval', subgroupSize: number | undefined, keep: readonly string[] = []) {
  const { graph, ends } = buildGraph(spec.model, batch, spec.inputShape, spec.replicas, true);
  const named = moduleOutputs(graph);
  return buildSchedule(graph, ends, { mode, loss: spec.loss, layout: spec.layout, subgroupSize, padded: mode === 'eval', keep: keep.map((name) => named.get(name)!) });
}

/**
 * The largest evaluation plan (evalBatchSize rows; train-mode plans are never larger) must
 * fit the device: checked before any buffer is made, so a failing compile does no GPU work.
 */
export function checkEvalLimits(runtime: GpuRuntime, spec: EvalPlanSpec, evalBatchSize: number): void {
  evalSchedule(spec, evalBatchSize, 'eval', runtime.subgroupSize).schedule.checkLimits(runtime.device.limits, `eval ${evalBatchSize}`);
}

/**
 * Plan batch sizes for eval-mode forward passes: powers of 8 below the largest batch, and the
 * largest. A call with r rows runs the smallest plan of at least r rows, padded, so any sample
 * count reuses a few plans (compiled on first use) instead of compiling one per count. Padding
 * is exact in eval mode, where every sample is computed on its own.
 */
export function evalBuckets(largest: number): number[] {
  const buckets: number[] = [];
  for (let b = 1; b < largest; b *= 8) buckets.push(b);
  return [...buckets, largest];
}

/** Creates the model's registered GPU buffers (running statistics) with their initial values. */
export function createModelBuffers(runtime: GpuRuntime, graph: GraphBuilder, shared: SharedBuffers): void {
  for (const b of graph.buffers) {
    if (b.dtype !== 'f32') continue;
    const buffer = runtime.createBuffer(sizeOf(b.shape) * 4, b.name);
    if (b.init) runtime.write(buffer, b.init);
    shared.byKey.set(b.name, buffer);
  }
}
