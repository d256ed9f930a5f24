// IDX parsing and MNIST assembly from synthetic files; header validation errors.
import { describe, expect, it } from 'vitest';
import { DataFormatError, parseIdx } from '../../src/data/idx';
import { parseMnist } from '../../src/data/mnist';

function idx(dims: number[], data: number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x0800 | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

describe('parseIdx', () => {
  it('reads shape and data', () => {
    const t = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(t.shape).toEqual([2, 3]);
    expect([...t.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a wrong magic number and a truncated file', () => {
    const bad = idx([2], [1, 2]);
    bad[2] = 0x0d; // float data type
    expect(() => parseIdx(bad, 'f')).toThrow(DataFormatError);
    expect(() => parseIdx(idx([2, 3], [1, 2, 3]), 'short file')).toThrow(/short file: header says shape \[2, 3\]/);
  });
});

describe('parseMnist', () => {
  const pixels = Array.from({ length: 2 * 28 * 28 }, (_, i) => i % 256);
  const files = {
    trainImages: idx([2, 28, 28], pixels),
    trainLabels: idx([2], [3, 9]),
    testImages: idx([2, 28, 28], pixels),
    testLabels: idx([2], [0, 1]),
  };

  it('scales pixels to [0, 1] or standardizes them, and keeps labels', () => {
    const unit = parseMnist(files, { normalization: 'unit' });
    expect(unit.train.count).toBe(2);
    expect(unit.train.x[255]).toBeCloseTo(1, 6);
    expect([...unit.train.y]).toEqual([3, 9]);
    const std = parseMnist(files, { normalization: 'standardize' });
    expect(std.test.x[0]).toBeCloseTo(-0.1307 / 0.3081, 5);
    const first = parseMnist(files, { trainCount: 1 });
    expect([first.train.count, first.train.x.length, first.test.count]).toEqual([1, 784, 2]);
  });

  it('rejects a label count that does not match the images', () => {
    expect(() => parseMnist({ ...files, testLabels: idx([1], [0]) })).toThrow(/1 labels for 2 images/);
  });
});
