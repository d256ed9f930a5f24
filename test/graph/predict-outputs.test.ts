// predict(x, { outputs }) reads intermediate module outputs by state-dict name: an MLP and a
// small CNN against the float64 reference model with the GPU's parameters (each output is the
// reference forward of the layers up to it), in eval and train mode, over several padded
// batches; nested names; bad names refused before any GPU work; destroy() frees the extra plans.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Dropout, Flatten, Linear, ReLU, Sigmoid, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/norm';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';
import { initialBuffers, modelForward, type Layer, type Mode, type Tensors } from '../reference/model';

// f32 kernels against float64 on O(1) values through ≤ 4 layers of ≤ 16-term sums.
const TOL = { atol: 2e-5, rtol: 1e-4 };
const toTensors = (m: Map<string, Float32Array>): Tensors => new Map([...m].map(([k, v]) => [k, Float64Array.from(v)]));

const MLP_LAYERS: Layer[] = [
  { kind: 'linear', name: '0', inFeatures: 6, outFeatures: 8, bias: true },
  { kind: 'activation', activation: 'tanh', alpha: 0 },
  { kind: 'linear', name: '2', inFeatures: 8, outFeatures: 5, bias: true },
  { kind: 'batchnorm', name: '3', channels: 5, eps: 1e-5, momentum: 0.1 },
  { kind: 'activation', activation: 'sigmoid', alpha: 0 },
  { kind: 'linear', name: '5', inFeatures: 5, outFeatures: 3, bias: true },
];
const mlp = () => new Sequential([new Linear(6, 8), Tanh(), new Linear(8, 5), BatchNorm1d(5), Sigmoid(), new Linear(5, 3)]);

const CNN_LAYERS: Layer[] = [
  { kind: 'conv2d', name: '0', cin: 2, cout: 3, kernel: 3, stride: 1, padding: 1, bias: true },
  { kind: 'batchnorm', name: '1', channels: 3, eps: 1e-5, momentum: 0.1 },
  { kind: 'activation', activation: 'relu', alpha: 0 },
  { kind: 'maxpool', kernel: 2 },
  { kind: 'flatten' },
  { kind: 'linear', name: '5', inFeatures: 12, outFeatures: 4, bias: true },
];
const cnn = () => new Sequential([new Conv2d(2, 3, 3, { padding: 1 }), BatchNorm2d(3), ReLU(), new MaxPool2d(2), new Flatten(), new Linear(12, 4)]);

/** The reference output of Sequential layer `index`: the forward of layers[0..index]. */
function referenceOutput(layers: Layer[], index: number, params: Tensors, x: Float32Array, shape: number[], mode: Mode) {
  const forward = modelForward(layers.slice(0, index + 1), params, initialBuffers(layers), x, shape, mode);
  return { y: forward.y, shape: forward.shape };
}

describe.each([
  { name: 'MLP', model: mlp, layers: MLP_LAYERS, inputShape: [6], names: ['0', '1', '3', '4'] },
  { name: 'CNN', model: cnn, layers: CNN_LAYERS, inputShape: [2, 4, 4], names: ['0', '1', '2', '3', '4'] },
])('predict outputs of a $name', ({ model, layers, inputShape, names }) => {
  const size = inputShape.reduce((a, b) => a * b, 1);

  it('match the float64 reference in eval mode, over padded batches, beside an unchanged predict(x, count)', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(model(), { inputShape, loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, seed: 5, runtime });
    trainer.eval();
    const count = 19; // batches of 8, 8 and 3 (the last padded to the 8-row plan)
    const x = normal(count * size, 11);
    const params = toTensors(await trainer.parameters());
    const result = await trainer.predict(x, { outputs: names });
    expect([...result.layers.keys()]).toEqual(names);
    for (const name of names) {
      const expected = referenceOutput(layers, Number(name), params, x, [count, ...inputShape], { train: false });
      const got = result.layers.get(name)!;
      expect(got.shape, `layer ${name} shape`).toEqual(expected.shape);
      expectClose(got.data, expected.y, TOL, `layer ${name}`);
    }
    const final = referenceOutput(layers, layers.length - 1, params, x, [count, ...inputShape], { train: false });
    expectClose(result.output, final.y, TOL, 'output');
    expect(await trainer.predict(x, count)).toEqual(result.output);
    const width = result.output.length / count;
    expect(await trainer.predict(x.subarray(0, 3 * size))).toEqual(result.output.subarray(0, 3 * width));
    await trainer.destroy();
  });

  it('use batch statistics in train mode', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(model(), { inputShape, loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, seed: 6, runtime });
    trainer.train();
    const count = 8; // one train-mode plan of exactly 8 rows: statistics over these rows
    const x = normal(count * size, 12);
    const params = toTensors(await trainer.parameters());
    const result = await trainer.predict(x, { outputs: [names[1]!], count });
    const expected = referenceOutput(layers, 1, params, x, [count, ...inputShape], { train: true, seed: 6, step: 0 });
    expectClose(result.layers.get(names[1]!)!.data, expected.y, TOL, `train-mode layer ${names[1]}`);
    await trainer.destroy();
  });
});

describe('predict outputs', () => {
  it('name nested modules and aliases; work on an InferenceModel', async () => {
    const runtime = await testRuntime();
    // features.1 is a Dropout: in eval mode the identity, a view of features.0's output.
    const model = new Sequential([new Sequential([new Linear(4, 6), new Dropout(0.5), ReLU()]), new Linear(6, 2)]);
    const served = await compileInference(model, { inputShape: [4], batchSize: 8, seed: 2, runtime });
    const x = normal(5 * 4, 3);
    const { layers, output } = await served.predict(x, { outputs: ['0.0', '0.1', '0', '1'] });
    const p = toTensors(await served.parameters());
    const hidden: Layer[] = [{ kind: 'linear', name: '0.0', inFeatures: 4, outFeatures: 6, bias: true }];
    const linear = referenceOutput(hidden, 0, p, x, [5, 4], { train: false }).y;
    expectClose(layers.get('0.0')!.data, linear, TOL, '0.0');
    expectClose(layers.get('0.1')!.data, linear, TOL, '0.1 (dropout at eval: a view)');
    expectClose(layers.get('0')!.data, Array.from(linear, (v) => Math.max(v, 0)), TOL, '0 (the inner Sequential)');
    expect(layers.get('1')!.data).toEqual(output);
    expect(layers.get('0')!.shape).toEqual([5, 6]);
    await served.destroy();
  });

  it('refuse unknown names, duplicates and bad options with a ConfigError before any GPU work', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(mlp(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, runtime });
    const x = normal(2 * 6, 1);
    const before = runtime.stats();
    const bad = async (options: unknown, message: RegExp) => {
      const call = trainer.predict(x, options as { outputs: string[] });
      await expect(call).rejects.toThrow(ConfigError);
      await expect(call).rejects.toThrow(message);
    };
    await bad({ outputs: ['7'] }, /predict: outputs\[0\] names no module: "7" \(the module names are "0", "1", "2", "3", "4", "5"\)/);
    await bad({ outputs: ['0', '0.weight'] }, /outputs\[1\] names no module: "0\.weight"/);
    await bad({ outputs: ['1', '1'] }, /predict: outputs names "1" twice/);
    await bad({ outputs: [] }, /predict: outputs must be a non-empty array of module names, got \[\]/);
    await bad({ outputs: [3] }, /predict: outputs\[0\] must be a module name/);
    await bad({ output: ['1'] }, /unknown option "output"/);
    await bad({ outputs: ['1'], count: 0 }, /predict: count/);
    await bad(null, /predict: options must be an options object/);
    const after = runtime.stats();
    expect(after.submits).toBe(before.submits);
    expect(after.bufferAllocations).toBe(before.bufferAllocations);
    await trainer.destroy();
  });

  it('cache a plan per list of names, and destroy() frees them with the rest', async () => {
    const runtime = await testRuntime();
    const probe = runtime.createBuffer(16, 'probe'); // the runtime's own readback staging (see destroy.test.ts)
    await runtime.read(probe);
    runtime.destroyBuffer(probe);
    const before = runtime.stats().bytesHeld;
    const trainer = await compile(mlp(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, evalBatchSize: 8, runtime });
    const x = normal(8 * 6, 4);
    await trainer.predict(x); // stages its readbacks at the sizes the outputs use too
    await trainer.predict(x, { outputs: ['0', '4'] });
    const held = runtime.stats().bytesHeld;
    const created = runtime.stats().pipelinesCreated;
    await trainer.predict(x, { outputs: ['0', '4'] });
    expect(runtime.stats().bytesHeld).toBe(held); // the cached plan: nothing new
    expect(runtime.stats().pipelinesCreated).toBe(created);
    await trainer.predict(x, { outputs: ['2'] });
    expect(runtime.stats().bytesHeld).toBeGreaterThan(held); // another list: another plan
    await trainer.destroy();
    expect(runtime.stats().bytesHeld).toBe(before); // every readback here fits the probe's 256-byte staging buffer
  });
});
