// Multi-step model-level check of an MLP with two dropout layers and BatchNorm1d: 4 training
// steps on different batches with Adam and with Nesterov SGD, each under an LR schedule that
// changes every step and with clipping active, compared after every step with a float64
// reference trainer (see multistep-check.ts for what is compared), then eval mode.
import { describe, it } from 'vitest';
import { Dropout, Flatten, Linear, ReLU, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { exponentialDecay, linearWarmup, stepDecay } from '../../src/optim/schedules';
import { normal, rng } from '../helpers/random';
import type { Layer } from '../reference/model';
import { checkMultiStep, type MultiStepCase } from './multistep-check';

const INPUT = [2, 3, 2]; // flattened to 12 features
const [FEATURES, H1, H2, CLASSES, BATCH, STEPS] = [12, 16, 12, 5, 24, 4];
// Non-default BatchNorm eps and momentum: eps 1e-3 moves eval-mode outputs by ~5e-4 (relative),
// far above the tolerance, so an eval kernel that drops or replaces eps is caught.
const BN = { eps: 1e-3, momentum: 0.2 };
const [P1, P2] = [0.3, 0.2];

const model = () =>
  new Sequential([
    new Flatten(),
    new Linear(FEATURES, H1),
    BatchNorm1d(H1, BN),
    ReLU(),
    new Dropout(P1),
    new Linear(H1, H2),
    Tanh(),
    new Dropout(P2),
    new Linear(H2, CLASSES),
  ]);

const layers: Layer[] = [
  { kind: 'flatten' },
  { kind: 'linear', name: '1', inFeatures: FEATURES, outFeatures: H1, bias: true },
  { kind: 'batchnorm', name: '2', channels: H1, ...BN },
  { kind: 'activation', activation: 'relu', alpha: 0 },
  { kind: 'dropout', p: P1 },
  { kind: 'linear', name: '5', inFeatures: H1, outFeatures: H2, bias: true },
  { kind: 'activation', activation: 'tanh', alpha: 0 },
  { kind: 'dropout', p: P2 },
  { kind: 'linear', name: '8', inFeatures: H2, outFeatures: CLASSES, bias: true },
];

const labels = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * CLASSES));
};
const EVAL_COUNT = 37;

const common = {
  layers,
  inputShape: INPUT,
  loss: 'crossEntropy' as const,
  seed: 11,
  batch: BATCH,
  steps: STEPS,
  batchOf: (k: number) => ({ x: normal(BATCH * FEATURES, 100 + k, 1.5), y: labels(BATCH, 200 + k) }),
  evalSet: { x: normal(EVAL_COUNT * FEATURES, 300, 1.5), y: labels(EVAL_COUNT, 301), count: EVAL_COUNT },
  evalBatchSize: 16,
  finiteDifferenceStep: 2,
  // The first Linear feeds BatchNorm: its bias's true gradient is 0.
  zeroGradient: { '1.bias': '1.weight' },
};

describe('an MLP with BatchNorm and two dropout layers, 4 steps against a float64 reference', () => {
  it('Adam (non-default betas, eps, weight decay), warm-up + exponential LR, clipping', async () => {
    const adam: MultiStepCase = {
      ...common,
      model: model(),
      optimizer: { kind: 'adam', lr: 0.02, betas: [0.8, 0.95], eps: 1e-3, weightDecay: 0.05 },
      slots: ['exp_avg', 'exp_avg_sq'],
      lrSchedule: linearWarmup(2, exponentialDecay(0.02, 0.7)),
      lr: (s) => (s < 2 ? (s + 1) / 2 : 1) * 0.02 * 0.7 ** s,
      clipGradNorm: 0.15,
    };
    await checkMultiStep(adam);
  });

  it('Nesterov SGD with weight decay, step-decay LR, clipping', async () => {
    await checkMultiStep({
      ...common,
      model: model(),
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.85, dampening: 0, weightDecay: 0.01, nesterov: true },
      slots: ['momentum_buffer'],
      // Milestones at steps 1, 2, 3 of 4: the rate halves every step.
      lrSchedule: stepDecay(0.1, [0.25, 0.5, 0.75], 0.5),
      lr: (s) => 0.1 * 0.5 ** s,
      clipGradNorm: 0.15,
    });
  });
});
