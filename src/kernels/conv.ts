// Kernel descriptors for 2-D convolution (torch.nn.functional.conv2d, NCHW, weights
// [C_out, C_in/groups, KH, KW]): forward, input gradient and weight gradient, each a GEMM
// over an implicit im2col matrix. shaders/conv.wgsl supplies the operand blocks; the matmul
// family's kernels (register-tiled, or subgroup-broadcast where the device has subgroups)
// multiply them and store with the bias + activation epilogue, so no maths is copied. Like a
// matmul, each pass offers every kernel variant as an alternative (family 'conv2d'), and a
// compiled model's runtime runs the one chosen for its adapter and shape class.
//
// The other path materializes the im2col matrix (src/kernels/im2col.ts) and runs the matmul
// kernels on it; conv2dPath there says which is used and what was measured.
import { ConfigError } from '../errors';
import source from '../../shaders/conv.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import type { Activation } from './elementwise';
import { gemm } from './gemm';
import { DEFAULT_MATMUL_TILE, type MatmulBlockTile, type MatmulTile, type MatmulVariant } from './matmul-choice';
import type { ConvPath } from './im2col';
import { gemmShapeClass, matmulAlternatives } from './matmul-choice';

/** A number for both spatial dimensions, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Shapes and settings of one convolution. */
export interface Conv2dShape {
  batch: number;
  inChannels: number;
  outChannels: number;
  /** Input height and width. */
  height: number;
  width: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Forward only: add a bias per output channel. */
  bias?: boolean;
  /** Forward only: applied after the bias, with the elementwise kernels' maths. */
  activation?: Activation;
  alpha?: number;
  /** The device's fixed subgroup size (selects the subgroup-broadcast kernel body). */
  subgroupSize?: number;
  /** Register tile when there are no subgroups. */
  tile?: MatmulTile;
  /**
   * The kernel body (see MatmulShape.variant). Given (or a `tile`), the program is exactly that
   * kernel; left out, it is the subgroup body when `subgroupSize` is set, else the
   * register-tiled one, offering every variant to the runtime's choice (family 'conv2d').
   */
  variant?: MatmulVariant;
  /** Block tile of the tiled body (default DEFAULT_BLOCK_TILE, 64×64). */
  blockTile?: MatmulBlockTile;
  /** Force the im2col path (see conv2dPath in src/kernels/im2col.ts); default: the measured choice. */
  path?: ConvPath;
  /**
   * Weight gradient: how many partial sums the N·OH·OW reduction is split into (they are
   * then summed by reduce.sumRows). Default: enough to give the GPU ~128 workgroups.
   */
  splits?: number;
}

/** Every dimension of a convolution, resolved and checked. */
export interface Conv2dDims {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  oh: number;
  ow: number;
}

/** [height, width] of a Pair. */
export const pair = (p: Pair): readonly [number, number] => (typeof p === 'number' ? [p, p] : p);

/** Output size along one dimension, as torch: ⌊(in + 2p − d·(k − 1) − 1)/s⌋ + 1. */
export function convOutputSize(input: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((input + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Resolves and validates a Conv2dShape; throws ConfigError naming what is wrong. */
export function conv2dDims(shape: Conv2dShape): Conv2dDims {
  const [kh, kw] = pair(shape.kernel);
  const [sh, sw] = pair(shape.stride ?? 1);
  const [ph, pw] = pair(shape.padding ?? 0);
  const [dh, dw] = pair(shape.dilation ?? 1);
  const groups = shape.groups ?? 1;
  const { batch: n, inChannels: cin, outChannels: cout, height: h, width: w } = shape;
  const positive = { batch: n, inChannels: cin, outChannels: cout, height: h, width: w, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, dilationH: dh, dilationW: dw, groups };
  for (const [name, v] of Object.entries(positive)) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`conv2d: ${name} must be a positive integer, got ${v}`);
  }
  for (const [name, v] of Object.entries({ paddingH: ph, paddingW: pw })) {
    if (!Number.isInteger(v) || v < 0) throw new ConfigError(`conv2d: ${name} must be a non-negative integer, got ${v}`);
  }
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new ConfigError(`conv2d: in (${cin}) and out (${cout}) channels must both be divisible by groups (${groups})`);
  }
  const oh = convOutputSize(h, kh, sh, ph, dh);
  const ow = convOutputSize(w, kw, sw, pw, dw);
  if (oh < 1 || ow < 1) {
    throw new ConfigError(
      `conv2d: kernel ${kh}×${kw} (dilation ${dh}×${dw}) is larger than the padded input ${h + 2 * ph}×${w + 2 * pw}`,
    );
  }
  return { n, cin, cout, groups, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
}

/** The sizes shaders/conv.wgsl and shaders/im2col.wgsl share, as their override constants. */
export function convGeometry(d: Conv2dDims): Record<string, number> {
  return {
    BATCH: d.n,
    CI: d.cin / d.groups,
    H: d.h,
    W: d.w,
    OH: d.oh,
    OW: d.ow,
    KH: d.kh,
    KW: d.kw,
    SH: d.sh,
    SW: d.sw,
    PH: d.ph,
    PW: d.pw,
    DH: d.dh,
    DW: d.dw,
  };
}

function constants(d: Conv2dDims, mode: number): Record<string, number> {
  return { ...convGeometry(d), MODE: mode, G: d.groups, CO: d.cout / d.groups };
}

/** The convolution for errors: "x [n, c, h, w] * w [out, c/groups, kh, kw]". */
export const describeConv = (d: Conv2dDims) =>
  `x [${d.n}, ${d.cin}, ${d.h}, ${d.w}] * w [${d.cout}, ${d.cin / d.groups}, ${d.kh}, ${d.kw}]`;

const PASS_NAMES = ['forward', 'inputGrad', 'weightGrad'] as const;

/** f32 words of each binding of a pass (x or dy, w or dy, bias, output), for kernel trials. */
function bindingFloats(d: Conv2dDims, mode: 0 | 1 | 2, bias: boolean, outputFloats: number): number[] {
  const x = d.n * d.cin * d.h * d.w;
  const w = d.cout * (d.cin / d.groups) * d.kh * d.kw;
  const dy = d.n * d.cout * d.oh * d.ow;
  const inputs = [[x, w], [dy, w], [x, dy]][mode]!;
  return [...inputs, ...(bias ? [d.cout] : []), outputFloats];
}

function program(shape: Conv2dShape, mode: 0 | 1 | 2, m: number, n: number, k: number, batch: number, bias: boolean): ComputeProgram {
  const d = conv2dDims(shape);
  const pass = PASS_NAMES[mode];
  const made = gemm(
    {
      m,
      n,
      k,
      batch,
      bias,
      biasRows: bias ? { groups: d.groups } : undefined,
      activation: mode === 0 ? (shape.activation ?? 'identity') : 'identity',
      alpha: shape.alpha,
      tile: shape.tile ?? DEFAULT_MATMUL_TILE,
      subgroupSize: shape.subgroupSize,
      variant: shape.variant,
      blockTile: shape.blockTile,
    },
    { family: 'conv2d', variant: pass, what: describeConv(d), source, constants: constants(d, mode) },
  );
  // Explicit settings are an explicit kernel.
  if (shape.variant !== undefined || shape.tile !== undefined) return made;
  const alternatives = matmulAlternatives({
    family: 'conv2d',
    shapeClass: gemmShapeClass(`conv2d ${pass}`, m, n, k, batch),
    m,
    n,
    k,
    batch,
    fallback: shape.subgroupSize === undefined ? 'register' : 'subgroup',
    subgroups: shape.subgroupSize !== undefined,
    bindingFloats: bindingFloats(d, mode, bias, batch * m * n),
    make: (spec) => program({ ...shape, ...spec.settings }, mode, m, n, k, batch, bias),
  });
  return { ...made, alternatives } as ComputeProgram;
}

/**
 * y = act(conv2d(x, w) + b). Bindings: x (read, f32 [N, C_in, H, W]), w (read, f32
 * [C_out, C_in/groups, KH, KW]), b (read, f32 [C_out], only with `bias`), y (write, f32
 * [N, C_out, OH, OW]).
 */
export function conv2dForward(shape: Conv2dShape): ComputeProgram {
  const d = conv2dDims(shape);
  const [ci, co] = [d.cin / d.groups, d.cout / d.groups];
  return program(shape, 0, co, d.oh * d.ow, ci * d.kh * d.kw, d.n * d.groups, shape.bias ?? false);
}

/**
 * dx = conv2d's input gradient (a transposed convolution of dy). Bindings: dy (read, f32
 * [N, C_out, OH, OW]), w (read, f32 [C_out, C_in/groups, KH, KW]), dx (write, f32
 * [N, C_in, H, W], overwritten).
 */
export function conv2dInputGrad(shape: Conv2dShape): ComputeProgram {
  const d = conv2dDims(shape);
  const [ci, co] = [d.cin / d.groups, d.cout / d.groups];
  return program(shape, 1, ci, d.h * d.w, co * d.kh * d.kw, d.n * d.groups, false);
}

/** Workgroups a weight-gradient split should leave the GPU, at least (see Conv2dShape.splits). */
const TARGET_WORKGROUPS = 128;
/** Reduction terms per split, at least. */
const MIN_TERMS_PER_SPLIT = 256;

/** How the weight gradient's reduction over N·OH·OW terms is split: count and terms per split. */
export function conv2dWeightGradSplits(shape: Conv2dShape): { splits: number; terms: number } {
  const d = conv2dDims(shape);
  const total = d.n * d.oh * d.ow;
  let splits = shape.splits;
  if (splits === undefined) {
    // From the default body's grid, so that every variant of a pass has the same splits (and bindings).
    const one = conv2dWeightGradProgram({ ...shape, variant: undefined, blockTile: undefined }, 1, Math.ceil(total / 4) * 4);
    const groups = one.workgroups[0] * one.workgroups[1] * one.workgroups[2];
    splits = Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / groups), Math.floor(total / MIN_TERMS_PER_SPLIT)));
  }
  if (!Number.isInteger(splits) || splits < 1) throw new ConfigError(`conv2d: splits must be a positive integer, got ${splits}`);
  // Terms per split, a multiple of 4 (the kernels' K step); the last split may be short.
  const terms = Math.ceil(Math.ceil(total / splits) / 4) * 4;
  return { splits: Math.ceil(total / terms), terms };
}

function conv2dWeightGradProgram(shape: Conv2dShape, splits: number, terms: number): ComputeProgram {
  const d = conv2dDims(shape);
  const [ci, co] = [d.cin / d.groups, d.cout / d.groups];
  return program(shape, 2, co, ci * d.kh * d.kw, terms, splits * d.groups, false);
}

/**
 * Partial weight gradients: split s of {@link conv2dWeightGradSplits} sums its share of the
 * N·OH·OW terms of dW = Σ dy ⊗ im2col(x). Bindings: x (read, f32 [N, C_in, H, W]), dy
 * (read, f32 [N, C_out, OH, OW]), partials (write, f32 [splits, C_out·C_in/groups·KH·KW],
 * overwritten). With one split the partial is dW itself; else reduce.sumRows(splits, |W|)
 * adds them up.
 */
export function conv2dWeightGrad(shape: Conv2dShape): ComputeProgram {
  const { splits, terms } = conv2dWeightGradSplits(shape);
  return conv2dWeightGradProgram(shape, splits, terms);
}
