// Data augmentation of compile({ augment }): option checks, the calls a training schedule
// starts with (per-sample transform, mixup / CutMix, soft targets), and the per-step uniform
// with the batch's λ and CutMix box, drawn on the host from Philox of (seed, step).
import { ConfigError } from '../errors';
import {
  augmentSamples, augmentUniforms, mixBatch, mixTargets, AUGMENT_UNIFORM_WORDS, MIX_CUTMIX, MIX_MIXUP, MIX_NONE,
  type ImageShape, type MixDraw, type SampleAugmentation,
} from '../kernels/augment';
import { fail, integer, knownKeys, optionsObject, shape } from '../validate';
import { showShape, sizeOf } from './ir';
import type { LossConfig } from './loss';
import type { Schedule } from './schedule';

/**
 * Augmentation applied on the GPU inside every training step (never in evaluate() or
 * predict()), per sample and seeded by compile's seed and the step: the same seed and step
 * give the same batch. Order: geometric transform → noise → cutout → mixup / CutMix.
 */
export interface AugmentOptions {
  /**
   * One sample as an image [C, H, W]. Required when inputShape is not 3-D (e.g. [1, 28, 28]
   * for inputShape [784]); its product must equal inputShape's. Default: inputShape.
   */
  imageShape?: readonly [number, number, number];
  /** Max |translation| in pixels per axis; tx, ty are uniform reals in [−shift, shift]. */
  shift?: number;
  /** Max |angle| in degrees, in [0, 180]; the angle is uniform in [−rotate, rotate], about the image centre. */
  rotate?: number;
  /** Zoom factor uniform in [min, max], 0 < min ≤ max (> 1 enlarges). */
  scale?: readonly [number, number];
  /** Std of additive Gaussian noise (Box–Muller), after the geometric transform. */
  noise?: number;
  /**
   * Side in pixels (an integer) of one zeroed square per sample, all channels, centre uniform
   * over the pixels, clipped at the borders (DeVries & Taylor 2017; their code zeroes
   * 2·⌊side/2⌋ for an odd side, this exactly `side`). Applied after noise.
   */
  cutout?: number;
  /**
   * α of Beta(α, α) for mixup (0: off): the batch is mixed with itself reversed (timm's
   * flip), x' = λx + (1 − λ)x_flip, with soft targets λ·onehot(y) + (1 − λ)·onehot(y_flip).
   * Needs loss 'crossEntropy' (label smoothing still applies); accuracy counts the original labels.
   */
  mixup?: number;
  /**
   * α of Beta(α, α) for CutMix (0: off): a box of area fraction ≈ 1 − λ (timm's rand_bbox)
   * pasted from the reversed batch, λ corrected to the clipped box's area. With mixup too,
   * each step picks one of the two with probability 0.5 (timm's switch_prob).
   */
  cutmix?: number;
}

/** Checked options: the image shape, the per-sample kernel's settings (if any), mix α's (0: off). */
export interface ResolvedAugment {
  image: ImageShape;
  samples: SampleAugmentation | undefined;
  mixup: number;
  cutmix: number;
}

const KEYS = ['imageShape', 'shift', 'rotate', 'scale', 'noise', 'cutout', 'mixup', 'cutmix'];

function nonNegative(what: string, value: unknown, max?: number): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (max !== undefined && value > max)) {
    fail(what, value, max === undefined ? 'a finite number ≥ 0' : `a finite number in [0, ${max}]`);
  }
  return value;
}

/** Checks compile's augment option against the input shape and loss; throws a ConfigError naming the field. */
export function checkAugment(what: string, value: unknown, inputShape: readonly number[], loss: LossConfig): ResolvedAugment {
  const o = optionsObject(what, value);
  knownKeys(what, o, KEYS);
  let image: ImageShape;
  if (o.imageShape !== undefined) {
    const s = shape(`${what}.imageShape`, o.imageShape);
    if (s.length !== 3 || sizeOf(s) !== sizeOf(inputShape)) {
      fail(`${what}.imageShape`, o.imageShape, `[C, H, W] with as many values as inputShape ${showShape(inputShape)} (${sizeOf(inputShape)})`);
    }
    image = s as unknown as ImageShape;
  } else if (inputShape.length === 3) {
    image = inputShape as unknown as ImageShape;
  } else {
    fail(`${what}.imageShape`, o.imageShape, `given as [C, H, W] when inputShape is not 3-D (inputShape ${showShape(inputShape)})`);
  }
  const shift = nonNegative(`${what}.shift`, o.shift);
  const rotate = nonNegative(`${what}.rotate`, o.rotate, 180);
  let scale: [number, number] = [1, 1];
  if (o.scale !== undefined) {
    const s = o.scale as number[];
    const ok = Array.isArray(s) && s.length === 2 && s.every((v) => typeof v === 'number' && Number.isFinite(v)) && s[0]! > 0 && s[0]! <= s[1]!;
    if (!ok) fail(`${what}.scale`, o.scale, '[min, max] with 0 < min ≤ max, both finite');
    scale = [s[0]!, s[1]!];
  }
  const noise = nonNegative(`${what}.noise`, o.noise);
  const cutout = o.cutout === undefined ? 0 : integer(`${what}.cutout`, o.cutout, 0);
  const mixup = nonNegative(`${what}.mixup`, o.mixup);
  const cutmix = nonNegative(`${what}.cutmix`, o.cutmix);
  if ((mixup > 0 || cutmix > 0) && loss.kind !== 'crossEntropy') {
    throw new ConfigError(`${what}.${mixup > 0 ? 'mixup' : 'cutmix'} needs the class-label loss 'crossEntropy' (it mixes soft targets), got loss '${loss.kind}'`);
  }
  const any = shift > 0 || rotate > 0 || scale[0] !== 1 || scale[1] !== 1 || noise > 0 || cutout > 0;
  return { image: [...image] as unknown as ImageShape, samples: any ? { shift, rotate, scale, noise, cutout } : undefined, mixup, cutmix };
}

/** Keys the augmentation calls read and write. */
export interface AugmentKeys {
  uniform: string;
  input: string;
  targets: string;
}

/**
 * Records the augmentation calls at the start of a training schedule over the input batch
 * [N, ...]. Returns the key the forward pass reads as its input and, when mixing, the soft
 * targets [N, classes] the loss must use instead of the labels.
 */
export function lowerAugment(schedule: Schedule, aug: ResolvedAugment, inputShape: readonly number[], classes: number, keys: AugmentKeys): { input: string; softTargets?: string } {
  const n = inputShape[0]!;
  const bytes = sizeOf(inputShape) * 4;
  const uniform = schedule.define(keys.uniform, AUGMENT_UNIFORM_WORDS * 4, { kind: 'shared', usage: 'uniform' });
  let x = schedule.define(keys.input, bytes, { kind: 'local' }, `the input batch ${showShape(inputShape)}`);
  if (aug.samples) {
    const y = schedule.define('augment.samples', bytes, { kind: 'planned' }, `the augmented input batch ${showShape(inputShape)}`);
    schedule.call(augmentSamples(n, aug.image, aug.samples), [uniform, x, y]);
    x = y;
  }
  if (aug.mixup === 0 && aug.cutmix === 0) return { input: x };
  const mixed = schedule.define('augment.mixed', bytes, { kind: 'planned' }, `the mixed input batch ${showShape(inputShape)}`);
  schedule.call(mixBatch(n, aug.image), [uniform, x, mixed]);
  const labels = schedule.define(keys.targets, n * 4, { kind: 'local' });
  const softTargets = schedule.define('augment.soft targets', n * classes * 4, { kind: 'planned' }, `the mixed soft targets [${n}, ${classes}]`);
  schedule.call(mixTargets(n, classes), [uniform, labels, softTargets]);
  return { input: mixed, softTargets };
}

// The host's Philox-2x32-10 stream for the per-step draws (key seed ^ 'MIX1', counters
// (k, step)): a pure function of (seed, step), so a restored checkpoint draws the same.
const PHILOX_M = 0xd256d193;
const PHILOX_W = 0x9e3779b9;
const MIX_KEY = 0x4d495831;
const stream = { key: 0, step: 0, counter: 0, words: new Uint32Array(2), used: 2 };

function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** The next uniform in (0, 1) of the stream, from one 32-bit word. */
function next(): number {
  if (stream.used === 2) {
    let x = stream.counter++ >>> 0;
    let y = stream.step;
    let k = stream.key;
    for (let round = 0; round < 10; round++) {
      const hi = mulhi(PHILOX_M, x);
      const lo = Math.imul(PHILOX_M, x) >>> 0;
      x = (hi ^ k ^ y) >>> 0;
      y = lo;
      k = (k + PHILOX_W) >>> 0;
    }
    stream.words[0] = x;
    stream.words[1] = y;
    stream.used = 0;
  }
  return (stream.words[stream.used++]! + 0.5) / 2 ** 32;
}

/** Gamma(a, 1) by Marsaglia & Tsang (2000), boosted for a < 1; bounded retries keep it total. */
function gamma(a: number): number {
  if (a < 1) return gamma(a + 1) * Math.pow(next(), 1 / a);
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let attempt = 0; attempt < 64; attempt++) {
    const z = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
    const v = (1 + c * z) ** 3;
    if (v > 0 && Math.log(next()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
  return d;
}

function beta(alpha: number): number {
  const x = gamma(alpha);
  const y = gamma(alpha);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/**
 * The batch mixing of one step (λ per batch, as timm's Mixup in 'batch' mode): mixup or
 * CutMix (probability 0.5 each when both are on), λ ~ Beta(α, α); CutMix's box is timm's
 * rand_bbox (sides ⌊H√(1−λ)⌋ × ⌊W√(1−λ)⌋, centre uniform over the pixels, clipped) and λ
 * becomes 1 − box area / (H·W). Written into `out` (no allocation when given).
 */
export function drawMix(aug: { mixup?: number; cutmix?: number }, image: ImageShape, seed: number, step: number, out?: MixDraw): MixDraw {
  const result = out ?? { mode: MIX_NONE, lam: 1, box: new Uint32Array(4) };
  stream.key = (seed ^ MIX_KEY) >>> 0;
  stream.step = step >>> 0;
  stream.counter = 0;
  stream.used = 2;
  const mixup = aug.mixup ?? 0;
  const cutmix = aug.cutmix ?? 0;
  result.box.fill(0);
  result.mode = MIX_NONE;
  result.lam = 1;
  if (mixup === 0 && cutmix === 0) return result;
  const useCutmix = cutmix > 0 && (mixup === 0 || next() < 0.5);
  result.lam = beta(useCutmix ? cutmix : mixup);
  result.mode = useCutmix ? MIX_CUTMIX : MIX_MIXUP;
  if (!useCutmix) return result;
  const h = image[1];
  const w = image[2];
  const ratio = Math.sqrt(1 - result.lam);
  const halfH = Math.floor(h * ratio) >> 1;
  const halfW = Math.floor(w * ratio) >> 1;
  const cy = Math.floor(next() * h);
  const cx = Math.floor(next() * w);
  const box = result.box;
  box[0] = Math.max(0, cx - halfW);
  box[1] = Math.max(0, cy - halfH);
  box[2] = Math.min(w, cx + halfW);
  box[3] = Math.min(h, cy + halfH);
  result.lam = 1 - ((box[2]! - box[0]!) * (box[3]! - box[1]!)) / (h * w);
  return result;
}

const scratch: MixDraw = { mode: MIX_NONE, lam: 1, box: new Uint32Array(4) };

/** The augmentation uniform a training step writes (seed, step, the step's mixing), into `out`. */
export function stepAugmentUniforms(aug: ResolvedAugment, seed: number, step: number, out: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  return augmentUniforms(seed, step, drawMix(aug, aug.image, seed, step, scratch), out);
}
