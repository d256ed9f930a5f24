// Model files in Node: a trained model written as a real .safetensors file with node:fs, read
// back (through readFileBytes on fs.openAsBlob, and as the Buffer readFileSync returns) and loaded into an inference
// model with bit-identical predictions; the IndexedDB helpers fail with StorageError here.
import { mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShadergradError } from '../../src/gpu/errors';
import { StateDictError } from '../../src/graph/state';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { deleteFromIndexedDB, loadFromIndexedDB, readFileBytes, saveToIndexedDB, StorageError } from '../../src/io/browser';
import { loadSafetensors, readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm2d } from '../../src/nn/norm';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const dir = mkdtempSync(join(tmpdir(), 'shadergrad-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cnn = (channels = 4) =>
  new Sequential([new Conv2d(1, channels, 3, { padding: 1 }), BatchNorm2d(channels), new MaxPool2d(2), ReLU(), new Flatten(), new Linear(channels * 16, 5)]);
const INPUT = [1, 8, 8];
const BATCH = 6;

describe('model files in Node', () => {
  it('writes a trained CNN to a .safetensors file and loads it back with bit-identical predictions', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(cnn(), { inputShape: INPUT, loss: 'crossEntropy', optimizer: adam({ lr: 0.01 }), batchSize: BATCH, seed: 2, evalBatchSize: 16, runtime });
    const x = normal(BATCH * 64, 4);
    const y = Uint32Array.from({ length: BATCH }, (_, i) => i % 5);
    for (let i = 0; i < 3; i++) trainer.step(x, y);
    trainer.eval();
    const path = join(dir, 'cnn.safetensors');
    writeFileSync(path, saveSafetensors(await trainer.stateDict(), { model: 'cnn' }));

    const fromBlob = await readFileBytes(await openAsBlob(path));
    expect(fromBlob).toEqual(new Uint8Array(readFileSync(path)));
    const { tensors, metadata } = readSafetensors(fromBlob);
    expect(metadata).toEqual({ model: 'cnn' });
    expect(tensors.get('1.num_batches_tracked')!.data[0]).toBe(3n);

    const served = await compileInference(cnn(), { inputShape: INPUT, batchSize: 16, runtime });
    await served.loadStateDict(loadSafetensors(fromBlob));
    const probe = normal(11 * 64, 5);
    const bits = async (m: { predict(x: Float32Array): Promise<Float32Array> }) => new Uint32Array((await m.predict(probe)).buffer);
    expect(await bits(served)).toEqual(await bits(trainer));

    // The same file does not fit a model of another width: a StateDictError, not garbage.
    const narrow = await compileInference(cnn(3), { inputShape: INPUT, batchSize: 16, runtime });
    await expect(narrow.loadStateDict(loadSafetensors(readFileSync(path)))).rejects.toThrow(StateDictError);
    for (const m of [narrow, served, trainer]) await m.destroy();
  });

  // readFileSync gives a Buffer: a Uint8Array subclass, for small files a view into Node's
  // shared pool, and its slice() is a view, not a copy. Reading it directly must still work.
  it('reads a model file straight from the Buffer readFileSync returns', async () => {
    const dict = new Map([
      ['w', { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 4, 5, 6) }],
      ['n', { shape: [], data: BigInt64Array.of(7n) }],
    ]);
    const path = join(dir, 'small.safetensors');
    writeFileSync(path, saveSafetensors(dict));
    const buffer = readFileSync(path);
    const loaded = loadSafetensors(buffer);
    expect([...loaded.get('w')!.data]).toEqual([1, -2, 3.5, 4, 5, 6]);
    expect(loaded.get('n')!.data).toEqual(BigInt64Array.of(7n));
  });

  it('the IndexedDB helpers reject with a StorageError naming the key and operation', async () => {
    const calls = [
      ['save', () => saveToIndexedDB('node-key', Uint8Array.of(1))],
      ['load', () => loadFromIndexedDB('node-key')],
      ['delete', () => deleteFromIndexedDB('node-key', { database: 'elsewhere' })],
    ] as const;
    for (const [operation, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toBeInstanceOf(ShadergradError);
      expect(error).toMatchObject({ name: 'StorageError', operation, key: 'node-key' });
      expect((error as Error).message).toMatch(new RegExp(`IndexedDB ${operation} of "node-key".*not available`));
    }
  });
});
