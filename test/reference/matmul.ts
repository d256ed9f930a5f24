// Float64 CPU reference of the batched matmul (with bias and activation) and its gradients.
import { DEFAULT_ALPHA } from '../../src/kernels/elementwise';
import type { MatmulShape } from '../../src/kernels/matmul';
import { activate } from './elementwise';

/** Sizes implied by a MatmulShape: op(A) is m×k, op(B) is k×n, `batch` items. */
export function dims(shape: MatmulShape) {
  const [ar, ac] = shape.a.slice(-2) as [number, number];
  const [br, bc] = shape.b.slice(-2) as [number, number];
  const [m, k] = shape.transposeA ? [ac, ar] : [ar, ac];
  const n = shape.transposeB ? br : bc;
  const batchA = shape.a.length === 3 ? shape.a[0]! : 0;
  const batchB = shape.b.length === 3 ? shape.b[0]! : 0;
  return { m, n, k, batch: Math.max(batchA, batchB, 1), aBatched: batchA > 0, bBatched: batchB > 0 };
}

/** Flat-index accessors of op(A)[t][i][p] and op(B)[t][p][j] in the stored arrays. */
function indexers(shape: MatmulShape) {
  const { m, n, k, aBatched, bBatched } = dims(shape);
  const ia = (t: number, i: number, p: number) =>
    (aBatched ? t * m * k : 0) + (shape.transposeA ? p * m + i : i * k + p);
  const ib = (t: number, p: number, j: number) =>
    (bBatched ? t * k * n : 0) + (shape.transposeB ? j * k + p : p * n + j);
  return { ia, ib };
}

/** C = act(op(A)·op(B) + bias) as [batch, m, n], row-major, in float64. */
export function matmulReference(
  shape: MatmulShape,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias?: ArrayLike<number>,
): Float64Array {
  const { m, n, k, batch } = dims(shape);
  const { ia, ib } = indexers(shape);
  const activation = shape.activation ?? 'identity';
  const alpha = shape.alpha ?? DEFAULT_ALPHA[activation] ?? 0;
  const c = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = bias ? bias[j]! : 0;
        for (let p = 0; p < k; p++) s += a[ia(t, i, p)]! * b[ib(t, p, j)]!;
        c[(t * m + i) * n + j] = activate(activation, s, alpha);
      }
    }
  }
  return c;
}

/**
 * Gradients of L = Σ C ⊙ G for C = op(A)·op(B) (no bias, no activation), in A's and B's
 * stored layouts; a shared (2-D) operand collects the sum over batch items.
 */
export function matmulGradients(
  shape: MatmulShape,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  g: ArrayLike<number>,
): { da: Float64Array; db: Float64Array } {
  const { m, n, k, batch } = dims(shape);
  const { ia, ib } = indexers(shape);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const gij = g[(t * m + i) * n + j]!;
        for (let p = 0; p < k; p++) {
          const [x, y] = [ia(t, i, p), ib(t, p, j)];
          da[x] = da[x]! + gij * b[y]!;
          db[y] = db[y]! + gij * a[x]!;
        }
      }
    }
  }
  return { da, db };
}
