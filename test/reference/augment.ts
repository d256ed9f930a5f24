// Float64 CPU reference of shaders/augment.wgsl from the same Philox draws: per-sample
// affine + bilinear (zero fill), Box–Muller noise, cutout; mixup / CutMix of the batch with
// itself reversed, and the mixed soft targets.
import type { ImageShape, MixDraw, SampleAugmentation } from '../../src/kernels/augment';
import { philox2x32 } from './dropout';

/** The kernels' Philox key: the seed xor 'AUG1', apart from dropout's (key = seed). */
export const AUG_KEY = 0x41554731;

const unit = (draw: number) => (draw >>> 8) / 2 ** 24;

/** The draws of sample n at (seed, step): angle (rad), zoom, tx, ty, cutout centre (cy, cx). */
export function sampleDraws(options: SampleAugmentation, image: ImageShape, n: number, seed: number, step: number) {
  const key = (seed ^ AUG_KEY) >>> 0;
  const [a0, a1] = philox2x32(3 * n, step, key);
  const [b0, b1] = philox2x32(3 * n + 1, step, key);
  const [d0, d1] = philox2x32(3 * n + 2, step, key);
  const { shift = 0, rotate = 0, scale = [1, 1] } = options;
  // The f32 constants the kernel sees.
  const rot = Math.fround((rotate * Math.PI) / 180);
  return {
    angle: rot * (2 * unit(a0) - 1),
    zoom: Math.fround(scale[0]) + (Math.fround(scale[1]) - Math.fround(scale[0])) * unit(a1),
    tx: Math.fround(shift) * (2 * unit(b0) - 1),
    ty: Math.fround(shift) * (2 * unit(b1) - 1),
    cy: Math.floor((d0 * image[1]) / 2 ** 32),
    cx: Math.floor((d1 * image[2]) / 2 ** 32),
  };
}

/** The standard normal the kernel adds (× noise) at flat element e of a batch of n samples. */
export function noiseDraw(n: number, e: number, seed: number, step: number): number {
  const [w0, w1] = philox2x32(3 * n + e, step, (seed ^ AUG_KEY) >>> 0);
  const u1 = ((w0 >>> 8) + 1) / 2 ** 24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(Math.PI * (2 * unit(w1) - 1));
}

function bilinear(x: ArrayLike<number>, plane: number, h: number, w: number, sx: number, sy: number): number {
  const at = (xi: number, yi: number) => (xi < 0 || yi < 0 || xi >= w || yi >= h ? 0 : x[plane + yi * w + xi]!);
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const top = (1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0);
  const bottom = (1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1);
  return (1 - fy) * top + fy * bottom;
}

/** augmentSamples on x [n, C, H, W] at (seed, step), in float64. */
export function augmentReference(x: ArrayLike<number>, n: number, image: ImageShape, options: SampleAugmentation, seed: number, step: number): Float64Array {
  const [c, h, w] = image;
  const { shift = 0, rotate = 0, scale = [1, 1], noise = 0, cutout = 0 } = options;
  const geometric = shift > 0 || rotate > 0 || scale[0] !== 1 || scale[1] !== 1;
  const out = new Float64Array(n * c * h * w);
  for (let s = 0; s < n; s++) {
    const d = sampleDraws(options, image, s, seed, step);
    const [mx, my] = [(w - 1) / 2, (h - 1) / 2];
    const [co, si] = [Math.cos(d.angle), Math.sin(d.angle)];
    const [y0, x0] = [d.cy - Math.floor(cutout / 2), d.cx - Math.floor(cutout / 2)];
    for (let ch = 0; ch < c; ch++) {
      const plane = (s * c + ch) * h * w;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const p = y * w + xx;
          let v = x[plane + p]!;
          if (geometric) {
            const [dx, dy] = [xx - mx - d.tx, y - my - d.ty];
            v = bilinear(x, plane, h, w, mx + (co * dx + si * dy) / d.zoom, my + (co * dy - si * dx) / d.zoom);
          }
          if (noise > 0) v += Math.fround(noise) * noiseDraw(n, plane + p, seed, step);
          const cut = cutout > 0 && y >= y0 && y < y0 + cutout && xx >= x0 && xx < x0 + cutout;
          out[plane + p] = cut ? 0 : v;
        }
      }
    }
  }
  return out;
}

/** mixBatch: mixup or CutMix of x [n, C, H, W] with the reversed batch, in float64. */
export function mixReference(x: ArrayLike<number>, n: number, image: ImageShape, mix: MixDraw): Float64Array {
  const [c, h, w] = image;
  const sample = c * h * w;
  const lam = Math.fround(mix.lam);
  const [bx0, by0, bx1, by1] = mix.box;
  return Float64Array.from({ length: n * sample }, (_, i) => {
    const within = i % sample;
    const own = x[i]!;
    const other = x[(n - 1 - Math.floor(i / sample)) * sample + within]!;
    if (mix.mode === 1) return lam * own + (1 - lam) * other;
    const [xx, y] = [within % w, Math.floor(within / w) % h];
    const inside = mix.mode === 2 && xx >= bx0! && xx < bx1! && y >= by0! && y < by1!;
    return inside ? other : own;
  });
}

/** mixTargets: λ·onehot(y) + (1 − λ)·onehot(y_flip) as [n, classes] (one-hot for mode 0). */
export function mixTargetsReference(labels: ArrayLike<number>, classes: number, mix: MixDraw): Float64Array {
  const n = labels.length;
  const lam = mix.mode === 0 ? 1 : Math.fround(mix.lam);
  const out = new Float64Array(n * classes);
  for (let r = 0; r < n; r++) {
    const [own, other] = [r * classes + labels[r]!, r * classes + labels[n - 1 - r]!];
    out[own] = out[own]! + lam;
    out[other] = out[other]! + (1 - lam);
  }
  return out;
}
