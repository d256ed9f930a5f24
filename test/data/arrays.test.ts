// dataset(), splitDataset() and kFold(): checked construction, seeded reproducible splits,
// and folds whose validation sets cover every sample exactly once.
import { describe, expect, it } from 'vitest';
import { dataset, kFold, splitDataset } from '../../src/data/arrays';
import { ConfigError } from '../../src/errors';

const N = 23;
// Sample i holds the values i and i + 0.5, and the label i: ids survive every copy.
const data = dataset(
  Float32Array.from({ length: 2 * N }, (_, j) => Math.floor(j / 2) + (j % 2) / 2),
  Uint32Array.from({ length: N }, (_, i) => i),
  [2],
);
const ids = (d: { y: Uint32Array }) => [...d.y];

describe('dataset', () => {
  it('derives the count and keeps the arrays', () => {
    expect(data.count).toBe(N);
    expect(data.sampleShape).toEqual([2]);
    expect(dataset(new Float32Array(12), new Float32Array(9), [2, 2]).count).toBe(3);
  });

  it('rejects wrong types and lengths with ConfigError', () => {
    expect(() => dataset([1, 2] as unknown as Float32Array, new Uint32Array(1), [2])).toThrow(ConfigError);
    expect(() => dataset(new Float32Array(4), [0, 1] as unknown as Uint32Array, [2])).toThrow(ConfigError);
    expect(() => dataset(new Float32Array(5), new Uint32Array(2), [2])).toThrow(/not a positive whole number/);
    expect(() => dataset(new Float32Array(4), new Uint32Array(3), [2])).toThrow(/expected 2 labels/);
    expect(() => dataset(new Float32Array(4), new Float32Array(3), [2])).toThrow(/multiple of 2/);
    expect(() => dataset(new Float32Array(4), new Uint32Array(2), [0])).toThrow(ConfigError);
  });
});

describe('splitDataset', () => {
  it('is reproducible with a seed, different with another, and partitions the samples', () => {
    const a = splitDataset(data, 0.25, 1);
    const b = splitDataset(data, 0.25, 1);
    const c = splitDataset(data, 0.25, 2);
    expect(a.validation.count).toBe(6);
    expect(a.train.count).toBe(17);
    expect(ids(a.validation)).toEqual(ids(b.validation));
    expect(ids(a.validation)).not.toEqual(ids(c.validation));
    expect([...ids(a.train), ...ids(a.validation)].sort((p, q) => p - q)).toEqual([...data.y]);
    // Features travel with their labels.
    a.validation.y.forEach((id, i) => expect([...a.validation.x.subarray(2 * i, 2 * i + 2)]).toEqual([id, id + 0.5]));
  });

  it('keeps at least one sample on each side and checks the fraction', () => {
    expect(splitDataset(data, 0.001).validation.count).toBe(1);
    expect(splitDataset(data, 0.999).train.count).toBe(1);
    expect(() => splitDataset(data, 0)).toThrow(ConfigError);
    expect(() => splitDataset(data, 1)).toThrow(ConfigError);
  });
});

describe('kFold', () => {
  it('gives k pairs whose validation sets cover every sample exactly once', () => {
    const folds = kFold(data, 5, 3);
    expect(folds).toHaveLength(5);
    const seen = folds.flatMap((f) => ids(f.validation)).sort((p, q) => p - q);
    expect(seen).toEqual([...data.y]);
    for (const f of folds) {
      expect(f.train.count + f.validation.count).toBe(N);
      expect([4, 5]).toContain(f.validation.count);
      expect(ids(f.train).filter((id) => ids(f.validation).includes(id))).toEqual([]);
    }
    expect(kFold(data, 5, 3).map((f) => ids(f.validation))).toEqual(folds.map((f) => ids(f.validation)));
  });

  it('checks k', () => {
    expect(() => kFold(data, 1)).toThrow(ConfigError);
    expect(() => kFold(data, N + 1)).toThrow(ConfigError);
  });
});
