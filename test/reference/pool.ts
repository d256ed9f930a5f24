// Float64 CPU reference of 2-D pooling with torch semantics (torch.nn.MaxPool2d,
// AvgPool2d, AdaptiveAvgPool2d over the N·C planes of an NCHW tensor): forward and
// backward, written as loops over each output's window.
import type { Pool2dDims } from '../../src/kernels/pool';

/** The planes and sizes of a pooling (what src/kernels/pool.ts resolves). */
export type PoolGeometry = Pool2dDims;

/** One output's window [h0, h1) × [w0, w1) clamped to the input, and its average divisor. */
interface Window {
  h0: number;
  h1: number;
  w0: number;
  w1: number;
  divisor: number;
}

/** torch's avg_pool2d window: hend = min(hstart + k, H + p) before clamping (count_include_pad). */
function kernelWindow(d: PoolGeometry, oh: number, ow: number, countIncludePad: boolean): Window {
  const hs = oh * d.sh - d.ph;
  const ws = ow * d.sw - d.pw;
  const he = Math.min(hs + d.kh, d.h + d.ph);
  const we = Math.min(ws + d.kw, d.w + d.pw);
  const padded = (he - hs) * (we - ws);
  const [h0, w0, h1, w1] = [Math.max(hs, 0), Math.max(ws, 0), Math.min(he, d.h), Math.min(we, d.w)];
  return { h0, h1, w0, w1, divisor: countIncludePad ? padded : (h1 - h0) * (w1 - w0) };
}

/** torch's adaptive window: start = ⌊i·H/OH⌋, end = ⌈(i+1)·H/OH⌉. */
function adaptiveWindow(d: PoolGeometry, oh: number, ow: number): Window {
  const h0 = Math.floor((oh * d.h) / d.oh);
  const h1 = Math.ceil(((oh + 1) * d.h) / d.oh);
  const w0 = Math.floor((ow * d.w) / d.ow);
  const w1 = Math.ceil(((ow + 1) * d.w) / d.ow);
  return { h0, h1, w0, w1, divisor: (h1 - h0) * (w1 - w0) };
}

/** Calls visit(outputIndex, planeOffset, window) for every output. */
function forEachOutput(d: PoolGeometry, windowOf: (oh: number, ow: number) => Window, visit: (o: number, plane: number, win: Window) => void) {
  for (let p = 0; p < d.nc; p++) {
    for (let oh = 0; oh < d.oh; oh++) {
      for (let ow = 0; ow < d.ow; ow++) visit((p * d.oh + oh) * d.ow + ow, p * d.h * d.w, windowOf(oh, ow));
    }
  }
}

/** y = max of each window, indices = its position h·W + w in the plane (first max wins; NaN wins). */
export function maxPool2d(d: PoolGeometry, x: ArrayLike<number>): { y: Float64Array; indices: number[] } {
  const y = new Float64Array(d.nc * d.oh * d.ow);
  const indices = new Array<number>(y.length);
  forEachOutput(d, (oh, ow) => kernelWindow(d, oh, ow, true), (o, plane, { h0, h1, w0, w1 }) => {
    let best = -Infinity;
    let at = h0 * d.w + w0;
    for (let h = h0; h < h1; h++) {
      for (let w = w0; w < w1; w++) {
        const v = x[plane + h * d.w + w]!;
        // torch: `if ((val > maxval) || std::isnan(val))`
        if (v > best || Number.isNaN(v)) [best, at] = [v, h * d.w + w];
      }
    }
    y[o] = best;
    indices[o] = at;
  });
  return { y, indices };
}

/** dx: each dy added at the position of its window's maximum. */
export function maxPool2dBackward(d: PoolGeometry, dy: ArrayLike<number>, indices: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(d.nc * d.h * d.w);
  for (let o = 0; o < dy.length; o++) {
    const plane = Math.floor(o / (d.oh * d.ow));
    dx[plane * d.h * d.w + indices[o]!]! += dy[o]!;
  }
  return dx;
}

function average(d: PoolGeometry, x: ArrayLike<number>, windowOf: (oh: number, ow: number) => Window): Float64Array {
  const y = new Float64Array(d.nc * d.oh * d.ow);
  forEachOutput(d, windowOf, (o, plane, { h0, h1, w0, w1, divisor }) => {
    let total = 0;
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) total += x[plane + h * d.w + w]!;
    y[o] = total / divisor;
  });
  return y;
}

function averageBackward(d: PoolGeometry, dy: ArrayLike<number>, windowOf: (oh: number, ow: number) => Window): Float64Array {
  const dx = new Float64Array(d.nc * d.h * d.w);
  forEachOutput(d, windowOf, (o, plane, { h0, h1, w0, w1, divisor }) => {
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx[plane + h * d.w + w]! += dy[o]! / divisor;
  });
  return dx;
}

/** Average pooling (count_include_pad: the divisor counts the padding inside the window). */
export function avgPool2d(d: PoolGeometry, x: ArrayLike<number>, countIncludePad = true): Float64Array {
  return average(d, x, (oh, ow) => kernelWindow(d, oh, ow, countIncludePad));
}

/** dx of Σ dy ⊙ avgPool2d(x). */
export function avgPool2dBackward(d: PoolGeometry, dy: ArrayLike<number>, countIncludePad = true): Float64Array {
  return averageBackward(d, dy, (oh, ow) => kernelWindow(d, oh, ow, countIncludePad));
}

/** Adaptive average pooling to d.oh × d.ow. */
export function adaptiveAvgPool2d(d: PoolGeometry, x: ArrayLike<number>): Float64Array {
  return average(d, x, (oh, ow) => adaptiveWindow(d, oh, ow));
}

/** dx of Σ dy ⊙ adaptiveAvgPool2d(x). */
export function adaptiveAvgPool2dBackward(d: PoolGeometry, dy: ArrayLike<number>): Float64Array {
  return averageBackward(d, dy, (oh, ow) => adaptiveWindow(d, oh, ow));
}
