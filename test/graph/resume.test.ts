// Exact resume: 200 steps straight and 100 steps, checkpoint, restore into a new trainer on a
// new runtime, 100 more steps end bit-identical (parameters, BatchNorm buffers, Adam moments,
// step counter, dropout masks and the LR schedule's position all carry over).
import { expect, it } from 'vitest';
import { DataFormatError } from '../../src/data/idx';
import { GpuRuntime } from '../../src/gpu/runtime';
import { StateDictError } from '../../src/graph/state';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import { readSafetensors, saveSafetensors } from '../../src/io/safetensors';
import { Dropout, Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { adamw, sgd } from '../../src/optim/optimizers';
import { cosineDecay } from '../../src/optim/schedules';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const BATCH = 16;
const TOTAL = 200;
const batches = Array.from({ length: 5 }, (_, b) => ({
  x: normal(BATCH * 10, 100 + b),
  y: Uint32Array.from({ length: BATCH }, (_, i) => (i * 7 + b) % 4),
}));

async function trainer(runtime: GpuRuntime, seed = 9): Promise<Trainer> {
  const model = new Sequential([new Flatten(), new Linear(10, 24), BatchNorm1d(24), ReLU(), new Dropout(0.3), new Linear(24, 4)]);
  return compile(model, {
    inputShape: [10],
    loss: 'crossEntropy',
    optimizer: adamw({ lr: 0.02 }),
    lrSchedule: cosineDecay(0.02),
    totalSteps: TOTAL,
    batchSize: BATCH,
    seed,
    runtime,
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

function run(t: Trainer, from: number, to: number): void {
  for (let s = from; s < to; s++) t.step(batches[s % batches.length]!.x, batches[s % batches.length]!.y);
}

it('200 steps straight equal 100 + checkpoint + restore on a new runtime + 100, bit for bit', async () => {
  const straight = await trainer(await testRuntime());
  run(straight, 0, TOTAL);
  const expected = await straight.checkpoint();

  const first = await trainer(await testRuntime());
  run(first, 0, TOTAL / 2);
  const halfway = await first.checkpoint();
  await first.destroy();

  const runtime = await GpuRuntime.create();
  const resumed = await trainer(runtime, 1234); // another seed: restore brings the saved one back
  await resumed.restore(halfway);
  run(resumed, TOTAL / 2, TOTAL);
  const actual = await resumed.checkpoint();
  // Byte equality of whole checkpoints covers every tensor, the optimizer state and the step counter.
  expect(actual.length).toBe(expected.length);
  expect(sameBytes(actual, expected)).toBe(true);
  const { tensors, metadata } = readSafetensors(actual);
  expect(metadata.steps).toBe('200');
  expect(tensors.get('model.2.num_batches_tracked')!.data[0]).toBe(200n);
  expect(tensors.get('optimizer.exp_avg_sq.1.weight')!.data.some((v) => v !== 0)).toBe(true);
  // And it differs from a run that skipped the restore (the test can tell runs apart).
  const fresh = await trainer(await testRuntime());
  run(fresh, TOTAL / 2, TOTAL);
  expect(sameBytes(await fresh.checkpoint(), expected)).toBe(false);
  await resumed.destroy();
  runtime.destroy();
  await straight.destroy();
  await fresh.destroy();
});

it('restore rejects another optimizer, other shapes and broken files before writing anything', async () => {
  const runtime = await testRuntime();
  const source = await trainer(runtime);
  run(source, 0, 2);
  const bytes = await source.checkpoint();
  const other = await compile(new Sequential([new Linear(10, 4)]), { inputShape: [10], loss: 'crossEntropy', optimizer: adamw({ lr: 0.02 }), batchSize: BATCH, runtime });
  await expect(other.restore(bytes)).rejects.toThrow(StateDictError);
  const momentum = await compile(new Sequential([new Flatten(), new Linear(10, 24), BatchNorm1d(24), ReLU(), new Dropout(0.3), new Linear(24, 4)]), {
    inputShape: [10],
    loss: 'crossEntropy',
    optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
    batchSize: BATCH,
    runtime,
  });
  await expect(momentum.restore(bytes)).rejects.toThrow(/optimizer .*"kind":"adamw".* differs from this trainer's .*"kind":"sgd"/);
  const target = await trainer(runtime);
  const before = await target.checkpoint();
  await expect(target.restore(bytes.subarray(0, bytes.length - 4))).rejects.toThrow(DataFormatError);
  await expect(target.restore(new Uint8Array(8))).rejects.toThrow(DataFormatError);
  await expect(target.restore(saveSafetensors(await source.stateDict()))).rejects.toThrow(/not a shadergrad checkpoint/);
  expect(sameBytes(await target.checkpoint(), before)).toBe(true);
  for (const t of [source, other, momentum, target]) await t.destroy();
});
