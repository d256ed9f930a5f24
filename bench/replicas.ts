// Replicas suite: K MNIST MLPs (784-128-10, ReLU, Adam lr 1e-3, batch 64) trained as
// replicas of one compiled model (one submit and one fused optimizer dispatch per step for
// all K) versus the same K models compiled on their own and stepped one after another (K
// submits). Synthetic seeded batches stand in for MNIST: a step costs the same on any data.
import { adam, compile, Linear, ReLU, Sequential, type Trainer } from '../src/index';
import { CheckError, randomArray, randomLabels, type BenchCase, type Prepared, type Suite } from './core';

const BATCH = 64;
const [INPUT, HIDDEN, CLASSES] = [784, 128, 10];
/** Distinct batches cycled through, so no step sees the previous step's input. */
const BATCHES = 4;

const model = () => new Sequential([new Linear(INPUT, HIDDEN), ReLU(), new Linear(HIDDEN, CLASSES)]);
const options = (runtime: Parameters<typeof compile>[1]['runtime']) => ({
  inputShape: [INPUT], loss: 'crossEntropy' as const, optimizer: adam({ lr: 1e-3 }), batchSize: BATCH, evalBatchSize: BATCH, metricsEvery: 1_000_000, runtime,
});

/** K batches per step (replica r's at r·BATCH rows), cycled through BATCHES sets. */
function batches(k: number) {
  return Array.from({ length: BATCHES }, (_, b) => ({ x: randomArray(k * BATCH * INPUT, 100 + b), y: randomLabels(k * BATCH, CLASSES, 200 + b) }));
}

/**
 * The check for both cases: one step of replica r of a replicated trainer and of a single
 * model with seed r on the same batch must give the same loss (they run the same kernels).
 */
async function checkAgainstSingle(replicated: Trainer, single: Trainer, r: number, k: number): Promise<string> {
  const data = batches(k)[0]!;
  const rows = (from: Float32Array | Uint32Array, width: number) => from.subarray(r * BATCH * width, (r + 1) * BATCH * width);
  replicated.resetMetrics();
  single.resetMetrics();
  replicated.step(data.x, data.y);
  single.step(rows(data.x, INPUT) as Float32Array, rows(data.y, 1) as Uint32Array);
  const [a, b] = [(await replicated.flushMetrics()).replicas![r]!.loss, (await single.flushMetrics()).loss];
  if (!(Math.abs(a - b) <= 1e-6 * Math.abs(b))) throw new CheckError(`replica ${r} loss ${a} differs from the single model's ${b}`);
  return `replica ${r}'s first-step loss equals a single model's (${b.toFixed(5)})`;
}

function replicasCase(k: number): BenchCase {
  return {
    suite: 'replicas', name: `${k} MLPs 784-128-10 as replicas`, size: `K=${k}, batch ${BATCH}`, engine: 'shadergrad', unit: 'samplesPerSec',
    work: k * BATCH, formula: 'samples/s = K × batch / step time (Adam, one submit for all K)',
    async prepare(ctx): Promise<Prepared> {
      const trainer = await compile(model(), { ...options(ctx.runtime), replicas: k });
      const single = await compile(model(), { ...options(ctx.runtime), seed: k - 1 });
      const data = batches(k);
      let i = 0;
      return {
        check: () => checkAgainstSingle(trainer, single, k - 1, k),
        async iterate() {
          const b = data[i++ % BATCHES]!;
          trainer.step(b.x, b.y);
          await trainer.throttle(2);
        },
        sync: () => trainer.sync(),
        dispose: () => void Promise.all([trainer.destroy(), single.destroy()]),
      };
    },
  };
}

function sequentialCase(k: number): BenchCase {
  return {
    suite: 'replicas', name: `${k} MLPs 784-128-10 one after another`, size: `K=${k}, batch ${BATCH}`, engine: 'shadergrad', unit: 'samplesPerSec',
    work: k * BATCH, formula: 'samples/s = K × batch / (time of one step of each of the K models, K submits)',
    async prepare(ctx): Promise<Prepared> {
      const trainers = await Promise.all(Array.from({ length: k }, (_, r) => compile(model(), { ...options(ctx.runtime), seed: r })));
      const reference = await compile(model(), { ...options(ctx.runtime), replicas: k });
      const data = batches(k);
      const views = data.map((b) => trainers.map((_, r) => ({ x: b.x.subarray(r * BATCH * INPUT, (r + 1) * BATCH * INPUT), y: b.y.subarray(r * BATCH, (r + 1) * BATCH) })));
      let i = 0;
      return {
        check: () => checkAgainstSingle(reference, trainers[k - 1]!, k - 1, k),
        async iterate() {
          for (const [r, b] of views[i++ % BATCHES]!.entries()) trainers[r]!.step(b.x, b.y);
          await trainers[k - 1]!.throttle(2);
        },
        sync: async () => void (await Promise.all(trainers.map((t) => t.sync()))),
        dispose: () => void Promise.all([...trainers, reference].map((t) => t.destroy())),
      };
    },
  };
}

export const replicasSuite: Suite = {
  name: 'replicas',
  cases: (quick) => (quick ? [2] : [8]).flatMap((k) => [replicasCase(k), sequentialCase(k)]),
};
