// Inference-only models: predict() for any sample count on a few padded plans (no pipeline per
// count), evaluate() whose padded rows never enter the metrics, against float64 references,
// and fewer GPU bytes than a trainer of the same model.
import { describe, expect, it } from 'vitest';
import { mnistModel } from '../../src/cli/models';
import { ShadergradError } from '../../src/gpu/errors';
import { compileInference, type InferenceModel } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Linear, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';
import { linear } from '../reference/network';

const IN = 6;
const OUT = 3;
const model = () => new Sequential([new Linear(IN, 5), Tanh(), new Linear(5, OUT)]);

/** float64 forward of the model with the GPU model's parameters. */
async function reference(served: InferenceModel, x: Float32Array, n: number): Promise<Float64Array> {
  const p = await served.parameters();
  const h = linear(x, p.get('0.weight')!, p.get('0.bias')!, n, IN, 5).map(Math.tanh);
  return linear(h, p.get('2.weight')!, p.get('2.bias')!, n, 5, OUT);
}

function crossEntropy(logits: Float64Array, labels: Uint32Array): { loss: number; accuracy: number } {
  let loss = 0;
  let hits = 0;
  labels.forEach((label, i) => {
    const row = Array.from(logits.subarray(i * OUT, (i + 1) * OUT));
    const max = Math.max(...row);
    loss += max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) - row[label]!;
    hits += row.indexOf(max) === label ? 1 : 0;
  });
  return { loss: loss / labels.length, accuracy: hits / labels.length };
}

describe('compileInference', () => {
  it('predicts any sample count on the bucket plans 1, 8, 64 and 100, compiling nothing per count', async () => {
    const runtime = await testRuntime();
    const served = await compileInference(model(), { inputShape: [IN], batchSize: 100, seed: 3, runtime });
    const counts = [1, 2, 7, 8, 9, 33, 63, 64, 65, 99, 100, 101, 257];
    const check = async () => {
      for (const count of counts) {
        const x = normal(count * IN, count);
        expectClose(await served.predict(x), await reference(served, x, count), { atol: 1e-6, rtol: 1e-5 }, `${count} samples`);
      }
    };
    await check(); // compiles each bucket once and grows the readback staging pool
    const pipelines = runtime.stats().pipelinesCreated;
    const bytes = runtime.stats().bytesHeld;
    await check();
    expect(runtime.stats().pipelinesCreated).toBe(pipelines);
    expect(runtime.stats().bytesHeld).toBe(bytes);
    await served.destroy();
  });

  it('evaluate() counts only the real rows of a padded tail (cross-entropy and MSE)', async () => {
    const runtime = await testRuntime();
    const count = 203; // batches 100, 100 and 3 (the 8-row plan, 5 rows padding)
    const x = normal(count * IN, 1);
    const labels = Uint32Array.from({ length: count }, (_, i) => (i * 5) % OUT);
    const classifier = await compileInference(model(), { inputShape: [IN], batchSize: 100, seed: 4, runtime });
    const expected = crossEntropy(await reference(classifier, x, count), labels);
    // Stale rows from a previous call sit in the padding: they must not count.
    await classifier.predict(normal(8 * IN, 9).map((v) => v * 100), 8);
    const got = await classifier.evaluate({ x, y: labels, count });
    expect(got.samples).toBe(count);
    expect(got.accuracy).toBe(expected.accuracy);
    expect(Math.abs(got.loss - expected.loss)).toBeLessThan(2e-6 * expected.loss);

    const regressor = await compileInference(model(), { inputShape: [IN], batchSize: 100, seed: 5, loss: 'mse', runtime });
    const targets = normal(count * OUT, 2);
    const outputs = await reference(regressor, x, count);
    const mse = outputs.reduce((s, v, i) => s + (v - targets[i]!) ** 2, 0) / outputs.length;
    const evaluated = await regressor.evaluate({ x, y: targets, count });
    expect(Number.isNaN(evaluated.accuracy)).toBe(true);
    expect(Math.abs(evaluated.loss - mse)).toBeLessThan(2e-6 * mse);
    await classifier.destroy();
    await regressor.destroy();
    await expect(classifier.predict(x)).rejects.toThrow(ShadergradError);
    await expect(classifier.stateDict()).rejects.toThrow(/stateDict: this model was destroyed/);
  });

  it('holds no gradient, optimizer or training buffers: fewer GPU bytes than a trainer (MNIST MLP)', async () => {
    const runtime = await testRuntime();
    const base = runtime.stats().bytesHeld;
    const trainer = await compile(mnistModel('mlp'), { inputShape: [1, 28, 28], loss: 'crossEntropy', optimizer: adam(), batchSize: 128, runtime });
    const trainerBytes = runtime.stats().bytesHeld - base;
    await trainer.destroy();
    const served = await compileInference(mnistModel('mlp'), { inputShape: [1, 28, 28], runtime });
    const servedBytes = runtime.stats().bytesHeld - base;
    // Parameters 235,146 floats → 0.94 MB; the 1000-row plan's activations and logits dominate.
    console.log(`MNIST MLP GPU bytes: trainer ${trainerBytes}, inference ${servedBytes}`);
    expect(servedBytes).toBeLessThan(trainerBytes * 0.7);
    await served.destroy();
    expect(runtime.stats().bytesHeld).toBe(base);
  });
});
