// Float64 CPU reference of softmax, log-softmax and cross-entropy over [N, C] rows
// (torch.nn.functional definitions). Targets are materialized here, unlike on the GPU.

type Values = ArrayLike<number>;

function rowwise(n: number, c: number, f: (row: number, out: Float64Array) => void): Float64Array {
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) f(i, out);
  return out;
}

export function logSoftmax(x: Values, n: number, c: number): Float64Array {
  return rowwise(n, c, (i, out) => {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, x[i * c + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x[i * c + j]! - m);
    for (let j = 0; j < c; j++) out[i * c + j] = x[i * c + j]! - m - Math.log(s);
  });
}

export function softmax(x: Values, n: number, c: number): Float64Array {
  return logSoftmax(x, n, c).map(Math.exp);
}

/** dx = y ⊙ (dy − Σ y⊙dy) with y = softmax(x). */
export function softmaxBackward(y: Values, dy: Values, n: number, c: number): Float64Array {
  return rowwise(n, c, (i, out) => {
    let dot = 0;
    for (let j = 0; j < c; j++) dot += y[i * c + j]! * dy[i * c + j]!;
    for (let j = 0; j < c; j++) out[i * c + j] = y[i * c + j]! * (dy[i * c + j]! - dot);
  });
}

/** dx = dy − exp(y) Σ dy with y = log_softmax(x). */
export function logSoftmaxBackward(y: Values, dy: Values, n: number, c: number): Float64Array {
  return rowwise(n, c, (i, out) => {
    let total = 0;
    for (let j = 0; j < c; j++) total += dy[i * c + j]!;
    for (let j = 0; j < c; j++) out[i * c + j] = dy[i * c + j]! - Math.exp(y[i * c + j]!) * total;
  });
}

/** Dense targets for integer labels: (1 − ε)·onehot + ε/C, as PyTorch's label_smoothing. */
export function labelTargets(labels: Values, n: number, c: number, smoothing: number): Float64Array {
  return rowwise(n, c, (i, out) => {
    for (let j = 0; j < c; j++) out[i * c + j] = smoothing / c + (j === labels[i] ? 1 - smoothing : 0);
  });
}

/** Soft targets smoothed as PyTorch does: (1 − ε)·t + ε/C. */
export function smoothTargets(t: Values, smoothing: number, c: number): Float64Array {
  return Float64Array.from(t, (v) => (1 - smoothing) * v + smoothing / c);
}

export interface CrossEntropy {
  /** Per-row −Σ t log softmax(x), divided by `divisor` (N for 'mean'). */
  loss: Float64Array;
  /** d(Σ loss)/dx = (softmax(x)·Σt − t) / divisor. */
  grad: Float64Array;
}

/** Cross-entropy of logits x against dense targets t (rows need not sum to 1). */
export function crossEntropy(x: Values, t: Values, n: number, c: number, divisor: number): CrossEntropy {
  const logp = logSoftmax(x, n, c);
  const loss = new Float64Array(n);
  const grad = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let mass = 0;
    let value = 0;
    for (let j = 0; j < c; j++) {
      mass += t[i * c + j]!;
      value -= t[i * c + j]! * logp[i * c + j]!;
    }
    loss[i] = value / divisor;
    for (let j = 0; j < c; j++) grad[i * c + j] = (Math.exp(logp[i * c + j]!) * mass - t[i * c + j]!) / divisor;
  }
  return { loss, grad };
}
