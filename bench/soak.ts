// The soak benchmark behind `npm run soak` (Node only): a long training run of the MNIST MLP
// with evaluate()/predict() probes, and repeated compile → train → evaluate → destroy cycles,
// sampling process RSS, the JS heap and the GPU bytes held, to show that steady state grows
// nothing: no buffers, no pipelines, no host memory.
import { readMnistFiles } from '../src/cli/mnist-files';
import { mnistModel } from '../src/cli/models';
import { Batcher, seededRandom, takeFirst, type LabeledData } from '../src/data/dataset';
import { parseMnist, type Mnist } from '../src/data/mnist';
import { compile } from '../src/graph/compile';
import type { Trainer } from '../src/graph/trainer';
import { GpuRuntime, type GpuStats } from '../src/gpu/runtime';
import { adam } from '../src/optim/optimizers';

/** Samples evaluate() and the long run's batch; predict() takes 1..PREDICT_MAX of them. */
const TEST_SAMPLES = 1000;
const BATCH = 128;
const PREDICT_MAX = 300;
/** Steps each compile cycle trains. */
export const CYCLE_STEPS = 20;

/** Process memory after garbage collection. */
export interface Memory {
  /** Resident set size, bytes: V8 heap, Dawn, the Vulkan driver and its JIT-compiled shaders. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
}

/**
 * Memory after a full collection when Node runs with --expose-gc (`npm run soak` does): twice,
 * around a macrotask, so Dawn objects whose JS wrappers died in the first pass are released
 * before the second. Without --expose-gc the numbers include garbage and are noisier.
 */
export async function memory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** Real MNIST (standardized, as `npm run train`) and the first TEST_SAMPLES test samples. */
export function loadMnist(): { mnist: Mnist; test: LabeledData } {
  const mnist = parseMnist(readMnistFiles(), { normalization: 'standardize' });
  return { mnist, test: takeFirst(mnist.test, TEST_SAMPLES) };
}

const compileMlp = (batchSize: number, runtime?: GpuRuntime) =>
  compile(mnistModel('mlp'), { inputShape: [1, 28, 28], loss: 'crossEntropy', optimizer: adam(), batchSize, seed: 1, runtime });

/** Trains `steps` steps, cycling through shuffled epochs, awaiting throttle() each step as the CLI does. */
async function trainSteps(trainer: Trainer, batcher: Batcher, steps: number, position: { batch: number }): Promise<void> {
  for (let s = 0; s < steps; s++) {
    if (position.batch % batcher.batchesPerEpoch === 0) batcher.startEpoch();
    const { x, y } = batcher.fill(position.batch++ % batcher.batchesPerEpoch);
    trainer.step(x, y);
    await trainer.throttle();
  }
}

/** Test accuracy on `test`, and a predict() of `count` samples, in eval mode; back to train mode after. */
async function probe(trainer: Trainer, test: LabeledData, count: number): Promise<number> {
  trainer.eval();
  const { accuracy } = await trainer.evaluate(test);
  const logits = await trainer.predict(test.x, count);
  if (logits.length !== count * trainer.outputs) throw new Error(`predict(${count}) returned ${logits.length} values`);
  trainer.train();
  return accuracy;
}

/** One sample point of the long run. Counters are since warm-up (0 at warm-up). */
export interface LongRunSample extends Memory {
  step: number;
  /** Bytes of GPU buffers the runtime holds (trainer.stats().gpuBytes). */
  gpuBytes: number;
  bufferAllocations: number;
  pipelinesCreated: number;
  /** Pipelines in the runtime's cache. */
  pipelines: number;
  /** Training steps per second since the previous sample (probes and GC excluded). */
  stepsPerSec: number;
  /** Samples predict() ran on at this point. */
  predictCount: number;
  testAccuracy: number;
}

export interface LongRun {
  /** Steps trained: the requested ones rounded down to a whole number of sample intervals. */
  steps: number;
  batch: number;
  sampleEvery: number;
  /** The first sample is the warm-up point; growth is measured from it. */
  samples: LongRunSample[];
}

/**
 * Sample spacing: 500 steps, or a fifth of a short run (so --quick and the smoke test still
 * see a warm-up point and four more).
 */
export const sampleEvery = (steps: number): number => Math.max(1, Math.min(500, Math.floor(steps / 5)));

/**
 * `steps` Adam steps of the MNIST MLP at batch 128 on real MNIST. Every sampleEvery steps:
 * evaluate() on TEST_SAMPLES test samples and predict() on a different count in 1..300, in
 * eval mode, then memory and counters. The warm-up point also runs predict() on every power
 * of two up to 300 and 300 itself: the eval plans (batch buckets 1, 8, 64, 512) and the
 * readback staging buffers (power-of-two bytes) those counts need then exist, so any later
 * allocation is growth.
 */
export async function longRun(
  data: { mnist: Mnist; test: LabeledData },
  steps: number,
  onSample: (sample: LongRunSample) => void = () => {},
): Promise<LongRun> {
  const every = sampleEvery(steps);
  const trainer = await compileMlp(BATCH);
  const batcher = new Batcher(data.mnist.train, BATCH, { seed: 1 });
  const random = seededRandom(12);
  const position = { batch: 0 };
  const samples: LongRunSample[] = [];
  let base: GpuStats | undefined;
  let done = 0;
  try {
    while (done + every <= steps) {
      const start = performance.now();
      await trainSteps(trainer, batcher, every, position);
      await trainer.sync();
      const seconds = (performance.now() - start) / 1000;
      done += every;
      if (!base) for (let n = 1; n <= PREDICT_MAX; n *= 2) await probe(trainer, data.test, n);
      const predictCount = base ? 1 + Math.floor(random() * PREDICT_MAX) : PREDICT_MAX;
      const testAccuracy = await probe(trainer, data.test, predictCount);
      await trainer.sync();
      const stats = trainer.runtime.stats();
      base ??= stats;
      const sample: LongRunSample = {
        step: done,
        ...(await memory()),
        gpuBytes: trainer.stats().gpuBytes,
        bufferAllocations: stats.bufferAllocations - base.bufferAllocations,
        pipelinesCreated: stats.pipelinesCreated - base.pipelinesCreated,
        pipelines: trainer.runtime.pipelines.size,
        stepsPerSec: every / seconds,
        predictCount,
        testAccuracy,
      };
      samples.push(sample);
      onSample(sample);
    }
  } finally {
    await trainer.destroy();
  }
  return { steps: done, batch: BATCH, sampleEvery: every, samples };
}

/** Memory and the runtime after one cycle's destroy(). */
export interface CycleSample extends Memory {
  cycle: number;
  batch: number;
  /**
   * GPU bytes the runtime still counts after destroy(): the shared runtime's readback staging
   * pool (b); for an own runtime (a), bytes not freed before its device was destroyed.
   */
  bytesHeld: number;
  /** Pipelines in the runtime's cache after destroy() (a: that cycle's own runtime). */
  pipelines: number;
  testAccuracy: number;
  seconds: number;
}

export interface Cycles {
  runtime: 'own' | 'shared';
  /** Before the first cycle (the MNIST arrays already loaded). */
  before: Memory;
  cycles: CycleSample[];
}

/** Batch size of cycle `i` (from 0) among `sizes` distinct ones: 16, 32, …, 16·sizes, then around again. */
export const cycleBatch = (i: number, sizes = 40): number => 16 * (1 + (i % sizes));

/**
 * `count` cycles of compile → CYCLE_STEPS steps → evaluate() → destroy() of the MNIST MLP,
 * each at a different batch size (`sizes` distinct ones, in turn), each on its own runtime (compile's default) or all on one
 * GpuRuntime.create() runtime.
 */
export async function compileCycles(
  data: { mnist: Mnist; test: LabeledData },
  count: number,
  runtime: 'own' | 'shared',
  onCycle: (sample: CycleSample) => void = () => {},
  sizes = 40,
): Promise<Cycles> {
  const shared = runtime === 'shared' ? await GpuRuntime.create() : undefined;
  const before = await memory();
  const cycles: CycleSample[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      const batch = cycleBatch(i, sizes);
      const trainer = await compileMlp(batch, shared);
      const used = trainer.runtime;
      let testAccuracy: number;
      try {
        await trainSteps(trainer, new Batcher(data.mnist.train, batch, { seed: i }), CYCLE_STEPS, { batch: 0 });
        trainer.eval();
        testAccuracy = (await trainer.evaluate(data.test)).accuracy;
      } finally {
        await trainer.destroy();
      }
      const sample: CycleSample = {
        cycle: i + 1,
        batch,
        ...(await memory()),
        bytesHeld: used.stats().bytesHeld,
        pipelines: used.pipelines.size,
        testAccuracy,
        seconds: (performance.now() - start) / 1000,
      };
      cycles.push(sample);
      onCycle(sample);
    }
  } finally {
    shared?.destroy();
  }
  return { runtime, before, cycles };
}

/** Least-squares slope of ys over xs (0 for fewer than two points). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
