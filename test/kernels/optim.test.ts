// Fused optimizer update: 10-step trajectories of every torch.optim variant on a segmented
// arena against the float64 reference, the textbook momentum identity, and validation.
import { describe, expect, it } from 'vitest';
import { optimizerUniform, optimizerUpdate, segmentTable, UNIFORM_WORDS, type ArenaSegment, type OptimizerUpdateOptions } from '../../src/kernels/optim';
import { resolveOptimizer, stateSlotNames, stateSlots, type OptimizerConfig } from '../../src/kernels/optim-config';
import { ConfigError } from '../../src/errors';
import { alternativesOf, KernelChooser } from '../../src/gpu/kernel-choice';
import { PipelineCache } from '../../src/gpu/pipelines';
import { GpuRuntime } from '../../src/gpu/runtime';
import { compile } from '../../src/graph/compile';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal, uniform } from '../helpers/random';
import { ReferenceOptimizer, textbookMomentum } from '../reference/optim';

// Awkward lengths with gaps (alignment padding) before, between and after; two segments in
// param groups of their own: one without weight decay, one with its own decay and 2.5× the lr.
const SEGMENTS: ArenaSegment[] = [
  { start: 2, length: 1 },
  { start: 6, length: 7, weightDecay: 0 },
  { start: 13, length: 33 },
  { start: 49, length: 129, weightDecay: 0.02, lrScale: 2.5 },
  { start: 180, length: 1000 },
];
const STEPS = 10;

// How the kernel touches the arena: an arena size that is a multiple of 4 is read and written
// as vec4s, any other element by element. 1 or 8 vec4s per invocation, with workgroups small
// enough that some lie wholly inside the 1000-element segment (one segment lookup for the
// workgroup) and others meet segment ends and gaps inside a vec4 (a lookup per element).
const LAYOUTS: [string, number, OptimizerUpdateOptions][] = [
  ['vec4 access, 1 vec4 per invocation', 1188, { vec4s: 1, workgroupSize: 8 }],
  ['vec4 access, 8 vec4s per invocation', 1188, { vec4s: 8, workgroupSize: 4 }],
  ['scalar access (arena 1185), 1 vec4 per invocation', 1185, { vec4s: 1, workgroupSize: 8 }],
  ['scalar access (arena 1185), 8 vec4s per invocation', 1185, { vec4s: 8, workgroupSize: 4 }],
];

// f32 against float64 over 10 steps: each step rounds p, the state and a few products to
// f32 (≈6e-8 relative each), so parameters of size ~1 drift by a few 1e-7 at most.
const PARAM_TOL = { atol: 1e-6, rtol: 1e-5 };
// State slots: momentum buffers and averages are sums of signed terms that can cancel to
// near 0, so their error scales with the slot's largest values, not with each value:
// atol is STATE_SCALED_ATOL × max|slot| (worst measured on lavapipe: 2.5e-7 × max).
const STATE_RTOL = 1e-5;
const STATE_SCALED_ATOL = 1e-6;

const VARIANTS: [string, OptimizerConfig][] = [
  ['sgd', { kind: 'sgd', lr: 0.1 }],
  ['sgd + weight decay', { kind: 'sgd', lr: 0.1, weightDecay: 0.05 }],
  ['sgd momentum + dampening + weight decay', { kind: 'sgd', lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.05 }],
  ['sgd nesterov + weight decay', { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.05 }],
  ['adagrad + initial accumulator + weight decay', { kind: 'adagrad', lr: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.05 }],
  ['adagrad lrDecay, eps 1e-3', { kind: 'adagrad', lr: 0.1, lrDecay: 0.05, eps: 1e-3 }],
  ['adadelta + weight decay', { kind: 'adadelta', weightDecay: 0.05 }],
  ['rmsprop + weight decay', { kind: 'rmsprop', weightDecay: 0.05 }],
  ['rmsprop centered', { kind: 'rmsprop', centered: true }],
  ['rmsprop momentum', { kind: 'rmsprop', momentum: 0.9 }],
  ['rmsprop centered + momentum + weight decay, eps 1e-3', { kind: 'rmsprop', centered: true, momentum: 0.5, weightDecay: 0.05, eps: 1e-3 }],
  ['adam', { kind: 'adam', lr: 0.01 }],
  ['adam + L2 weight decay, betas (0.8, 0.99), eps 1e-3', { kind: 'adam', lr: 0.01, weightDecay: 0.05, betas: [0.8, 0.99], eps: 1e-3 }],
  ['adamw', { kind: 'adamw', lr: 0.01, weightDecay: 0.1 }],
];

/** Values of `a` at arena elements inside segments, in order. */
function inside(a: ArrayLike<number>, segments: readonly ArenaSegment[], offset = 0): number[] {
  return segments.flatMap(({ start, length }) => Array.from({ length }, (_, k) => a[offset + start + k]!));
}

/**
 * Runs `steps` updates on the GPU (one bind group, uniform and gradients rewritten each step,
 * lr decaying and gradScale varying as a schedule and clipping would) beside the reference;
 * compares the parameters after every step, then the state slots and untouched gaps.
 */
async function compareTrajectory(
  config: OptimizerConfig,
  segments: readonly ArenaSegment[],
  n: number,
  steps: number,
  seed: number,
  options: OptimizerUpdateOptions = { vec4s: 8 },
) {
  const runtime = await testRuntime();
  const pipeline = await runtime.prepare(optimizerUpdate(config, n, segments.length, options));
  const slots = stateSlotNames(config);
  const p0 = uniform(n, seed);
  const garbage = uniform(Math.max(1, slots.length) * n, seed + 1, 100, 200); // never read at step 1
  const uniformData = new Float32Array(UNIFORM_WORDS);
  const buffers = [
    runtime.uniform(uniformData, 'optim uniform'),
    runtime.upload(segmentTable(segments, n), 'optim segments'),
    runtime.createBuffer(n * 4, 'optim grads'),
    runtime.upload(p0, 'optim params'),
    runtime.upload(garbage, 'optim state'),
  ] as const;
  const bindGroup = runtime.bindGroup(pipeline, buffers);
  const reference = new ReferenceOptimizer(resolveOptimizer(config), segments, p0);
  const base = resolveOptimizer(config).lr;
  for (let step = 1; step <= steps; step++) {
    const now = { lr: base * (1 - 0.05 * (step - 1)), step, gradScale: step % 3 === 0 ? 0.5 : 1 };
    const grads = normal(n, seed + 10 * step);
    runtime.write(buffers[2], grads);
    runtime.write(buffers[0], optimizerUniform(config, now, uniformData));
    runtime.submit([{ pipeline, bindGroup }]);
    reference.step(grads, now);
    expectClose(await runtime.readFloat32(buffers[3], n), reference.params, PARAM_TOL, `${config.kind} params after step ${step}`);
  }
  const state = await runtime.readFloat32(buffers[4], garbage.length);
  slots.forEach((name, s) => {
    const expected = reference.slot(name);
    const want = inside(expected, segments);
    const tol = { rtol: STATE_RTOL, atol: STATE_SCALED_ATOL * Math.max(...want.map(Math.abs)) };
    expectClose(inside(state, segments, s * n), want, tol, `${config.kind} ${name}`);
    const gaps = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isNaN(expected[i]));
    expect(gaps.every((i) => state[s * n + i] === garbage[s * n + i]), `${name} gaps untouched`).toBe(true);
  });
  for (const buffer of buffers) runtime.destroyBuffer(buffer);
}

describe('fused optimizer update', () => {
  describe.each(LAYOUTS)('%s', (_, arena, options) => {
    it.each(VARIANTS)('%s follows the float64 torch.optim trajectory for 10 steps', async (_, config) => {
      await compareTrajectory(config, SEGMENTS, arena, STEPS, 7, options);
    });
  });

  it('finds the segment of every element among 300 segments (binary search, gaps, group settings)', async () => {
    const segments: ArenaSegment[] = [];
    for (let k = 0, start = 1; k < 300; k++) {
      const length = 1 + ((k * 7) % 5);
      segments.push({ start, length, ...(k % 3 === 0 ? { weightDecay: 0 } : k % 3 === 1 ? { weightDecay: 0.1, lrScale: 0.5 } : {}) });
      start += length + (k % 4);
    }
    const last = segments[segments.length - 1]!;
    for (const [, , options] of LAYOUTS) {
      await compareTrajectory({ kind: 'sgd', lr: 0.1, weightDecay: 0.5 }, segments, last.start + last.length + 2, 2, 3, options);
    }
  });

  it('offers 1 or 8 vec4s per invocation to the per-adapter choice: 8 on CPU rasterizers, 1 on GPUs', () => {
    const program = optimizerUpdate({ kind: 'adam' }, 1024, 3, { flagWord: 2 });
    expect(program.label).toBe('optim.adam.vec4');
    expect(program.workgroups).toEqual([1, 1, 1]); // 256 invocations × 1 vec4
    const alternatives = alternativesOf(program)!;
    expect(alternatives.family).toBe('optimizer');
    expect(alternatives.shapeClass).toBe('optimizer optim.adam.vec4 2^10');
    expect(alternatives.candidates).toEqual(['vec4x1', 'vec4x8']);
    const x8 = alternatives.make('vec4x8');
    expect([x8.label, x8.constants.VECS, x8.constants.SLOTS]).toEqual(['optim.adam.vec4.x8', 8, 2]);
    expect(optimizerUpdate({ kind: 'adam' }, 100_000, 3, { vec4s: 8 }).workgroups).toEqual([13, 1, 1]); // ⌈100000 / 8192⌉
    expect(optimizerUpdate({ kind: 'sgd' }, 1185, 3).label).toBe('optim.sgd');
    const facts = (description: string) => ({ vendor: '', architecture: '', device: '', description });
    expect(['llvmpipe (LLVM 15.0.7, 256 bits)', 'SwiftShader Device (Subzero)', 'NVIDIA H200', 'AMD Radeon', ''].map((d) => alternatives.table(facts(d)))).toEqual(['vec4x8', 'vec4x8', 'vec4x1', 'vec4x1', 'vec4x1']);
    // Trial buffers: the uniform, a one-segment table (zeros would time the gap path), arena, state, flags.
    expect(alternatives.bindingFloats).toEqual([8, 4 + 4 + 1, 1024, 1024, 2048, 3]);
    expect(Array.from(alternatives.trialData![1]!)).toEqual(Array.from(segmentTable([{ start: 0, length: 1024 }], 1024)));
    expect(alternativesOf(optimizerUpdate({ kind: 'adam' }, 1024, 3, { vec4s: 1 }))).toBeUndefined();
    expect(() => optimizerUpdate({ kind: 'adam' }, 1024, 3, { vec4s: 2 as 1 })).toThrow(new ConfigError('optim adam: vec4s must be 1 or 8, got 2'));
  });

  it('times both candidates in a trial (uniform binding, one-segment table) and keeps the faster', async () => {
    const { device } = await testRuntime();
    const chooser = new KernelChooser(device, { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe' }, new PipelineCache(device), { trials: true, store: false });
    const { program } = await chooser.resolve(optimizerUpdate({ kind: 'adam' }, 65_536, 1, { flagWord: 2 }));
    const choice = chooser.choices().get('optimizer optim.adam.vec4 2^16')!;
    expect(choice.by).toBe('trial');
    expect(Object.keys(choice.ms!)).toEqual(['vec4x1', 'vec4x8']);
    for (const ms of Object.values(choice.ms!)) expect(ms).toBeGreaterThan(0);
    expect(program.label).toBe(choice.name === 'vec4x1' ? 'optim.adam.vec4' : 'optim.adam.vec4.x8');
  });

  it('compiled models run the runtime\'s choice: three Adam steps with 1 vec4 per invocation forced equal the table\'s', async () => {
    const shared = await testRuntime();
    const forced = new GpuRuntime(shared.gpu, { force: { optimizer: 'vec4x1' } });
    const x = normal(8 * 10, 1);
    const y = Uint32Array.from({ length: 8 }, (_, i) => i % 3);
    const saved: Uint8Array[] = [];
    for (const runtime of [shared, forced]) {
      const model = new Sequential([new Linear(10, 20), ReLU(), new Linear(20, 3)]);
      const trainer = await compile(model, { inputShape: [10], loss: 'crossEntropy', optimizer: adam({ lr: 0.01, weightDecay: 0.1 }), batchSize: 8, seed: 4, runtime });
      for (let step = 0; step < 3; step++) trainer.step(x, y);
      saved.push(await trainer.checkpoint()); // parameters, exp_avg and exp_avg_sq
      await trainer.destroy();
    }
    const choices = (runtime: GpuRuntime) => [...runtime.kernelChoice.choices()].filter(([shapeClass]) => shapeClass.startsWith('optimizer '));
    expect(choices(forced)).toEqual([['optimizer optim.adam.vec4 2^9', { name: 'vec4x1', by: 'forced' }]]); // arena 448: 4 tensors, 64-aligned
    expect(choices(shared).find(([shapeClass]) => shapeClass === 'optimizer optim.adam.vec4 2^9')![1].by).toBe('table');
    // Each element's update is the same f32 arithmetic whichever invocation runs it.
    expect(saved[1]).toEqual(saved[0]);
  });

  it('leaves parameters unchanged at lr 0 (AdamW decay included) while state still advances', async () => {
    await compareTrajectory({ kind: 'adamw', lr: 0, weightDecay: 0.1 }, [{ start: 0, length: 33 }], 33, 2, 5);
  });
});

describe('optimizer reference', () => {
  it('SGD momentum equals the textbook "v ← αv − η∇L; w ← w + v" at constant lr', () => {
    const w0 = uniform(33, 1);
    const grads = Array.from({ length: STEPS }, (_, t) => normal(33, 100 + t));
    const sgd = new ReferenceOptimizer(resolveOptimizer({ kind: 'sgd', lr: 0.05, momentum: 0.9 }), [{ start: 0, length: 33 }], w0);
    const textbook = textbookMomentum(w0, grads, 0.05, 0.9);
    grads.forEach((g, t) => {
      sgd.step(g, { lr: 0.05, step: t + 1, gradScale: 1 });
      expectClose(sgd.params, textbook[t]!, { atol: 1e-12, rtol: 1e-12 }, `momentum step ${t + 1}`);
    });
  });
});

describe('optimizer configuration', () => {
  it('fills in torch defaults and counts state slots', () => {
    expect(resolveOptimizer({ kind: 'adamw' })).toEqual({ kind: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
    expect(resolveOptimizer({ kind: 'adagrad', lr: 0.5 })).toMatchObject({ lr: 0.5, eps: 1e-10, lrDecay: 0 });
    expect(stateSlots({ kind: 'sgd' })).toBe(0);
    expect(stateSlotNames({ kind: 'sgd', momentum: 0.9 })).toEqual(['momentum_buffer']);
    expect(stateSlotNames({ kind: 'rmsprop', centered: true, momentum: 0.9 })).toEqual(['square_avg', 'grad_avg', 'momentum_buffer']);
    expect(stateSlots({ kind: 'adadelta' })).toBe(2);
  });

  it('lays the segment table out as rows [start, length, decay, lr scale] and a 256-element block index', () => {
    const table = segmentTable([{ start: 2, length: 1 }, { start: 300, length: 10, weightDecay: 0, lrScale: 0.5 }], 600);
    // Decay 0xffffffff: the optimizer's own; f32 bits of 1, 0 and 0.5: 0x3f800000, 0, 0x3f000000.
    expect(Array.from(table)).toEqual([2, 1, 0xffffffff, 0x3f800000, 300, 10, 0, 0x3f000000, 0, 0, 1, 1]);
    expect(() => segmentTable([{ start: 0, length: 1, lrScale: -1 }], 4)).toThrow(/segment 0 needs weightDecay and lrScale .* got undefined, -1/);
    expect(() => segmentTable([{ start: 0, length: 1, weightDecay: NaN }], 4)).toThrow(/got NaN, 1/);
  });

  it('computes the per-step uniform in float64 (Adagrad lr decay, Adam bias corrections, step as u32)', () => {
    const u = optimizerUniform({ kind: 'adam' }, { lr: 0.1, step: 2, gradScale: 0.25 });
    expect(Array.from(u.subarray(0, 4))).toEqual(Array.from(new Float32Array([0.1, 0.25, 1 - 0.81, 1 - 0.999 ** 2])));
    expect(new Uint32Array(u.buffer)[4]).toBe(2);
    expect(optimizerUniform({ kind: 'adagrad', lr: 0.1, lrDecay: 0.5 }, { step: 3 })[0]).toBeCloseTo(0.05, 7);
  });

  it('rejects bad hyperparameters, steps and segment tables, naming the optimizer and value', () => {
    expect(() => resolveOptimizer({ kind: 'sgd', lr: -1 })).toThrow(/optim sgd: lr must be finite and ≥ 0, got -1/);
    expect(() => resolveOptimizer({ kind: 'adam', eps: -1e-8 })).toThrow(/optim adam: eps .* got -1e-8/);
    expect(() => resolveOptimizer({ kind: 'sgd', nesterov: true })).toThrow(/optim sgd: nesterov must be used with momentum > 0/);
    expect(() => resolveOptimizer({ kind: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/dampening 0.1/);
    expect(() => resolveOptimizer({ kind: 'adamw', betas: [0.9, 1] })).toThrow(/optim adamw: betas\[1\] must be in \[0, 1\), got 1/);
    expect(() => resolveOptimizer({ kind: 'adadelta', rho: 1.5 })).toThrow(/rho must be in \[0, 1\], got 1.5/);
    expect(() => resolveOptimizer({ kind: 'rmsprop', momentum: -0.1 })).toThrow(/optim rmsprop: momentum .* got -0.1/);
    expect(() => resolveOptimizer({ kind: 'adagrad', weightDecay: NaN })).toThrow(/weightDecay .* got NaN/);
    expect(() => optimizerUniform({ kind: 'sgd' }, { step: 0 })).toThrow(/step must be an integer ≥ 1, got 0/);
    expect(() => optimizerUniform({ kind: 'sgd' }, { step: 1, lr: -0.1 })).toThrow(/lr must be finite \(in float32\) and ≥ 0/);
    expect(optimizerUniform({ kind: 'sgd' }, { step: 1, lr: 0 })[0]).toBe(0);
    expect(() => segmentTable([], 10)).toThrow(/at least one segment/);
    expect(() => segmentTable([{ start: 0, length: 5 }, { start: 4, length: 2 }], 10)).toThrow(/segment 1 \(start 4, length 2\)/);
    expect(() => segmentTable([{ start: 8, length: 5 }], 10)).toThrow(/within the arena of 10/);
    expect(() => optimizerUpdate({ kind: 'adam' }, 0, 1)).toThrow(/optim adam: arena size and segment count must be ≥ 1/);
  });
});
