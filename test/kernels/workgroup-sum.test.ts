// The two workgroup sums of the summing kernels (src/kernels/workgroup-sum.ts): the
// per-adapter table, the alternatives a descriptor offers, the option checks, and a compiled
// model, whose reductions run the subgroup sum on this (CPU) adapter: two training steps
// with the tree forced give the same parameters and running statistics within f32 rounding.
// Each kernel family is checked against float64 with both sums in its own test file
// (reduce, batchnorm, norm, clip).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { adapterKind, type AdapterFacts } from '../../src/gpu/adapter-kind';
import { alternativesOf } from '../../src/gpu/kernel-choice';
import { GpuRuntime } from '../../src/gpu/runtime';
import { compile } from '../../src/graph/compile';
import { batchNormTrainingForward } from '../../src/kernels/batchnorm';
import { clipNorm } from '../../src/kernels/clip';
import { layerNormParamsBackward } from '../../src/kernels/norm';
import { biasGradient, sumToSlot } from '../../src/kernels/reduce';
import { reductionTableChoice } from '../../src/kernels/workgroup-sum';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const facts = (vendor: string, architecture = '', description = ''): AdapterFacts => ({ vendor, architecture, device: '', description });
const LAVAPIPE = facts('mesa', '', 'llvmpipe (LLVM 19.1.7, 256 bits)');
const SWIFTSHADER = facts('google', 'swiftshader', 'SwiftShader Device (Subzero)');
const NVIDIA = facts('nvidia', 'hopper', 'NVIDIA H200');
const UNKNOWN = facts('', '', '');

const lanes = (await testRuntime()).subgroupSize;

describe('workgroup sums', () => {
  it('the table gives CPU rasterizers the subgroup sum and every other adapter the tree', () => {
    expect([LAVAPIPE, SWIFTSHADER, NVIDIA, UNKNOWN].map(adapterKind)).toEqual(['cpu', 'cpu', 'gpu', 'unknown']);
    expect(reductionTableChoice(LAVAPIPE)).toBe('subgroup');
    expect(reductionTableChoice(SWIFTSHADER)).toBe('subgroup');
    expect(reductionTableChoice(NVIDIA)).toBe('tree');
    expect(reductionTableChoice(facts('apple', 'metal-3'))).toBe('tree');
    expect(reductionTableChoice(UNKNOWN)).toBe('tree');
  });

  it('a descriptor given the subgroup size offers both sums; given a sum, exactly that kernel', () => {
    const open = biasGradient(128, 256, 1, { subgroupSize: 8 });
    expect(open.label).toBe('reduce.biasGradient');
    expect(open.constants.WG).toBe(128);
    const alternatives = alternativesOf(open)!;
    expect(alternatives.family).toBe('reduction');
    expect(alternatives.shapeClass).toBe('reduction reduce.biasGradient 2^7');
    expect(alternatives.candidates).toEqual(['tree', 'subgroup']);
    expect(alternatives.bindingFloats).toEqual([128 * 256, 256]);
    expect(alternatives.table(LAVAPIPE)).toBe('subgroup');
    const subgroup = alternatives.make('subgroup');
    expect(subgroup.label).toBe('reduce.biasGradient.subgroup');
    expect(subgroup.constants.WG).toBe(8);
    expect(subgroup.shader.startsWith('// ')).toBe(true);
    expect(subgroup.shader).toMatch(/^enable subgroups;$/m);
    expect(subgroup.shader).not.toMatch(/workgroupBarrier/);
    expect(alternatives.make('tree').shader).toBe(open.shader);
    // Without the subgroup size, or with the sum given: no choice.
    expect(alternativesOf(biasGradient(128, 256))).toBeUndefined();
    expect(alternativesOf(biasGradient(128, 256, 1, { subgroupSize: 8, sum: 'tree' }))).toBeUndefined();
    expect(biasGradient(128, 256, 1, { subgroupSize: 8, sum: 'subgroup' }).label).toBe('reduce.biasGradient.subgroup');
    // The trial buffers cover what each kernel reads and writes.
    expect(alternativesOf(batchNormTrainingForward([4, 3, 5], { subgroupSize: 8 }))!.bindingFloats).toEqual([60, 3, 3, 60, 3, 3, 6]);
    expect(alternativesOf(sumToSlot(10, { accumulate: true, slot: 1, rowsSlot: 3, subgroupSize: 8 }))!.bindingFloats).toEqual([10, 4]);
    // LayerNorm's γ/β pass sums in one invocation per feature: nothing to choose.
    expect(alternativesOf(layerNormParamsBackward(4, 6, { subgroupSize: 8 }))).toBeUndefined();
  });

  it('rejects a subgroup sum it cannot run, naming the kernel and the value', () => {
    expect(() => biasGradient(4, 2, 1, { sum: 'subgroup' })).toThrow(new ConfigError('biasGradient: the subgroup sum needs subgroupSize (GpuRuntime.subgroupSize), got undefined'));
    expect(() => clipNorm(10, 1, { sum: 'subgroup', subgroupSize: 8, workgroupSize: 64 })).toThrow(
      new ConfigError('clipNorm: the subgroup sum runs subgroupSize (8) threads per workgroup, got workgroupSize 64'),
    );
    expect(() => sumToSlot(4, { accumulate: false, slot: 0, sum: 'atomic' as 'tree' })).toThrow(/sumToSlot: sum must be 'tree' or 'subgroup', got atomic/);
    expect(() => batchNormTrainingForward([4, 2], { subgroupSize: 0 })).toThrow(/batchnorm.forward_train: subgroupSize must be an integer in 1 ..= 256, got 0/);
  });
});

// Skipped only on a device without fixed-size subgroups, where no subgroup sum exists to choose
// (lavapipe and SwiftShader, the two test adapters, both have them, so it runs in both projects).
describe.skipIf(lanes === undefined)('workgroup sums in a compiled model (skipped: the device has no fixed-size subgroups)', () => {
  it('runs the subgroup sum on this CPU adapter; two steps with the tree forced give the same parameters and running statistics', async () => {
    const shared = await testRuntime();
    const treeRuntime = new GpuRuntime(shared.gpu, { force: { reduction: 'tree' } });
    const x = normal(16 * 12, 3);
    const y = Uint32Array.from({ length: 16 }, (_, i) => i % 5);
    const dicts = [];
    for (const runtime of [shared, treeRuntime]) {
      const model = new Sequential([new Linear(12, 24), BatchNorm1d(24), ReLU(), new Linear(24, 5)]);
      // clipGradNorm adds the clipping norm: every summing family but norm.wgsl's in one step.
      const trainer = await compile(model, { inputShape: [12], loss: 'crossEntropy', optimizer: sgd({ lr: 0.5 }), clipGradNorm: 0.5, batchSize: 16, seed: 9, runtime });
      trainer.step(x, y);
      trainer.step(x, y);
      dicts.push(await trainer.stateDict());
      const reductions = [...runtime.kernelChoice.choices()].filter(([shapeClass]) => shapeClass.startsWith('reduction '));
      const labels = new Set(reductions.map(([shapeClass]) => shapeClass.split(' ')[1]));
      for (const label of ['reduce.biasGradient', 'reduce.sumToSlot', 'reduce.countCorrect', 'batchnorm.forward_train', 'batchnorm.backward', 'clip.norm']) {
        expect(labels, label).toContain(label);
      }
      const expected = runtime === shared ? { name: 'subgroup', by: 'table' } : { name: 'tree', by: 'forced' };
      for (const [shapeClass, choice] of reductions) expect(choice, shapeClass).toEqual(expected);
      await trainer.destroy();
    }
    expect([...dicts[0]!.keys()]).toEqual([...dicts[1]!.keys()]);
    for (const [key, tensor] of dicts[0]!) {
      if (!(tensor.data instanceof Float32Array)) {
        expect(dicts[1]!.get(key)!.data, key).toEqual(tensor.data); // num_batches_tracked
        continue;
      }
      // The sums add in another order: f32 rounding only. (SGD, not Adam: the bias before the
      // batch norm has a gradient of pure rounding noise, which Adam would scale up to ±lr.)
      expectClose(dicts[1]!.get(key)!.data as Float32Array, tensor.data as Float32Array, { atol: 1e-6, rtol: 1e-5 }, key);
    }
    expect([...dicts[0]!.keys()]).toContain('1.running_var');
  }, 120_000);
});
