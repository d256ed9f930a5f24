// Shared by the matmul kernel tests (matmul.test.ts, matmul-tiled.test.ts): shapes with
// op(A) m×k and op(B) k×n, the f32 tolerance, and a run of one program checked against the
// float64 reference.
import { DEFAULT_ALPHA, type Activation } from '../../src/kernels/elementwise';
import { matmul, type MatmulShape } from '../../src/kernels/matmul';
import { expectClose, type Tolerance } from '../helpers/compare';
import { runProgram } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { activate } from '../reference/elementwise';
import { dims, matmulReference } from '../reference/matmul';

export const COMBOS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

// f32 tolerance: the rounding errors of the k partial sums (each ≲ ε·|partial sum|, which
// grows like √p for values in [-1, 1)) add up like a random walk; 1e-6·√k is 3× the worst
// error measured on these shapes. Activations add a few ulps of exp/tanh/erf.
export const tolerance = (k: number, activation: Activation = 'identity'): Tolerance =>
  activation === 'identity'
    ? { atol: 1e-6 * Math.sqrt(k), rtol: 1e-6 }
    : { atol: 1e-6 * Math.sqrt(k) + 2e-6, rtol: 2e-6 };

export const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/** A MatmulShape with op(A) m×k and op(B) k×n; a batch of 0 leaves that operand 2-D (shared). */
export function shapeOf(
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
  batchA = 0,
  batchB = 0,
): MatmulShape {
  const a = transposeA ? [k, m] : [m, k];
  const b = transposeB ? [n, k] : [k, n];
  return { a: batchA ? [batchA, ...a] : a, b: batchB ? [batchB, ...b] : b, transposeA, transposeB };
}

/** The float64 reference, with a bias along the rows (`biasRows`) added before the activation. */
function reference(shape: MatmulShape, a: Float32Array, b: Float32Array, bias: Float32Array | undefined): Float64Array {
  if (!shape.biasRows || !bias) return matmulReference(shape, a, b, bias);
  const { m, n } = dims(shape);
  const activation = shape.activation ?? 'identity';
  const alpha = shape.alpha ?? DEFAULT_ALPHA[activation] ?? 0;
  const plain = matmulReference({ ...shape, activation: 'identity' }, a, b);
  return plain.map((v, i) => activate(activation, v + bias[Math.floor(i / n) % m]!, alpha));
}

/** Runs matmul(shape) on seeded uniform data and compares C with the float64 reference. */
export async function expectMatchesReference(shape: MatmulShape, seed: number, what: string): Promise<void> {
  const { m, n, k, batch } = dims(shape);
  const a = uniform(size(shape.a), seed);
  const b = uniform(size(shape.b), seed + 1);
  const bias = shape.bias ? uniform(shape.biasRows ? m : n, seed + 2) : undefined;
  const inputs = bias ? [a, b, bias] : [a, b];
  const [c] = await runProgram(matmul(shape), [...inputs, { zeros: batch * m * n }]);
  expectClose(c!, reference(shape, a, b, bias), tolerance(k, shape.activation), what);
}

export const name = (ta: boolean, tb: boolean) => `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`;

// Every (shape, settings) pair is its own pipeline, and lavapipe needs seconds to compile
// one, so the cases cover each code path once rather than every combination.
export const SLOW = 240_000;
