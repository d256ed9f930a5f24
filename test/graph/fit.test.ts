// trainer.fit(): history, partial last batches (a plan of their own size), validation splits,
// early stopping with best-weight restore, abort, ReduceLROnPlateau and setLearningRate.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import type { StateDict } from '../../src/io/state-dict';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam, sgd } from '../../src/optim/optimizers';
import type { LrSchedule } from '../../src/optim/schedules';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const D = 8;
const C = 4;
/** `count` samples whose label is the largest of the first C features (learnable). */
function labelled(count: number, seed: number) {
  const x = normal(count * D, seed);
  const y = Uint32Array.from({ length: count }, (_, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (x[i * D + c]! > x[i * D + best]!) best = c;
    return best;
  });
  return { x, y, count };
}
/** Labels that no feature predicts: fitting them is memorizing. */
function noisy(count: number, seed: number) {
  return { x: normal(count * D, seed), y: Uint32Array.from({ length: count }, (_, i) => (i * 7919 + seed * 31) % 13 % C), count };
}

const trainers: Trainer[] = [];
afterAll(async () => {
  for (const t of trainers) await t.destroy();
});

async function make(options: { batchSize?: number; lr?: number; lrSchedule?: LrSchedule; adam?: boolean; hidden?: number; seed?: number } = {}) {
  const hidden = options.hidden ?? 16;
  const t = await compile(new Sequential([new Linear(D, hidden), ReLU(), new Linear(hidden, C)]), {
    inputShape: [D],
    loss: 'crossEntropy',
    optimizer: options.adam ? adam({ lr: options.lr ?? 0.01 }) : sgd({ lr: options.lr ?? 0.1 }),
    batchSize: options.batchSize ?? 128,
    lrSchedule: options.lrSchedule,
    seed: options.seed ?? 1,
    evalBatchSize: 64, // one evaluation plan, the size of the validation sets
    runtime: await testRuntime(),
  });
  trainers.push(t);
  return t;
}

const sameDict = (a: StateDict, b: StateDict) => [...a].every(([name, t]) => t.data.every((v, i) => Object.is(v, b.get(name)!.data[i])));

describe('fit', () => {
  it('trains every sample each epoch (8 steps for 1000 samples in batches of 128) and records one finite record per epoch', async () => {
    const schedule: LrSchedule = (step) => 0.2 / (1 + step / 8);
    const t = await make({ lrSchedule: schedule });
    const train = labelled(1000, 1);
    const history = await t.fit(train, { epochs: 3, seed: 2 });
    expect(history.stopped).toBe('completed');
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(t.stats().steps).toBe(24);
    for (const [i, e] of history.epochs.entries()) {
      expect(e.samples).toBe(1000);
      expect(Number.isFinite(e.loss) && Number.isFinite(e.accuracy) && e.seconds > 0).toBe(true);
      expect(Number.isNaN(e.valLoss) && Number.isNaN(e.valAccuracy)).toBe(true);
      expect(e.lr).toBe(schedule(8 * i, Infinity));
    }
    expect(history.epochs[2]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(history.epochs[2]!.accuracy).toBeGreaterThan(0.5);
    expect(history.bestEpoch).toBe(3);
    expect(t.mode).toBe('train');
  });

  it('trains a partial batch exactly as a trainer compiled for that batch size (loss = mean over its rows)', async () => {
    const batch = labelled(5, 3);
    const tail = await make({ batchSize: 16, seed: 4 });
    const exact = await make({ batchSize: 5, seed: 4 });
    expect(() => tail.step(batch.x, batch.y)).toThrow(/input has 40 values, expected 16/);
    await tail.prepareBatch(5);
    for (const t of [tail, exact]) {
      t.step(batch.x, batch.y);
      t.step(batch.x, batch.y);
    }
    const [a, b] = [await tail.flushMetrics(), await exact.flushMetrics()];
    expect(a.loss).toBe(b.loss);
    expect(a.accuracy).toBe(b.accuracy);
    expect(a.samples).toBe(10);
    expect(sameDict(await tail.stateDict(), await exact.stateDict())).toBe(true);
    expect(tail.stats().steps).toBe(2);
  });

  it('holds out a reproducible validation split: the same seed gives the same split, another seed another', async () => {
    // Plain SGD has no optimizer state: loading the initial weights replays a fit exactly.
    const t = await make();
    const initial = await t.stateDict();
    const data = labelled(320, 5); // 256 training samples: two whole batches
    const run = async (seed: number) => {
      await t.loadStateDict(initial);
      const history = await t.fit(data, { epochs: 1, shuffle: false, validation: { fraction: 0.2, seed } });
      expect(history.epochs[0]!.samples).toBe(256);
      return history.epochs[0]!;
    };
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(Number.isFinite(a.valLoss) && a.valAccuracy >= 0).toBe(true);
    expect(b.valLoss).toBe(a.valLoss);
    expect(b.loss).toBe(a.loss);
    expect(c.valLoss).not.toBe(a.valLoss);
  });

  it('stops after `patience` epochs without improvement and restores the best epoch’s weights', async () => {
    const t = await make({ adam: true, lr: 0.03, hidden: 64, batchSize: 32 });
    const dicts = new Map<number, StateDict>();
    const history = await t.fit(noisy(128, 6), {
      epochs: 40,
      validation: noisy(64, 7),
      earlyStopping: { monitor: 'valLoss', patience: 3 },
      onEpochEnd: async (e) => void dicts.set(e.epoch, await t.stateDict()),
    });
    expect(history.stopped).toBe('earlyStopping');
    const best = history.bestEpoch!;
    expect(history.epochs).toHaveLength(best + 3);
    const valLosses = history.epochs.map((e) => e.valLoss);
    expect(Math.min(...valLosses)).toBe(valLosses[best - 1]);
    expect(sameDict(await t.stateDict(), dicts.get(best)!)).toBe(true);
    expect(sameDict(await t.stateDict(), dicts.get(history.epochs.length)!)).toBe(false);
  });

  it('stops within one step when aborted and resolves with the history so far', async () => {
    const t = await make();
    const controller = new AbortController();
    const history = await t.fit(labelled(1000, 8), {
      epochs: 5,
      signal: controller.signal,
      onBatchEnd: ({ epoch, batch, batches }) => {
        expect(batches).toBe(8);
        if (epoch === 2 && batch === 2) controller.abort();
      },
    });
    expect(history.stopped).toBe('aborted');
    expect(t.stats().steps).toBe(8 + 3);
    expect(history.epochs.map((e) => e.samples)).toEqual([1000, 384]);
  });

  it('reduceLrOnPlateau lowers the rate after `patience` bad epochs, down to minLr', async () => {
    const t = await make({ lr: 0.1 });
    // minDelta 100: no epoch after the first counts as an improvement.
    const history = await t.fit(labelled(256, 9), {
      epochs: 5,
      reduceLrOnPlateau: { monitor: 'loss', factor: 0.5, patience: 0, minLr: 0.03, minDelta: 100 },
    });
    expect(history.epochs.map((e) => e.lr)).toEqual([0.1, 0.1, 0.05, 0.03, 0.03]);
    expect(t.learningRate).toBe(0.03);
  });

  it('setLearningRate replaces the schedule and is checked', async () => {
    const t = await make({ lrSchedule: () => 0.5 });
    expect(t.learningRate).toBe(0.5);
    t.setLearningRate(0.01);
    expect(t.learningRate).toBe(0.01);
    for (const bad of [NaN, -1, 1e39, Infinity]) expect(() => t.setLearningRate(bad)).toThrow(ConfigError);
  });

  it('checks its options before training', async () => {
    const t = await make();
    const data = labelled(200, 10);
    await expect(t.fit(data, { epochs: 0 })).rejects.toThrow(ConfigError);
    await expect(t.fit(data, { epochs: 1, batch: 3 } as never)).rejects.toThrow(/unknown option "batch"/);
    await expect(t.fit(data, { epochs: 1, earlyStopping: { monitor: 'valLoss', patience: 2 } })).rejects.toThrow(/needs fit's validation/);
    await expect(t.fit({ ...data, count: 201 }, { epochs: 1 })).rejects.toThrow(ConfigError);
    expect(t.stats().steps).toBe(0);
  });

  it('fits regression targets (Float32Array) with a partial last batch', async () => {
    const t = await compile(new Sequential([new Linear(D, 2)]), {
      inputShape: [D], loss: 'mse', optimizer: sgd({ lr: 0.05 }), batchSize: 32, evalBatchSize: 64, runtime: await testRuntime(),
    });
    trainers.push(t);
    const x = normal(70 * D, 11);
    const y = Float32Array.from({ length: 70 * 2 }, (_, j) => x[Math.floor(j / 2) * D + (j % 2)]! * 2);
    const history = await t.fit({ x, y, count: 70 }, { epochs: 4, validation: { x, y, count: 70 } });
    expect(t.stats().steps).toBe(12);
    expect(history.epochs.map((e) => e.samples)).toEqual([70, 70, 70, 70]);
    expect(history.epochs[3]!.valLoss).toBeLessThan(history.epochs[0]!.valLoss);
    expect(Number.isNaN(history.epochs[0]!.accuracy)).toBe(true);
  });

  it('after destroy(), fit and prepareBatch reject and setLearningRate throws', async () => {
    const t = await make();
    await t.destroy();
    await expect(t.fit(labelled(10, 12), { epochs: 1 })).rejects.toThrow(/destroyed/);
    await expect(t.prepareBatch(3)).rejects.toThrow(/destroyed/);
    expect(() => t.setLearningRate(0.1)).toThrow(/destroyed/);
  });
});
