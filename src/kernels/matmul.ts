// Kernel descriptor for the matmul family, batched C = act(op(A)·op(B) + bias) over stored
// matrices (shaders/matmul_operands.wgsl), run by one of the GEMM kernels (src/kernels/gemm.ts):
// register-tiled, subgroup-broadcast, workgroup-memory tiled, or for small shapes the small
// kernel. Which one a compiled model runs is chosen per adapter (src/kernels/matmul-choice.ts).
import { ConfigError } from '../errors';
import storedOperands from '../../shaders/matmul_operands.wgsl?raw';
import type { ComputeProgram } from '../gpu/program';
import type { Activation } from './elementwise';
import { gemm } from './gemm';
import { DEFAULT_MATMUL_TILE, matmulAlternatives, matmulShapeClass, type MatmulBlockTile, type MatmulTile, type MatmulVariant } from './matmul-choice';

export { DEFAULT_BLOCK_TILE, DEFAULT_MATMUL_TILE } from './matmul-choice';
export type { MatmulBlockTile, MatmulTile, MatmulVariant } from './matmul-choice';

/** Shapes and settings of one matmul. */
export interface MatmulShape {
  /** Stored shape of A, [rows, cols] or [batch, rows, cols]; a 2-D A is shared by every batch item. */
  a: readonly number[];
  /** Stored shape of B, [rows, cols] or [batch, rows, cols]; a 2-D B is shared by every batch item. */
  b: readonly number[];
  /** Use Aᵀ (per batch item): op(A) is then A's cols × rows. */
  transposeA?: boolean;
  transposeB?: boolean;
  /** Add a bias vector of length n to every row of op(A)·op(B). */
  bias?: boolean;
  /** The bias has length m and is added along the rows instead (one per row, e.g. per output channel). */
  biasRows?: boolean;
  /** Applied last, with the codes and maths of the elementwise kernels. */
  activation?: Activation;
  /** LeakyReLU slope or ELU α (torch.nn defaults). */
  alpha?: number;
  /** Register tile of the register-tiled kernel. */
  tile?: MatmulTile;
  /** Block tile of the tiled kernel (default DEFAULT_BLOCK_TILE, 64×64). */
  blockTile?: MatmulBlockTile;
  /**
   * The device's fixed subgroup size (GpuRuntime.subgroupSize), for the subgroup-broadcast
   * kernel: it reads op(A) once per subgroup instead of once per invocation, 1.8× the
   * register-tiled kernel at 1024³ on lavapipe.
   */
  subgroupSize?: number;
  /**
   * The kernel. Given (or a `tile`), the program is exactly that kernel. Left out, it is the
   * subgroup kernel when `subgroupSize` is set, else the register-tiled one, and it offers
   * every variant as an alternative: a compiled model's runtime runs the one chosen for its adapter
   * and this shape class (GpuRuntime.kernelChoice).
   */
  variant?: MatmulVariant;
}

const fmt = (shape: readonly number[]) => shape.join('×');

/**
 * C = act(op(A)·op(B) + bias) for each batch item, row-major f32, where op(X) is X or Xᵀ.
 * With op(A) m×k and op(B) k×n, C is [batch, m, n] (batch 1 when neither operand is 3-D).
 *
 * Bindings, in order:
 * 0. A (read): f32, the stored shape `a`, row-major, batch items consecutive.
 * 1. B (read): f32, the stored shape `b`, likewise.
 * 2. bias (read), only when `bias` is set: f32 [n] (f32 [m] with `biasRows`).
 * 2 or 3. C (write): f32 [batch, m, n], row-major.
 * Every binding is accessed as a vec4 array, so buffers must be padded to a multiple of 16
 * bytes (GpuRuntime.createBuffer does this). The shape (m, n, k and the batch strides) is
 * the program's launch parameters (GpuRuntime.launch binds them).
 */
export function matmul(shape: MatmulShape): ComputeProgram {
  const { a, b, transposeA = false, transposeB = false, activation = 'identity' } = shape;
  const tile = shape.tile ?? DEFAULT_MATMUL_TILE;
  for (const [name, dims] of [['A', a], ['B', b]] as const) {
    if (dims.length !== 2 && dims.length !== 3) {
      throw new ConfigError(`matmul: ${name} must be 2-D or 3-D (batched), got shape [${dims.join(', ')}]`);
    }
  }
  if (![...a, ...b].every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ConfigError(`matmul: every dimension must be a positive integer, got A ${fmt(a)} and B ${fmt(b)}`);
  }
  const [ar, ac] = a.slice(-2) as [number, number];
  const [br, bc] = b.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== kb) {
    const op = (name: string, dims: readonly number[], t: boolean, r: number, c: number) =>
      `${name} is ${fmt(dims)}${t ? ` (transposed: ${r}×${c})` : ''}`;
    throw new ConfigError(
      `matmul: ${op('A', a, transposeA, m, k)} but ${op('B', b, transposeB, kb, n)} (inner dimensions differ)`,
    );
  }
  const batchA = a.length === 3 ? a[0]! : 0;
  const batchB = b.length === 3 ? b[0]! : 0;
  if (batchA && batchB && batchA !== batchB) {
    throw new ConfigError(`matmul: A is ${fmt(a)} and B is ${fmt(b)} (batch sizes differ)`);
  }
  const batch = Math.max(batchA, batchB, 1);
  // vec4 reads go along the stored rows, so they need a row length divisible by 4.
  const vecA = transposeA ? m % 4 === 0 : k % 4 === 0;
  const vecB = transposeB ? k % 4 === 0 : n % 4 === 0;
  const program = gemm(
    {
      m,
      n,
      k,
      batch,
      bias: shape.bias ?? false,
      biasRows: shape.biasRows ? { groups: 1 } : undefined,
      activation,
      alpha: shape.alpha,
      tile,
      subgroupSize: shape.subgroupSize,
      variant: shape.variant,
      blockTile: shape.blockTile,
    },
    {
      family: 'matmul',
      variant: `${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}`,
      what: `A ${fmt(a)} · B ${fmt(b)}`,
      source: storedOperands,
      params: [batchA ? m * k : 0, batchB ? k * n : 0],
      constants: {
        TRANS_A: Number(transposeA),
        TRANS_B: Number(transposeB),
        VEC_A: Number(vecA),
        VEC_B: Number(vecB),
      },
      // A stored Aᵀ holds rows of op(A) contiguously, a stored Bᵀ its k's.
      loadOrder: { aRowsFirst: transposeA, bKFirst: transposeB },
    },
  );
  // Explicit settings are an explicit kernel.
  if (shape.variant !== undefined || shape.tile !== undefined) return program;
  const alternatives = matmulAlternatives({
    m,
    n,
    k,
    batch,
    shapeClass: matmulShapeClass(m, n, k, batch, !(vecA && vecB)),
    small: true,
    fallback: shape.subgroupSize === undefined ? 'register' : 'subgroup',
    subgroups: shape.subgroupSize !== undefined,
    bindingFloats: [a, b, ...(shape.bias ? [[shape.biasRows ? m : n]] : []), [batch, m, n]].map((d) => d.reduce((x, y) => x * y, 1)),
    make: (spec) => matmul({ ...shape, ...spec.settings }),
  });
  return { ...program, alternatives } as ComputeProgram;
}
