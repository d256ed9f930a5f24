// Float64 CPU reference of the torch.nn losses in shaders/losses.wgsl: per-element terms and
// the derivative of each term w.r.t. the prediction (undivided; tests apply the reduction).
import type { Loss } from '../../src/kernels/losses';

const clampedLog = (v: number) => Math.max(Math.log(v), -100); // log(0) = −∞ → −100

/** One unreduced loss term, as torch.nn computes it. */
export function lossTerm(loss: Loss, p: number, t: number): number {
  switch (loss) {
    case 'mse':
    case 'sse':
      return (p - t) ** 2;
    case 'l1':
      return Math.abs(p - t);
    case 'bce':
      return -(t * clampedLog(p) + (1 - t) * Math.max(Math.log1p(-p), -100));
    case 'bceWithLogits':
      return Math.max(p, 0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
  }
}

/** d term / d p; for BCE PyTorch's (p − t)/max(p(1 − p), 1e-12), which ignores the clamp. */
export function lossGradient(loss: Loss, p: number, t: number): number {
  switch (loss) {
    case 'mse':
    case 'sse':
      return 2 * (p - t);
    case 'l1':
      return Math.sign(p - t);
    case 'bce':
      return (p - t) / Math.max(p * (1 - p), 1e-12);
    case 'bceWithLogits':
      return 1 / (1 + Math.exp(-p)) - t;
  }
}

/** ½(log v + (x − t)²/v) with v = max(var, eps) (GaussianNLLLoss, full=False). */
export function gaussianNll(x: number, t: number, variance: number, eps: number): number {
  const v = Math.max(variance, eps);
  return 0.5 * (Math.log(v) + (x - t) ** 2 / v);
}

/** [d/dx, d/dvar] of {@link gaussianNll}, the latter at the clamped v as PyTorch does. */
export function gaussianNllGradient(x: number, t: number, variance: number, eps: number): [number, number] {
  const v = Math.max(variance, eps);
  const z = (x - t) / v;
  return [z, 0.5 * (1 / v - z * z)];
}

/** NLL over log-probabilities [N, C]: per-row −logp[i, label_i] / divisor and d(Σ)/dlogp. */
export function nll(
  logp: ArrayLike<number>,
  labels: ArrayLike<number>,
  n: number,
  c: number,
  divisor: number,
): { loss: Float64Array; grad: Float64Array } {
  const loss = new Float64Array(n);
  const grad = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    loss[i] = -logp[i * c + labels[i]!]! / divisor;
    grad[i * c + labels[i]!] = -1 / divisor;
  }
  return { loss, grad };
}
