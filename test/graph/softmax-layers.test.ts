// Softmax(dim) and LogSoftmax(dim) layers (torch.nn names) through the executor: forward and
// backward against the float64 reference (itself checked by central differences), NLL after
// LogSoftmax trains exactly like cross-entropy on the logits, no parameters of their own, and
// the dim / shape checks.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { ShapeError } from '../../src/graph/ir';
import { compile } from '../../src/graph/compile';
import { Linear, LogSoftmax, ReLU, Softmax, Tanh } from '../../src/nn/layers';
import { Sequential, type Module } from '../../src/nn/module';
import { momentum, sgd } from '../../src/optim/optimizers';
import { centralDifference, expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import { modelForward, type Layer, type Tensors } from '../reference/model';

const N = 7;
const IN = 6;
const C = 5;

/** |actual − expected| ≤ tol·(largest |expected|) + tol·|expected|. */
function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  const largest = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectClose(actual, expected, { atol: tol * largest, rtol: tol }, what);
}

const toTensors = (m: Map<string, Float32Array>): Tensors => new Map([...m].map(([k, v]) => [k, Float64Array.from(v)]));

/** Mean squared error of the reference model's output against t, and its parameter gradients. */
function referenceMse(layers: Layer[], params: Tensors, x: Float32Array, t: Float32Array) {
  const forward = modelForward(layers, params, new Map(), x, [N, IN], { train: false });
  const y = forward.y;
  const loss = Array.from(y).reduce((s, v, i) => s + (v - t[i]!) ** 2, 0) / y.length;
  const grads = forward.backward(Array.from(y, (v, i) => (2 * (v - t[i]!)) / y.length));
  return { y, loss, grads };
}

describe.each([
  { name: 'Softmax(1)', layer: () => Softmax(1), log: false },
  { name: 'LogSoftmax(-1)', layer: () => LogSoftmax(-1), log: true },
])('$name', ({ layer, log }) => {
  const layers: Layer[] = [
    { kind: 'linear', name: '0', inFeatures: IN, outFeatures: C, bias: true },
    { kind: 'softmax', log },
  ];

  it('matches the float64 reference forward and backward (MSE head), which central differences confirm', async () => {
    const trainer = await compile(new Sequential([new Linear(IN, C), layer()]), {
      inputShape: [IN],
      loss: 'mse',
      optimizer: sgd({ lr: 0.1 }),
      batchSize: N,
      runtime: await testRuntime(),
    });
    const x = normal(N * IN, 11, 2); // logits of a few units: softmax far from uniform
    const t = uniform(N * C, 12, log ? -3 : 0, log ? 0 : 1);
    const params = toTensors(await trainer.parameters());
    const reference = referenceMse(layers, params, x, t);
    // f32 through a 6-term dot product and a 5-wide softmax: a few ulps of the largest value
    // (measured < 2e-7 on lavapipe; gradients, sums over 7 rows, < 1e-6).
    closeTo(await trainer.predict(x), reference.y, 6e-7, 'forward');

    trainer.step(x, t);
    const metrics = await trainer.flushMetrics();
    expect(Math.abs(metrics.loss - reference.loss)).toBeLessThan(6e-7 * reference.loss);
    const grads = await trainer.gradients();
    for (const name of ['0.weight', '0.bias']) closeTo(grads.get(name)!, reference.grads.get(name)!, 3e-6, `grad ${name}`);

    // The reference backward against central differences of its own float64 loss.
    for (const name of ['0.weight', '0.bias']) {
      const value = params.get(name)!;
      for (const index of [0, Math.floor(value.length / 2), value.length - 1]) {
        const original = value[index]!;
        const numeric = centralDifference((v) => {
          value[index] = v;
          return referenceMse(layers, params, x, t).loss;
        }, original);
        value[index] = original;
        expect(Math.abs(numeric - reference.grads.get(name)![index]!), `${name}[${index}]`).toBeLessThan(1e-8);
      }
    }
    await trainer.destroy();
  }, 300_000); // compiling takes seconds on CPU drivers (minutes on a loaded machine)
});

describe('LogSoftmax + nll', () => {
  const body = () => [new Linear(8, 16), Tanh(), new Linear(16, C)];

  it('trains exactly like crossEntropy on the logits (losses, gradients, parameters over 5 steps)', async () => {
    const runtime = await testRuntime();
    const options = { inputShape: [8], optimizer: momentum({ lr: 0.2, momentum: 0.9 }), batchSize: 12, seed: 3, runtime };
    const nll = await compile(new Sequential([...body(), LogSoftmax(1)]), { ...options, loss: 'nll' });
    const ce = await compile(new Sequential(body()), { ...options, loss: 'crossEntropy' });
    await ce.loadStateDict(await nll.stateDict());
    for (let step = 1; step <= 5; step++) {
      const x = normal(12 * 8, 100 + step);
      const labels = Uint32Array.from({ length: 12 }, (_, i) => (i * 3 + step) % C);
      nll.step(x, labels);
      ce.step(x, labels);
      const [a, b] = [await nll.flushMetrics(), await ce.flushMetrics()];
      // Fused cross-entropy vs log-softmax then NLL: the same maths, rounded differently
      // (measured: losses < 1e-7 apart, gradients and parameters < 1e-6 of their largest).
      expect(Math.abs(a.loss - b.loss), `loss at step ${step}`).toBeLessThan(3e-7 * b.loss);
      expect(a.accuracy).toBe(b.accuracy);
      nll.resetMetrics();
      ce.resetMetrics();
      const [ga, gb] = [await nll.gradients(), await ce.gradients()];
      for (const [name, g] of gb) closeTo(ga.get(name)!, g, 3e-6, `step ${step} grad ${name}`);
    }
    const [pa, pb] = [await nll.parameters(), await ce.parameters()];
    for (const [name, p] of pb) closeTo(pa.get(name)!, p, 3e-6, `parameter ${name}`);
    await Promise.all([nll.destroy(), ce.destroy()]);
  }, 300_000);
});

describe('Softmax and LogSoftmax layers', () => {
  it('have no parameters: state-dict names and indices are those of the same model with any activation there', async () => {
    const runtime = await testRuntime();
    const options = { inputShape: [4], optimizer: sgd({ lr: 0.1 }), batchSize: 2, runtime, loss: 'mse' as const };
    const names = async (mid: Module, last?: Module) => {
      const trainer = await compile(new Sequential([new Linear(4, 6), mid, new Linear(6, 3), ...(last ? [last] : [])]), options);
      const keys = [...(await trainer.stateDict()).keys()];
      await trainer.destroy();
      return keys;
    };
    const expected = ['0.weight', '0.bias', '2.weight', '2.bias'];
    expect(await names(ReLU())).toEqual(expected);
    expect(await names(Softmax(1))).toEqual(expected);
    expect(await names(LogSoftmax(-1), LogSoftmax(1))).toEqual(expected);
  }, 300_000);

  it('rejects a dim other than 1 or -1 with a ConfigError naming the layer and the value', () => {
    expect(() => Softmax(0)).toThrow(ConfigError);
    expect(() => Softmax(0)).toThrow(/^Softmax: dim must be 1 or -1 .*, got 0$/);
    expect(() => LogSoftmax(2)).toThrow(/^LogSoftmax: dim must be 1 or -1 .*, got 2$/);
    expect(() => LogSoftmax(-2)).toThrow(/got -2$/);
    expect(() => Softmax('1' as unknown as number)).toThrow(/Softmax: dim .* got "1"$/);
    expect(() => Softmax(undefined as unknown as number)).toThrow(ConfigError);
  });

  it('rejects an input that is not [N, C] with a ShapeError naming the layer', async () => {
    const model = new Sequential([LogSoftmax(1), new Linear(3, 2)]);
    const compiling = compile(model, { inputShape: [2, 3], loss: 'mse', optimizer: sgd(), batchSize: 4, runtime: await testRuntime() });
    await expect(compiling).rejects.toThrow(ShapeError);
    await expect(compiling).rejects.toThrow('LogSoftmax (layer 0): expects input [N, C] but got [4, 2, 3]');
  });
});
