// Matmul suite: square sizes 128–2048 and the MNIST MLP's shapes, in the three transpose
// modes the engine uses (NN forward, NT forward through [out, in] weights, TN weight
// gradients), against TF.js's WebGPU matmul and jax-js's jit'ed np.matmul at the same sizes;
// every kernel variant (kernels.MATMUL_VARIANTS) beside the engine's choice at 256²–2048² NN.
import { kernels } from '../src/index';
import { compareAt, randomArray, spotIndices, type BenchCase, type Suite } from './core';
import { jaxjsOf, jaxjsPrepared } from './jaxjs';
import { tfjsOf, tfjsPrepared } from './tfjs';

type Mode = 'NN' | 'NT' | 'TN';

interface Shape {
  m: number;
  k: number;
  n: number;
  mode: Mode;
  /**
   * Force the register-tiled kernel with this tile / workgroup (the tile sweep); without it
   * or `variant` the runtime's choice runs (GpuRuntime.kernelChoice).
   */
  tile?: kernels.MatmulTile;
  /** Force this variant (the variant sweep); without it, the default kernel runs. */
  variant?: kernels.MatmulVariantSpec;
}

const FORMULA = 'GFLOP/s = 2·M·N·K / median time';

/** Stored shapes of A and B for op(A) m×k and op(B) k×n. */
function stored({ m, k, n, mode }: Shape): { a: [number, number]; b: [number, number]; ta: boolean; tb: boolean } {
  const ta = mode === 'TN';
  const tb = mode === 'NT';
  return { a: ta ? [k, m] : [m, k], b: tb ? [n, k] : [k, n], ta, tb };
}

/** Spot-checks C = op(A)·op(B) in float64 at up to 64 entries: |err| ≤ 1e-5 + 1e-5·Σ|a·b|. */
function checkProduct(shape: Shape, a: Float32Array, b: Float32Array, c: Float32Array): string {
  const { m, k, n } = shape;
  const { ta, tb } = stored(shape);
  const A = (i: number, p: number) => a[ta ? p * m + i : i * k + p]!;
  const B = (p: number, j: number) => b[tb ? j * k + p : p * n + j]!;
  const dot = (idx: number, abs: boolean) => {
    const i = Math.floor(idx / n);
    const j = idx % n;
    let s = 0;
    for (let p = 0; p < k; p++) s += abs ? Math.abs(A(i, p) * B(p, j)) : A(i, p) * B(p, j);
    return s;
  };
  const idx = spotIndices(m * n, 64, m + n + k);
  const worst = compareAt(`matmul ${shape.mode} ${m}×${k}×${n}`, idx, (i) => c[i]!, (i) => dot(i, false), {
    rtol: 1e-5,
    scale: (i) => dot(i, true),
  });
  return `${idx.length} entries vs float64, max |err| ${worst.toExponential(1)}`;
}

function sizeText({ m, k, n }: Shape): string {
  return `${m}×${k}×${n}`;
}

function shadergradCase(shape: Shape): BenchCase {
  const { m, k, n, mode } = shape;
  return {
    suite: 'matmul',
    name: `matmul ${mode}${shape.tile ? ` register tile ${shape.tile.rows}×${shape.tile.cols} wg ${shape.tile.workgroup.join('×')}` : ''}${shape.variant ? ` ${shape.variant.name}` : ''}`,
    size: sizeText(shape),
    engine: 'shadergrad',
    unit: 'gflops',
    work: 2 * m * n * k,
    formula: FORMULA,
    async prepare({ runtime }) {
      const s = stored(shape);
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2);
      const bufA = runtime.upload(a, 'bench A');
      const bufB = runtime.upload(b, 'bench B');
      const bufC = runtime.createBuffer(m * n * 4, 'bench C');
      const subgroupSize = shape.tile ? undefined : runtime.subgroupSize;
      if (shape.variant?.needsSubgroups && subgroupSize === undefined) throw new Error(`${shape.variant.name} needs fixed-size subgroups, which this device lacks`);
      // Without a forced variant or tile, the runtime's choice for this adapter runs, as in a compiled model.
      const program = kernels.matmul({ a: s.a, b: s.b, transposeA: s.ta, transposeB: s.tb, subgroupSize, tile: shape.tile, ...shape.variant?.settings });
      const pipeline = await runtime.acquirePipeline(program);
      const launch = runtime.launch(pipeline, [bufA, bufB, bufC]);
      const choice = runtime.kernelChoice.choices().get(kernels.matmulShapeClass(m, n, k, 1));
      const which = shape.variant?.name ?? (shape.tile ? 'register' : `${choice!.name} (the runtime's choice, by ${choice!.by})`);
      const kernel = `${which} kernel${pipeline.program.label.includes('.subgroup.') ? `, ${subgroupSize} lanes` : ''}`;
      return {
        async check() {
          runtime.submit([launch], 'bench check');
          return `${kernel}; ${checkProduct(shape, a, b, await runtime.readFloat32(bufC, m * n))}`;
        },
        iterate: () => runtime.submit([launch], 'bench'),
        sync: () => runtime.sync(),
        dispose: () => {
          [bufA, bufB, bufC].forEach((buf) => runtime.destroyBuffer(buf));
          runtime.releasePipelines([pipeline.key]);
        },
      };
    },
  };
}

function tfjsCase(shape: Shape): BenchCase {
  const { m, k, n, mode } = shape;
  return {
    ...shadergradCase(shape),
    engine: 'tfjs',
    async prepare(ctx) {
      const { tf } = tfjsOf(ctx);
      const s = stored(shape);
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2);
      const ta = tf.tensor2d(a, s.a);
      const tb = tf.tensor2d(b, s.b);
      return tfjsPrepared(
        tf,
        async () => {
          const c = tf.matMul(ta, tb, s.ta, s.tb);
          const data = (await c.data()) as Float32Array;
          c.dispose();
          return checkProduct(shape, a, b, data);
        },
        () => tf.matMul(ta, tb, s.ta, s.tb),
        () => tf.dispose([ta, tb]),
      );
    },
  };
}

function jaxjsCase(shape: Shape): BenchCase {
  const { m, k, n } = shape;
  return {
    ...shadergradCase(shape),
    engine: 'jaxjs',
    async prepare(ctx) {
      const { jax } = jaxjsOf(ctx);
      const np = jax.numpy;
      const s = stored(shape);
      const a = randomArray(m * k, 1);
      const b = randomArray(k * n, 2);
      const ja = np.array(a).reshape(s.a);
      const jb = np.array(b).reshape(s.b);
      // The transposes are views inside the jit'ed program: one matmul kernel per call.
      const product = jax.jit((x: typeof ja, y: typeof jb) => np.matmul(s.ta ? x.transpose() : x, s.tb ? y.transpose() : y));
      return jaxjsPrepared(
        jax,
        async () => checkProduct(shape, a, b, (await product(ja.ref, jb.ref).data()) as Float32Array),
        () => product(ja.ref, jb.ref),
        () => {
          ja.dispose();
          jb.dispose();
          product.dispose();
        },
      );
    },
  };
}

/** Square sizes in every mode, then the MNIST MLP 784-256-128-10's matmuls at batch 128. */
function shapes(quick: boolean): Shape[] {
  const modes: Mode[] = ['NN', 'NT', 'TN'];
  if (quick) return [{ m: 128, k: 128, n: 128, mode: 'NN' }];
  const square = [128, 256, 512, 1024, 2048].flatMap((s) => modes.map((mode) => ({ m: s, k: s, n: s, mode })));
  const mnist: Shape[] = [
    { m: 128, k: 784, n: 256, mode: 'NT' }, // layer 1 forward: x · W1ᵀ
    { m: 256, k: 128, n: 784, mode: 'TN' }, // layer 1 weight gradient: dYᵀ · x
    { m: 128, k: 256, n: 128, mode: 'NT' }, // layer 2 forward
    { m: 128, k: 128, n: 256, mode: 'NN' }, // layer 2 input gradient: dY · W2
    { m: 128, k: 128, n: 10, mode: 'NT' }, // layer 3 forward
  ];
  return [...square, ...mnist];
}

/**
 * The register-tiled kernel at 1024² NN (engine only): its default tile (what runs without
 * subgroups), then other register tiles and workgroup shapes: the best differs per adapter.
 */
const TILES: kernels.MatmulTile[] = [
  kernels.DEFAULT_MATMUL_TILE,
  { rows: 4, cols: 4, workgroup: [8, 8] },
  { rows: 8, cols: 4, workgroup: [8, 8] },
  { rows: 8, cols: 8, workgroup: [4, 4] },
  { rows: 8, cols: 8, workgroup: [16, 16] },
];

export const matmulSuite: Suite = {
  name: 'matmul',
  cases: (quick) =>
    shapes(quick).flatMap((shape) => [
      shadergradCase(shape),
      tfjsCase(shape),
      jaxjsCase(shape),
      ...(!quick && shape.m === 1024 && shape.mode === 'NN' ? TILES.map((tile) => shadergradCase({ ...shape, tile })) : []),
      ...(!quick && shape.m >= 256 && shape.m === shape.n && shape.mode === 'NN' ? kernels.MATMUL_VARIANTS.map((variant) => shadergradCase({ ...shape, variant })) : []),
    ]),
};
