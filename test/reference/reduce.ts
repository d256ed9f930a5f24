// Float64 CPU reference of the reductions: axis sums, bias gradient, broadcast, argmax.

type Values = ArrayLike<number>;

/** out[o, s] = Σ_a x[o, a, s] (divided by axis for the mean), x of shape [outer, axis, inner]. */
export function sumAxis(x: Values, outer: number, axis: number, inner: number, mean = false): number[] {
  const out = new Array<number>(outer * inner).fill(0);
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < axis; a++) {
      for (let s = 0; s < inner; s++) out[o * inner + s]! += x[(o * axis + a) * inner + s]!;
    }
  }
  return mean ? out.map((v) => v / axis) : out;
}

/** dx[o, a, s] = dy[o, s] (divided by axis for the mean): the gradient of sumAxis. */
export function sumAxisBackward(dy: Values, outer: number, axis: number, inner: number, mean = false): number[] {
  const dx = new Array<number>(outer * axis * inner);
  for (let i = 0; i < dx.length; i++) {
    const v = dy[Math.floor(i / (axis * inner)) * inner + (i % inner)]!;
    dx[i] = mean ? v / axis : v;
  }
  return dx;
}

/** db[c] = Σ_{o,s} dy[o, c, s]: the gradient of biasAdd with respect to b. */
export function biasGradient(dy: Values, outer: number, channels: number, inner: number): number[] {
  const db = new Array<number>(channels).fill(0);
  for (let i = 0; i < outer * channels * inner; i++) db[Math.floor(i / inner) % channels]! += dy[i]!;
  return db;
}

/** Σ x. */
export function sum(x: Values): number {
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i]!;
  return total;
}

/** Index of the first maximum of each row of x [rows, cols] (torch.argmax on ties). */
export function argmax(x: Values, rows: number, cols: number): number[] {
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let j = 1; j < cols; j++) if (x[r * cols + j]! > x[r * cols + best]!) best = j;
    return best;
  });
}

/** Number of rows whose argmax equals the label. */
export function countCorrect(x: Values, labels: Values, rows: number, cols: number): number {
  return argmax(x, rows, cols).filter((j, r) => j === labels[r]).length;
}
