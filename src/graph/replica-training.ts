// The epoch loop of a replicated trainer: every replica draws its batches from its own list
// of sample indices (a bootstrap sample, the folds but one, or the whole set), reshuffled
// each epoch by its own seed, and all K batches go into one step(). Batches are gathered into
// arrays made once; each epoch ends with one metrics readback.
import { ConfigError } from '../errors';
import { integer } from '../validate';
import { seededRandom, shuffleInPlace } from '../data/dataset';
import type { ArrayDataset } from '../data/arrays';
import type { TrainingMetrics } from './metrics';
import type { Trainer } from './trainer';

export interface ReplicaEpochs {
  epochs: number;
  /** Seeds every replica's shuffles (replica r: seed + r). Default 0. */
  seed?: number;
  /** After each epoch, with every replica's training metrics of that epoch. */
  onEpochEnd?: (epoch: number, metrics: TrainingMetrics[]) => unknown;
}

/** Checks that a dataset's samples and targets fit what `trainer` was compiled for. */
export function checkDataFits(what: string, trainer: Trainer, data: ArrayDataset): void {
  const size = data.sampleShape.reduce((a, b) => a * b, 1);
  if (size !== trainer.sampleSize) {
    throw new ConfigError(`${what}: samples of [${data.sampleShape.join(', ')}] (${size} values) do not fit the model's input of ${trainer.sampleSize} values`);
  }
  if (data.y.length !== data.count * trainer.targetSize) {
    throw new ConfigError(`${what}: data.y has ${data.y.length} values for ${data.count} samples, expected ${trainer.targetSize} per sample`);
  }
}

/**
 * Trains replica r on the samples `indices[r]` for `epochs` epochs. Every epoch has
 * ⌊smallest list / batchSize⌋ steps (each replica the same number; the rest of a shuffled
 * list waits for a later epoch, as with drop_last). Returns the last epoch's metrics.
 */
export async function trainReplicas(trainer: Trainer, data: ArrayDataset, indices: readonly Uint32Array[], options: ReplicaEpochs): Promise<TrainingMetrics[]> {
  const count = trainer.replicas;
  if (indices.length !== count) throw new ConfigError(`trainReplicas: ${indices.length} index lists for ${count} replicas`);
  integer('epochs', options.epochs, 1);
  const batch = trainer.batchSize;
  const smallest = Math.min(...indices.map((list) => list.length));
  const steps = Math.floor(smallest / batch);
  if (steps < 1) throw new ConfigError(`epochs: each replica needs at least batchSize = ${batch} samples, the smallest has ${smallest}`);
  const size = trainer.sampleSize;
  const width = trainer.targetSize;
  const x = new Float32Array(count * batch * size);
  const y = new (data.y.constructor as new (n: number) => Uint32Array | Float32Array)(count * batch * width);
  const orders = indices.map((list) => Uint32Array.from(list));
  const randoms = orders.map((_, r) => seededRandom(((options.seed ?? 0) + r) >>> 0));
  let last: TrainingMetrics[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    orders.forEach((order, r) => shuffleInPlace(order, randoms[r]!));
    trainer.resetMetrics();
    for (let s = 0; s < steps; s++) {
      for (let r = 0; r < count; r++) {
        for (let i = 0; i < batch; i++) {
          const sample = orders[r]![s * batch + i]!;
          const row = r * batch + i;
          x.set(data.x.subarray(sample * size, (sample + 1) * size), row * size);
          y.set(data.y.subarray(sample * width, (sample + 1) * width), row * width);
        }
      }
      trainer.step(x, y);
      await trainer.throttle(2); // a few steps ahead of the GPU at most; yields to the event loop
    }
    const metrics = await trainer.flushMetrics();
    last = metrics.replicas ?? [metrics];
    await options.onEpochEnd?.(epoch, last);
  }
  return last;
}
