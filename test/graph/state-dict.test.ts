// State dicts of compiled models: PyTorch's names, order, shapes and dtypes (buffers included),
// save → load round trips through safetensors with bit-identical predictions, and torch's
// load_state_dict rules (strict keys, shape and dtype checks, nothing written on error).
import { describe, expect, it } from 'vitest';
import { compileInference } from '../../src/graph/inference';
import { StateDictError } from '../../src/graph/state';
import { compile } from '../../src/graph/compile';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors';
import type { StateDict } from '../../src/io/state-dict';
import { Dropout, Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const model = () => new Sequential([new Flatten(), new Linear(12, 16), BatchNorm1d(16), ReLU(), new Dropout(0.25), new Linear(16, 3)]);
const BATCH = 8;
const x = normal(BATCH * 12, 1);
const y = Uint32Array.from({ length: BATCH }, (_, i) => i % 3);

async function trained(steps: number) {
  const trainer = await compile(model(), {
    inputShape: [2, 6],
    loss: 'crossEntropy',
    optimizer: adam({ lr: 0.01 }),
    batchSize: BATCH,
    seed: 5,
    evalBatchSize: 64,
    runtime: await testRuntime(),
  });
  for (let i = 0; i < steps; i++) trainer.step(x, y);
  return trainer;
}

const bits = (dict: StateDict) =>
  [...dict].map(([name, t]) => [name, t.shape, t.data instanceof BigInt64Array ? [...t.data].map(String) : [...new Uint32Array(t.data.buffer)]]);

describe('stateDict', () => {
  it("holds torch's keys, order, shapes and dtypes, BatchNorm buffers included", async () => {
    const trainer = await trained(3);
    const dict = await trainer.stateDict();
    expect([...dict].map(([name, t]) => [name, t.shape, t.data.constructor.name])).toEqual([
      ['1.weight', [16, 12], 'Float32Array'],
      ['1.bias', [16], 'Float32Array'],
      ['2.weight', [16], 'Float32Array'],
      ['2.bias', [16], 'Float32Array'],
      ['2.running_mean', [16], 'Float32Array'],
      ['2.running_var', [16], 'Float32Array'],
      ['2.num_batches_tracked', [], 'BigInt64Array'],
      ['5.weight', [3, 16], 'Float32Array'],
      ['5.bias', [3], 'Float32Array'],
    ]);
    expect(dict.get('2.num_batches_tracked')!.data[0]).toBe(3n);
    // Running statistics moved off their initial 0 and 1 (momentum 0.1, three batches).
    expect(dict.get('2.running_mean')!.data.some((v) => v !== 0)).toBe(true);
    expect(dict.get('2.running_var')!.data.some((v) => v !== 1)).toBe(true);
    const params = await trainer.parameters();
    expect([...dict.get('1.weight')!.data]).toEqual([...params.get('1.weight')!]);
    // A train-mode forward outside step() counts too, as in torch.
    await trainer.predict(x);
    expect((await trainer.stateDict()).get('2.num_batches_tracked')!.data[0]).toBe(4n);
  });

  it('save → load into an inference model gives bit-identical predictions', async () => {
    const trainer = await trained(4);
    trainer.eval();
    const bytes = saveSafetensors(await trainer.stateDict());
    const served = await compileInference(model(), { inputShape: [2, 6], batchSize: 64, runtime: await testRuntime() });
    expect((await served.predict(x))[0]).not.toBe((await trainer.predict(x))[0]); // fresh weights differ
    await served.loadStateDict(loadSafetensors(bytes));
    const probe = normal(37 * 12, 2);
    expect(new Uint32Array((await served.predict(probe)).buffer)).toEqual(new Uint32Array((await trainer.predict(probe)).buffer));
    expect(bits(await served.stateDict())).toEqual(bits(loadSafetensors(bytes)));
    await served.destroy();
    await trainer.destroy();
  });

  it('strict loading reports missing and unexpected keys in one error and writes nothing', async () => {
    const trainer = await trained(1);
    const before = await trainer.stateDict();
    const dict = new Map(before);
    dict.delete('5.bias');
    dict.delete('2.running_var');
    dict.set('6.weight', { shape: [1], data: new Float32Array(1) });
    dict.set('1.weight', { shape: [16, 12], data: new Float32Array(192).fill(7) });
    const error = await trainer.loadStateDict(dict).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateDictError);
    expect((error as StateDictError).missing).toEqual(['2.running_var', '5.bias']);
    expect((error as StateDictError).unexpected).toEqual(['6.weight']);
    expect((error as Error).message).toMatch(/missing key\(s\): "2.running_var", "5.bias"\n.*unexpected key\(s\): "6.weight"/s);
    expect(bits(await trainer.stateDict())).toEqual(bits(before)); // 1.weight was not written

    // strict: false loads what matches and returns the rest.
    const result = await trainer.loadStateDict(dict, { strict: false });
    expect(result).toEqual({ missing: ['2.running_var', '5.bias'], unexpected: ['6.weight'] });
    expect((await trainer.stateDict()).get('1.weight')!.data[5]).toBe(7);
  });

  it.each([
    ['a wrong shape', '1.weight', { shape: [12, 16], data: new Float32Array(192) }, /size mismatch for 1\.weight: .*\[12, 16\].*\[16, 12\]/],
    ['int64 data for a float tensor', '1.bias', { shape: [16], data: new BigInt64Array(16) }, /dtype mismatch for 1\.bias: int64/],
    ['data shorter than the shape', '1.bias', { shape: [16], data: new Float32Array(15) }, /1\.bias: shape \[16\] holds 16 values, but data has 15/],
    ['a Float64Array', '5.bias', { shape: [3], data: new Float64Array(3) }, /5\.bias: data must be a Float32Array .* got Float64Array/],
    ['a fractional count', '2.num_batches_tracked', { shape: [], data: new Float32Array([1.5]) }, /num_batches_tracked: a count must be a non-negative integer, got 1\.5/],
    ['a negative count', '2.num_batches_tracked', { shape: [], data: BigInt64Array.of(-1n) }, /num_batches_tracked: a count must be ≥ 0/],
  ])('rejects %s, even when not strict', async (_, name, tensor, message) => {
    const trainer = await trained(1);
    const dict = new Map(await trainer.stateDict());
    dict.set(name, tensor as never);
    for (const strict of [true, false]) {
      await expect(trainer.loadStateDict(dict, { strict })).rejects.toThrow(StateDictError);
      await expect(trainer.loadStateDict(dict, { strict })).rejects.toThrow(message);
    }
  });

  it('accepts a plain object and an integer-valued float32 count (torch casts on copy)', async () => {
    const trainer = await trained(1);
    const dict = Object.fromEntries(await trainer.stateDict());
    dict['2.num_batches_tracked'] = { shape: [], data: new Float32Array([41]) };
    await trainer.loadStateDict(dict);
    expect((await trainer.stateDict()).get('2.num_batches_tracked')!.data[0]).toBe(41n);
  });
});
