// The device report's convolution cases: the three passes of the MNIST CNN's convolutions
// (Conv2d 1→16 on 28×28 and 16→32 on 14×14, 3×3, padding 1, batch 128) once per kernel
// variant the device can run, each spot-checked against float64 before it is timed. They show
// whether the per-adapter table's conv2d choice (kernels.matmulTableChoice) is the fastest.
import { alternativesOf } from '../src/gpu/kernel-choice';
import { kernels, type GpuRuntime } from '../src/index';
import { compareAt, randomArray, spotIndices, type BenchCase } from './core';
import type { ReportVariant } from './device-report-matmul';

/** One convolution layer of the report (stride 1, padding 1, 3×3). */
export interface ReportConv {
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
}

/** The MNIST CNN's two convolutions at the train suite's batch; `quick` shrinks the batch. */
export function reportConvs(quick: boolean): ReportConv[] {
  const batch = quick ? 8 : 128;
  return [
    { batch, inChannels: 1, outChannels: 16, size: 28 },
    { batch, inChannels: 16, outChannels: 32, size: 14 },
  ];
}

export type ConvPass = 'forward' | 'inputGrad' | 'weightGrad';

export const CONV_FORMULA = 'GFLOP/s = 2·N·C_out·C_in·9·H·W / time per pass (GPU timestamps where the device has them, else wall clock)';

const shapeOf = (c: ReportConv, settings: Partial<kernels.Conv2dShape> = {}): kernels.Conv2dShape => ({
  batch: c.batch, inChannels: c.inChannels, outChannels: c.outChannels, height: c.size, width: c.size, kernel: 3, padding: 1, ...settings,
});

const layerName = (c: ReportConv) => `${c.batch}×${c.inChannels}×${c.size}×${c.size} → ${c.outChannels}`;

const PASSES = { forward: kernels.conv2dForward, inputGrad: kernels.conv2dInputGrad, weightGrad: kernels.conv2dWeightGrad } as const;

/** A first layer's input gradient is left out: a model never needs it. */
const passesOf = (c: ReportConv): ConvPass[] => (c.inChannels === 1 ? ['forward', 'weightGrad'] : ['forward', 'inputGrad', 'weightGrad']);

/** What the per-adapter table (no trials) picks for each layer and pass, as a compiled model on this runtime would run. */
export function convTableChoice(runtime: GpuRuntime, convs: readonly ReportConv[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of convs) {
    for (const pass of passesOf(c)) {
      const alternatives = alternativesOf(PASSES[pass](shapeOf(c, { subgroupSize: runtime.subgroupSize })))!;
      out[`${layerName(c)} ${pass}`] = alternatives.table(runtime.kernelChoice.adapter);
    }
  }
  return out;
}

/** Float64 references of single entries of the three passes (stride 1, padding 1, 3×3). */
function references(c: ReportConv, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const { inChannels: ci, outChannels: co, size: s } = c;
  const xAt = (n: number, i: number, h: number, v: number) => (h < 0 || v < 0 || h >= s || v >= s ? 0 : x[((n * ci + i) * s + h) * s + v]!);
  const dyAt = (n: number, o: number, h: number, v: number) => (h < 0 || v < 0 || h >= s || v >= s ? 0 : dy[((n * co + o) * s + h) * s + v]!);
  const wAt = (o: number, i: number, kh: number, kw: number) => w[((o * ci + i) * 3 + kh) * 3 + kw]!;
  // Each returns [Σ terms, Σ |terms|] for one output entry.
  const forward = (idx: number): [number, number] => {
    const [n, o, h, v] = [Math.floor(idx / (co * s * s)), Math.floor(idx / (s * s)) % co, Math.floor(idx / s) % s, idx % s];
    let [sum, abs] = [0, 0];
    for (let i = 0; i < ci; i++) for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
      const t = xAt(n, i, h + kh - 1, v + kw - 1) * wAt(o, i, kh, kw);
      sum += t;
      abs += Math.abs(t);
    }
    return [sum, abs];
  };
  const inputGrad = (idx: number): [number, number] => {
    const [n, i, h, v] = [Math.floor(idx / (ci * s * s)), Math.floor(idx / (s * s)) % ci, Math.floor(idx / s) % s, idx % s];
    let [sum, abs] = [0, 0];
    for (let o = 0; o < co; o++) for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) {
      const t = dyAt(n, o, h - kh + 1, v - kw + 1) * wAt(o, i, kh, kw);
      sum += t;
      abs += Math.abs(t);
    }
    return [sum, abs];
  };
  const weightGrad = (idx: number): [number, number] => {
    const [o, i, kh, kw] = [Math.floor(idx / (ci * 9)), Math.floor(idx / 9) % ci, Math.floor(idx / 3) % 3, idx % 3];
    let [sum, abs] = [0, 0];
    for (let n = 0; n < c.batch; n++) for (let h = 0; h < s; h++) for (let v = 0; v < s; v++) {
      const t = dyAt(n, o, h, v) * xAt(n, i, h + kh - 1, v + kw - 1);
      sum += t;
      abs += Math.abs(t);
    }
    return [sum, abs];
  };
  return { forward, inputGrad, weightGrad };
}

/** The cases for every layer × pass × variant; a first layer's input gradient is left out (a model never needs it). */
export function convCases(convs: readonly ReportConv[], variants: readonly ReportVariant[]): BenchCase[] {
  return convs.flatMap((c, layer) => {
    const x = randomArray(c.batch * c.inChannels * c.size ** 2, 11 + layer);
    const w = randomArray(c.outChannels * c.inChannels * 9, 12 + layer);
    const dy = randomArray(c.batch * c.outChannels * c.size ** 2, 13 + layer);
    const refs = references(c, x, w, dy);
    const size = layerName(c);
    return passesOf(c).flatMap((pass) =>
      variants.map((variant): BenchCase => ({
        suite: 'device-conv',
        name: `conv2d ${pass} ${variant.name}`,
        size,
        engine: 'shadergrad',
        unit: 'gflops',
        work: 2 * c.batch * c.outChannels * c.inChannels * 9 * c.size ** 2,
        formula: CONV_FORMULA,
        prepare: ({ runtime }) => preparePass(runtime, c, pass, shapeOf(c, variant.settings), { x, w, dy }, refs[pass]),
      })),
    );
  });
}

async function preparePass(
  runtime: GpuRuntime,
  c: ReportConv,
  pass: ConvPass,
  shape: kernels.Conv2dShape,
  data: { x: Float32Array; w: Float32Array; dy: Float32Array },
  reference: (idx: number) => [number, number],
) {
  const weights = data.w.length;
  const splits = pass === 'weightGrad' ? kernels.conv2dWeightGradSplits(shape).splits : 1;
  const program = PASSES[pass](shape);
  const [inputs, outFloats] = {
    forward: [[data.x, data.w], data.dy.length],
    inputGrad: [[data.dy, data.w], data.x.length],
    weightGrad: [[data.x, data.dy], splits * weights],
  }[pass] as [Float32Array[], number];
  const pipeline = await runtime.prepare(program);
  const buffers = [...inputs.map((a, i) => runtime.upload(a, `report conv ${i}`)), runtime.createBuffer(outFloats * 4, 'report conv out')];
  const launch = runtime.launch(pipeline, buffers);
  return {
    async check() {
      runtime.submit([launch], 'report check');
      const out = await runtime.readFloat32(buffers.at(-1)!, outFloats);
      // The weight gradient's partial sums add up to dW.
      const entries = pass === 'weightGrad' ? weights : outFloats;
      const value = (i: number) => (pass === 'weightGrad' ? Array.from({ length: splits }, (_, s) => out[s * weights + i]!).reduce((a, b) => a + b, 0) : out[i]!);
      const terms = pass === 'weightGrad' ? c.batch * c.size ** 2 : (pass === 'forward' ? c.inChannels : c.outChannels) * 9;
      const rtol = Math.max(1e-5, 8 * Math.sqrt(terms) * 2 ** -24);
      const idx = spotIndices(entries, 32, entries);
      const worst = compareAt(`conv2d ${pass}`, idx, value, (i) => reference(i)[0], { atol: 1e-6, rtol, scale: (i) => reference(i)[1] });
      return `${idx.length} entries vs float64, max |err| ${worst.toExponential(1)}`;
    },
    iterate: () => runtime.submit([launch], 'report'),
    sync: () => runtime.sync(),
    dispose: () => buffers.forEach((buf) => runtime.destroyBuffer(buf)),
  };
}
