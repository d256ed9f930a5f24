// Float64 reference of one training step of the small network used by the model-level test:
// Linear → BatchNorm1d → ReLU → Dropout → Linear → softmax cross-entropy (mean), built from
// the per-kernel references, with hand-written backpropagation.
import { batchNormBackward, batchNormTraining } from './batchnorm';
import { dropout, dropoutMask } from './dropout';
import { crossEntropy, labelTargets } from './softmax_xent';

export interface NetworkParams {
  w1: ArrayLike<number>; // [hidden, inputs]
  b1: ArrayLike<number>;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  w2: ArrayLike<number>; // [classes, hidden]
  b2: ArrayLike<number>;
}

export interface NetworkShape {
  batch: number;
  inputs: number;
  hidden: number;
  classes: number;
  p: number;
  seed: number;
  step: number;
}

/** y = x·Wᵀ + b for x [n, k], W [m, k]. */
export function linear(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = b[j]!;
      for (let q = 0; q < k; q++) s += x[i * k + q]! * w[j * k + q]!;
      y[i * m + j] = s;
    }
  }
  return y;
}

/** dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. */
export function linearBackward(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, n: number, k: number, m: number) {
  const dx = new Float64Array(n * k);
  const dw = new Float64Array(m * k);
  const db = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const g = dy[i * m + j]!;
      db[j] = db[j]! + g;
      for (let q = 0; q < k; q++) {
        dx[i * k + q] = dx[i * k + q]! + g * w[j * k + q]!;
        dw[j * k + q] = dw[j * k + q]! + g * x[i * k + q]!;
      }
    }
  }
  return { dx, dw, db };
}

/** Loss and the gradient of every parameter for one batch. */
export function networkStep(shape: NetworkShape, params: NetworkParams, x: ArrayLike<number>, labels: ArrayLike<number>) {
  const { batch: n, inputs, hidden, classes, p } = shape;
  const z1 = linear(x, params.w1, params.b1, n, inputs, hidden);
  const zeros = new Array<number>(hidden).fill(0);
  const bn = batchNormTraining(z1, { n, c: hidden, s: 1 }, params.gamma, params.beta, zeros, zeros);
  const a = bn.y.map((v) => Math.max(v, 0));
  const mask = dropoutMask(n * hidden, p, shape.seed, shape.step);
  const d = dropout(a, mask, p);
  const logits = linear(d, params.w2, params.b2, n, hidden, classes);
  const ce = crossEntropy(logits, labelTargets(labels, n, classes, 0), n, classes, n);
  const loss = ce.loss.reduce((s, v) => s + v, 0);

  const out = linearBackward(d, params.w2, ce.grad, n, hidden, classes);
  const da = dropout(out.dx, mask, p);
  const dbn = da.map((g, i) => (bn.y[i]! > 0 ? g : 0));
  const norm = batchNormBackward(z1, dbn, { n, c: hidden, s: 1 }, params.gamma);
  const first = linearBackward(x, params.w1, norm.dx, n, inputs, hidden);
  return {
    loss,
    grads: { w1: first.dw, b1: first.db, gamma: norm.dgamma, beta: norm.dbeta, w2: out.dw, b2: out.db },
  };
}
