// Compile times for the device report: how long compile() takes and how long the first
// training step takes after it, for the MNIST MLP and CNN of `npm run train`. "Cold" is a
// fresh runtime (new device, empty pipeline cache; the driver's own shader cache is as the
// machine has it, empty on a fresh machine); "warm" compiles the same model again on that
// runtime while the first is still alive, so every pipeline is already in the cache.
import { adam, compile, type GpuRuntime, type Trainer } from '../src/index';
import { mnistModel } from '../src/cli/models';
import { randomArray, randomLabels } from './core';

/** One model's compile and first step, cold or warm. */
export interface CompileTiming {
  model: 'mlp' | 'cnn';
  cache: 'cold' | 'warm';
  /** compile() to its resolved Trainer. */
  compileMs: number;
  /** trainer.step() on one batch plus trainer.sync(): the first step's wall time to GPU completion. */
  firstStepMs: number;
  /** Pipelines the runtime created during this compile and step (0 when warm and fully cached). */
  pipelinesCreated: number;
}

const BATCH = 128;
const INPUT_SHAPE: Record<'mlp' | 'cnn', readonly number[]> = { mlp: [784], cnn: [1, 28, 28] };

/** Compiles and steps one model; the caller destroys the trainer. */
async function timeOne(runtime: GpuRuntime, model: 'mlp' | 'cnn', cache: 'cold' | 'warm', trainers: Trainer[]): Promise<CompileTiming> {
  const inputShape = INPUT_SHAPE[model];
  const x = randomArray(BATCH * inputShape.reduce((a, b) => a * b, 1), 7);
  const y = randomLabels(BATCH, 10, 8);
  const before = runtime.stats().pipelinesCreated;
  let start = performance.now();
  const trainer = await compile(mnistModel(model), { inputShape, loss: 'crossEntropy', optimizer: adam({ lr: 1e-3 }), batchSize: BATCH, seed: 1, runtime });
  const compileMs = performance.now() - start;
  trainers.push(trainer);
  start = performance.now();
  trainer.step(x, y);
  await trainer.sync();
  const firstStepMs = performance.now() - start;
  return { model, cache, compileMs, firstStepMs, pipelinesCreated: runtime.stats().pipelinesCreated - before };
}

/**
 * Cold then warm timings of each model, each model on a runtime of its own from
 * `newRuntime` (destroyed afterwards), so the MLP's pipelines do not make the CNN look warm.
 */
export async function compileTimings(newRuntime: () => Promise<GpuRuntime>, models: readonly ('mlp' | 'cnn')[]): Promise<CompileTiming[]> {
  const out: CompileTiming[] = [];
  for (const model of models) {
    const runtime = await newRuntime();
    const trainers: Trainer[] = [];
    try {
      out.push(await timeOne(runtime, model, 'cold', trainers));
      // The cold model stays alive (its pipelines held), as a second model compiled beside a first would find them.
      out.push(await timeOne(runtime, model, 'warm', trainers));
    } finally {
      for (const trainer of trainers) await trainer.destroy();
      runtime.destroy();
    }
  }
  return out;
}
