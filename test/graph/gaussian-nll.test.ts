// Gaussian NLL (torch.nn.GaussianNLLLoss) as a training loss: the packed-output kernel against
// PyTorch's values and gradients (test/fixtures/pytorch/gaussian-nll.safetensors, variances
// below eps included), a tiny regression MLP trained through compile() against the float64
// reference model (gradients, loss, evaluate with full=true), and the option checks.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { compileInference } from '../../src/graph/inference';
import { ShapeError } from '../../src/graph/ir';
import { compile } from '../../src/graph/compile';
import { readSafetensors } from '../../src/io/safetensors';
import { gaussianNll as gaussianNllKernel } from '../../src/kernels/losses';
import { Linear, Sigmoid, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam, sgd } from '../../src/optim/optimizers';
import { centralDifference, expectClose } from '../helpers/compare';
import { readFixture } from '../helpers/fixtures';
import { runProgram, testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { gaussianNll, gaussianNllGradient } from '../reference/losses';
import { modelForward, type Layer, type Tensors } from '../reference/model';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Float64 GaussianNLLLoss (mean) of a packed output [n, 2d] = [mean | var] and its gradient. */
function referenceHead(out: ArrayLike<number>, t: ArrayLike<number>, n: number, d: number, eps: number, full: boolean) {
  let loss = 0;
  const grad = new Float64Array(n * 2 * d);
  /** Size of what each gradient is computed from: ½(1/v − z²) loses digits when 1/v ≈ z². */
  const scale = new Float64Array(n * 2 * d);
  for (let i = 0; i < n * d; i++) {
    const at = Math.floor(i / d) * 2 * d + (i % d);
    const [x, v] = [out[at]!, out[at + d]!];
    loss += (gaussianNll(x, t[i]!, v, eps) + (full ? HALF_LOG_2PI : 0)) / (n * d);
    const [gx, gv] = gaussianNllGradient(x, t[i]!, v, eps);
    grad[at] = gx / (n * d);
    grad[at + d] = gv / (n * d);
    scale[at] = Math.abs(gx) / (n * d);
    scale[at + d] = (0.5 * (1 / Math.max(v, eps) + gx * gx)) / (n * d);
  }
  return { loss, grad, scale };
}

/** |actual − expected| ≤ tol·scale elementwise (scale from referenceHead). */
function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, scale: ArrayLike<number>, tol: number, what: string) {
  const excess = Array.from(expected, (e, i) => Math.abs(actual[i]! - e) / (tol * scale[i]!));
  const worst = excess.indexOf(Math.max(...excess));
  expect(excess[worst]!, `${what}[${worst}] = ${actual[worst]}, expected ${expected[worst]} (scale ${scale[worst]})`).toBeLessThanOrEqual(1);
}

/** [a | b] per row: two [n, d] tensors side by side as one [n, 2d]. */
const pack = (a: ArrayLike<number>, b: ArrayLike<number>, n: number, d: number) =>
  Float32Array.from({ length: n * 2 * d }, (_, k) => (k % (2 * d) < d ? a : b)[Math.floor(k / (2 * d)) * d + (k % d)]!);

describe('gaussianNll kernel against torch.nn.GaussianNLLLoss', () => {
  it.each(['default', 'full', 'eps'])('case %s: loss and gradients w.r.t. mean and variance', async (name) => {
    const { tensors, metadata } = readSafetensors(await readFixture('test/fixtures/pytorch/gaussian-nll.safetensors'));
    const get = (key: string) => tensors.get(key)!.data as Float32Array;
    const [mean, variance, target] = [get('input'), get('var'), get('target')];
    const [n, d] = tensors.get('input')!.shape as [number, number];
    const options = JSON.parse(metadata[name]!) as { full: boolean; eps: number };
    const [terms, grad] = await runProgram(gaussianNllKernel(n, d, options), [pack(mean, variance, n, d), target, { zeros: n * d }, { zeros: 2 * n * d }]);
    // Each term and gradient is a handful of f32 operations, a few ulps of the values they
    // combine (the variance gradient ½(1/v − z²) of those of 1/v and z²); the variances under
    // eps = 1e-6 give terms and gradients up to 1e11, which dominate the loss.
    const expected = pack(get(`${name}.grad_input`), get(`${name}.grad_var`), n, d);
    const torchLoss = get(`${name}.loss`)[0]!;
    // The float64 reference agrees with torch (F64 in the file, read as f32: 6e-8 relative).
    const reference = referenceHead(pack(mean, variance, n, d), target, n, d, options.eps, options.full);
    expect(Math.abs(reference.loss - torchLoss)).toBeLessThan(1e-7 * Math.abs(torchLoss));
    expectWithin(reference.grad, expected, reference.scale, 1e-7, `${name} reference gradient`);
    const loss = terms!.reduce((s, v) => s + v, 0);
    expect(Math.abs(loss - torchLoss)).toBeLessThan(1e-6 * Math.abs(torchLoss));
    expectWithin(grad!, expected, reference.scale, 1e-6, `${name} gradient`);
  });

  it('makes a negative variance NaN (torch raises a ValueError) and leaves the other elements alone', async () => {
    const packed = Float32Array.from([0.5, 0.2, 0.1, -0.1, 1, 0.3]); // one row, d = 3: variances −0.1, 1, 0.3
    const [terms, grad] = await runProgram(gaussianNllKernel(1, 3), [packed, Float32Array.from([0, 0, 0]), { zeros: 3 }, { zeros: 6 }]);
    expect(Array.from(terms!, Number.isNaN)).toEqual([true, false, false]);
    expect(Array.from(grad!, Number.isNaN)).toEqual([true, false, false, true, false, false]);
  });
});

const IN = 2;
const D = 2;
const N = 16;
const LAYERS: Layer[] = [
  { kind: 'linear', name: '0', inFeatures: IN, outFeatures: 8, bias: true },
  { kind: 'activation', activation: 'tanh', alpha: 0 },
  { kind: 'linear', name: '2', inFeatures: 8, outFeatures: 2 * D, bias: true },
  { kind: 'activation', activation: 'sigmoid', alpha: 0 }, // means in (0, 1), variances > 0
];
const model = () => new Sequential([new Linear(IN, 8), Tanh(), new Linear(8, 2 * D), Sigmoid()]);

/** Targets in (0, 1): two smooth functions of x, D = 2 per sample. */
const targetsOf = (x: Float32Array, count: number) =>
  Float32Array.from({ length: count * D }, (_, k) => {
    const [a, b] = [x[Math.floor(k / D) * IN]!, x[Math.floor(k / D) * IN + 1]!];
    return k % D === 0 ? 0.5 + 0.3 * Math.sin(2 * a) : 0.5 + 0.2 * a * b;
  });

function referenceLoss(params: Tensors, x: Float32Array, t: Float32Array, count: number, eps: number, full: boolean) {
  const forward = modelForward(LAYERS, params, new Map(), x, [count, IN], { train: false });
  const head = referenceHead(forward.y, t, count, D, eps, full);
  return { loss: head.loss, grads: () => forward.backward(head.grad) };
}

describe('gaussianNll as a training loss', () => {
  it('trains a regression MLP: gradients and loss as the float64 reference, loss decreasing, evaluate with full', async () => {
    const runtime = await testRuntime();
    const trainer = await compile(model(), { inputShape: [IN], loss: { kind: 'gaussianNll' }, optimizer: adam({ lr: 0.05 }), batchSize: N, runtime });
    expect(trainer.targetSize).toBe(D);
    const x = uniform(N * IN, 21);
    const t = targetsOf(x, N);
    const params: Tensors = new Map([...(await trainer.parameters())].map(([k, v]) => [k, Float64Array.from(v)]));
    const reference = referenceLoss(params, x, t, N, 1e-6, false);
    const expectedGrads = reference.grads();

    trainer.step(x, t);
    const first = (await trainer.flushMetrics()).loss;
    // f32 through two small layers and the head: measured < 2e-7 (loss) and < 1e-6 (gradients).
    expect(Math.abs(first - reference.loss)).toBeLessThan(6e-7 * Math.abs(reference.loss));
    const grads = await trainer.gradients();
    for (const [name, g] of expectedGrads) {
      const largest = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(grads.get(name)!, g, { atol: 3e-6 * largest, rtol: 3e-6 }, `grad ${name}`);
    }
    // The reference's backward against central differences of its float64 loss.
    for (const [name, value] of params) {
      for (const index of [0, value.length - 1]) {
        const original = value[index]!;
        const numeric = centralDifference((v) => {
          value[index] = v;
          return referenceLoss(params, x, t, N, 1e-6, false).loss;
        }, original);
        value[index] = original;
        expect(Math.abs(numeric - expectedGrads.get(name)![index]!), `${name}[${index}]`).toBeLessThan(1e-8);
      }
    }

    trainer.resetMetrics();
    for (let s = 0; s < 60; s++) trainer.step(x, t);
    trainer.resetMetrics();
    for (let s = 0; s < 10; s++) trainer.step(x, t);
    const last = (await trainer.flushMetrics()).loss;
    expect(last).toBeLessThan(first - 0.5); // the variances shrink toward the fit's residuals

    // evaluate() of an inference model with full=true and eps = 0.01 over 37 samples in
    // padded batches of 16, against the reference at the trained parameters.
    const inference = await compileInference(model(), {
      inputShape: [IN],
      batchSize: 16,
      loss: { kind: 'gaussianNll', full: true, eps: 0.01 },
      runtime,
    });
    await inference.loadStateDict(await trainer.stateDict());
    const xs = uniform(37 * IN, 22);
    const ts = targetsOf(xs, 37);
    const trained: Tensors = new Map([...(await trainer.parameters())].map(([k, v]) => [k, Float64Array.from(v)]));
    const expected = referenceLoss(trained, xs, ts, 37, 0.01, true).loss;
    const result = await inference.evaluate({ x: xs, y: ts, count: 37 });
    expect(Math.abs(result.loss - expected)).toBeLessThan(6e-7 * Math.abs(expected));
    expect(result.accuracy).toBeNaN();
    await Promise.all([trainer.destroy(), inference.destroy()]);
  }, 300_000); // compiling takes seconds on CPU drivers (minutes on a loaded machine)

  it('checks the loss options, the output width and the target count', async () => {
    const runtime = await testRuntime();
    const base = { inputShape: [IN], optimizer: sgd(), batchSize: 4, runtime };
    const rejects = (loss: unknown, pattern: RegExp, type: new (...a: never[]) => Error = ConfigError) =>
      Promise.all([
        expect(compile(model(), { ...base, loss } as never)).rejects.toThrow(type),
        expect(compile(model(), { ...base, loss } as never)).rejects.toThrow(pattern),
      ]);
    await rejects({ kind: 'gaussianNll', eps: 0 }, /^compile: loss\.eps must be a finite number > 0 .*, got 0$/);
    await rejects({ kind: 'gaussianNll', eps: Number.NaN }, /loss\.eps .* got NaN$/);
    await rejects({ kind: 'gaussianNll', eps: Infinity }, /loss\.eps .* got Infinity$/);
    await rejects({ kind: 'gaussianNll', eps: 1e-40 }, /loss\.eps .* got 1e-40$/);
    await rejects({ kind: 'gaussianNll', full: 1 }, /^compile: loss\.full must be true or false, got 1$/);
    await rejects({ kind: 'gaussianNll', labelSmoothing: 0.1 }, /unknown option "labelSmoothing" \(allowed: kind, eps, full\)/);
    await rejects({ kind: 'nll', eps: 0.1 }, /unknown option "eps" \(allowed: kind\)$/);
    const odd = compile(new Sequential([new Linear(IN, 3)]), { ...base, loss: 'gaussianNll' });
    await expect(odd).rejects.toThrow(ShapeError);
    await expect(odd).rejects.toThrow('loss gaussianNll: model output must be [N, 2D] (D means, then D variances), got 3 columns');

    const trainer = await compile(model(), { ...base, loss: { kind: 'gaussianNll', full: false, eps: 1e-4 } });
    const x = uniform(4 * IN, 1);
    expect(() => trainer.step(x, new Float32Array(4 * 2 * D))).toThrow('step: targets have 16 values, expected 8');
    trainer.step(x, targetsOf(x, 4));
    expect(Number.isFinite((await trainer.flushMetrics()).loss)).toBe(true);
    await trainer.destroy();
  }, 300_000);
});
