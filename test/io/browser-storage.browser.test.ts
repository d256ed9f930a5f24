// Browser storage of model files: a trained model's safetensors bytes through IndexedDB and
// back into an inference model with bit-identical predictions; the store's get / put / delete
// semantics and database option; reading a picked File; and downloadBytes' anchor.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { deleteFromIndexedDB, downloadBytes, loadFromIndexedDB, readFileBytes, saveToIndexedDB } from '../../src/io/browser';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const model = () => new Sequential([new Flatten(), new Linear(12, 16), BatchNorm1d(16), ReLU(), new Linear(16, 3)]);
const BATCH = 8;
const bytesOf = (...v: number[]) => Uint8Array.from(v);
/** A database name of its own per test, so reruns and other tests never see its keys. */
const database = () => `shadergrad-test-${crypto.randomUUID()}`;

describe('IndexedDB model store', () => {
  it('round-trips a trained model file: predictions are bit-identical after loading it back', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(model(), {
      inputShape: [2, 6],
      loss: 'crossEntropy',
      optimizer: adam({ lr: 0.01 }),
      batchSize: BATCH,
      seed: 3,
      evalBatchSize: 32,
      runtime,
    });
    const x = normal(BATCH * 12, 1);
    const y = Uint32Array.from({ length: BATCH }, (_, i) => i % 3);
    for (let i = 0; i < 3; i++) trainer.step(x, y);
    trainer.eval();
    const file = saveSafetensors(await trainer.stateDict(), { model: 'test' });
    const options = { database: database() };

    await saveToIndexedDB('trained', file, options);
    const stored = await loadFromIndexedDB('trained', options);
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored).toEqual(file);

    const served = await compileInference(model(), { inputShape: [2, 6], batchSize: 32, runtime });
    await served.loadStateDict(loadSafetensors(stored!));
    const probe = normal(20 * 12, 2);
    const bits = async (m: { predict(x: Float32Array): Promise<Float32Array> }) => new Uint32Array((await m.predict(probe)).buffer);
    expect(await bits(served)).toEqual(await bits(trainer));
    await served.destroy();
    await trainer.destroy();
  });

  it('gives undefined for a missing key, replaces on overwrite, and forgets on delete', async () => {
    const options = { database: database() };
    expect(await loadFromIndexedDB('absent', options)).toBeUndefined();
    await saveToIndexedDB('k', bytesOf(1, 2, 3), options);
    await saveToIndexedDB('k', bytesOf(9), options);
    expect(await loadFromIndexedDB('k', options)).toEqual(bytesOf(9));
    await deleteFromIndexedDB('k', options);
    expect(await loadFromIndexedDB('k', options)).toBeUndefined();
    await deleteFromIndexedDB('k', options); // deleting nothing is not an error
  });

  it('keeps databases apart, and stores only the bytes of a view', async () => {
    const a = { database: database() };
    const b = { database: database() };
    await saveToIndexedDB('same-key', bytesOf(1), a);
    await saveToIndexedDB('same-key', bytesOf(2), b);
    expect(await loadFromIndexedDB('same-key', a)).toEqual(bytesOf(1));
    expect(await loadFromIndexedDB('same-key', b)).toEqual(bytesOf(2));

    const view = bytesOf(0, 1, 2, 3, 4, 5).subarray(2, 4);
    await saveToIndexedDB('view', view, a);
    const back = await loadFromIndexedDB('view', a);
    expect(back).toEqual(bytesOf(2, 3));
    expect(back!.buffer.byteLength).toBe(2);
  });

  it("uses the 'shadergrad' database by default", async () => {
    const key = `default-${crypto.randomUUID()}`;
    await saveToIndexedDB(key, bytesOf(7));
    expect(await loadFromIndexedDB(key, { database: 'shadergrad' })).toEqual(bytesOf(7));
    await deleteFromIndexedDB(key);
  });
});

describe('files', () => {
  afterEach(() => vi.restoreAllMocks());

  it('readFileBytes gives the bytes of a picked File', async () => {
    const file = new File([bytesOf(0, 255, 7), bytesOf(42)], 'model.safetensors');
    expect(await readFileBytes(file)).toEqual(bytesOf(0, 255, 7, 42));
    expect(await readFileBytes(new File([], 'empty.safetensors'))).toEqual(new Uint8Array(0));
  });

  it('downloadBytes clicks a temporary <a download> on a Blob URL of the bytes, then revokes it', async () => {
    const clicked: { download: string; href: string; connected: boolean }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ download: this.download, href: this.href, connected: this.isConnected });
    });
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      downloadBytes(bytesOf(1, 2, 3), 'shadergrad-mlp.safetensors');
      expect(clicked).toHaveLength(1);
      const [{ download, href, connected }] = clicked as [(typeof clicked)[0]];
      expect(download).toBe('shadergrad-mlp.safetensors');
      expect(href).toMatch(/^blob:/);
      expect(connected).toBe(true); // Firefox ignores clicks on detached anchors
      expect(document.querySelector('a[download]')).toBeNull(); // removed again
      const blob = await (await fetch(href)).blob();
      expect(blob.type).toBe('application/octet-stream');
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(bytesOf(1, 2, 3));
      expect(revoke).not.toHaveBeenCalled();
      vi.runAllTimers();
      expect(revoke).toHaveBeenCalledWith(href);
    } finally {
      vi.useRealTimers();
    }
  });
});
