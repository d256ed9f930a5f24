// Float64 CPU reference of the activations and their derivatives (torch.nn definitions).
import type { Activation } from '../../src/kernels/elementwise';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** erf to ~1e-15: Taylor series for |v| < 3, continued fraction of erfc beyond. */
export function erf(v: number): number {
  const z = Math.abs(v);
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(v) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = exp(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated bottom-up.
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  const erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(v) * (1 - erfc);
}

/**
 * torch.nn.Softplus's branch: the identity where β·x > threshold, both rounded to f32 as torch
 * computes them (and the kernel), so the reference takes the kernel's side at the boundary.
 */
const pastThreshold = (v: number, beta: number, threshold: number) =>
  Math.fround(Math.fround(beta) * v) > Math.fround(threshold);

/** log(1 + exp(b)) without overflow or cancellation. */
const logOnePlusExp = (b: number) => Math.max(b, 0) + Math.log1p(Math.exp(-Math.abs(b)));

/** alpha: LeakyReLU slope, ELU α or Softplus β; threshold: Softplus only (torch's 20). */
export function activate(activation: Activation, v: number, alpha: number, threshold = 20): number {
  switch (activation) {
    case 'identity': return v;
    case 'step': return v > 0 ? 1 : 0;
    case 'sigmoid': return sigmoid(v);
    case 'tanh': return Math.tanh(v);
    case 'relu': return Math.max(v, 0);
    case 'leakyRelu': return v > 0 ? v : alpha * v;
    case 'elu': return v > 0 ? v : alpha * (Math.exp(v) - 1);
    case 'gelu': return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'softplus': return pastThreshold(v, alpha, threshold) ? v : logOnePlusExp(alpha * v) / alpha;
  }
}

export function derivative(activation: Activation, v: number, alpha: number, threshold = 20): number {
  switch (activation) {
    case 'identity': return 1;
    case 'step': return 0;
    case 'sigmoid': { const s = sigmoid(v); return s * (1 - s); }
    case 'tanh': { const t = Math.tanh(v); return 1 - t * t; }
    case 'relu': return v > 0 ? 1 : 0;
    case 'leakyRelu': return v > 0 ? 1 : alpha;
    case 'elu': return v > 0 ? 1 : alpha * Math.exp(v);
    case 'gelu': return 0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
    case 'softplus': return pastThreshold(v, alpha, threshold) ? 1 : sigmoid(alpha * v);
  }
}
