// Data helpers (parseIdx, parseMnist, Batcher, takeFirst) on malformed input and arguments, and
// a few cases across categories: files and state dicts that do not fit, loaded into a model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batcher, takeFirst, type LabeledData } from '../../src/data/dataset';
import { DataFormatError, parseIdx } from '../../src/data/idx';
import { parseMnist } from '../../src/data/mnist';
import { ConfigError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { compileInference, type InferenceModel } from '../../src/graph/inference';
import { StateDictError } from '../../src/graph/state';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { Linear } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { testRuntime } from '../helpers/gpu';
import { caughtSync, expectError, failsBeforeGpuWork, tinyClassifier, validOptions, type ErrorClass, type Fragment } from './expect-error';

const any = (v: unknown) => v as never;

/** An unsigned-byte IDX file of the given dimensions and data. */
function idx(dims: number[], data: ArrayLike<number>, magic = 0x0800 | dims.length): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  bytes.set(Array.from(data), 4 + 4 * dims.length);
  return bytes;
}

const images = (count: number, size = 28) => idx([count, size, size], new Uint8Array(count * size * size));
const labelFile = (values: number[]) => idx([values.length], values);
const files = { trainImages: images(2), trainLabels: labelFile([3, 9]), testImages: images(2), testLabels: labelFile([0, 1]) };

const cases: [label: string, run: () => unknown, kind: ErrorClass, fragments: Fragment[]][] = [
  ['parseIdx of 3 bytes', () => parseIdx(new Uint8Array(3), 'f'), DataFormatError, ['f: 3 bytes is too short for an IDX header']],
  ['parseIdx of a float IDX file (type 0x0d)', () => parseIdx(idx([2], [0, 0], 0x0d01), 'f'), DataFormatError, ['f: magic 0x00000d01', 'not an unsigned-byte IDX file']],
  ['parseIdx of a non-zero magic prefix', () => parseIdx(idx([2], [0, 0], 0x01080001), 'f'), DataFormatError, ['f: magic 0x01080001']],
  ['parseIdx of rank 0', () => parseIdx(idx([], []), 'f'), DataFormatError, ['f: bad IDX rank 0']],
  ['parseIdx with a header cut short', () => parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 10), 'f'), DataFormatError, ['f: bad IDX rank 2']],
  ['parseIdx with data missing', () => parseIdx(idx([2, 3], [1, 2, 3]), 'f'), DataFormatError, ['f: header says shape [2, 3]', '6 bytes of data', '3 bytes after the header']],
  ['parseIdx with trailing bytes', () => parseIdx(idx([2], [1, 2, 3]), 'f'), DataFormatError, ['header says shape [2]', '3 bytes after the header']],
  ['parseIdx with dimensions whose product overflows', () => parseIdx(idx([0xffffffff, 0xffffffff], []), 'f'), DataFormatError, ['f: header says shape [4294967295, 4294967295]']],
  ['parseIdx of a Float32Array', () => parseIdx(any(new Float32Array(8)), 'f'), ConfigError, ['f must be an ArrayBuffer or a Uint8Array', 'got Float32Array(8)']],
  ['parseIdx of null', () => parseIdx(any(null), 'f'), ConfigError, ['f must be', 'got null']],
  ['parseIdx of a string', () => parseIdx(any('0000'), 'f'), ConfigError, ['f must be', 'got "0000"']],
  ['parseMnist with images that are not 28×28', () => parseMnist({ ...files, trainImages: images(2, 27) }), DataFormatError, ['MNIST train images: shape [2, 27, 27] is not [count, 28, 28]']],
  ['parseMnist with a label file of rank 2', () => parseMnist({ ...files, testLabels: idx([2, 1], [0, 1]) }), DataFormatError, ['MNIST test: 2 labels for 2 images']],
  ['parseMnist with fewer labels than images', () => parseMnist({ ...files, trainLabels: labelFile([1]) }), DataFormatError, ['MNIST train: 1 labels for 2 images']],
  ['parseMnist with a label 10', () => parseMnist({ ...files, testLabels: labelFile([0, 10]) }), DataFormatError, ['MNIST test labels: label 10 at 1 is not a digit']],
  ['parseMnist with images and labels swapped', () => parseMnist({ ...files, trainImages: files.trainLabels, trainLabels: files.trainImages }), DataFormatError, ['MNIST train images: shape [2] is not [count, 28, 28]']],
  ['parseMnist with a truncated image file', () => parseMnist({ ...files, testImages: images(2).subarray(0, 100) }), DataFormatError, ['MNIST test images: header says shape [2, 28, 28]']],
  ['parseMnist with a file missing', () => parseMnist({ ...files, testImages: any(undefined) }), ConfigError, ['MNIST test images must be an ArrayBuffer or a Uint8Array', 'got undefined']],
  ['parseMnist normalization "zscore"', () => parseMnist(files, { normalization: any('zscore') }), ConfigError, ['parseMnist: normalization', "'unit' or 'standardize'", 'got "zscore"']],
  ['parseMnist trainCount -1', () => parseMnist(files, { trainCount: -1 }), ConfigError, ['parseMnist: trainCount', 'got -1']],
  ['parseMnist testCount 0.5', () => parseMnist(files, { testCount: 0.5 }), ConfigError, ['parseMnist: testCount', 'got 0.5']],
  ['parseMnist unknown option limit', () => parseMnist(files, any({ limit: 1 })), ConfigError, ['parseMnist', 'unknown option "limit"']],
  ['parseMnist without files', () => parseMnist(any(undefined)), ConfigError, ['parseMnist: files', 'got undefined']],
];

describe('IDX and MNIST files', () => {
  it.each(cases)('%s', (_label, run, kind, fragments) => {
    expectError(caughtSync(run), kind, fragments);
  });

  it('parseIdx reads an ArrayBuffer and a Buffer-like Uint8Array view at an offset', () => {
    const file = idx([2], [7, 8]);
    expect([...parseIdx(file.buffer as ArrayBuffer).data]).toEqual([7, 8]);
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    expect([...parseIdx(padded.subarray(3)).data]).toEqual([7, 8]);
  });
});

const dataset = (count: number): LabeledData => ({ x: new Float32Array(count * 4), y: new Uint32Array(count), count, sampleShape: [4], classes: 3 });

const batcherCases: [label: string, run: () => unknown, fragments: Fragment[]][] = [
  ['Batcher batch 0', () => new Batcher(dataset(10), 0), ['Batcher: batchSize', 'an integer ≥ 1', 'got 0']],
  ['Batcher batch 2.5', () => new Batcher(dataset(10), 2.5), ['Batcher: batchSize', 'got 2.5']],
  ['Batcher batch larger than the data', () => new Batcher(dataset(10), 11), ['Batcher: batchSize', 'at most the 10 samples', 'got 11']],
  ['Batcher over data whose x is short', () => new Batcher({ ...dataset(10), x: new Float32Array(39) }, 2), ['Batcher: data of 10 samples of [4]', 'needs 40 values and 10 labels, got 39 and 10']],
  ['Batcher.fill past the last batch', () => new Batcher(dataset(10), 4).fill(2), ['Batcher.fill: batch', '[0, 1]', 'got 2']],
  ['Batcher.fill(-1)', () => new Batcher(dataset(10), 4).fill(-1), ['Batcher.fill: batch', 'got -1']],
  ['takeFirst(-1)', () => takeFirst(dataset(10), -1), ['takeFirst: count', 'got -1']],
  ['takeFirst(NaN)', () => takeFirst(dataset(10), NaN), ['takeFirst: count', 'got NaN']],
];

describe('Batcher and takeFirst', () => {
  it.each(batcherCases)('%s', (_label, run, fragments) => {
    expectError(caughtSync(run), ConfigError, fragments);
  });

  it('takeFirst of more samples than the data keeps them all', () => {
    expect(takeFirst(dataset(10), 20).count).toBe(10);
  });
});

let runtime: GpuRuntime;
let trainer: Trainer;
let served: InferenceModel;

beforeAll(async () => {
  runtime = await testRuntime();
  trainer = await compile(tinyClassifier(), validOptions(runtime));
  served = await compileInference(tinyClassifier(), { inputShape: [4], batchSize: 8, runtime });
});

afterAll(async () => {
  await trainer.destroy();
  await served.destroy();
});

describe('files and state dicts that do not fit the model', () => {
  it('loadSafetensors of bytes that are not a safetensors file', () => {
    expectError(caughtSync(() => loadSafetensors(new Uint8Array([1, 2, 3]))), DataFormatError, ['safetensors']);
  });

  it("another model's weights: one StateDictError listing every problem, nothing written", async () => {
    const other = saveSafetensors(new Map([
      ['0.weight', { shape: [8, 5], data: new Float32Array(40) }],
      ['0.bias', { shape: [8], data: new Float32Array(8) }],
      ['9.weight', { shape: [1], data: new Float32Array(1) }],
    ]));
    const before = await served.parameters();
    const error = await failsBeforeGpuWork(runtime, () => served.loadStateDict(loadSafetensors(other)), StateDictError, [
      'loadStateDict: error(s) loading the state dict',
      'missing key(s): "2.weight", "2.bias"',
      'unexpected key(s): "9.weight"',
      'size mismatch for 0.weight: copying a tensor of shape [8, 5]',
    ]);
    expect((error as StateDictError).missing).toEqual(['2.weight', '2.bias']);
    expect(await served.parameters()).toEqual(before);
  });

  it('a state dict of plain arrays is a StateDictError naming the tensor', async () => {
    const dict = await served.stateDict();
    dict.set('2.bias', { shape: [3], data: any([0, 0, 0]) });
    await failsBeforeGpuWork(runtime, () => served.loadStateDict(dict), StateDictError, ['2.bias: data must be a Float32Array', 'got Array']);
  });

  it('restore() of a model file (not a checkpoint) is a StateDictError, nothing written', async () => {
    const before = trainer.stats().steps;
    const bytes = saveSafetensors(await trainer.stateDict());
    await failsBeforeGpuWork(runtime, () => trainer.restore(bytes), StateDictError, ['restore: not a shadergrad checkpoint']);
    expect(trainer.stats().steps).toBe(before);
  });

  it("restore() of a different model's checkpoint is a StateDictError", async () => {
    const wider = await compile(new Sequential([new Linear(4, 16), new Linear(16, 3)]), validOptions(runtime));
    const checkpoint = await wider.checkpoint();
    await wider.destroy();
    await expect(trainer.restore(checkpoint)).rejects.toThrow(StateDictError);
  });

  // Fixed bug, kept as a regression test (src/graph/trainer.ts restore / checkpoint.ts); it was: bytes that are not a Uint8Array (a
  // string, a number array) are not checked, so they surface as a TypeError or a confusing
  // format error instead of a ConfigError naming the argument.
  it('restore() of a string is a ConfigError naming the argument', async () => {
    await failsBeforeGpuWork(runtime, () => trainer.restore(any('checkpoint.safetensors')), ConfigError, ['restore', 'got "checkpoint.safetensors"']);
  });
});
