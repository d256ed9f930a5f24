// Optimizer suite: Adam over P parameters in 20 tensors, as one fused dispatch over a
// parameter arena (what compile() does) versus per-tensor updates: TF.js's tf.train.adam,
// which updates each variable with a chain of elementwise kernels (unfused: ~13 dispatches
// and intermediate tensors per variable); and, to separate fusion from dispatch count, the
// engine's own fused kernel run once per tensor over 20 separate buffers, recorded in one
// submit or submitted one by one.
import type * as TfCore from '@tensorflow/tfjs-core';
import { kernels, type GpuRuntime, type Launch } from '../src/index';
import { compareAt, randomArray, spotIndices, type BenchCase, type Suite } from './core';
import { tfjsOf, tfjsPrepared } from './tfjs';

const TENSORS = 20;
const CONFIG = { kind: 'adam', lr: 1e-3 } as const;
const [BETA1, BETA2, EPS, LR] = [0.9, 0.999, 1e-8, 1e-3];
/** Step 2, so that the update reads its state (at step 1 the state is not read). */
const STEP = 2;

interface Group {
  size: number;
  buffers: GPUBuffer[];
  param: GPUBuffer;
  state: GPUBuffer;
  launch: Launch;
  /** Inputs for the check: parameters, gradients, state [m, v] before the step. */
  p: Float32Array;
  g: Float32Array;
  s: Float32Array;
}

/** One optimizerUpdate over `sizes.length` tensors laid out back to back in one set of buffers. */
async function group(runtime: GpuRuntime, sizes: number[], seed: number, uniform: GPUBuffer): Promise<Group> {
  const size = sizes.reduce((a, b) => a + b, 0);
  let start = 0;
  const segments = sizes.map((length) => ({ start: (start += length) - length, length }));
  const p = randomArray(size, seed);
  const g = randomArray(size, seed + 1);
  const s = randomArray(2 * size, seed + 2, 0, 1); // m and v (v ≥ 0)
  const table = runtime.upload(kernels.segmentTable(segments, size), 'bench segments');
  const grads = runtime.upload(g, 'bench grads');
  const param = runtime.upload(p, 'bench params');
  const state = runtime.upload(s, 'bench state');
  // The variant the runtime chooses for this adapter, as in a compiled model.
  const pipeline = await runtime.acquirePipeline(kernels.optimizerUpdate(CONFIG, size, segments.length));
  const launch = runtime.launch(pipeline, [uniform, table, grads, param, state]);
  return { size, buffers: [table, grads, param, state], param, state, launch, p, g, s };
}

/** Reads a group back and compares sampled elements with torch's Adam in float64. */
async function checkGroup(runtime: GpuRuntime, gr: Group): Promise<number> {
  const p = await runtime.readFloat32(gr.param, gr.size);
  const s = await runtime.readFloat32(gr.state, 2 * gr.size);
  const ref = (i: number) => {
    const m = BETA1 * gr.s[i]! + (1 - BETA1) * gr.g[i]!;
    const v = BETA2 * gr.s[gr.size + i]! + (1 - BETA2) * gr.g[i]! ** 2;
    const update = (LR * (m / (1 - BETA1 ** STEP))) / (Math.sqrt(v / (1 - BETA2 ** STEP)) + EPS);
    return { m, v, p: gr.p[i]! - update };
  };
  const idx = spotIndices(gr.size, 256, gr.size);
  return Math.max(
    compareAt('adam param', idx, (i) => p[i]!, (i) => ref(i).p, { atol: 1e-6 }),
    compareAt('adam exp_avg', idx, (i) => s[i]!, (i) => ref(i).m, { atol: 1e-6 }),
    compareAt('adam exp_avg_sq', idx, (i) => s[gr.size + i]!, (i) => ref(i).v, { atol: 1e-6 }),
  );
}

/** fused: one dispatch over the arena; dispatches: 20 dispatches in one submit; submits: 20 submits. */
type Variant = 'fused' | 'dispatches' | 'submits';

const NAMES: Record<Variant, string> = {
  fused: 'adam fused (1 dispatch)',
  dispatches: `adam per-tensor (${TENSORS} dispatches)`,
  submits: `adam per-tensor (${TENSORS} submits)`,
};

/** 20 tensor sizes adding up to `total`. */
function tensorSizes(total: number): number[] {
  const per = Math.floor(total / TENSORS);
  return Array.from({ length: TENSORS }, (_, k) => (k === TENSORS - 1 ? total - per * (TENSORS - 1) : per));
}

/** What every case of one size shares. */
function common(total: number) {
  return {
    suite: 'optim',
    size: `${total.toExponential(0).replace('+', '')} params / ${TENSORS} tensors`,
    unit: 'gbps' as const,
    work: 7 * 4 * total,
    formula: 'GB/s = 7·4·P bytes (Adam reads p, g, m, v and writes p, m, v; the minimum traffic, whatever an engine moves) / median time',
  };
}

function optimCase(total: number, variant: Variant): BenchCase {
  const fused = variant === 'fused';
  const sizes = tensorSizes(total);
  return {
    ...common(total),
    name: NAMES[variant],
    engine: 'shadergrad',
    async prepare({ runtime }) {
      const uniform = runtime.uniform(kernels.optimizerUniform(CONFIG, { step: STEP }), 'bench optimizer uniform');
      const groups = fused
        ? [await group(runtime, sizes, 11, uniform)]
        : await Promise.all(sizes.map((size, k) => group(runtime, [size], 11 + 3 * k, uniform)));
      const launches = groups.map((gr) => gr.launch);
      return {
        async check() {
          runtime.submit(launches, 'bench check');
          const worst = Math.max(...(await Promise.all([groups[0]!, groups.at(-1)!].map((gr) => checkGroup(runtime, gr)))));
          return `p, m, v at sampled elements vs torch Adam in float64, max |err| ${worst.toExponential(1)}`;
        },
        iterate: () => {
          if (variant === 'submits') for (const launch of launches) runtime.submit([launch], 'bench');
          else runtime.submit(launches, 'bench');
        },
        sync: () => runtime.sync(),
        dispose: () => {
          for (const gr of groups) gr.buffers.forEach((b) => runtime.destroyBuffer(b));
          runtime.destroyBuffer(uniform);
        },
      };
    },
  };
}

/**
 * tf.train.adam over 20 tf.variables: per variable TF.js records m, v, the bias-corrected
 * moments, sqrt, division and the parameter update as separate kernels. Checked after its
 * first step (state starts at zero, as in TF.js) against Adam step 1 in float64.
 */
function tfjsAdamCase(total: number): BenchCase {
  const sizes = tensorSizes(total);
  return {
    ...common(total),
    name: `adam per-tensor unfused (TF.js tf.train.adam, ${TENSORS} variables)`,
    engine: 'tfjs',
    async prepare(ctx) {
      const { tf } = tfjsOf(ctx);
      const p = sizes.map((size, k) => randomArray(size, 11 + 3 * k));
      const g = sizes.map((size, k) => randomArray(size, 12 + 3 * k));
      const variables = p.map((values) => tf.variable(tf.tensor1d(values)));
      const gradients = g.map((values) => tf.tensor1d(values));
      const named: { name: string; tensor: TfCore.Tensor }[] = variables.map((v, k) => ({ name: v.name, tensor: gradients[k]! }));
      const optimizer = tf.train.adam(LR, BETA1, BETA2, EPS);
      return tfjsPrepared(
        tf,
        async () => {
          optimizer.applyGradients(named);
          const got = (await variables[0]!.data()) as Float32Array;
          const [p0, g0] = [p[0]!, g[0]!];
          // Step 1 from zero state: m = (1−β1)·g, v = (1−β2)·g², both bias corrections exact.
          const ref = (i: number) => {
            const m = (1 - BETA1) * g0[i]!;
            const v = (1 - BETA2) * g0[i]! ** 2;
            return p0[i]! - (LR * (m / (1 - BETA1))) / (Math.sqrt(v / (1 - BETA2)) + EPS);
          };
          const idx = spotIndices(got.length, 256, got.length);
          const worst = compareAt('TF.js adam param', idx, (i) => got[i]!, ref, { atol: 1e-6 });
          return `parameters at sampled elements vs Adam step 1 in float64, max |err| ${worst.toExponential(1)}`;
        },
        () => {
          optimizer.applyGradients(named);
          return null;
        },
        () => {
          optimizer.dispose();
          tf.dispose([...variables, ...gradients]);
        },
      );
    },
  };
}

export const optimSuite: Suite = {
  name: 'optim',
  cases: (quick) =>
    (quick ? [1e5] : [1e5, 1e6, 1e7]).flatMap((p) => [
      optimCase(p, 'fused'),
      tfjsAdamCase(p),
      optimCase(p, 'dispatches'),
      ...(quick ? [] : [optimCase(p, 'submits')]),
    ]),
};
