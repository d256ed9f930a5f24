// compileInference(model, options) → InferenceModel: forward-only plans for serving a trained
// model. No gradient arena, optimizer state, loss gradient or training plan is made, so it
// holds parameters, buffers and one evaluation plan per batch bucket only.
import { GpuRuntime } from '../gpu/runtime';
import type { Module } from '../nn/module';
import { initialArena, layoutArena } from './arena';
import { KEYS } from './build';
import { buildGraph, CompiledModel, createModelBuffers } from './compiled-model';
import { normalizeLoss, type LossConfig } from './loss';
import type { SharedBuffers } from './schedule';

export interface InferenceOptions {
  /** Shape of one sample, e.g. [1, 28, 28] or [784]. */
  inputShape: readonly number[];
  /** Largest batch one forward pass takes (predict/evaluate split larger inputs). Default 1000. */
  batchSize?: number;
  /** The loss evaluate() reports. Default: cross-entropy over class labels. */
  loss?: LossConfig | LossConfig['kind'];
  /** Seeds the initial parameters (before a state dict is loaded). Default 0. */
  seed?: number;
  /** Use this runtime; default: a new one on the default device. */
  runtime?: GpuRuntime;
}

/** A model compiled for predictions only; always in eval mode unless `mode` is set. */
export class InferenceModel extends CompiledModel {}

/**
 * Compiles a model for inference: predict(), evaluate(), stateDict(), loadStateDict(). Load
 * trained weights with loadStateDict(loadSafetensors(bytes)). Shape errors are thrown before
 * any GPU work.
 */
export async function compileInference(model: Module, options: InferenceOptions): Promise<InferenceModel> {
  const evalBatchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(evalBatchSize) || evalBatchSize < 1) throw new RangeError(`compileInference: batchSize must be ≥ 1, got ${evalBatchSize}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`compileInference: seed must be an integer in [0, 2³²), got ${seed}`);
  const loss = normalizeLoss(options.loss ?? 'crossEntropy');
  const { graph, outputs } = buildGraph(model, evalBatchSize, options.inputShape);
  const layout = layoutArena(graph.params);

  const ownsRuntime = options.runtime === undefined;
  const runtime = options.runtime ?? (await GpuRuntime.create());
  const params = runtime.createBuffer(layout.size * 4, KEYS.params);
  runtime.write(params, initialArena(layout, graph.params, seed));
  const shared: SharedBuffers = { params, byKey: new Map() };
  createModelBuffers(runtime, graph, shared);
  const inference = new InferenceModel(runtime, model, { inputShape: options.inputShape, loss, evalBatchSize }, graph, layout, shared, outputs, ownsRuntime);
  await inference.prepareEvaluation('eval', evalBatchSize);
  await runtime.sync();
  return inference;
}
