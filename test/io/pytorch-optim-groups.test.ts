// Optimizer setup against PyTorch (test/fixtures/pytorch/optim-groups.safetensors, made by
// scripts/pytorch-fixtures.py optim-groups): SGD with momentum, Adam and AdamW with weight decay
// on an MLP with biases, a BatchNorm1d and a LayerNorm, 4 steps under LambdaLR(0.8^step), once
// with torch's default (model.parameters(): every parameter decayed) and once with param groups
// (no decay on biases and norms; 3.weight at half the lr). Losses, parameters and optimizer
// state after the last step are compared with torch's, which were computed in float64.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { loadSafetensors, readSafetensors } from '../../src/io/safetensors';
import type { StateTensor } from '../../src/io/state-dict';
import type { OptimizerConfig } from '../../src/kernels/optim-config';
import { Linear, ReLU, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d, LayerNorm } from '../../src/nn/norm';
import { adam, adamw, noDecayOnBiasAndNorm, sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { readFixture } from '../helpers/fixtures';
import { testRuntime } from '../helpers/gpu';

const FIXTURE = 'test/fixtures/pytorch/optim-groups.safetensors';
const [STEPS, BATCH, FEATURES] = [4, 8, 6];

// torch: Sequential(Linear(6, 8, bias=False), BatchNorm1d(8), ReLU(), Linear(8, 8), LayerNorm(8), Tanh(), Linear(8, 3)).
const model = () =>
  new Sequential([new Linear(6, 8, { bias: false }), BatchNorm1d(8), ReLU(), new Linear(8, 8), new LayerNorm(8), Tanh(), new Linear(8, 3)]);

// The fixture's hyperparameters, as literals (its metadata records them too).
const OPTIMIZERS: [name: string, lr: number, make: (groups?: OptimizerConfig['groups']) => OptimizerConfig, slots: string[]][] = [
  ['sgd', 0.1, (groups) => sgd({ lr: 0.1, momentum: 0.9, weightDecay: 0.05, groups }), ['momentum_buffer']],
  ['adam', 0.01, (groups) => adam({ lr: 0.01, weightDecay: 0.05, groups }), ['exp_avg', 'exp_avg_sq']],
  ['adamw', 0.01, (groups) => adamw({ lr: 0.01, weightDecay: 0.1, groups }), ['exp_avg', 'exp_avg_sq']],
];

/**
 * f32 on the GPU against torch's float64, relative to each tensor's largest magnitude. 4 steps
 * of a 9-tensor MLP through two normalizations, measured worst on lavapipe / SwiftShader:
 * parameters 3.0e-7 / 3.0e-7, optimizer state 7.5e-7 / 1.1e-6 (Adam's exp_avg_sq), losses
 * 1e-7. The tolerance leaves about 5× that. What the test is for moves values far more:
 * decaying the biases and norm parameters or not, and the half-rate group, change the final
 * parameters by over 100× the tolerance (checked by the last test).
 */
const TOL = 5e-6;

function closeToTorch(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  const scale = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectClose(actual, expected, { atol: TOL * scale, rtol: TOL }, what);
}

async function fixture() {
  const tensors = loadSafetensors(await readFixture(FIXTURE));
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`${FIXTURE}: no tensor ${name}`);
    return t;
  };
  const init = new Map<string, StateTensor>([...tensors].filter(([k]) => k.startsWith('init.')).map(([k, t]) => [k.slice('init.'.length), t]));
  return { get, init, x: get('x').data as Float32Array, y: get('y').data as BigInt64Array };
}

describe.each(OPTIMIZERS)('PyTorch %s with weight decay, 4 steps', (name, lr, make, slots) => {
  it.each(['default', 'groups'] as const)('%s param groups give torch\'s losses, parameters and state', async (setup) => {
    const f = await fixture();
    const groups = setup === 'groups' ? [noDecayOnBiasAndNorm(), { params: ['3.weight'], lr: lr * 0.5 }] : undefined;
    const trainer = await compile(model(), {
      inputShape: [FEATURES],
      loss: 'crossEntropy',
      optimizer: make(groups),
      batchSize: BATCH,
      lrSchedule: (step) => lr * 0.8 ** step, // torch LambdaLR(lambda step: 0.8 ** step) on every group's initial lr
      metricsEvery: 1000,
      runtime: await testRuntime(),
    });
    await trainer.loadStateDict(f.init);
    const prefix = `${name}.${setup}`;
    const losses = f.get(`${prefix}.losses`).data as Float32Array;
    for (let k = 0; k < STEPS; k++) {
      trainer.resetMetrics();
      trainer.step(f.x.subarray(k * BATCH * FEATURES, (k + 1) * BATCH * FEATURES), Uint32Array.from(f.y.subarray(k * BATCH, (k + 1) * BATCH), Number));
      const { loss } = await trainer.flushMetrics();
      expect(Math.abs(loss - losses[k]!), `${prefix} loss at step ${k + 1}: ${loss} vs torch ${losses[k]}`).toBeLessThanOrEqual(1e-6 * losses[k]!);
    }
    const params = await trainer.parameters();
    for (const [p, value] of params) closeToTorch(value, f.get(`${prefix}.${p}`).data as Float32Array, `${prefix} ${p}`);
    const checkpoint = readSafetensors(await trainer.checkpoint()).tensors;
    for (const slot of slots) {
      for (const p of params.keys()) {
        closeToTorch(checkpoint.get(`optimizer.${slot}.${p}`)!.data as Float32Array, f.get(`${prefix}.${slot}.${p}`).data as Float32Array, `${prefix} ${slot} ${p}`);
      }
    }
    await trainer.destroy();
  }, 300_000); // compiling takes seconds on CPU drivers (minutes on a loaded machine)
});

it('the two setups differ in torch by far more than the tolerance (so the comparison can tell them apart)', async () => {
  const f = await fixture();
  for (const [name] of OPTIMIZERS) {
    for (const p of ['1.weight', '3.bias', '4.weight', '3.weight']) {
      const a = f.get(`${name}.default.${p}`).data as Float32Array;
      const b = f.get(`${name}.groups.${p}`).data as Float32Array;
      const scale = Math.max(...Array.from(a, Math.abs));
      const diff = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
      expect(diff / scale, `${name} ${p}`).toBeGreaterThan(100 * TOL);
    }
  }
});
