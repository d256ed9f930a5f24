// compileInference(model, options) → InferenceModel: forward-only plans for serving a trained
// model. No gradient arena, optimizer state, loss gradient or training plan is made, so it
// holds parameters, buffers and one evaluation plan per batch bucket only.
import { GpuRuntime } from '../gpu/runtime';
import type { Module } from '../nn/module';
import { initialArena, layoutArena } from './arena';
import { KEYS } from './build';
import type { DeviceLostError } from '../gpu/errors';
import { CompiledModel } from './compiled-model';
import { buildGraph, checkArenaLimits, checkEvalLimits, checkModel, createModelBuffers } from './model-setup';
import { checkInferenceOptions } from './options';
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
  /** Called once if the device is lost (see CompileOptions.onDeviceLost). */
  onDeviceLost?: (error: DeviceLostError) => void;
}

/** A model compiled for predictions only; always in eval mode unless `mode` is set. */
export class InferenceModel extends CompiledModel {}

/**
 * Compiles a model for inference: predict(), evaluate(), stateDict(), loadStateDict(). Load
 * trained weights with loadStateDict(loadSafetensors(bytes)). Shape errors are thrown before
 * any GPU work.
 */
export async function compileInference(model: Module, options: InferenceOptions): Promise<InferenceModel> {
  checkModel('compileInference', model);
  checkInferenceOptions(options);
  const evalBatchSize = options.batchSize ?? 1000;
  const loss = normalizeLoss(options.loss ?? 'crossEntropy');
  const { graph, outputs } = buildGraph(model, evalBatchSize, options.inputShape);
  const layout = layoutArena(graph.params);

  const ownsRuntime = options.runtime === undefined;
  const runtime = options.runtime ?? (await GpuRuntime.create());
  try {
    return await runtime.cleanupOnError(async () => {
      runtime.checkAlive();
      checkArenaLimits(runtime, layout, 'compileInference');
      checkEvalLimits(runtime, { model, inputShape: options.inputShape, loss, layout }, evalBatchSize);
      const params = runtime.createBuffer(layout.size * 4, KEYS.params);
      runtime.write(params, initialArena(layout, graph.params, [options.seed ?? 0]));
      const shared: SharedBuffers = { params, byKey: new Map() };
      createModelBuffers(runtime, graph, shared);
      const spec = { inputShape: options.inputShape, loss, evalBatchSize, onDeviceLost: options.onDeviceLost };
      const inference = new InferenceModel(runtime, model, spec, graph, layout, shared, outputs, ownsRuntime);
      await inference.prepareEvaluation('eval', evalBatchSize);
      await runtime.sync();
      return inference;
    });
  } catch (error) {
    if (ownsRuntime) runtime.destroy();
    throw error;
  }
}
