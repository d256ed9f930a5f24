// The GEMM kernels, batched C = act(op(A)·op(B) + bias) whatever reads the operands: a
// register-tiled kernel (shaders/matmul.wgsl) for every device, a subgroup-broadcast kernel
// (shaders/matmul_subgroup.wgsl) for devices with the `subgroups` feature, a workgroup-memory
// tiled kernel (shaders/matmul_tiled.wgsl) and, for stored matrices only, the small kernel
// (shaders/matmul_small.wgsl); each after shaders/activation.wgsl, an operand file
// (shaders/matmul_operands.wgsl for stored matrices, used by src/kernels/matmul.ts;
// shaders/conv.wgsl reads them through im2col, src/kernels/conv.ts) and shaders/matmul_store.wgsl.
import { ConfigError, ResourceLimitError } from '../errors';
import storedOperands from '../../shaders/matmul_operands.wgsl?raw';
import registerKernel from '../../shaders/matmul.wgsl?raw';
import smallKernel from '../../shaders/matmul_small.wgsl?raw';
import store from '../../shaders/matmul_store.wgsl?raw';
import subgroupKernel from '../../shaders/matmul_subgroup.wgsl?raw';
import tiledKernel from '../../shaders/matmul_tiled.wgsl?raw';
import { MAX_WORKGROUPS_PER_DIM, type ComputeProgram } from '../gpu/program';
import { ACTIVATION_SOURCE, ACTIVATIONS, DEFAULT_ALPHA, type Activation } from './elementwise';
import { checkBlockTile, checkTile, DEFAULT_BLOCK_TILE, type MatmulBlockTile, type MatmulTile, type MatmulVariant } from './matmul-choice';

/**
 * 4-row blocks per subgroup workgroup, also the kernel's limit (lanes 0 .. 7 broadcast): 8 (32
 * rows) reuses each op(B) block for the most rows. On lavapipe (8 lanes, 2026-12-02, 15 rounds
 * alternated, medians) against 6 (24 rows): 1024³ NT 7.47 → 8.07 GFLOP/s, NN 5.42 → 6.60, TN
 * 4.40 → 5.03; the MNIST MLP's 128×784·(256×784)ᵀ forward 12.2 → 8.9 ms, its 784-wide weight
 * gradient 9.9 → 8.7 ms, the 256- and 128-wide layers' matmuls 1.6–1.8 → 1.3–1.4 ms. (An earlier
 * kernel measured 6 fastest at 1024³; convolutions' costly im2col operand already took 8.)
 */
const SUBGROUP_ROW_BLOCKS = 8;

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
  const allowed: readonly MatmulVariant[] = operands.source === storedOperands ? ['register', 'subgroup', 'tiled', 'small'] : ['register', 'subgroup', 'tiled'];
  if (!allowed.includes(variant)) {
    const names = allowed.map((v) => `'${v}'`);
    throw new ConfigError(`${operands.family}: variant must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${String(variant)}`);
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
