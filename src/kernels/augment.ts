// Kernel descriptors for shaders/augment.wgsl: per-sample augmentation (affine + bilinear,
// Gaussian noise, cutout), mixup / CutMix of a batch with itself reversed, and the mixed
// soft targets. Every draw is Philox of (seed, step, counter): nothing random is stored.
import { ConfigError } from '../errors';
import kernelSource from '../../shaders/augment.wgsl?raw';
import philox from '../../shaders/philox.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';

/** shaders/augment.wgsl after the Philox helper it draws from. */
const source = `${philox}\n${kernelSource}`;

/** One sample's image shape [C, H, W]. */
export type ImageShape = readonly [number, number, number];

/** What the per-sample kernel does; an absent or zero setting is off. */
export interface SampleAugmentation {
  /** Max |translation| in pixels per axis: tx, ty uniform in [−shift, shift]. */
  shift?: number;
  /** Max |angle| in degrees (≤ 180): angle uniform in [−rotate, rotate], about the image centre. */
  rotate?: number;
  /** Zoom factor uniform in [min, max] (> 1 enlarges). */
  scale?: readonly [number, number];
  /** Std of additive Gaussian noise, added after the geometric transform. */
  noise?: number;
  /** Side in pixels of one zeroed square per sample (centre uniform over the pixels, clipped). */
  cutout?: number;
  /** Invocations per workgroup (default 256). */
  workgroupSize?: number;
}

/** Values of the uniform's `mode` word. */
export const MIX_NONE = 0;
export const MIX_MIXUP = 1;
export const MIX_CUTMIX = 2;

/** 32-bit words of the augmentation uniform: seed, step, mode, λ (f32), CutMix box (x0, y0, x1, y1). */
export const AUGMENT_UNIFORM_WORDS = 8;

/** The per-batch mixing of one step: mode, λ (weight of the sample itself) and CutMix box. */
export interface MixDraw {
  mode: number;
  lam: number;
  /** [x0, y0, x1, y1]: the box [x0, x1) × [y0, y1) pasted from the reversed batch. */
  box: Uint32Array;
}

const U32_RANGE = 2 ** 32;
/** λ's f32 bits, through a scratch view (no allocation per step). */
const lamBits = new Float32Array(1);
const lamWord = new Uint32Array(lamBits.buffer);

function checkSizes(name: string, n: number, image: ImageShape): void {
  if (![n, ...image].every((d) => Number.isInteger(d) && d >= 1) || image.length !== 3) {
    throw new ConfigError(`${name}: batch and image [C, H, W] must be positive integers, got ${n} × [${image.join(', ')}]`);
  }
}

function base(name: string, entryPoint: string, bindings: ComputeProgram['bindings'], threads: number, constants: Record<string, number>, wg = 256): ComputeProgram {
  return { label: `augment.${entryPoint}`, shader: source, entryPoint, bindings, constants: { WG: wg, ...constants }, workgroups: grid1d(threads, wg) };
}

/**
 * Per-sample augmentation of a batch x [N, C, H, W] into y (same shape): one inverse affine
 * per sample sampled bilinearly with zero fill (all channels alike), then noise, then cutout.
 * Bindings: augment uniform (see {@link augmentUniforms}), x f32, y f32.
 */
export function augmentSamples(n: number, image: ImageShape, options: SampleAugmentation): ComputeProgram {
  checkSizes('augmentSamples', n, image);
  const [c, h, w] = image;
  const { shift = 0, rotate = 0, scale = [1, 1], noise = 0, cutout = 0 } = options;
  const bad = (what: string, v: unknown) => new ConfigError(`augmentSamples: ${what}, got ${String(v)}`);
  if (!(shift >= 0 && Number.isFinite(shift))) throw bad('shift must be a finite number ≥ 0', shift);
  if (!(rotate >= 0 && rotate <= 180)) throw bad('rotate must be in [0, 180] degrees', rotate);
  if (!(scale[0] > 0 && scale[0] <= scale[1] && Number.isFinite(scale[1]))) throw bad('scale must be [min, max] with 0 < min ≤ max', scale);
  if (!(noise >= 0 && Number.isFinite(noise))) throw bad('noise must be a finite number ≥ 0', noise);
  if (!Number.isInteger(cutout) || cutout < 0) throw bad('cutout must be an integer ≥ 0', cutout);
  // Counters 3N + e of the noise must fit in u32.
  if (3 * n + n * c * h * w > U32_RANGE) throw new ConfigError(`augmentSamples: a batch of ${n} × [${image.join(', ')}] needs more than 2^32 RNG counters`);
  const geometric = shift > 0 || rotate > 0 || scale[0] !== 1 || scale[1] !== 1;
  return base('augmentSamples', 'augment', ['uniform', 'read', 'write'], n * h * w, {
    N: n, C: c, H: h, W: w,
    GEOMETRIC: geometric ? 1 : 0,
    SHIFT: shift,
    ROTATE: (rotate * Math.PI) / 180,
    SCALE_MIN: scale[0],
    SCALE_MAX: scale[1],
    NOISE: noise,
    CUTOUT: cutout,
  }, options.workgroupSize);
}

/**
 * Mixup (mode 1: y = λ·x + (1 − λ)·x_flip) or CutMix (mode 2: the uniform's box taken from
 * x_flip) of x [N, C, H, W], where x_flip is the batch reversed (timm's 'batch' mode); mode 0
 * copies. Bindings: augment uniform, x f32, y f32.
 */
export function mixBatch(n: number, image: ImageShape, workgroupSize = 256): ComputeProgram {
  checkSizes('mixBatch', n, image);
  const [c, h, w] = image;
  return base('mixBatch', 'mix', ['uniform', 'read', 'write'], n * c * h * w, { N: n, C: c, H: h, W: w }, workgroupSize);
}

/**
 * Soft targets [N, classes] = λ·onehot(y) + (1 − λ)·onehot(y_flip) for the uniform's mode
 * (one-hot of y for mode 0), for crossEntropyFromProbs. Bindings: augment uniform, labels [N] u32, targets f32.
 */
export function mixTargets(n: number, classes: number, workgroupSize = 256): ComputeProgram {
  if (!Number.isInteger(n) || !Number.isInteger(classes) || n < 1 || classes < 1) {
    throw new ConfigError(`mixTargets: rows × classes must be positive integers, got ${n} × ${classes}`);
  }
  return base('mixTargets', 'mix_targets', ['uniform', 'read', 'write'], n * classes, { N: n, CLASSES: classes }, workgroupSize);
}

/** The augmentation uniform of one step, written into `out` (no allocation when given). */
export function augmentUniforms(seed: number, step: number, mix: MixDraw, out: Uint32Array<ArrayBuffer> = new Uint32Array(AUGMENT_UNIFORM_WORDS)): Uint32Array<ArrayBuffer> {
  for (const [name, v] of [['seed', seed], ['step', step]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= U32_RANGE) throw new ConfigError(`augment: ${name} must be a u32, got ${v}`);
  }
  out[0] = seed;
  out[1] = step;
  out[2] = mix.mode;
  lamBits[0] = mix.lam;
  out[3] = lamWord[0]!;
  out.set(mix.box, 4);
  return out;
}
