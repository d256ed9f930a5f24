// Multi-step model-level check of a CNN: Conv2d → BatchNorm2d → ReLU → MaxPool2d → Dropout →
// Conv2d → GroupNorm → ReLU → Flatten → Linear, 3 training steps on different batches with AdamW under cosine LR decay and
// active clipping, compared after every step with a float64 reference trainer (see
// multistep-check.ts for what is compared), then eval mode.
import { describe, it } from 'vitest';
import { Conv2d, MaxPool2d } from '../../src/nn/conv';
import { Dropout, Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm2d, GroupNorm } from '../../src/nn/norm';
import { cosineDecay } from '../../src/optim/schedules';
import { normal, rng } from '../helpers/random';
import type { Layer } from '../reference/model';
import { checkMultiStep } from './multistep-check';

const [CHANNELS, SIZE, C1, C2, GROUPS, CLASSES, BATCH, STEPS] = [2, 9, 4, 4, 2, 3, 6, 3];
const POOLED = 4; // 9×9 → (3×3, padding 1) 9×9 → (max pool 2) 4×4 → (3×3, padding 1) 4×4
const GN_EPS = 1e-4;
// Non-default eps and momentum, so that eval mode's eps and the running-statistics update are
// visible above the tolerance (eps 1e-3 moves eval outputs by ~5e-4 relative).
const BN = { eps: 1e-3, momentum: 0.2 };
const P = 0.25;
const SAMPLE = CHANNELS * SIZE * SIZE;
const EVAL_COUNT = 37;

const model = () =>
  new Sequential([
    new Conv2d(CHANNELS, C1, 3, { padding: 1 }),
    BatchNorm2d(C1, BN),
    ReLU(),
    new MaxPool2d(2),
    new Dropout(P),
    new Conv2d(C1, C2, 3, { padding: 1 }),
    new GroupNorm(GROUPS, C2, { eps: GN_EPS }),
    ReLU(),
    new Flatten(),
    new Linear(C2 * POOLED * POOLED, CLASSES),
  ]);

const layers: Layer[] = [
  { kind: 'conv2d', name: '0', cin: CHANNELS, cout: C1, kernel: 3, stride: 1, padding: 1, bias: true },
  { kind: 'batchnorm', name: '1', channels: C1, ...BN },
  { kind: 'activation', activation: 'relu', alpha: 0 },
  { kind: 'maxpool', kernel: 2 },
  { kind: 'dropout', p: P },
  { kind: 'conv2d', name: '5', cin: C1, cout: C2, kernel: 3, stride: 1, padding: 1, bias: true },
  { kind: 'groupnorm', name: '6', groups: GROUPS, channels: C2, eps: GN_EPS },
  { kind: 'activation', activation: 'relu', alpha: 0 },
  { kind: 'flatten' },
  { kind: 'linear', name: '9', inFeatures: C2 * POOLED * POOLED, outFeatures: CLASSES, bias: true },
];

const labels = (n: number, seed: number) => {
  const r = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(r() * CLASSES));
};

describe('a CNN with BatchNorm2d, max pooling, dropout and GroupNorm, 3 steps against a float64 reference', () => {
  it('AdamW (non-default betas, eps, weight decay), cosine LR, clipping', async () => {
    await checkMultiStep({
      model: model(),
      layers,
      inputShape: [CHANNELS, SIZE, SIZE],
      loss: 'crossEntropy',
      optimizer: { kind: 'adamw', lr: 0.01, betas: [0.85, 0.98], eps: 1e-4, weightDecay: 0.1 },
      slots: ['exp_avg', 'exp_avg_sq'],
      // Cosine from 0.01 to 0.001 over the 3 steps: 0.01, 0.00775, 0.00325.
      lrSchedule: cosineDecay(0.01, 0.001),
      lr: (s) => 0.001 + 0.5 * (0.01 - 0.001) * (1 + Math.cos((Math.PI * s) / STEPS)),
      clipGradNorm: 0.1,
      seed: 5,
      batch: BATCH,
      steps: STEPS,
      batchOf: (k) => ({ x: normal(BATCH * SAMPLE, 400 + k, 1.5), y: labels(BATCH, 500 + k) }),
      evalSet: { x: normal(EVAL_COUNT * SAMPLE, 600, 1.5), y: labels(EVAL_COUNT, 601), count: EVAL_COUNT },
      evalBatchSize: 16,
      finiteDifferenceStep: 2,
      // The convolution feeds BatchNorm: its bias's true gradient is 0.
      zeroGradient: { '0.bias': '0.weight' },
    });
  });
});
