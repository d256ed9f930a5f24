// Kernel choice per adapter: the matmul shape classes and deterministic table, the
// alternatives a matmul program offers, the chooser's table / forced / timed-trial / stored
// paths (src/gpu/kernel-choice.ts), and a training step with the tiled kernel forced, which
// must give the default kernel's parameters within f32 rounding (for matmuls and for a
// CNN's convolutions).
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors';
import { GpuError } from '../../src/gpu/errors';
import type { ChoiceStore } from '../../src/gpu/kernel-choice-store';
import { localStorageStore } from '../../src/gpu/kernel-choice-store';
import type { AdapterFacts } from '../../src/gpu/adapter-kind';
import { alternativesOf, KernelChooser } from '../../src/gpu/kernel-choice';
import { PipelineCache } from '../../src/gpu/pipelines';
import { GpuRuntime } from '../../src/gpu/runtime';
import { compile } from '../../src/graph/compile';
import { matmul } from '../../src/kernels/matmul';
import { MATMUL_VARIANTS, matmulShapeClass, matmulTableChoice } from '../../src/kernels/matmul-choice';
import { Conv2d } from '../../src/nn/conv';
import { Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const facts = (vendor: string, architecture = '', description = ''): AdapterFacts => ({ vendor, architecture, device: '', description });
const LAVAPIPE = facts('mesa', '', 'llvmpipe (LLVM 19.1.7, 256 bits)');
const SWIFTSHADER = facts('google', 'swiftshader', 'SwiftShader Device (Subzero)');
const NVIDIA = facts('nvidia', 'hopper', 'NVIDIA H200');

/** A store in memory that counts its saves; `failing` rejects every call. */
function memoryStore(failing = false): ChoiceStore & { entries: Record<string, string>; saves: number } {
  const store = {
    entries: {} as Record<string, string>,
    saves: 0,
    load: async () => (failing ? Promise.reject(new Error('unreadable')) : { ...store.entries }),
    save: async (entries: Record<string, string>) => {
      if (failing) throw new Error('read-only');
      store.saves++;
      store.entries = { ...entries };
    },
  };
  return store;
}

describe('matmul shape classes and table', () => {
  it('classes shapes by log2 of the multiply-adds and by a thin C', () => {
    expect(matmulShapeClass(1024, 1024, 1024, 1)).toBe('matmul 2^30');
    expect(matmulShapeClass(128, 256, 784, 1)).toBe('matmul 2^25');
    expect(matmulShapeClass(128, 10, 128, 1)).toBe('matmul 2^17 thin');
    expect(matmulShapeClass(16, 16, 16, 4)).toBe('matmul 2^14 thin');
  });

  it('keeps the measured default on CPU rasterizers and unknown adapters; gives GPUs the tiled kernel for large shapes', () => {
    for (const adapter of [LAVAPIPE, SWIFTSHADER, facts('')]) {
      expect(matmulTableChoice(adapter, 'matmul 2^30', 'subgroup')).toBe('subgroup');
      expect(matmulTableChoice(adapter, 'matmul 2^30', 'register')).toBe('register');
    }
    expect(matmulTableChoice(NVIDIA, 'matmul 2^30', 'subgroup')).toBe('tiled-64x64');
    expect(matmulTableChoice(facts('apple', 'metal-3'), 'matmul 2^24', 'register')).toBe('tiled-64x64');
    expect(matmulTableChoice(NVIDIA, 'matmul 2^23', 'subgroup')).toBe('subgroup');
    expect(matmulTableChoice(NVIDIA, 'matmul 2^30 thin', 'register')).toBe('register');
    expect(new Set(MATMUL_VARIANTS.map((v) => v.name)).size).toBe(MATMUL_VARIANTS.length);
  });

  it('a matmul offers its alternatives unless a variant is given', () => {
    const plain = matmul({ a: [70, 30], b: [30, 50], bias: true });
    const alternatives = alternativesOf(plain)!;
    // k = 30: A's rows are read as scalars; 105,000 multiply-adds: the small kernel is offered too.
    expect(alternatives.shapeClass).toBe(matmulShapeClass(70, 50, 30, 1, true));
    expect(alternatives.shapeClass).toBe('matmul 2^17 scalar');
    expect(alternatives.candidates).toEqual([...MATMUL_VARIANTS.filter((v) => !v.needsSubgroups).map((v) => v.name), 'small']);
    expect(alternatives.bindingFloats).toEqual([70 * 30, 30 * 50, 50, 70 * 50]);
    expect(alternatives.make('tiled-64x64').label).toBe('matmul.tiled.NN.bias.identity');
    expect(alternativesOf(alternatives.make('register'))).toBeUndefined();
    expect(alternativesOf(matmul({ a: [70, 30], b: [30, 50], subgroupSize: 8 }))!.candidates).toContain('subgroup');
    expect(alternativesOf(matmul({ a: [70, 30], b: [30, 50], variant: 'register' }))).toBeUndefined();
  });
});

/** The state dicts after two SGD steps on (x, y) of the same model compiled on each runtime (same seed). */
async function afterTwoSteps(runtimes: readonly GpuRuntime[], model: () => Sequential, inputShape: number[], x: Float32Array, y: Uint32Array) {
  const dicts = [];
  for (const runtime of runtimes) {
    const trainer = await compile(model(), { inputShape, loss: 'crossEntropy', optimizer: sgd({ lr: 0.5 }), batchSize: y.length, seed: 4, runtime });
    trainer.step(x, y);
    trainer.step(x, y);
    dicts.push(await trainer.stateDict());
    await trainer.destroy();
  }
  return dicts;
}

describe('kernel chooser', () => {
  const program = () => matmul({ a: [24, 20], b: [20, 36], activation: 'relu' });

  it('uses the table without trials, and a forced candidate when asked', async () => {
    const { device } = await testRuntime();
    const table = new KernelChooser(device, LAVAPIPE, new PipelineCache(device), { trials: false, store: false });
    expect((await table.resolve(program())).program.label).toBe('matmul.NN.relu');
    expect([...table.choices()]).toEqual([['matmul 2^14 thin', { name: 'register', by: 'table' }]]);
    const nvidia = new KernelChooser(device, NVIDIA, new PipelineCache(device), { trials: false, store: false });
    expect((await nvidia.resolve(matmul({ a: [512, 512], b: [512, 512] }))).program.label).toBe('matmul.tiled.NN.identity');
    const forced = new KernelChooser(device, LAVAPIPE, new PipelineCache(device), { force: { matmul: 'tiled-128x64' }, store: false });
    const { program: chosen, held } = await forced.resolve(program());
    expect(chosen.label).toBe('matmul.tiled.NN.relu');
    expect(chosen.constants).toMatchObject({ BR: 2, BC: 1, BK: 8 });
    expect(held).toEqual([]);
    const wrong = new KernelChooser(device, LAVAPIPE, new PipelineCache(device), { force: { matmul: 'tiled-1x1' }, store: false });
    await expect(wrong.resolve(program())).rejects.toThrow(new ConfigError(
      `kernel choice: force.matmul must be one of ${MATMUL_VARIANTS.filter((v) => !v.needsSubgroups).map((v) => v.name).join(', ')}, small on this device, got tiled-1x1`,
    ));
  });

  it('times the candidates once per shape class, keeps the winner and reads it back from the store', async () => {
    const { device } = await testRuntime();
    // Two candidates keep the trial short (each is a pipeline); the chooser is generic over them.
    const base = alternativesOf(program())!;
    const offer = () => ({ ...program(), alternatives: { ...base, candidates: ['register', 'tiled-64x64'] } });
    const store = memoryStore();
    const pipelines = new PipelineCache(device);
    const chooser = new KernelChooser(device, LAVAPIPE, pipelines, { trials: true, store });
    const [first, second] = await Promise.all([chooser.resolve(offer()), chooser.resolve(offer())]);
    const choice = chooser.choices().get(base.shapeClass)!;
    expect(choice.by).toBe('trial');
    expect(Object.keys(choice.ms!).sort()).toEqual(['register', 'tiled-64x64']);
    for (const ms of Object.values(choice.ms!)) expect(ms).toBeGreaterThan(0);
    expect(first.program.label).toBe(choice.name === 'register' ? 'matmul.NN.relu' : 'matmul.tiled.NN.relu');
    expect(second.program.label).toBe(first.program.label);
    // The caller that ran the trial gets the winner's pipeline still held; the loser is released.
    expect(first.held.length + second.held.length).toBe(1);
    expect(pipelines.created).toBe(2);
    expect(pipelines.size).toBe(1);
    await vi.waitFor(() => expect(store.saves).toBe(1));
    expect(Object.values(store.entries)).toEqual([choice.name]);
    expect(Object.keys(store.entries)[0]).toContain(`|${base.shapeClass}|`);

    const again = new KernelChooser(device, LAVAPIPE, new PipelineCache(device), { trials: true, store });
    expect((await again.resolve(offer())).program.label).toBe(first.program.label);
    expect(again.choices().get(base.shapeClass)).toEqual({ name: choice.name, by: 'stored' });
    // Another adapter does not read this one's result.
    const other = new KernelChooser(device, SWIFTSHADER, new PipelineCache(device), { trials: true, store: memoryStore(true) });
    await other.resolve(offer()); // an unreadable, unwritable store is never fatal
    expect(other.choices().get(base.shapeClass)!.by).toBe('trial');
  }, 240_000);

  it('leaves out a candidate whose runs raise a GPU error (it would time as the fastest), says why, and leaks no error', async () => {
    const runtime = await testRuntime();
    const { device } = runtime;
    const base = alternativesOf(program())!;
    // 'broken' is the register kernel dispatched over more workgroups than a dimension allows:
    // it compiles, but its pass is invalid and does nothing.
    const make = (name: string) => {
      const made = base.make(name === 'broken' ? 'register' : name);
      return name === 'broken' ? { ...made, workgroups: [device.limits.maxComputeWorkgroupsPerDimension + 1, 1, 1] as const } : made;
    };
    const offer = (candidates: string[]) => ({ ...program(), alternatives: { ...base, candidates, make } });
    const pipelines = new PipelineCache(device);
    const chooser = new KernelChooser(device, LAVAPIPE, pipelines, { trials: true, store: false });
    const { program: chosen, held } = await chooser.resolve(offer(['broken', 'register']));
    const choice = chooser.choices().get(base.shapeClass)!;
    expect(choice.name).toBe('register');
    expect(Object.keys(choice.ms!)).toEqual(['register']);
    expect(Object.keys(choice.failed!)).toEqual(['broken']);
    expect(choice.failed!.broken).toMatch(/^GPU validation error during the kernel trial of broken: .*workgroup/i);
    expect(chosen.workgroups).toEqual(base.make('register').workgroups);
    expect(held).toHaveLength(1);
    await runtime.sync(); // the trial's error was captured, not left for the runtime to throw later

    // With no candidate left, a GpuError names the shape class and every candidate's failure.
    const none = new KernelChooser(device, LAVAPIPE, new PipelineCache(device), { trials: true, store: false });
    const error = await none.resolve(offer(['broken'])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).message.startsWith(`GPU validation error during the kernel trial of ${base.shapeClass}: no candidate ran: broken: GPU validation error`)).toBe(true);
    await runtime.sync();
  }, 120_000);

  it('compiled models run the runtime\'s choice: one training step with the tiled kernel forced equals the default', async () => {
    const shared = await testRuntime();
    const tiledRuntime = new GpuRuntime(shared.gpu, { force: { matmul: 'tiled-64x64' } });
    const x = normal(16 * 12, 1);
    const y = Uint32Array.from({ length: 16 }, (_, i) => i % 5);
    const model = () => new Sequential([new Linear(12, 40), ReLU(), new Linear(40, 5)]);
    const dicts = await afterTwoSteps([shared, tiledRuntime], model, [12], x, y);
    const choices = [...tiledRuntime.kernelChoice.choices()].filter(([shapeClass]) => shapeClass.startsWith('matmul ')).map(([, c]) => c);
    expect(choices.length).toBeGreaterThan(0);
    for (const choice of choices) expect(choice).toEqual({ name: 'tiled-64x64', by: 'forced' });
    expect([...shared.kernelChoice.choices().values()].every((c) => c.by === 'table')).toBe(true);
    for (const [key, tensor] of dicts[0]!) {
      // Same k order in both kernels: only f32 rounding may differ.
      expectClose(dicts[1]!.get(key)!.data as Float32Array, tensor.data as Float32Array, { atol: 1e-6, rtol: 1e-5 }, key);
    }
  }, 240_000);

  it('a CNN runs the conv2d choice: two steps with the tiled body forced for convolutions equal the default', async () => {
    const shared = await testRuntime();
    const tiledRuntime = new GpuRuntime(shared.gpu, { force: { conv2d: 'tiled-64x64' } });
    const x = normal(4 * 36, 2);
    const y = Uint32Array.from({ length: 4 }, (_, i) => i % 3);
    const model = () => new Sequential([new Conv2d(1, 3, 3, { padding: 1 }), ReLU(), new Flatten(), new Linear(3 * 36, 3)]);
    const dicts = await afterTwoSteps([shared, tiledRuntime], model, [1, 6, 6], x, y);
    // A first layer needs no input gradient: forwards (the step's, the evaluation plan's larger
    // batch) and the weight gradient are chosen.
    const convChoices = [...tiledRuntime.kernelChoice.choices()].filter(([shapeClass]) => shapeClass.startsWith('conv2d '));
    expect(new Set(convChoices.map(([shapeClass]) => shapeClass.split(' ')[1]))).toEqual(new Set(['forward', 'weightGrad']));
    for (const [, choice] of convChoices) expect(choice).toEqual({ name: 'tiled-64x64', by: 'forced' });
    expect([...tiledRuntime.kernelChoice.choices()].filter(([c]) => c.startsWith('matmul ')).every(([, c]) => c.by === 'table')).toBe(true);
    for (const [key, tensor] of dicts[0]!) {
      expectClose(dicts[1]!.get(key)!.data as Float32Array, tensor.data as Float32Array, { atol: 1e-6, rtol: 1e-5 }, key);
    }
    // The step changed the convolution's weights, so the comparison covers its gradient.
    expect(dicts[0]!.get('0.weight')!.data).not.toEqual(new Float32Array(27));
  }, 240_000);
});

describe('choice stores', () => {
  it('localStorage keeps entries under one key and ignores other versions', async () => {
    const items = new Map<string, string>();
    const storage = { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v) };
    const store = localStorageStore(storage);
    expect(await store.load()).toEqual({});
    await store.save({ 'a|matmul 2^30|x': 'tiled-64x64' });
    expect(await store.load()).toEqual({ 'a|matmul 2^30|x': 'tiled-64x64' });
    items.set('shadergrad.kernel-choice', JSON.stringify({ version: 0, choices: { k: 'register' } }));
    expect(await store.load()).toEqual({});
  });
});
