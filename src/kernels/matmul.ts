// Kernel descriptor for the matmul family, batched C = act(op(A)·op(B) + bias): a
// register-tiled kernel (shaders/matmul.wgsl) for every device, a subgroup-broadcast kernel
// (shaders/matmul_subgroup.wgsl) for devices with the `subgroups` feature and a
// workgroup-memory tiled kernel (shaders/matmul_tiled.wgsl); each after
// shaders/activation.wgsl, an operand file (shaders/matmul_operands.wgsl for stored
// matrices; shaders/conv.wgsl reads them through im2col) and shaders/matmul_store.wgsl.
// Which one a compiled model runs is chosen per adapter (src/kernels/matmul-choice.ts).
import { ConfigError, ResourceLimitError } from '../errors';
import storedOperands from '../../shaders/matmul_operands.wgsl?raw';
import registerKernel from '../../shaders/matmul.wgsl?raw';
import smallKernel from '../../shaders/matmul_small.wgsl?raw';
import store from '../../shaders/matmul_store.wgsl?raw';
import subgroupKernel from '../../shaders/matmul_subgroup.wgsl?raw';
import tiledKernel from '../../shaders/matmul_tiled.wgsl?raw';
import { MAX_WORKGROUPS_PER_DIM, type ComputeProgram } from '../gpu/program';
import { ACTIVATION_SOURCE, ACTIVATIONS, DEFAULT_ALPHA, type Activation } from './elementwise';
import { checkBlockTile, checkTile, DEFAULT_BLOCK_TILE, DEFAULT_MATMUL_TILE, matmulAlternatives, matmulShapeClass, type MatmulBlockTile, type MatmulTile, type MatmulVariant } from './matmul-choice';

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

/**
 * 4-row blocks per subgroup workgroup, also the kernel's limit (lanes 0 .. 7 broadcast): 8 (32
 * rows) reuses each op(B) block for the most rows. On lavapipe (8 lanes, 2026-12-02, 15 rounds
 * alternated, medians) against 6 (24 rows): 1024³ NT 7.47 → 8.07 GFLOP/s, NN 5.42 → 6.60, TN
 * 4.40 → 5.03; the MNIST MLP's 128×784·(256×784)ᵀ forward 12.2 → 8.9 ms, its 784-wide weight
 * gradient 9.9 → 8.7 ms, the 256- and 128-wide layers' matmuls 1.6–1.8 → 1.3–1.4 ms. (An earlier
 * kernel measured 6 fastest at 1024³; convolutions' costly im2col operand already took 8.)
 */
const SUBGROUP_ROW_BLOCKS = 8;

const fmt = (shape: readonly number[]) => shape.join('×');

/**
 * 4-row blocks per subgroup workgroup for m rows: the most allowed, unless that computes
 * over 15% of its rows past m; then, from half the most up, the fewest rows thrown away
 * (m = 32 with at most 6: 4 blocks, 2 workgroups of 16 rows rather than 2 of 24), ties to
 * more blocks.
 */
function subgroupRowBlocks(m: number, lanes: number, limit: number): number {
  const most = Math.min(limit, lanes);
  const computed = (rb: number) => Math.ceil(m / (4 * rb)) * 4 * rb;
  if (computed(most) <= 1.15 * m) return most;
  let best = most;
  for (let rb = Math.ceil(most / 2); rb <= most; rb++) if (computed(rb) < computed(best) || (computed(rb) === computed(best) && rb > best)) best = rb;
  return best;
}

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

/** One GEMM-shaped launch: C [batch, m, n] = act(op(A)·op(B) + bias), whatever the operands. */
export interface GemmShape {
  m: number;
  n: number;
  /** The reduction length of one batch item (the kernels' K loop). */
  k: number;
  batch: number;
  bias: boolean;
  /** The bias runs along the rows (one per output channel of a convolution), in groups of m rows. */
  biasRows?: { groups: number };
  activation: Activation;
  alpha: number | undefined;
  tile: MatmulTile;
  subgroupSize: number | undefined;
  /** Default: 'subgroup' when `subgroupSize` is set, else 'register'. */
  variant?: MatmulVariant;
  /** Tiled kernel: its block (default DEFAULT_BLOCK_TILE). */
  blockTile?: MatmulBlockTile;
  /**
   * Subgroup kernel: at most this many 4-row blocks per workgroup (1 ..= 8, default 8: the most
   * reuse of each op(B) block; fewer are chosen where 8 would waste over 15% of the rows).
   */
  maxRowBlocks?: number;
}

/** How an operand file reads op(A) and op(B): its WGSL and the override constants it needs. */
export interface GemmOperands {
  /** Kernel family and variant for the label, e.g. "matmul" and "NT", or "conv2d" and "forward". */
  family: string;
  variant: string;
  /** The operation, for errors ("A 3×4 · B 4×5"). */
  what: string;
  source: string;
  constants: Record<string, number>;
  /** The operand file's launch parameters after m, n and k (GemmDims in shaders/matmul_store.wgsl; default none, read as 0). */
  params?: readonly number[];
  /**
   * Tiled kernel: whether consecutive rows of op(A), and consecutive k's of op(B), are
   * contiguous in memory, so that its stage copies walk them first (default: neither).
   */
  loadOrder?: { aRowsFirst: boolean; bKFirst: boolean };
}

const sources = new Map<string, Record<MatmulVariant, string>>();

/** The kernel texts over one operand file (built once per file). */
function kernelSources(operandSource: string) {
  let texts = sources.get(operandSource);
  if (!texts) {
    const body = `${ACTIVATION_SOURCE}\n${operandSource}\n${store}`;
    texts = {
      register: `${body}\n${registerKernel}`,
      subgroup: `enable subgroups;\n${body}\n${subgroupKernel}`,
      tiled: `${body}\n${tiledKernel}`,
      small: `${body}\n${smallKernel}`,
    };
    sources.set(operandSource, texts);
  }
  return texts;
}

/** The workgroup grid (x, y) and kernel constants of one variant. */
function layout(shape: GemmShape, variant: MatmulVariant, operands: GemmOperands) {
  const { m, n } = shape;
  if (variant === 'subgroup') {
    const lanes = shape.subgroupSize!;
    const rowBlocks = subgroupRowBlocks(m, lanes, shape.maxRowBlocks ?? SUBGROUP_ROW_BLOCKS);
    return { grid: [Math.ceil(n / (4 * lanes)), Math.ceil(m / (4 * rowBlocks))], kernel: { SG: lanes, RB: rowBlocks } };
  }
  if (variant === 'small') return { grid: [Math.ceil(n / (4 * 64)), Math.ceil(m / 4)], kernel: {} };
  const tile = variant === 'tiled' ? (shape.blockTile ?? DEFAULT_BLOCK_TILE) : shape.tile;
  if (variant === 'tiled') checkBlockTile(operands.family, tile as MatmulBlockTile);
  else checkTile(tile);
  const [wx, wy] = tile.workgroup;
  const kernel: Record<string, number> = { BR: tile.rows / 4, BC: tile.cols / 4, WG_X: wx, WG_Y: wy };
  if (variant === 'tiled') {
    kernel.BK = (tile as MatmulBlockTile).depth;
    kernel.A_ROWS_FIRST = Number(operands.loadOrder?.aRowsFirst ?? false);
    kernel.B_K_FIRST = Number(operands.loadOrder?.bKFirst ?? false);
  }
  return { grid: [Math.ceil(n / (tile.cols * wx)), Math.ceil(m / (tile.rows * wy))], kernel };
}

/**
 * The program of a GEMM whose operands an operand file reads (shaders/matmul_operands.wgsl
 * or shaders/conv.wgsl): the variant's kernel (by default the subgroup-broadcast one when
 * `subgroupSize` is set, else the register-tiled one), its workgroup grid and the store's settings.
 */
export function gemm(shape: GemmShape, operands: GemmOperands): ComputeProgram {
  const { batch, activation } = shape;
  const lanes = shape.subgroupSize;
  if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1 && lanes <= 256)) {
    throw new ConfigError(`${operands.family}: subgroupSize must be an integer in 1 ..= 256, got ${lanes}`);
  }
  const variant = shape.variant ?? (lanes === undefined ? 'register' : 'subgroup');
  if (!(variant === 'register' || variant === 'subgroup' || variant === 'tiled' || variant === 'small')) {
    throw new ConfigError(`${operands.family}: variant must be 'register', 'subgroup', 'tiled' or 'small', got ${String(variant)}`);
  }
  if (variant === 'small' && operands.source !== storedOperands) {
    throw new ConfigError(`${operands.family}: the small variant reads stored matrices only (matmul), not ${operands.family}'s operands`);
  }
  if (variant === 'subgroup' && lanes === undefined) {
    throw new ConfigError(`${operands.family}: the subgroup variant needs subgroupSize (GpuRuntime.subgroupSize), got undefined`);
  }
  const limit = shape.maxRowBlocks ?? SUBGROUP_ROW_BLOCKS;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= SUBGROUP_ROW_BLOCKS)) {
    throw new ConfigError(`${operands.family}: maxRowBlocks must be an integer in 1 ..= ${SUBGROUP_ROW_BLOCKS}, got ${limit}`);
  }
  const { grid, kernel } = layout(shape, variant, operands);
  const workgroups: [number, number, number] = [grid[0]!, grid[1]!, batch];
  if (workgroups.some((g) => g > MAX_WORKGROUPS_PER_DIM)) {
    // A device limit (maxComputeWorkgroupsPerDimension, WebGPU's default), not a wrong argument.
    throw new ResourceLimitError(
      `${operands.family}: ${operands.what} needs ${workgroups.join('×')} workgroups, over the per-dimension limit of ${MAX_WORKGROUPS_PER_DIM} (use a smaller batch or layer)`,
    );
  }
  return {
    label: `${operands.family}${variant === 'register' ? '' : `.${variant}`}.${operands.variant}${shape.bias ? '.bias' : ''}.${activation}`,
    shader: kernelSources(operands.source)[variant],
    entryPoint: shape.bias ? 'main_bias' : 'main',
    bindings: shape.bias ? ['read', 'read', 'read', 'write'] : ['read', 'read', 'write'],
    constants: {
      ...operands.constants,
      ACT: ACTIVATIONS[activation],
      ALPHA: shape.alpha ?? DEFAULT_ALPHA[activation] ?? 0,
      ...(shape.biasRows ? { BIAS_ROWS: 1, BIAS_GROUPS: shape.biasRows.groups } : {}),
      ...kernel,
    },
    // The shape is a launch parameter: every shape of this kernel and settings shares a pipeline.
    params: [shape.m, shape.n, shape.k, ...(operands.params ?? [])],
    workgroups,
  };
}
