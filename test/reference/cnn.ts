// Float64 reference of one training step of the small CNN of the model-level test:
// Conv2d(3×3, pad 1) → BatchNorm2d → ReLU → MaxPool2d(2) → Conv2d(3×3, stride 2, pad 1) →
// ReLU → global average pool → Flatten → Linear → softmax cross-entropy (mean), built from
// the per-kernel references (each checked by finite differences in its own test), with
// hand-written backpropagation.
import { batchNormBackward, batchNormTraining } from './batchnorm';
import { conv2dGradients, conv2dReference, type ConvGeometry } from './conv';
import { linear, linearBackward } from './network';
import { adaptiveAvgPool2d, adaptiveAvgPool2dBackward, maxPool2d, maxPool2dBackward, type PoolGeometry } from './pool';
import { crossEntropy, labelTargets } from './softmax_xent';

export interface CnnShape {
  batch: number;
  channels: number;
  size: number; // input height = width
  c1: number;
  c2: number;
  classes: number;
}

export interface CnnParams {
  w1: ArrayLike<number>; // [c1, channels, 3, 3]
  b1: ArrayLike<number>;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  w2: ArrayLike<number>; // [c2, c1, 3, 3]
  b2: ArrayLike<number>;
  w3: ArrayLike<number>; // [classes, c2]
  b3: ArrayLike<number>;
}

const outSize = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

function convGeometry(n: number, cin: number, cout: number, size: number, stride: number): ConvGeometry {
  const o = outSize(size, 3, stride, 1);
  return { n, cin, cout, groups: 1, h: size, w: size, kh: 3, kw: 3, sh: stride, sw: stride, ph: 1, pw: 1, dh: 1, dw: 1, oh: o, ow: o };
}

const relu = (v: ArrayLike<number>) => Array.from(v, (x) => Math.max(x, 0));
const reluBackward = (pre: ArrayLike<number>, dy: ArrayLike<number>) => Array.from(dy, (g, i) => (pre[i]! > 0 ? g : 0));

/** Loss and the gradient of every parameter for one batch (batch statistics, running stats unchanged here). */
export function cnnStep(shape: CnnShape, params: CnnParams, x: ArrayLike<number>, labels: ArrayLike<number>) {
  const { batch: n, channels, size, c1, c2, classes } = shape;
  const g1 = convGeometry(n, channels, c1, size, 1);
  const z1 = conv2dReference(g1, x, params.w1, params.b1);
  const s1 = g1.oh * g1.ow;
  const zeros = new Array<number>(c1).fill(0);
  const bn = batchNormTraining(z1, { n, c: c1, s: s1 }, params.gamma, params.beta, zeros, zeros);
  const a1 = relu(bn.y);
  const pooled = Math.floor(g1.oh / 2);
  const mp: PoolGeometry = { nc: n * c1, h: g1.oh, w: g1.ow, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, oh: pooled, ow: pooled };
  const p1 = maxPool2d(mp, a1);
  const g2 = convGeometry(n, c1, c2, pooled, 2);
  const z2 = conv2dReference(g2, p1.y, params.w2, params.b2);
  const a2 = relu(z2);
  const gap: PoolGeometry = { nc: n * c2, h: g2.oh, w: g2.ow, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, oh: 1, ow: 1 };
  const features = adaptiveAvgPool2d(gap, a2); // [n, c2]
  const logits = linear(features, params.w3, params.b3, n, c2, classes);
  const ce = crossEntropy(logits, labelTargets(labels, n, classes, 0), n, classes, n);
  const loss = ce.loss.reduce((s, v) => s + v, 0);

  const fc = linearBackward(features, params.w3, ce.grad, n, c2, classes);
  const da2 = adaptiveAvgPool2dBackward(gap, fc.dx);
  const dz2 = reluBackward(z2, da2);
  const conv2 = conv2dGradients(g2, p1.y, params.w2, dz2);
  const da1 = maxPool2dBackward(mp, conv2.dx, p1.indices);
  const dbn = reluBackward(bn.y, da1);
  const norm = batchNormBackward(z1, dbn, { n, c: c1, s: s1 }, params.gamma);
  const conv1 = conv2dGradients(g1, x, params.w1, norm.dx);
  return {
    loss,
    logits,
    runningMean: bn.runningMean,
    grads: { w1: conv1.dw, b1: conv1.db, gamma: norm.dgamma, beta: norm.dbeta, w2: conv2.dw, b2: conv2.db, w3: fc.dw, b3: fc.db },
  };
}
