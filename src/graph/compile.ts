// compile(model, options) → Trainer: checks the model and options, builds the graph and the
// training plan (every error before any GPU work), then creates the buffers and pipelines once.
import { ConfigError } from '../errors';
import { GpuRuntime } from '../gpu/runtime';
import { resolveOptimizer } from '../kernels/optim-config';
import { checkAugment } from './augment';
import type { Module } from '../nn/module';
import { initialArena, layoutArena } from './arena';
import { KEYS } from './build';
import { buildGraph, checkArenaLimits, checkEvalLimits, checkModel, createModelBuffers } from './model-setup';
import { checkCompileOptions, type CompileOptions } from './options';
import { resolveReplicas, withReplicaSettings } from './replicas';
import { normalizeLoss } from './loss';
import { materialize, type SharedBuffers } from './schedule';
import { trainSchedule, type TrainPlanSpec } from './train-schedule';
import { Trainer } from './trainer';

/** Compiles a model for training on the GPU. Shape errors are thrown before any GPU work. */
export async function compile(model: Module, options: CompileOptions): Promise<Trainer> {
  checkModel('compile', model);
  checkCompileOptions(options);
  const loss = normalizeLoss(options.loss);
  const config = resolveOptimizer(options.optimizer);
  const { batchSize } = options;
  const evalBatchSize = options.evalBatchSize ?? 1000;
  const replicas = resolveReplicas(options.replicas, options.seed ?? 0, config);
  if (replicas.length > 1 && options.augment) throw new ConfigError('compile: augment is not supported with replicas yet (compile each replica on its own to augment)');
  const { graph, outputs } = buildGraph(model, batchSize, options.inputShape, replicas.length);
  // Param groups are checked here, before any GPU work; then each replica's lr and weight decay join them.
  const layout = withReplicaSettings(layoutArena(graph.params, config, replicas.length), replicas, config);
  const augment = options.augment && checkAugment('compile: augment', options.augment, options.inputShape, loss);
  const plan: TrainPlanSpec = {
    model, inputShape: options.inputShape, loss, layout, optimizer: config, clipGradNorm: options.clipGradNorm, augment, replicas: replicas.length,
  };
  // Built once without a device, so that every error is thrown before any GPU work; then
  // again for the device's kernels when it has subgroups.
  let schedule = trainSchedule(plan, batchSize, undefined);

  const ownsRuntime = options.runtime === undefined;
  const runtime = options.runtime ?? (await GpuRuntime.create());
  try {
    return await runtime.cleanupOnError(async () => {
      runtime.checkAlive();
      checkArenaLimits(runtime, layout, 'compile');
      checkEvalLimits(runtime, { model, inputShape: options.inputShape, loss, layout, replicas: replicas.length }, evalBatchSize);
      if (runtime.subgroupSize !== undefined) schedule = trainSchedule(plan, batchSize, runtime.subgroupSize);
      schedule.checkLimits(runtime.device.limits, 'compile');
      const params = runtime.createBuffer(layout.size * 4, KEYS.params);
      runtime.write(params, initialArena(layout, graph.params, replicas.map((r) => r.seed)));
      const grads = runtime.createBuffer(layout.size * 4, KEYS.grads);
      const shared: SharedBuffers = { params, grads, byKey: new Map() };
      createModelBuffers(runtime, graph, shared);
      const train = await materialize(runtime, schedule, shared, 'train');
      const spec = { inputShape: options.inputShape, loss, evalBatchSize, onDeviceLost: options.onDeviceLost, replicas: replicas.length };
      const trainer = new Trainer(runtime, model, spec, graph, layout, shared, outputs, ownsRuntime, { ...options, optimizer: config }, train, plan);
      await trainer.prepareEvaluation('eval', evalBatchSize);
      await runtime.sync();
      return trainer;
    });
  } catch (error) {
    if (ownsRuntime) runtime.destroy(); // nothing of a failed compile stays, its device neither
    throw error;
  }
}
