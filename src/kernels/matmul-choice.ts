// Which matmul kernel runs where: the variants' settings and their checks, the named
// variants (MATMUL_VARIANTS, also what benchmarks and the real-GPU report enumerate), the
// shape classes a choice is made per, the deterministic table by adapter used when no timed
// trial runs, and the alternatives a matmul program offers the runtime
// (src/gpu/kernel-choice.ts picks one). src/kernels/matmul.ts and gemm.ts build the programs.
import { ConfigError } from '../errors';
import type { ComputeProgram } from '../gpu/program';
import { adapterKind, type AdapterFacts } from '../gpu/adapter-kind';
import type { KernelAlternatives } from '../gpu/kernel-choice';

/**
 * Per-invocation register tile and workgroup shape. Each invocation computes `rows` × `cols`
 * outputs (4 or 8 each, as 4×4 blocks); a workgroup is `workgroup[0]` × `workgroup[1]`
 * invocations along (columns, rows). The best choice depends on the adapter.
 */
export interface MatmulTile {
  rows: 4 | 8;
  cols: 4 | 8;
  workgroup: readonly [number, number];
}

/**
 * The tiled kernel's block: each invocation computes `rows` × `cols` outputs, so a workgroup
 * computes a (rows·workgroup[1]) × (cols·workgroup[0]) block of C, staging `depth` k's of
 * op(A) and op(B) per step in workgroup memory (twice: double-buffered).
 */
export interface MatmulBlockTile extends MatmulTile {
  depth: 4 | 8 | 16 | 32;
}

/**
 * The matmul kernels: 'register' (register-tiled, any device), 'subgroup' (subgroup
 * broadcast, needs `subgroupSize`), 'tiled' (workgroup memory, any device), 'small' (4×4
 * outputs per invocation one k at a time, for small shapes; plain matmuls only, not convolutions).
 */
export type MatmulVariant = 'register' | 'subgroup' | 'tiled' | 'small';

/** Workgroup memory every WebGPU device offers (maxComputeWorkgroupStorageSize's default). */
const WORKGROUP_STORAGE = 16384;

/** Throws a ConfigError unless the register tile is one the kernels have. */
export function checkTile({ rows, cols, workgroup: [wx, wy] }: MatmulTile): void {
  const ok =
    (rows === 4 || rows === 8) && (cols === 4 || cols === 8) &&
    Number.isInteger(wx) && Number.isInteger(wy) && wx >= 1 && wy >= 1 && wx * wy <= 256;
  if (!ok) throw new ConfigError(`matmul: unsupported tile ${rows}×${cols} with workgroup ${wx}×${wy}`);
}

/** Throws a ConfigError unless the block tile is one the tiled kernel has, within WebGPU's default workgroup memory. */
export function checkBlockTile(family: string, tile: MatmulBlockTile): void {
  checkTile(tile);
  const [wx, wy] = tile.workgroup;
  // Two stages of op(A) (rows·wy × depth) and op(B) (depth × cols·wx) floats.
  const bytes = 2 * 4 * tile.depth * (tile.rows * wy + tile.cols * wx);
  if (![4, 8, 16, 32].includes(tile.depth) || bytes > WORKGROUP_STORAGE) {
    throw new ConfigError(
      `${family}: block tile ${tile.rows * wy}×${tile.cols * wx} with depth ${tile.depth} needs ${bytes} bytes of workgroup memory; depth must be 4, 8, 16 or 32 and the memory at most ${WORKGROUP_STORAGE}`,
    );
  }
}

/**
 * 8 × 8 outputs per invocation, 8 × 8 invocations per workgroup: the fastest measured on
 * lavapipe and on SwiftShader (4 × 4 tiles are 30–40% slower on both; workgroup shape
 * matters little).
 */
export const DEFAULT_MATMUL_TILE: MatmulTile = { rows: 8, cols: 8, workgroup: [8, 8] };

/** 64 × 64 blocks of C, 4 × 4 outputs per invocation (256 invocations), 16 k's per stage (16 KiB of workgroup memory). */
export const DEFAULT_BLOCK_TILE: MatmulBlockTile = { rows: 4, cols: 4, workgroup: [16, 16], depth: 16 };

/** A named kernel with its settings: spread `settings` into a MatmulShape to run it. */
export interface MatmulVariantSpec {
  /** Stable name, used in labels, trial caches and reports (e.g. "tiled-64x64"). */
  readonly name: string;
  readonly settings: { readonly variant: MatmulVariant; readonly tile?: MatmulTile; readonly blockTile?: MatmulBlockTile };
  /** Runs only on a device with fixed-size subgroups (GpuRuntime.subgroupSize; pass it as `subgroupSize`). */
  readonly needsSubgroups: boolean;
  readonly description: string;
}

/** Every matmul variant the engine has, in the order reports list them. */
export const MATMUL_VARIANTS: readonly MatmulVariantSpec[] = [
  {
    name: 'register',
    settings: { variant: 'register', tile: DEFAULT_MATMUL_TILE },
    needsSubgroups: false,
    description: 'register-tiled, 8×8 outputs per invocation, no workgroup memory',
  },
  {
    name: 'subgroup',
    settings: { variant: 'subgroup' },
    needsSubgroups: true,
    description: 'subgroup-broadcast, one subgroup per workgroup, 4·lanes columns × up to 32 rows',
  },
  {
    name: 'tiled-64x64',
    settings: { variant: 'tiled', blockTile: DEFAULT_BLOCK_TILE },
    needsSubgroups: false,
    description: 'workgroup-memory tiled, 64×64 blocks, 4×4 per invocation, 16 k per stage',
  },
  {
    name: 'tiled-64x64-8x8',
    settings: { variant: 'tiled', blockTile: { rows: 8, cols: 8, workgroup: [8, 8], depth: 16 } },
    needsSubgroups: false,
    description: 'workgroup-memory tiled, 64×64 blocks, 8×8 per invocation, 16 k per stage',
  },
  {
    name: 'tiled-128x64',
    settings: { variant: 'tiled', blockTile: { rows: 8, cols: 4, workgroup: [16, 16], depth: 8 } },
    needsSubgroups: false,
    description: 'workgroup-memory tiled, 128×64 blocks, 8×4 per invocation, 8 k per stage',
  },
  {
    name: 'tiled-128x128',
    settings: { variant: 'tiled', blockTile: { rows: 8, cols: 8, workgroup: [16, 16], depth: 8 } },
    needsSubgroups: false,
    description: 'workgroup-memory tiled, 128×128 blocks, 8×8 per invocation, 8 k per stage',
  },
];

/**
 * The small kernel (shaders/matmul_small.wgsl): offered beside MATMUL_VARIANTS to plain matmuls
 * of at most 2^SMALL_UP_TO_LOG2 multiply-adds, where its speed hardly matters (it is not
 * listed with the variants the benchmarks sweep up to 8192²).
 */
export const SMALL_MATMUL: MatmulVariantSpec = {
  name: 'small',
  settings: { variant: 'small' },
  needsSubgroups: false,
  description: 'small shapes: 4×4 outputs per invocation, one k at a time, no workgroup memory',
};

/** 2^20 multiply-adds, e.g. 128×128×64: the largest class the small kernel is offered to. */
const SMALL_UP_TO_LOG2 = 20;

/** Multiply-adds at which discrete GPUs are given the tiled kernel by the table (256³). */
const TILED_FROM_LOG2 = 24;
/** Below this many rows or columns of C a 64-wide block tile wastes most of its work. */
const SMALL_SIDE = 32;

/**
 * The shape class a choice is made and kept for: log2 of the multiply-adds (batch·m·n·k,
 * rounded), whether C is thin (fewer than 32 rows or columns) and, with `scalar`, that an
 * operand cannot be read as vec4s (its stored rows are not a multiple of 4 long), e.g.
 * "matmul 2^30", "matmul 2^21 thin" or "matmul 2^17 thin scalar". Shapes of one class are
 * taken to prefer the same kernel.
 */
export function matmulShapeClass(m: number, n: number, k: number, batch: number, scalar = false): string {
  return `${gemmShapeClass('matmul', m, n, k, batch)}${scalar ? ' scalar' : ''}`;
}

/** The shape class of any GEMM-shaped launch, after `what` (e.g. "conv2d forward 2^27 thin"). */
export function gemmShapeClass(what: string, m: number, n: number, k: number, batch: number): string {
  const size = Math.round(Math.log2(batch * m * n * k));
  return `${what} 2^${size}${Math.min(m, n) < SMALL_SIDE ? ' thin' : ''}`;
}

/** lavapipe (llvmpipe), which compiles each pipeline at its first dispatch. */
const LAVAPIPE = /llvmpipe|lavapipe/i;

/**
 * The deterministic choice, used when timing is not allowed: on lavapipe the small kernel for
 * small "scalar" matmul classes (their operand reads need a pipeline of their own, and it
 * compiles in under half the time: the MNIST MLP's cold first step 6.3–6.7 s → 5.4–5.9 s,
 * 2026-12-03; SwiftShader compiles it no faster and runs it slower, 1.2–1.5 ms against
 * 0.7–1.2); on CPU rasterizers otherwise, and on unknown adapters, the measured default
 * (`fallback`: subgroup where the device has fixed-size subgroups, else register-tiled); on
 * GPU vendors the 64×64 tiled kernel for classes of at least 256³ multiply-adds that are not
 * thin, the default otherwise. The GPU rows are the standard design's expectation, not a
 * measurement (none has been made on a real GPU yet).
 */
export function matmulTableChoice(adapter: AdapterFacts, shapeClass: string, fallback: string): string {
  const [, log2 = '0'] = /2\^(\d+)/.exec(shapeClass) ?? [];
  const kind = adapterKind(adapter);
  const lavapipe = LAVAPIPE.test(`${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`);
  if (lavapipe && /^matmul .* scalar$/.test(shapeClass) && Number(log2) <= SMALL_UP_TO_LOG2) return SMALL_MATMUL.name;
  if (kind !== 'gpu') return fallback;
  return Number(log2) >= TILED_FROM_LOG2 && !/ thin\b/.test(shapeClass) ? 'tiled-64x64' : fallback;
}

/** What a matmul (or another GEMM-shaped program) needs to offer its alternatives. */
export interface MatmulAlternativesSpec {
  /** The family `force` names (default 'matmul'; 'conv2d' for convolutions). */
  family?: string;
  /** The shape class (default matmulShapeClass of m, n, k, batch). */
  shapeClass?: string;
  m: number;
  n: number;
  k: number;
  batch: number;
  /** The variant the descriptor built by default ('subgroup' or 'register'). */
  fallback: string;
  /** Whether the device has fixed-size subgroups (the subgroup variant is a candidate). */
  subgroups: boolean;
  /** f32 words of each binding (trial buffers). */
  bindingFloats: readonly number[];
  /** The program of one variant. */
  make(spec: MatmulVariantSpec): ComputeProgram;
  /** Whether the small kernel is a candidate too (plain matmuls of a small class). */
  small?: boolean;
}

/** The alternatives of one matmul or GEMM (every variant this device runs), for the runtime's choice. */
export function matmulAlternatives(spec: MatmulAlternativesSpec): KernelAlternatives {
  const shapeClass = spec.shapeClass ?? matmulShapeClass(spec.m, spec.n, spec.k, spec.batch);
  const log2 = Math.round(Math.log2(spec.batch * spec.m * spec.n * spec.k));
  const variants = [
    ...MATMUL_VARIANTS.filter((v) => spec.subgroups || !v.needsSubgroups),
    ...(spec.small && log2 <= SMALL_UP_TO_LOG2 ? [SMALL_MATMUL] : []),
  ];
  return {
    family: spec.family ?? 'matmul',
    shapeClass,
    candidates: variants.map((v) => v.name),
    make: (name) => spec.make(variants.find((v) => v.name === name)!),
    table: (adapter) => matmulTableChoice(adapter, shapeClass, spec.fallback),
    bindingFloats: spec.bindingFloats,
  };
}
