// In-memory datasets from plain arrays: a checked constructor, a seeded train/validation split
// and k-fold cross-validation folds. Splits copy the samples they pick (the source is untouched).
import { ConfigError } from '../errors';
import { finiteNumber, integer, shape, show } from '../validate';
import { seededRandom, shuffleInPlace } from './dataset';

/** `count` samples: x row-major (sampleShape each), y class indices (Uint32Array) or targets (Float32Array, same width per sample). */
export interface ArrayDataset<Y extends Uint32Array | Float32Array = Uint32Array | Float32Array> {
  readonly x: Float32Array;
  readonly y: Y;
  readonly count: number;
  readonly sampleShape: readonly number[];
}

/** A dataset from features and labels or targets; every length and type is checked. */
export function dataset<Y extends Uint32Array | Float32Array>(x: Float32Array, y: Y, sampleShape: readonly number[]): ArrayDataset<Y> {
  if (!(x instanceof Float32Array)) throw new ConfigError(`dataset: x must be a Float32Array, got ${show(x)} (convert with Float32Array.from)`);
  if (!(y instanceof Uint32Array) && !(y instanceof Float32Array)) {
    throw new ConfigError(`dataset: y must be a Uint32Array of class labels or a Float32Array of targets, got ${show(y)}`);
  }
  const dims = shape('dataset: sampleShape', sampleShape);
  const size = dims.reduce((a, b) => a * b, 1);
  const count = x.length / size;
  if (!Number.isInteger(count) || count < 1) {
    throw new ConfigError(`dataset: x has ${x.length} values, not a positive whole number of samples of [${dims.join(', ')}] (${size} values each)`);
  }
  if (y instanceof Uint32Array ? y.length !== count : y.length % count !== 0 || y.length === 0) {
    const expected = y instanceof Uint32Array ? `${count} labels` : `a multiple of ${count} targets`;
    throw new ConfigError(`dataset: y has ${y.length} values for ${count} samples, expected ${expected}`);
  }
  return { x, y, count, sampleShape: [...dims] };
}

/** The samples at `indices`, copied, in that order. */
export function gather<Y extends Uint32Array | Float32Array>(data: ArrayDataset<Y>, indices: ArrayLike<number>): ArrayDataset<Y> {
  const size = data.x.length / data.count;
  const width = data.y.length / data.count;
  const x = new Float32Array(indices.length * size);
  const y = new (data.y.constructor as new (n: number) => Y)(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i]!;
    x.set(data.x.subarray(s * size, (s + 1) * size), i * size);
    y.set(data.y.subarray(s * width, (s + 1) * width), i * width);
  }
  return { x, y, count: indices.length, sampleShape: data.sampleShape };
}

function permutation(count: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  shuffleInPlace(order, seededRandom(seed));
  return order;
}

/**
 * Splits off round(fraction × count) samples (at least 1, leaving at least 1) chosen by a
 * seeded shuffle as validation; the same seed gives the same split.
 */
export function splitDataset<Y extends Uint32Array | Float32Array>(
  data: ArrayDataset<Y>,
  fraction: number,
  seed = 0,
): { train: ArrayDataset<Y>; validation: ArrayDataset<Y> } {
  finiteNumber('splitDataset: fraction', fraction, Number.MIN_VALUE, 1 - Number.EPSILON);
  integer('splitDataset: seed', seed, 0, 0xffffffff);
  integer('splitDataset: data.count (at least 2 samples to split)', data.count, 2);
  const held = Math.min(data.count - 1, Math.max(1, Math.round(fraction * data.count)));
  const order = permutation(data.count, seed);
  return { train: gather(data, order.subarray(held)), validation: gather(data, order.subarray(0, held)) };
}

/**
 * k-fold cross-validation: k {train, validation} pairs over one seeded shuffle; every sample
 * is in exactly one fold's validation set (fold sizes differ by at most one).
 */
export function kFold<Y extends Uint32Array | Float32Array>(
  data: ArrayDataset<Y>,
  k: number,
  seed = 0,
): { train: ArrayDataset<Y>; validation: ArrayDataset<Y> }[] {
  integer('kFold: k', k, 2, data.count);
  integer('kFold: seed', seed, 0, 0xffffffff);
  const order = permutation(data.count, seed);
  return Array.from({ length: k }, (_, i) => {
    const from = Math.floor((i * data.count) / k);
    const to = Math.floor(((i + 1) * data.count) / k);
    const rest = new Uint32Array(data.count - (to - from));
    rest.set(order.subarray(0, from));
    rest.set(order.subarray(to), from);
    return { train: gather(data, rest), validation: gather(data, order.subarray(from, to)) };
  });
}
