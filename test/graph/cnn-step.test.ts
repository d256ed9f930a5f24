// Model-level check of the CNN path: one full training step of Conv2d → BatchNorm2d → ReLU →
// MaxPool2d → Conv2d (stride 2) → ReLU → global average pool → Linear with cross-entropy and
// SGD with weight decay, on the GPU, against the float64 reference network: the loss, every
// gradient and every updated parameter. Also the shape errors a CNN user meets first.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { ShapeError } from '../../src/graph/ir';
import { AdaptiveAvgPool2d, Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm2d, GroupNorm } from '../../src/nn/norm';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';
import { cnnStep, type CnnShape } from '../reference/cnn';

const shape: CnnShape = { batch: 5, channels: 2, size: 9, c1: 4, c2: 6, classes: 3 };
const LR = 0.05;
const WEIGHT_DECAY = 0.01;

const model = (path: 'auto' | 'im2col' = 'auto') =>
  new Sequential([
    new Conv2d(shape.channels, shape.c1, 3, { padding: 1, path }),
    BatchNorm2d(shape.c1),
    ReLU(),
    new MaxPool2d(2),
    new Conv2d(shape.c1, shape.c2, 3, { stride: 2, padding: 1, path }),
    ReLU(),
    new AdaptiveAvgPool2d(1),
    new Flatten(),
    new Linear(shape.c2, shape.classes),
  ]);

// f32 against float64 through two convolutions, batch statistics over 5·81 values and a
// softmax: errors are a few ulps of each tensor's largest magnitude (as in the MLP test).
function closeToReference(actual: Float32Array, expected: ArrayLike<number>, what: string, floor = 0) {
  const largest = Math.max(floor, ...Array.from(expected, Math.abs));
  expectClose(actual, Array.from(expected), { atol: 1e-5 * largest, rtol: 1e-5 }, what);
}

const compileOptions = async () => ({
  inputShape: [shape.channels, shape.size, shape.size],
  loss: 'crossEntropy' as const,
  optimizer: sgd({ lr: LR, weightDecay: WEIGHT_DECAY }),
  batchSize: shape.batch,
  seed: 3,
  runtime: await testRuntime(),
});

describe('one CNN training step against a float64 reference', () => {
  // 'auto' runs the implicit-GEMM convolutions; 'im2col' the materialized im2col + matmul path.
  it.each(['auto', 'im2col'] as const)('matches loss, every gradient and every updated parameter (conv path %s)', async (path) => {
    const trainer = await compile(model(path), await compileOptions());
    const names = { w1: '0.weight', b1: '0.bias', gamma: '1.weight', beta: '1.bias', w2: '4.weight', b2: '4.bias', w3: '8.weight', b3: '8.bias' } as const;
    expect(trainer.parameterShapes).toEqual([
      { name: '0.weight', shape: [4, 2, 3, 3] },
      { name: '0.bias', shape: [4] },
      { name: '1.weight', shape: [4] },
      { name: '1.bias', shape: [4] },
      { name: '4.weight', shape: [6, 4, 3, 3] },
      { name: '4.bias', shape: [6] },
      { name: '8.weight', shape: [3, 6] },
      { name: '8.bias', shape: [3] },
    ]);
    const before = await trainer.parameters();
    const x = normal(shape.batch * shape.channels * shape.size * shape.size, 11, 2);
    const labels = Uint32Array.from({ length: shape.batch }, (_, i) => (i * 2) % shape.classes);
    trainer.step(x, labels);
    const metrics = await trainer.flushMetrics();
    const grads = await trainer.gradients();
    const after = await trainer.parameters();

    const params = Object.fromEntries(Object.entries(names).map(([k, name]) => [k, before.get(name)!])) as Record<keyof typeof names, Float32Array>;
    const reference = cnnStep(shape, params, x, labels);
    expect(Math.abs(metrics.loss - reference.loss)).toBeLessThan(1e-5 * reference.loss);
    for (const [key, name] of Object.entries(names) as [keyof typeof names, string][]) {
      const g = reference.grads[key];
      // The first conv's bias feeds batch norm, which subtracts the batch mean: its true
      // gradient is 0 and f32 leaves rounding noise the size of the weight gradient's ulps.
      const floor = key === 'b1' ? Math.max(...Array.from(reference.grads.w1, Math.abs)) : 0;
      closeToReference(grads.get(name)!, g, `grad ${name}`, floor);
      const decay = WEIGHT_DECAY; // every parameter, biases and norms too (torch without param groups)
      const p0 = params[key];
      closeToReference(after.get(name)!, Array.from(p0, (p, i) => p - LR * (g[i]! + decay * p)), `updated ${name}`, floor * LR);
    }
    expect(Math.max(...Array.from(reference.grads.b1, Math.abs))).toBeLessThan(1e-12);
    await trainer.destroy();
  });

  it('trains GroupNorm inside a CNN: the loss falls at every step on a fixed batch', async () => {
    const net = new Sequential([
      new Conv2d(shape.channels, shape.c1, 3, { padding: 1 }),
      new GroupNorm(2, shape.c1),
      ReLU(),
      new AdaptiveAvgPool2d(1),
      new Flatten(),
      new Linear(shape.c1, shape.classes),
    ]);
    const trainer = await compile(net, { ...(await compileOptions()), optimizer: sgd({ lr: 0.5 }) });
    const x = normal(shape.batch * shape.channels * shape.size * shape.size, 12, 1);
    const labels = Uint32Array.from({ length: shape.batch }, (_, i) => i % shape.classes);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      trainer.resetMetrics();
      trainer.step(x, labels);
      losses.push((await trainer.flushMetrics()).loss);
    }
    // Gradient descent on one batch: every step lowers the loss (measured 1.208 → 1.055).
    for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    expect(losses[5]!).toBeLessThan(0.9 * losses[0]!);
    await trainer.destroy();
  });

  it('names the layer and shapes in shape errors before any GPU work', async () => {
    const errors: [Sequential, string][] = [
      [new Sequential([new Conv2d(3, 4, 3)]), 'Conv2d (layer 0): expects input [N, 3, H, W] but got [5, 2, 9, 9]'],
      [
        new Sequential([new Conv2d(2, 4, 11)]),
        'Conv2d (layer 0): kernel 11×11 is larger than the padded input 9×9 (input [5, 2, 9, 9], padding 0×0)',
      ],
      [new Sequential([new MaxPool2d(10)]), 'MaxPool2d (layer 0): kernel 10×10 is larger than the padded input 9×9 (input [5, 2, 9, 9], padding 0×0)'],
      [
        new Sequential([new Conv2d(2, 4, 3), new Flatten(), new Linear(300, 3)]),
        'Linear (layer 2): expects input [N, 300] but got [5, 196] (Flatten of [5, 4, 7, 7])',
      ],
    ];
    const runtime = await testRuntime();
    for (const [net, message] of errors) {
      const before = runtime.stats();
      const error = await compile(net, await compileOptions()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ShapeError);
      expect((error as Error).message).toBe(message);
      expect(runtime.stats().bufferAllocations).toBe(before.bufferAllocations);
    }
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(new ShapeError('Conv2d: in (3) and out (4) channels must both be divisible by groups (2)'));
    expect(() => new GroupNorm(3, 4)).toThrow(ShapeError);
  });
});
