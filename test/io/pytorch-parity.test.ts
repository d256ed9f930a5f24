// Weights trained in PyTorch (test/fixtures/pytorch, made by scripts/pytorch-fixtures.py) load
// by their state-dict names into the same nn.Sequential built here and give PyTorch's logits.
// The reference logits were computed in float64; torch's own f32 logits are up to 3.0e-6 off them,
// shadergrad's measured 1.9e-6 (MLP) / 9.5e-7 (CNN) on lavapipe, 2.9e-6 / 1.4e-6 on SwiftShader.
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { loadSafetensors, readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { AdaptiveAvgPool2d, Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Dropout, Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm2d } from '../../src/nn/norm';
import { adam } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { readFixture } from '../helpers/fixtures';
import { testRuntime } from '../helpers/gpu';

const DIR = 'test/fixtures/pytorch';

const MODELS = {
  mlp: () => new Sequential([new Flatten(), new Linear(784, 64), ReLU(), new Dropout(0.2), new Linear(64, 10)]),
  cnn: () =>
    new Sequential([
      new Conv2d(1, 8, 3, { padding: 1 }),
      BatchNorm2d(8),
      ReLU(),
      new MaxPool2d(2),
      new Conv2d(8, 16, 3, { stride: 2, padding: 1, bias: false }),
      BatchNorm2d(16),
      ReLU(),
      new AdaptiveAvgPool2d([3, 3]),
      new Flatten(),
      new Linear(144, 10),
    ]),
};

async function fixtures(name: keyof typeof MODELS) {
  const [weights, data, logits] = await Promise.all([
    readFixture(`${DIR}/${name}.safetensors`),
    readFixture(`${DIR}/mnist-test-64.safetensors`),
    readFixture(`${DIR}/${name}-logits.safetensors`),
  ]);
  const samples = loadSafetensors(data);
  return {
    weights,
    inputs: samples.get('inputs')!.data as Float32Array,
    labels: samples.get('labels')!.data as BigInt64Array,
    logits: loadSafetensors(logits).get('logits')!.data as Float32Array,
  };
}

const argmaxAccuracy = (logits: Float32Array, labels: BigInt64Array) =>
  labels.reduce((hits, label, i) => {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    return hits + (row.indexOf(Math.max(...row)) === Number(label) ? 1 : 0);
  }, 0) / labels.length;

describe.each(['mlp', 'cnn'] as const)('PyTorch %s fixture', (name) => {
  it("loads by torch's names and reproduces torch's eval logits within f32 tolerance", async () => {
    const f = await fixtures(name);
    const { metadata } = readSafetensors(f.weights);
    expect(metadata.model).toBe(name);
    const served = await compileInference(MODELS[name](), { inputShape: [1, 28, 28], batchSize: 64, runtime: await testRuntime() });
    await served.loadStateDict(loadSafetensors(f.weights)); // strict: every key and shape matches
    const logits = await served.predict(f.inputs);
    // |logits| ≤ 10.3; the sums run over ≤ 784 products of f32 values.
    expectClose(logits, f.logits, { atol: 1e-5, rtol: 0 }, `${name} logits`);
    expect(argmaxAccuracy(logits, f.labels)).toBe(name === 'mlp' ? 59 / 64 : 60 / 64);
    const test = await served.evaluate({ x: f.inputs, y: Uint32Array.from(f.labels, Number), count: 64 });
    expect(test.accuracy).toBe(argmaxAccuracy(f.logits, f.labels));
    // Saved again by shadergrad, the file holds the same tensors (num_batches_tracked stays int64).
    const again = loadSafetensors(saveSafetensors(await served.stateDict()));
    const original = loadSafetensors(f.weights);
    expect([...again.keys()]).toEqual([...original.keys()]);
    for (const [key, t] of original) expect([...again.get(key)!.data], key).toEqual([...t.data]);
    await served.destroy();
  });
});

it('a trainer fine-tunes from PyTorch weights (and counts BatchNorm batches on from 200)', async () => {
  const f = await fixtures('cnn');
  const trainer = await compile(MODELS.cnn(), {
    inputShape: [1, 28, 28],
    loss: 'crossEntropy',
    optimizer: adam({ lr: 1e-3 }),
    batchSize: 16,
    evalBatchSize: 64,
    runtime: await testRuntime(),
  });
  await trainer.loadStateDict(loadSafetensors(f.weights));
  trainer.eval();
  expectClose(await trainer.predict(f.inputs), f.logits, { atol: 1e-5, rtol: 0 }, 'cnn logits in a trainer');
  trainer.step(f.inputs.subarray(0, 16 * 784), Uint32Array.from(f.labels.subarray(0, 16), Number));
  expect((await trainer.stateDict()).get('1.num_batches_tracked')!.data[0]).toBe(201n);
  await trainer.destroy();
});
