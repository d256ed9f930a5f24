// Float64 CPU reference of batch normalization (torch.nn.BatchNorm1d/2d, affine) on an
// input viewed as [N, C, S] row-major: training and eval forward, analytic backward.

export interface BatchNormDims {
  n: number;
  c: number;
  s: number;
}

const at = ({ c, s }: BatchNormDims, ch: number, i: number) => Math.floor(i / s) * c * s + ch * s + (i % s);

export interface BatchNormTraining {
  y: number[];
  mean: number[];
  invstd: number[];
  runningMean: number[];
  runningVar: number[];
}

/** Training forward: batch statistics (biased variance to normalize, unbiased for the running estimate). */
export function batchNormTraining(
  x: ArrayLike<number>,
  dims: BatchNormDims,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  eps = 1e-5,
  momentum = 0.1,
): BatchNormTraining {
  const m = dims.n * dims.s;
  const out: BatchNormTraining = { y: new Array<number>(x.length), mean: [], invstd: [], runningMean: [], runningVar: [] };
  for (let ch = 0; ch < dims.c; ch++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += x[at(dims, ch, i)]!;
    const mean = sum / m;
    let squares = 0;
    for (let i = 0; i < m; i++) squares += (x[at(dims, ch, i)]! - mean) ** 2;
    const variance = squares / m;
    const invstd = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < m; i++) {
      const k = at(dims, ch, i);
      out.y[k] = gamma[ch]! * (x[k]! - mean) * invstd + beta[ch]!;
    }
    out.mean.push(mean);
    out.invstd.push(invstd);
    out.runningMean.push((1 - momentum) * runningMean[ch]! + momentum * mean);
    out.runningVar.push((1 - momentum) * runningVar[ch]! + momentum * ((variance * m) / (m - 1)));
  }
  return out;
}

/** Eval forward: y = γ (x − running_mean)/sqrt(running_var + eps) + β. */
export function batchNormEval(
  x: ArrayLike<number>,
  dims: BatchNormDims,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  runningMean: ArrayLike<number>,
  runningVar: ArrayLike<number>,
  eps = 1e-5,
): number[] {
  return Array.from(x, (v, k) => {
    const ch = Math.floor(k / dims.s) % dims.c;
    return (gamma[ch]! * (v - runningMean[ch]!)) / Math.sqrt(runningVar[ch]! + eps) + beta[ch]!;
  });
}

/** Training backward: dβ = Σ dy, dγ = Σ dy·x̂, dx = γ·invstd/M · (M·dy − dβ − x̂·dγ). */
export function batchNormBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  dims: BatchNormDims,
  gamma: ArrayLike<number>,
  eps = 1e-5,
): { dx: number[]; dgamma: number[]; dbeta: number[] } {
  const m = dims.n * dims.s;
  const dx = new Array<number>(x.length);
  const dgamma: number[] = [];
  const dbeta: number[] = [];
  const zeros = new Array<number>(dims.c).fill(0);
  const { mean, invstd } = batchNormTraining(x, dims, gamma, zeros, zeros, zeros, eps);
  for (let ch = 0; ch < dims.c; ch++) {
    const xhat = (k: number) => (x[k]! - mean[ch]!) * invstd[ch]!;
    let sdy = 0;
    let sdyx = 0;
    for (let i = 0; i < m; i++) {
      const k = at(dims, ch, i);
      sdy += dy[k]!;
      sdyx += dy[k]! * xhat(k);
    }
    for (let i = 0; i < m; i++) {
      const k = at(dims, ch, i);
      dx[k] = ((gamma[ch]! * invstd[ch]!) / m) * (m * dy[k]! - sdy - xhat(k) * sdyx);
    }
    dgamma.push(sdyx);
    dbeta.push(sdy);
  }
  return { dx, dgamma, dbeta };
}
