// Kernel descriptors for shaders/pool.wgsl: max pooling (values and argmax positions, and
// the gradient routed to them), average pooling (torch's count_include_pad) and adaptive
// average pooling (global average pooling at output 1×1), forward and backward.
import { ConfigError } from '../errors';
import source from '../../shaders/pool.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { convOutputSize, pair, type Pair } from './conv';

/** Shapes and settings of a max or average pooling over [N, C, H, W]. */
export interface Pool2dShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  kernel: Pair;
  /** Default: the kernel size (torch). */
  stride?: Pair;
  padding?: Pair;
  /** Average pooling: count the padding in the divisor (torch default true). */
  countIncludePad?: boolean;
}

/** Shapes of an adaptive average pooling over [N, C, H, W] to [N, C, OH, OW]. */
export interface AdaptivePool2dShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  output: Pair;
}

export interface Pool2dDims {
  nc: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
}

function checkPositive(kernel: string, values: Record<string, number>, min = 1): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`${kernel}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
}

/** Resolves and validates a Pool2dShape (torch's rules: padding at most half the kernel). */
export function pool2dDims(kernel: string, shape: Pool2dShape): Pool2dDims {
  const [kh, kw] = pair(shape.kernel);
  const [sh, sw] = pair(shape.stride ?? shape.kernel);
  const [ph, pw] = pair(shape.padding ?? 0);
  const { batch, channels, height: h, width: w } = shape;
  checkPositive(kernel, { batch, channels, height: h, width: w, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw });
  checkPositive(kernel, { paddingH: ph, paddingW: pw }, 0);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new ConfigError(`${kernel}: padding ${ph}×${pw} must be at most half the kernel ${kh}×${kw}`);
  }
  const oh = convOutputSize(h, kh, sh, ph, 1);
  const ow = convOutputSize(w, kw, sw, pw, 1);
  if (oh < 1 || ow < 1) {
    throw new ConfigError(`${kernel}: kernel ${kh}×${kw} is larger than the padded input ${h + 2 * ph}×${w + 2 * pw}`);
  }
  return { nc: batch * channels, h, w, kh, kw, sh, sw, ph, pw, oh, ow };
}

function adaptiveDims(kernel: string, shape: AdaptivePool2dShape): Pool2dDims {
  const [oh, ow] = pair(shape.output);
  const { batch, channels, height: h, width: w } = shape;
  checkPositive(kernel, { batch, channels, height: h, width: w, outputH: oh, outputW: ow });
  return { nc: batch * channels, h, w, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0, oh, ow };
}

function program(
  label: string,
  entryPoint: string,
  d: Pool2dDims,
  bindings: ComputeProgram['bindings'],
  perInput: boolean,
  flags: Record<string, number> = {},
): ComputeProgram {
  const wg = 256;
  const count = d.nc * (perInput ? d.h * d.w : d.oh * d.ow);
  if (count >= 2 ** 32) throw new ConfigError(`${label}: ${count} values exceed 2^32 − 1`);
  return {
    label,
    shader: source,
    entryPoint,
    bindings,
    constants: { WG: wg, NC: d.nc, H: d.h, W: d.w, OH: d.oh, OW: d.ow, KH: d.kh, KW: d.kw, SH: d.sh, SW: d.sw, PH: d.ph, PW: d.pw, ...flags },
    workgroups: grid1d(count, wg),
  };
}

/**
 * Max pooling. Bindings: x (read, f32 [N, C, H, W]), y (write, f32 [N, C, OH, OW]),
 * indices (write, u32 [N, C, OH, OW]: the position h·W + w of each maximum in its plane;
 * ties go to the first in row-major window order, NaN wins, as in torch).
 */
export function maxPool2dForward(shape: Pool2dShape): ComputeProgram {
  return program('pool.max.forward', 'max_forward', pool2dDims('maxPool2d', shape), ['read', 'write', 'write'], false);
}

/**
 * Max pooling's gradient: each dy goes to the position of its maximum (summed where windows
 * overlap). Bindings: dy (read, f32 [N, C, OH, OW]), indices (read, u32, from the forward),
 * dx (write, f32 [N, C, H, W], overwritten).
 */
export function maxPool2dBackward(shape: Pool2dShape): ComputeProgram {
  return program('pool.max.backward', 'max_backward', pool2dDims('maxPool2d', shape), ['read', 'read', 'write'], true);
}

const countPad = (shape: Pool2dShape) => ({ COUNT_PAD: Number(shape.countIncludePad ?? true) });

/** Average pooling. Bindings: x (read, f32 [N, C, H, W]), y (write, f32 [N, C, OH, OW]). */
export function avgPool2dForward(shape: Pool2dShape): ComputeProgram {
  return program('pool.avg.forward', 'avg_forward', pool2dDims('avgPool2d', shape), ['read', 'write'], false, countPad(shape));
}

/** Average pooling's gradient. Bindings: dy (read, f32 [N, C, OH, OW]), dx (write, f32 [N, C, H, W]). */
export function avgPool2dBackward(shape: Pool2dShape): ComputeProgram {
  return program('pool.avg.backward', 'avg_backward', pool2dDims('avgPool2d', shape), ['read', 'write'], true, countPad(shape));
}

/**
 * Adaptive average pooling (torch's windows: ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉). Output 1 is
 * global average pooling. Bindings: x (read, f32 [N, C, H, W]), y (write, f32 [N, C, OH, OW]).
 */
export function adaptiveAvgPool2dForward(shape: AdaptivePool2dShape): ComputeProgram {
  const d = adaptiveDims('adaptiveAvgPool2d', shape);
  return program('pool.adaptiveAvg.forward', 'avg_forward', d, ['read', 'write'], false, { ADAPTIVE: 1 });
}

/** Adaptive average pooling's gradient. Bindings: dy (read, f32 [N, C, OH, OW]), dx (write, f32 [N, C, H, W]). */
export function adaptiveAvgPool2dBackward(shape: AdaptivePool2dShape): ComputeProgram {
  const d = adaptiveDims('adaptiveAvgPool2d', shape);
  return program('pool.adaptiveAvg.backward', 'avg_backward', d, ['read', 'write'], true, { ADAPTIVE: 1 });
}
