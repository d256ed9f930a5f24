// Labelled data held on the CPU, seeded shuffling, and a batcher that fills preallocated
// arrays so a training loop allocates nothing per step.
import { ConfigError } from '../errors';
import { fail, integer } from '../validate';

/** N samples of features (row-major, sampleShape each) with u32 class labels. */
export interface LabeledData {
  readonly x: Float32Array;
  readonly y: Uint32Array;
  readonly count: number;
  /** Shape of one sample, e.g. [1, 28, 28] for MNIST (N,C,H,W without N). */
  readonly sampleShape: readonly number[];
  readonly classes: number;
}

/** Values per sample. */
export function sampleSize(data: LabeledData): number {
  return data.sampleShape.reduce((a, b) => a * b, 1);
}

/** The first `count` samples (views, no copy). */
export function takeFirst(data: LabeledData, count: number): LabeledData {
  integer('takeFirst: count', count, 0);
  const n = Math.min(count, data.count);
  const size = sampleSize(data);
  return { ...data, x: data.x.subarray(0, n * size), y: data.y.subarray(0, n), count: n };
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `order` in place. */
export function shuffleInPlace(order: Uint32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/**
 * Iterates over fixed-size mini-batches of a dataset, reshuffled every epoch from a seed.
 * The last incomplete batch of an epoch is dropped (static shapes on the GPU).
 */
export class Batcher {
  readonly x: Float32Array;
  readonly y: Uint32Array;
  readonly batchesPerEpoch: number;
  private readonly order: Uint32Array;
  private readonly random: () => number;
  private readonly size: number;
  private readonly shuffle: boolean;

  constructor(
    readonly data: LabeledData,
    readonly batchSize: number,
    options: { seed?: number; shuffle?: boolean } = {},
  ) {
    integer('Batcher: batchSize', batchSize, 1);
    if (batchSize > data.count) fail('Batcher: batchSize', batchSize, `at most the ${data.count} samples of the data`);
    this.size = sampleSize(data);
    if (data.x.length !== data.count * this.size || data.y.length !== data.count) {
      throw new ConfigError(
        `Batcher: data of ${data.count} samples of [${data.sampleShape.join(', ')}] needs ${data.count * this.size} values and ${data.count} labels, got ${data.x.length} and ${data.y.length}`,
      );
    }
    this.x = new Float32Array(batchSize * this.size);
    this.y = new Uint32Array(batchSize);
    this.order = Uint32Array.from({ length: data.count }, (_, i) => i);
    this.random = seededRandom(options.seed ?? 0);
    this.shuffle = options.shuffle ?? true;
    this.batchesPerEpoch = Math.floor(data.count / batchSize);
  }

  /** Starts an epoch: reshuffles the sample order (when shuffling). */
  startEpoch(): void {
    if (this.shuffle) shuffleInPlace(this.order, this.random);
  }

  /** Fills this.x / this.y with batch `b` of the current epoch and returns them. */
  fill(b: number): { x: Float32Array; y: Uint32Array } {
    // Past the last batch the order has no entries: the arrays would keep stale samples.
    integer('Batcher.fill: batch', b, 0, this.batchesPerEpoch - 1);
    const { size, batchSize, data } = this;
    for (let i = 0; i < batchSize; i++) {
      const s = this.order[b * batchSize + i]!;
      this.x.set(data.x.subarray(s * size, (s + 1) * size), i * size);
      this.y[i] = data.y[s]!;
    }
    return { x: this.x, y: this.y };
  }
}
