// Multi-step model-level checks of a LayerNorm MLP (centered RMSprop with momentum) and of a
// functional residual model (SGD with momentum and dampening, MSE loss), 3 training steps
// each on different batches under a changing LR and active clipping, compared after every step
// with a float64 reference trainer (see multistep-check.ts), then eval mode.
import { describe, it } from 'vitest';
import { functional } from '../../src/nn/functional';
import { Dropout, GELU, Linear, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { LayerNorm } from '../../src/nn/norm';
import { cosineDecay, exponentialDecay } from '../../src/optim/schedules';
import { normal, rng } from '../helpers/random';
import type { Layer } from '../reference/model';
import { checkMultiStep } from './multistep-check';

const STEPS = 3;
const EVAL_COUNT = 37;

describe('3 steps against a float64 reference', () => {
  it('LayerNorm → GELU → Dropout MLP with centered RMSprop (momentum, weight decay), exponential LR, clipping', async () => {
    const [IN, HIDDEN, CLASSES, BATCH, P] = [10, 16, 4, 20, 0.25];
    const labels = (n: number, seed: number) => {
      const r = rng(seed);
      return Uint32Array.from({ length: n }, () => Math.floor(r() * CLASSES));
    };
    const layers: Layer[] = [
      { kind: 'linear', name: '0', inFeatures: IN, outFeatures: HIDDEN, bias: true },
      { kind: 'layernorm', name: '1', features: HIDDEN, eps: 1e-4 },
      { kind: 'activation', activation: 'gelu', alpha: 0 },
      { kind: 'dropout', p: P },
      { kind: 'linear', name: '4', inFeatures: HIDDEN, outFeatures: CLASSES, bias: true },
    ];
    await checkMultiStep({
      model: new Sequential([new Linear(IN, HIDDEN), new LayerNorm(HIDDEN, 1e-4), GELU(), new Dropout(P), new Linear(HIDDEN, CLASSES)]),
      layers,
      inputShape: [IN],
      loss: 'crossEntropy',
      optimizer: { kind: 'rmsprop', lr: 0.01, alpha: 0.9, eps: 1e-4, weightDecay: 0.02, momentum: 0.5, centered: true },
      slots: ['square_avg', 'grad_avg', 'momentum_buffer'],
      lrSchedule: exponentialDecay(0.01, 0.6),
      lr: (s) => 0.01 * 0.6 ** s,
      clipGradNorm: 0.1,
      seed: 9,
      batch: BATCH,
      steps: STEPS,
      batchOf: (k) => ({ x: normal(BATCH * IN, 700 + k, 1.5), y: labels(BATCH, 800 + k) }),
      evalSet: { x: normal(EVAL_COUNT * IN, 900, 1.5), y: labels(EVAL_COUNT, 901), count: EVAL_COUNT },
      evalBatchSize: 16,
      finiteDifferenceStep: 2,
      // RMSprop divides by √v, which amplifies f32 error in small second moments: its momentum
      // buffer is off by up to 1.4e-6 of its largest value (measured).
      tolerances: { state: 2e-5 },
    });
  });

  it('residual functional model (skip around Linear → Tanh → Dropout) with SGD momentum + dampening, MSE, cosine LR, clipping', async () => {
    const [IN, HIDDEN, OUT, BATCH, P] = [6, 8, 3, 16, 0.3];
    // Small output weights keep outputs and so every gradient small (norm ~5e-3): clipping's
    // 1e-6 in max/(‖g‖ + 1e-6) then changes the gradients by ~2e-4, far above the tolerance.
    const small = { weightInit: { kind: 'uniform', low: -0.002, high: 0.002 }, biasInit: { kind: 'zeros' } } as const;
    const model = functional((x) => {
      const h = x.apply(new Linear(IN, HIDDEN), 'fc1');
      const r = h.apply(new Linear(HIDDEN, HIDDEN), 'res').apply(Tanh()).apply(new Dropout(P));
      return h.add(r).apply(new Linear(HIDDEN, OUT, small), 'out');
    });
    const layers: Layer[] = [
      { kind: 'linear', name: 'fc1', inFeatures: IN, outFeatures: HIDDEN, bias: true },
      {
        kind: 'residual',
        body: [
          { kind: 'linear', name: 'res', inFeatures: HIDDEN, outFeatures: HIDDEN, bias: true },
          { kind: 'activation', activation: 'tanh', alpha: 0 },
          { kind: 'dropout', p: P },
        ],
      },
      { kind: 'linear', name: 'out', inFeatures: HIDDEN, outFeatures: OUT, bias: true },
    ];
    await checkMultiStep({
      model,
      layers,
      inputShape: [IN],
      loss: 'mse',
      optimizer: { kind: 'sgd', lr: 0.5, momentum: 0.8, dampening: 0.3, weightDecay: 0.01, nesterov: false },
      slots: ['momentum_buffer'],
      lrSchedule: cosineDecay(0.5, 0.05),
      lr: (s) => 0.05 + 0.5 * (0.5 - 0.05) * (1 + Math.cos((Math.PI * s) / STEPS)),
      clipGradNorm: 2 ** -10,
      seed: 13,
      batch: BATCH,
      steps: STEPS,
      batchOf: (k) => ({ x: normal(BATCH * IN, 1000 + k, 1.5), y: normal(BATCH * OUT, 1100 + k, 0.01) }),
      evalSet: { x: normal(EVAL_COUNT * IN, 1200, 1.5), y: normal(EVAL_COUNT * OUT, 1201, 0.01), count: EVAL_COUNT },
      evalBatchSize: 16,
      finiteDifferenceStep: 1,
    });
  });
});
