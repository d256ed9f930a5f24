// The train suite's correctness check: each engine's first-step loss against a float64 CPU
// forward of the same Sequential with the weights that engine starts from (the engine's own
// parameters, or TF.js's mirrored into the engine's layout), so every engine is timed on the
// model it was checked to run.
import type * as TfLayers from '@tensorflow/tfjs-layers';
import { ActivationLayer, BatchNorm, Conv2d, Flatten, kernels, Linear, MaxPool2d, type Sequential } from '../src/index';
import { conv2dEntry, permute4 } from './conv';
import { CheckError } from './core';

/** A module's parameters in the engine's layout (PyTorch's: Linear [out, in], Conv2d [out, in, kh, kw]). */
export type Params = (index: number) => { weight?: ArrayLike<number>; bias?: ArrayLike<number> };

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Mean cross-entropy of a Sequential of Linear, Conv2d (groups 1), BatchNorm, MaxPool2d,
 * ReLU and Flatten layers on one batch, in float64; batch norm normalizes with the batch's
 * statistics (biased variance), as in training.
 */
export function sequentialLoss(model: Sequential, sample: readonly number[], x: Float32Array, labels: Uint32Array, params: Params): number {
  let act: ArrayLike<number> = x;
  const batch = labels.length;
  let shape = [batch, ...sample];
  model.layers.forEach((layer, index) => {
    const { weight, bias } = params(index);
    const [n, c, h, w] = shape as [number, number, number, number];
    if (layer instanceof Linear) {
      const [k, m] = [c, layer.outFeatures];
      const out = new Float64Array(n * m);
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < m; o++) {
          let s = bias?.[o] ?? 0;
          for (let i = 0; i < k; i++) s += act[r * k + i]! * weight![o * k + i]!;
          out[r * m + o] = s;
        }
      }
      [act, shape] = [out, [n, m]];
    } else if (layer instanceof Conv2d && layer.groups === 1) {
      const { kernel, stride, padding, dilation, outChannels: co } = layer;
      const d = kernels.conv2dDims({ batch: n, inChannels: c, outChannels: co, height: h, width: w, kernel, stride, padding, dilation });
      const area = d.oh * d.ow;
      const input = act;
      const entry = (i: number) => conv2dEntry('forward', d, { x: input, w: weight! }, i)[0] + (bias?.[Math.floor(i / area) % co] ?? 0);
      act = Float64Array.from({ length: n * co * area }, (_, i) => entry(i));
      shape = [n, co, d.oh, d.ow];
    } else if (layer instanceof BatchNorm) {
      const s = size(shape.slice(2));
      const eps = layer.options.eps ?? 1e-5;
      const out = new Float64Array(act.length);
      for (let ch = 0; ch < c; ch++) {
        const at = (b: number, k: number) => (b * c + ch) * s + k;
        let mean = 0;
        let variance = 0;
        for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) mean += act[at(b, k)]! / (n * s);
        for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) variance += (act[at(b, k)]! - mean) ** 2 / (n * s);
        const scale = weight![ch]! / Math.sqrt(variance + eps);
        for (let b = 0; b < n; b++) for (let k = 0; k < s; k++) out[at(b, k)] = (act[at(b, k)]! - mean) * scale + bias![ch]!;
      }
      act = out;
    } else if (layer instanceof MaxPool2d) {
      const { kernel: [kh, kw], stride: [sh, sw], padding: [ph, pw] } = layer.window;
      const [oh, ow] = [Math.floor((h + 2 * ph - kh) / sh) + 1, Math.floor((w + 2 * pw - kw) / sw) + 1];
      const out = new Float64Array(n * c * oh * ow).fill(-Infinity);
      for (let p = 0; p < n * c; p++) {
        for (let y = 0; y < oh; y++) {
          for (let xo = 0; xo < ow; xo++) {
            for (let i = 0; i < kh; i++) {
              for (let j = 0; j < kw; j++) {
                const [iy, ix] = [y * sh - ph + i, xo * sw - pw + j];
                const o = (p * oh + y) * ow + xo;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) out[o] = Math.max(out[o]!, act[(p * h + iy) * w + ix]!);
              }
            }
          }
        }
      }
      [act, shape] = [out, [n, c, oh, ow]];
    } else if (layer instanceof ActivationLayer && layer.activation === 'relu') {
      act = Float64Array.from(act, (v) => Math.max(0, v));
    } else if (layer instanceof Flatten) {
      shape = [n, size(shape.slice(1))];
    } else {
      throw new CheckError(`train bench: no CPU reference for layer ${index} (${layer.type})`);
    }
  });
  const width = shape[1]!;
  let loss = 0;
  for (let r = 0; r < batch; r++) {
    const row = Array.from({ length: width }, (_, j) => act[r * width + j]!);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    loss += lse - row[labels[r]!]!;
  }
  return loss / batch;
}

/** Parameters of a compiled model by module index ("<index>.weight", "<index>.bias"). */
export function engineParams(params: Map<string, Float32Array>): Params {
  return (i) => ({ weight: params.get(`${i}.weight`), bias: params.get(`${i}.bias`) });
}

/**
 * The parameters of a TF.js model in the engine's layout, module i mirrored by TF.js layer
 * `of(i)`: conv filters HWIO → [out, in, kh, kw]; dense kernels [in, out] → [out, in], with
 * the rows after a Flatten of NHWC (H, W, C order) put in the engine's C, H, W order.
 */
export async function tfjsParams(model: Sequential, of: (index: number) => TfLayers.layers.Layer | undefined): Promise<Params> {
  const byIndex = new Map<number, { weight?: Float32Array; bias?: Float32Array }>();
  for (const [i, layer] of model.layers.entries()) {
    const tfLayer = of(i);
    if (!tfLayer || !tfLayer.getWeights().length) continue;
    const [kernel, bias] = tfLayer.getWeights();
    let weight = (await kernel!.data()) as Float32Array;
    if (layer instanceof Conv2d) weight = permute4(weight, kernel!.shape, [3, 2, 0, 1]);
    if (layer instanceof Linear) {
      const [inputs, outputs] = kernel!.shape as [number, number];
      const flatten = of(i - 1)?.getClassName() === 'Flatten' ? of(i - 1)! : undefined;
      // A Flatten's input shapes: [[null, H, W, C]] (one list per input).
      const [h, w, c] = flatten ? (flatten.inboundNodes[0]!.inputShapes as number[][])[0]!.slice(1) : [1, 1, inputs];
      const tfRow = (k: number) => (((Math.floor(k / w!) % h!) * w! + (k % w!)) * c! + Math.floor(k / (h! * w!)));
      const kernelData = weight;
      weight = Float32Array.from({ length: inputs * outputs }, (_, j) => kernelData[tfRow(j % inputs) * outputs + Math.floor(j / inputs)]!);
    }
    byIndex.set(i, { weight, bias: bias && ((await bias.data()) as Float32Array) });
  }
  return (i) => byIndex.get(i) ?? {};
}

export function checkLoss(engine: string, got: number, want: number): string {
  if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want) + 1e-5)) {
    throw new CheckError(`${engine}: first-step loss ${got}, CPU forward with the same weights gives ${want}`);
  }
  return `first-step loss ${got.toFixed(5)} = CPU float64 forward (|err| ${Math.abs(got - want).toExponential(1)})`;
}
