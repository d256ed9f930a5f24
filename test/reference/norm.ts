// Float64 CPU reference of layer normalization (torch.nn.LayerNorm over the last D
// features of a [rows, D] row-major tensor, affine): forward and analytic backward.

export interface LayerNormForward {
  y: number[];
  mean: number[];
  invstd: number[];
}

/** y = γ (x − mean)/sqrt(var + eps) + β per row, with the biased variance. */
export function layerNorm(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps = 1e-5,
): LayerNormForward {
  const out: LayerNormForward = { y: new Array<number>(rows * d), mean: [], invstd: [] };
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[r * d + j]!;
    const mean = sum / d;
    let squares = 0;
    for (let j = 0; j < d; j++) squares += (x[r * d + j]! - mean) ** 2;
    const invstd = 1 / Math.sqrt(squares / d + eps);
    for (let j = 0; j < d; j++) out.y[r * d + j] = gamma[j]! * (x[r * d + j]! - mean) * invstd + beta[j]!;
    out.mean.push(mean);
    out.invstd.push(invstd);
  }
  return out;
}

/**
 * With g = dy ⊙ γ per row: dx = invstd · (g − mean(g) − x̂ · mean(g ⊙ x̂));
 * dγ = Σ_rows dy ⊙ x̂, dβ = Σ_rows dy.
 */
export function layerNormBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  d: number,
  gamma: ArrayLike<number>,
  eps = 1e-5,
): { dx: number[]; dgamma: number[]; dbeta: number[] } {
  const { mean, invstd } = layerNorm(x, rows, d, gamma, gamma, eps);
  const dx = new Array<number>(rows * d);
  const dgamma = new Array<number>(d).fill(0);
  const dbeta = new Array<number>(d).fill(0);
  for (let r = 0; r < rows; r++) {
    const xhat = (j: number) => (x[r * d + j]! - mean[r]!) * invstd[r]!;
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < d; j++) {
      const g = dy[r * d + j]! * gamma[j]!;
      sg += g;
      sgx += g * xhat(j);
      dgamma[j]! += dy[r * d + j]! * xhat(j);
      dbeta[j]! += dy[r * d + j]!;
    }
    for (let j = 0; j < d; j++) {
      dx[r * d + j] = invstd[r]! * (dy[r * d + j]! * gamma[j]! - sg / d - xhat(j) * (sgx / d));
    }
  }
  return { dx, dgamma, dbeta };
}
