// The demo's model files (demo/persistence.ts): a file made by Save rebuilds the same model
// from its metadata (bit-identical predictions); files without the demo's metadata, as the
// CLI saves them, are rebuilt from tensor names and shapes; bad files throw typed errors.
import { describe, expect, it } from 'vitest';
import { mnistModel } from '../../src/cli/models';
import { DataFormatError } from '../../src/data/idx';
import { compileInference } from '../../src/graph/inference';
import { StateDictError } from '../../src/graph/state';
import { compile } from '../../src/graph/compile';
import { readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { adam } from '../../src/optim/optimizers';
import { buildModel, type ModelSettings } from '../../demo/controls';
import { fileName, modelFile, modelFromFile } from '../../demo/persistence';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const mlp: ModelSettings = { arch: 'mlp', hidden: [32, 16], activation: 'gelu', init: 'he', channels: [0, 0], dropout: 0.25, batchnorm: true };
const probe = normal(3 * 784, 9);
const bits = async (m: { predict(x: Float32Array, n: number): Promise<Float32Array> }) => {
  const out = new Float32Array(30);
  for (let i = 0; i < 3; i++) out.set(await m.predict(probe.subarray(i * 784, (i + 1) * 784), 1), i * 10);
  return new Uint32Array(out.buffer);
};

describe('demo model files', () => {
  it("Save's file rebuilds the same model from its metadata, with bit-identical predictions", async () => {
    const runtime = await testRuntime();
    const trainer = await compile(buildModel(mlp), { inputShape: [1, 28, 28], loss: 'crossEntropy', optimizer: adam(), batchSize: 4, evalBatchSize: 4, seed: 1, runtime });
    for (let i = 0; i < 2; i++) trainer.step(normal(4 * 784, i), Uint32Array.of(1, 2, 3, 4));
    trainer.eval();
    const file = await modelFile(trainer, mlp);
    expect(fileName(mlp)).toBe('shadergrad-mlp.safetensors');
    expect(readSafetensors(file).metadata.model).toBe('mlp');

    const { model, settings } = await modelFromFile(file, runtime);
    expect(settings).toEqual(mlp);
    expect(await bits(model)).toEqual(await bits(trainer));
    await model.destroy();
    await trainer.destroy();
  });

  it.each(['linear', 'mlp', 'mlp-bn', 'cnn'] as const)("rebuilds the CLI's %s from its tensors alone", async (name) => {
    const runtime = await testRuntime();
    const cli = await compileInference(mnistModel(name), { inputShape: [1, 28, 28], batchSize: 1, seed: 4, runtime });
    const file = saveSafetensors(await cli.stateDict(), { model: name }); // what `train --save` writes
    const { model, settings } = await modelFromFile(file, runtime);
    expect(settings.arch).toBe(name === 'cnn' ? 'cnn' : 'mlp');
    expect(settings.batchnorm).toBe(name.endsWith('bn') || name === 'cnn');
    expect(await bits(model)).toEqual(await bits(cli));
    await model.destroy();
    await cli.destroy();
  });

  it('rejects files that are not demo models with DataFormatError, and misfits with StateDictError', async () => {
    const runtime = await testRuntime();
    const served = await compileInference(buildModel(mlp), { inputShape: [1, 28, 28], batchSize: 1, runtime });
    const dict = await served.stateDict();
    const withArchitecture = (architecture: unknown) => saveSafetensors(dict, { architecture: JSON.stringify(architecture) });
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(4), /too short/],
      [saveSafetensors(dict, { architecture: '{not json' }), /not JSON/],
      [withArchitecture({ ...mlp, arch: 'rnn' }), /neither "mlp" nor "cnn"/],
      [withArchitecture({ ...mlp, hidden: [1e6] }), /hidden layer sizes/],
      [withArchitecture({ ...mlp, activation: 'swish' }), /unknown activation "swish"/],
      [saveSafetensors(new Map([['w', { shape: [2], data: new Float32Array(2) }]])), /no Linear weights/],
    ];
    for (const [bytes, message] of cases) {
      const error = await modelFromFile(bytes, runtime).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataFormatError);
      expect((error as Error).message).toMatch(message);
    }
    const error = await modelFromFile(withArchitecture({ ...mlp, hidden: [32, 8] }), runtime).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as Error).message).toMatch(/size mismatch for 5\.weight/);
    await served.destroy();
  });
});
