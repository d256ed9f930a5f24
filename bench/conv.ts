// Convolution suite: conv2d forward, input gradient and weight gradient (the engine's
// implicit-im2col GEMMs, src/kernels/conv.ts) at the MNIST CNN's two layers and at a 3×3
// 64-channel layer, against TF.js WebGPU's Conv2D, Conv2DBackpropInput and
// Conv2DBackpropFilter kernels (what tf.grads runs for tf.conv2d) at the same shapes.
// The engine runs NCHW with [out, in, kh, kw] weights; TF.js runs NHWC with HWIO filters,
// its native layout (its channels-first paths transpose to NHWC or use naive kernels).
import type * as TfCore from '@tensorflow/tfjs-core';
import { kernels, type Launch } from '../src/index';
import { compareAt, randomArray, spotIndices, type BenchCase, type Suite } from './core';
import { tfjsOf, tfjsPrepared } from './tfjs';

interface Layer extends kernels.Conv2dShape {
  label: string;
}

/**
 * The layers timed (stride 1, groups 1): the MNIST CNN's two convolutions at batch 128
 * (mnistModel('cnn') in src/cli/models.ts), then a 64-channel 3×3 layer at batch 32.
 */
const LAYERS: readonly Layer[] = [
  { label: 'MNIST conv1', batch: 128, inChannels: 1, outChannels: 16, height: 28, width: 28, kernel: 3, padding: 1 },
  { label: 'MNIST conv2', batch: 128, inChannels: 16, outChannels: 32, height: 14, width: 14, kernel: 3, padding: 1 },
  { label: '64-channel', batch: 32, inChannels: 64, outChannels: 64, height: 32, width: 32, kernel: 3, padding: 1 },
];

export type Pass = 'forward' | 'inputGrad' | 'weightGrad';
const PASSES: readonly Pass[] = ['forward', 'inputGrad', 'weightGrad'];
const NAMES: Record<Pass, string> = { forward: 'conv2d forward', inputGrad: 'conv2d input grad', weightGrad: 'conv2d weight grad' };

const FORMULA =
  'GFLOP/s = 2·N·C_out·OH·OW·(C_in/groups)·KH·KW / median time, the same count for each of the three passes ' +
  '(engine NCHW; TF.js NHWC, its native layout)';

type Dims = kernels.Conv2dDims;

/** Operands in the engine's layout: x [N, C_in, H, W], w [C_out, C_in, KH, KW], dy [N, C_out, OH, OW] (gradients only). */
export interface ConvOperands {
  x: ArrayLike<number>;
  w: ArrayLike<number>;
  dy?: ArrayLike<number>;
}

function operands(d: Dims): { x: Float32Array; w: Float32Array; dy: Float32Array } {
  return {
    x: randomArray(d.n * d.cin * d.h * d.w, 11),
    w: randomArray(d.cout * d.cin * d.kh * d.kw, 12),
    dy: randomArray(d.n * d.cout * d.oh * d.ow, 13),
  };
}

/** Length of a pass's output: y, dx or dW. */
function outputLength(pass: Pass, d: Dims): number {
  return pass === 'forward' ? d.n * d.cout * d.oh * d.ow : pass === 'inputGrad' ? d.n * d.cin * d.h * d.w : d.cout * d.cin * d.kh * d.kw;
}

/**
 * Entry i of a pass's output in float64 (groups 1), as the direct sum of its definition,
 * and Σ|term| (the check's tolerance scale).
 */
export function conv2dEntry(pass: Pass, d: Dims, { x, w, dy }: ConvOperands, i: number): [number, number] {
  let sum = 0;
  let abs = 0;
  const add = (a: number, b: number) => {
    sum += a * b;
    abs += Math.abs(a * b);
  };
  const X = (n: number, c: number, ih: number, iw: number) => x[((n * d.cin + c) * d.h + ih) * d.w + iw]!;
  const W = (o: number, c: number, ki: number, kj: number) => w[((o * d.cin + c) * d.kh + ki) * d.kw + kj]!;
  const DY = (n: number, o: number, oy: number, ox: number) => dy![((n * d.cout + o) * d.oh + oy) * d.ow + ox]!;
  const inside = (v: number, size: number) => v >= 0 && v < size;
  if (pass === 'forward') {
    const [n, o, oy, ox] = unravel(i, [d.cout, d.oh, d.ow]);
    for (let c = 0; c < d.cin; c++) {
      for (let ki = 0; ki < d.kh; ki++) {
        const ih = oy * d.sh - d.ph + ki * d.dh;
        for (let kj = 0; kj < d.kw; kj++) {
          const iw = ox * d.sw - d.pw + kj * d.dw;
          if (inside(ih, d.h) && inside(iw, d.w)) add(X(n, c, ih, iw), W(o, c, ki, kj));
        }
      }
    }
  } else if (pass === 'inputGrad') {
    const [n, c, ih, iw] = unravel(i, [d.cin, d.h, d.w]);
    for (let o = 0; o < d.cout; o++) {
      for (let ki = 0; ki < d.kh; ki++) {
        const ty = ih + d.ph - ki * d.dh;
        for (let kj = 0; kj < d.kw; kj++) {
          const tx = iw + d.pw - kj * d.dw;
          if (ty % d.sh || tx % d.sw) continue;
          if (inside(ty / d.sh, d.oh) && inside(tx / d.sw, d.ow)) add(DY(n, o, ty / d.sh, tx / d.sw), W(o, c, ki, kj));
        }
      }
    }
  } else {
    const [o, c, ki, kj] = unravel(i, [d.cin, d.kh, d.kw]);
    for (let n = 0; n < d.n; n++) {
      for (let oy = 0; oy < d.oh; oy++) {
        const ih = oy * d.sh - d.ph + ki * d.dh;
        if (!inside(ih, d.h)) continue;
        for (let ox = 0; ox < d.ow; ox++) {
          const iw = ox * d.sw - d.pw + kj * d.dw;
          if (inside(iw, d.w)) add(DY(n, o, oy, ox), X(n, c, ih, iw));
        }
      }
    }
  }
  return [sum, abs];
}

/** Row-major index → [i0, i1, i2, i3] for the inner dimensions [d1, d2, d3]. */
function unravel(i: number, [d1, d2, d3]: readonly number[]): [number, number, number, number] {
  return [Math.floor(i / (d1! * d2! * d3!)), Math.floor(i / (d2! * d3!)) % d1!, Math.floor(i / d3!) % d2!, i % d3!];
}

/** Transposes a row-major 4-D array: the result's dimension k is the input's dimension order[k]. */
export function permute4(a: ArrayLike<number>, shape: readonly number[], order: readonly number[]): Float32Array {
  const strides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const [s0, s1, s2, s3] = order.map((k) => strides[k]!) as [number, number, number, number];
  const [d0, d1, d2, d3] = order.map((k) => shape[k]!) as [number, number, number, number];
  const out = new Float32Array(a.length);
  let o = 0;
  for (let i0 = 0; i0 < d0; i0++)
    for (let i1 = 0; i1 < d1; i1++)
      for (let i2 = 0; i2 < d2; i2++) for (let i3 = 0; i3 < d3; i3++) out[o++] = a[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3]!;
  return out;
}

/** Spot-checks 128 entries of a pass's output against float64: |err| ≤ 1e-5 + 1e-5·Σ|term|. */
function checkOutput(layer: Layer, pass: Pass, d: Dims, inputs: ConvOperands, got: Float32Array): string {
  const idx = spotIndices(outputLength(pass, d), 128, d.n + d.cin + d.cout);
  const want = new Map(idx.map((i) => [i, conv2dEntry(pass, d, inputs, i)]));
  const worst = compareAt(`${NAMES[pass]} ${layer.label}`, idx, (i) => got[i]!, (i) => want.get(i)![0], {
    rtol: 1e-5,
    scale: (i) => want.get(i)![1],
  });
  return `${idx.length} entries vs float64, max |err| ${worst.toExponential(1)}`;
}

function sizeText(layer: Layer, d: Dims): string {
  return `${layer.label}: x ${d.n}×${d.cin}×${d.h}×${d.w}, w ${d.cout}×${d.cin}×${d.kh}×${d.kw}, pad ${d.ph}`;
}

function shadergradCase(layer: Layer, pass: Pass): BenchCase {
  const d = kernels.conv2dDims(layer);
  return {
    suite: 'conv',
    name: NAMES[pass],
    size: sizeText(layer, d),
    engine: 'shadergrad',
    unit: 'gflops',
    work: 2 * d.n * d.cout * d.oh * d.ow * (d.cin / d.groups) * d.kh * d.kw,
    formula: FORMULA,
    async prepare({ runtime }) {
      // The executor's choice of kernel body, as src/graph/lower-cnn.ts makes it.
      const shape = { ...layer, subgroupSize: runtime.subgroupSize };
      const inputs = operands(d);
      const made: GPUBuffer[] = [];
      const buffer = (data: Float32Array | number, label: string) => {
        const b = typeof data === 'number' ? runtime.createBuffer(4 * data, `bench ${label}`) : runtime.upload(data, `bench ${label}`);
        made.push(b);
        return b;
      };
      const launch = async (program: ReturnType<typeof kernels.conv2dForward>, buffers: GPUBuffer[]): Promise<Launch> => {
        const pipeline = await runtime.prepare(program);
        return runtime.launch(pipeline, buffers);
      };
      const out = buffer(outputLength(pass, d), pass);
      const launches: Launch[] = [];
      let detail = shape.subgroupSize ? `subgroup kernel, ${shape.subgroupSize} lanes` : 'register-tiled kernel';
      if (pass === 'forward') {
        launches.push(await launch(kernels.conv2dForward(shape), [buffer(inputs.x, 'x'), buffer(inputs.w, 'w'), out]));
      } else if (pass === 'inputGrad') {
        launches.push(await launch(kernels.conv2dInputGrad(shape), [buffer(inputs.dy, 'dy'), buffer(inputs.w, 'w'), out]));
      } else {
        // Split partial sums over N·OH·OW, then reduce.sumRows: both dispatches in one submit.
        const { splits } = kernels.conv2dWeightGradSplits(shape);
        const weights = outputLength(pass, d);
        const partials = splits === 1 ? out : buffer(splits * weights, 'weight grad partials');
        launches.push(await launch(kernels.conv2dWeightGrad(shape), [buffer(inputs.x, 'x'), buffer(inputs.dy, 'dy'), partials]));
        if (splits > 1) launches.push(await launch(kernels.sumRows(splits, weights), [partials, out]));
        detail += splits > 1 ? `; ${splits} split partials + sumRows` : '; 1 split';
      }
      return {
        async check() {
          runtime.submit(launches, 'bench check');
          return `${detail}; ${checkOutput(layer, pass, d, inputs, await runtime.readFloat32(out, outputLength(pass, d)))}`;
        },
        iterate: () => runtime.submit(launches, 'bench'),
        sync: () => runtime.sync(),
        dispose: () => made.forEach((b) => runtime.destroyBuffer(b)),
      };
    },
  };
}

function tfjsCase(layer: Layer, pass: Pass): BenchCase {
  return {
    ...shadergradCase(layer, pass),
    engine: 'tfjs',
    async prepare(ctx) {
      const { tf } = tfjsOf(ctx);
      const d = kernels.conv2dDims(layer);
      const inputs = operands(d);
      const NHWC = [0, 2, 3, 1];
      const x = tf.tensor4d(permute4(inputs.x, [d.n, d.cin, d.h, d.w], NHWC), [d.n, d.h, d.w, d.cin]);
      const w = tf.tensor4d(permute4(inputs.w, [d.cout, d.cin, d.kh, d.kw], [2, 3, 1, 0]), [d.kh, d.kw, d.cin, d.cout]);
      const dy = tf.tensor4d(permute4(inputs.dy, [d.n, d.cout, d.oh, d.ow], NHWC), [d.n, d.oh, d.ow, d.cout]);
      const strides: [number, number] = [d.sh, d.sw];
      const pad: TfCore.backend_util.ExplicitPadding = [[0, 0], [d.ph, d.ph], [d.pw, d.pw], [0, 0]];
      const attrs = { strides, pad, dataFormat: 'NHWC' };
      const run = (): TfCore.Tensor =>
        pass === 'forward'
          ? tf.conv2d(x, w, strides, pad, 'NHWC', [d.dh, d.dw])
          : pass === 'inputGrad'
            ? (tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: x.shape }) as TfCore.Tensor)
            : (tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as TfCore.Tensor);
      // Its output back in the engine's layout, for the same check.
      const [shape, order] =
        pass === 'forward' ? [[d.n, d.oh, d.ow, d.cout], [0, 3, 1, 2]]
        : pass === 'inputGrad' ? [[d.n, d.h, d.w, d.cin], [0, 3, 1, 2]]
        : [[d.kh, d.kw, d.cin, d.cout], [3, 2, 0, 1]];
      return tfjsPrepared(
        tf,
        async () => {
          const t = run();
          const got = permute4((await t.data()) as Float32Array, shape, order);
          t.dispose();
          return `TF.js NHWC; ${checkOutput(layer, pass, d, inputs, got)}`;
        },
        run,
        () => tf.dispose([x, w, dy]),
      );
    },
  };
}

export const convSuite: Suite = {
  name: 'conv',
  cases: (quick) =>
    (quick ? LAYERS.slice(0, 1) : LAYERS).flatMap((layer) => PASSES.flatMap((pass) => [shadergradCase(layer, pass), tfjsCase(layer, pass)])),
};
