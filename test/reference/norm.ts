// Float64 CPU reference of layer normalization (torch.nn.LayerNorm over the last D
// features of a [rows, D] row-major tensor, affine) and group normalization
// (torch.nn.GroupNorm over [N, C, S], γ and β per channel): forward and analytic backward.

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

/** torch.nn.GroupNorm over [N, C, S] (S = H·W): `groups` groups of C/groups channels. */
export interface GroupNormDims {
  n: number;
  c: number;
  groups: number;
  s: number;
}

/** Row r = n·G + g of the [N·G, (C/G)·S] view holds group g of sample n; value j is channel g·C/G + ⌊j/S⌋. */
const groupRows = ({ n, c, groups, s }: GroupNormDims) => ({ rows: n * groups, d: (c / groups) * s });
const channelOf = ({ c, groups, s }: GroupNormDims, r: number, j: number) => (r % groups) * (c / groups) + Math.floor(j / s);

/**
 * y = γ_c (x − mean)/sqrt(var + eps) + β_c, mean and biased variance over each group of
 * each sample; mean and invstd per row n·G + g.
 */
export function groupNorm(
  x: ArrayLike<number>,
  dims: GroupNormDims,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  eps = 1e-5,
): LayerNormForward {
  const { rows, d } = groupRows(dims);
  const ones = new Array<number>(d).fill(1);
  const { mean, invstd } = layerNorm(x, rows, d, ones, new Array<number>(d).fill(0), eps);
  const y = new Array<number>(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) {
      const c = channelOf(dims, r, j);
      y[r * d + j] = gamma[c]! * (x[r * d + j]! - mean[r]!) * invstd[r]! + beta[c]!;
    }
  }
  return { y, mean, invstd };
}

/**
 * With g = dy ⊙ γ_c per group: dx = invstd · (g − mean(g) − x̂ · mean(g ⊙ x̂));
 * dγ_c = Σ dy ⊙ x̂, dβ_c = Σ dy over samples and positions of channel c.
 */
export function groupNormBackward(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  dims: GroupNormDims,
  gamma: ArrayLike<number>,
  eps = 1e-5,
): { dx: number[]; dgamma: number[]; dbeta: number[] } {
  const { rows, d } = groupRows(dims);
  const { mean, invstd } = groupNorm(x, dims, gamma, gamma, eps);
  const dx = new Array<number>(rows * d);
  const dgamma = new Array<number>(dims.c).fill(0);
  const dbeta = new Array<number>(dims.c).fill(0);
  for (let r = 0; r < rows; r++) {
    const xhat = (j: number) => (x[r * d + j]! - mean[r]!) * invstd[r]!;
    const g = (j: number) => dy[r * d + j]! * gamma[channelOf(dims, r, j)]!;
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < d; j++) {
      const c = channelOf(dims, r, j);
      sg += g(j);
      sgx += g(j) * xhat(j);
      dgamma[c]! += dy[r * d + j]! * xhat(j);
      dbeta[c]! += dy[r * d + j]!;
    }
    for (let j = 0; j < d; j++) dx[r * d + j] = invstd[r]! * (g(j) - sg / d - xhat(j) * (sgx / d));
  }
  return { dx, dgamma, dbeta };
}
