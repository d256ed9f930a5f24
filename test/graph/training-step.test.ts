// Model-level check: one full training step of Linear → BatchNorm1d → ReLU → Dropout → Linear
// with softmax cross-entropy and Nesterov SGD with weight decay, run by the executor on the
// GPU and compared with a float64 CPU reference: the loss, every gradient, every parameter.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { ShapeError } from '../../src/graph/ir';
import { Dropout, Linear, ReLU } from '../../src/nn/layers';
import { BatchNorm1d } from '../../src/nn/norm';
import { Sequential } from '../../src/nn/module';
import { nesterov, sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';
import { networkStep, type NetworkShape } from '../reference/network';

const shape: NetworkShape = { batch: 33, inputs: 12, hidden: 16, classes: 5, p: 0.25, seed: 7, step: 1 };
const LR = 0.1;
const MOMENTUM = 0.9;
const WEIGHT_DECAY = 0.01;

function model() {
  return new Sequential([
    new Linear(shape.inputs, shape.hidden),
    BatchNorm1d(shape.hidden),
    ReLU(),
    new Dropout(shape.p),
    new Linear(shape.hidden, shape.classes),
  ]);
}

// f32 vs float64 through two matmuls, batch statistics over 33 rows and a softmax: errors
// are a few ulps of the largest values involved, so tolerances are relative to each
// tensor's largest magnitude.
// `floor` covers tensors that are zero in exact arithmetic: the first bias feeds batch norm,
// which subtracts the batch mean, so its true gradient is 0 and f32 leaves only rounding
// noise of the size of the neighbouring weight gradient's ulps.
function closeToReference(actual: Float32Array, expected: ArrayLike<number>, what: string, floor = 0) {
  const largest = Math.max(floor, ...Array.from(expected, Math.abs));
  expectClose(actual, Array.from(expected), { atol: 1e-5 * largest, rtol: 1e-5 }, what);
}

describe('one training step against a float64 reference', () => {
  it('matches loss, every gradient and every updated parameter', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(model(), {
      inputShape: [shape.inputs],
      loss: 'crossEntropy',
      optimizer: nesterov({ lr: LR, momentum: MOMENTUM, weightDecay: WEIGHT_DECAY }),
      batchSize: shape.batch,
      seed: shape.seed,
      runtime,
    });
    expect(trainer.parameterShapes.map((p) => p.name)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias']);
    const before = await trainer.parameters();
    const x = normal(shape.batch * shape.inputs, 3);
    const labels = Uint32Array.from({ length: shape.batch }, (_, i) => (i * 7) % shape.classes);
    trainer.step(x, labels);
    const metrics = await trainer.flushMetrics();
    const grads = await trainer.gradients();
    const after = await trainer.parameters();

    const params = {
      w1: before.get('0.weight')!,
      b1: before.get('0.bias')!,
      gamma: before.get('1.weight')!,
      beta: before.get('1.bias')!,
      w2: before.get('4.weight')!,
      b2: before.get('4.bias')!,
    };
    const reference = networkStep(shape, params, x, labels);
    expect(Math.abs(metrics.loss - reference.loss)).toBeLessThan(1e-5 * reference.loss);

    const names = { w1: '0.weight', b1: '0.bias', gamma: '1.weight', beta: '1.bias', w2: '4.weight', b2: '4.bias' } as const;
    for (const [key, name] of Object.entries(names) as [keyof typeof names, string][]) {
      const g = reference.grads[key];
      const floor = key === 'b1' ? Math.max(...Array.from(reference.grads.w1, Math.abs)) : 0;
      closeToReference(grads.get(name)!, g, `grad ${name}`, floor);
      // First Nesterov step (buffer = g'): p ← p − lr·(g' + μ·g') with g' = g + wd·p for every
      // parameter, biases and BatchNorm's γ, β too (a torch optimizer without param groups).
      const decay = WEIGHT_DECAY;
      const p0 = params[key];
      const expected = Array.from(p0, (p, i) => p - LR * (1 + MOMENTUM) * (g[i]! + decay * p));
      closeToReference(after.get(name)!, expected, `updated ${name}`);
      if (key === 'b1') expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-12); // BN cancels it
    }
    await trainer.sync();
  });

  it('clips gradients to a global norm on the GPU before the update', async () => {
    const maxNorm = 1e-3;
    const trainer = await compile(model(), {
      inputShape: [shape.inputs],
      loss: 'crossEntropy',
      optimizer: sgd({ lr: LR }),
      batchSize: shape.batch,
      seed: shape.seed,
      clipGradNorm: maxNorm,
      runtime: await testRuntime(),
    });
    const before = await trainer.parameters();
    trainer.step(normal(shape.batch * shape.inputs, 4), Uint32Array.from({ length: shape.batch }, (_, i) => i % shape.classes));
    const norm = await trainer.gradientNorm();
    expect(norm).toBeGreaterThan(100 * maxNorm);
    const grads = [...(await trainer.gradients()).values()];
    const clippedNorm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((t, v) => t + v * v, 0), 0));
    expect(Math.abs(clippedNorm - maxNorm)).toBeLessThan(1e-5 * maxNorm);
    // Plain SGD: p_after = p_before − lr·clipped g.
    const after = await trainer.parameters();
    for (const [name, g] of await trainer.gradients()) {
      const expected = Array.from(before.get(name)!, (p, i) => p - LR * g[i]!);
      expectClose(after.get(name)!, expected, { atol: 1e-7, rtol: 1e-6 }, `clipped update ${name}`);
    }
  });

  it('rejects mismatched layer shapes before any GPU work, naming the layer', async () => {
    const bad = new Sequential([new Linear(12, 16), ReLU(), new Linear(15, 5)]);
    const error = await compile(bad, { inputShape: [12], loss: 'crossEntropy', optimizer: nesterov({ lr: 0.1 }), batchSize: 4 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShapeError);
    expect((error as Error).message).toBe('Linear (layer 2): expects input [N, 15] but got [4, 16]');
  });
});
