// The demo's training run (demo/training.ts) on trainer.fit(): progress and loss points arrive
// every step and add up to the epoch's loss, each epoch is evaluated on the test images, Pause
// holds fit inside onBatchEnd until Resume, and Stop ends the run through fit's AbortSignal,
// also while paused; the augmentation fields' compile option trains. A small MLP compiled
// with the demo's own options, on random images.
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import { buildModel, compileOptions, NO_AUGMENT, type Settings } from '../../demo/controls';
import { TrainingSession, type TrainingEvents } from '../../demo/training';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

const settings: Settings = {
  arch: 'mlp',
  hidden: [16],
  activation: 'relu',
  init: 'he',
  channels: [0, 0],
  dropout: 0,
  batchnorm: false,
  optimizer: 'adam',
  lr: 0.01,
  weightDecay: 0,
  batch: 16,
  epochs: 2,
  trainCount: 96, // 6 steps per epoch; metrics read back every step
  testCount: 32,
  seed: 3,
  augment: NO_AUGMENT,
};
const images = (count: number, seed: number) => ({
  x: normal(count * 784, seed),
  y: Uint32Array.from({ length: count }, (_, i) => (i * 7 + seed) % 10),
  count,
});
const train = images(settings.trainCount, 1);
const test = images(settings.testCount, 2);

type Progress = Parameters<TrainingEvents['progress']>[0];
type Epoch = Parameters<TrainingEvents['epoch']>[0];

const trainers: Trainer[] = [];
afterAll(async () => {
  for (const t of trainers) await t.destroy();
});

/** A session on a fresh trainer; `onProgress` sees every progress event with the session. */
async function run(onProgress: (p: Progress, session: TrainingSession) => void = () => undefined, s = settings) {
  const trainer = await compile(buildModel(s), compileOptions(s, await testRuntime()));
  trainers.push(trainer);
  const seen = { progress: [] as Progress[], loss: [] as [number, number][], epochs: [] as Epoch[] };
  const session: TrainingSession = new TrainingSession(trainer, train, test, s.epochs, s.seed, {
    progress: (p) => {
      seen.progress.push(p);
      onProgress(p, session);
    },
    loss: (step, loss) => seen.loss.push([step, loss]),
    epoch: (e) => seen.epochs.push(e),
  });
  return { session, seen };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until `ready()` holds (checked every 10 ms). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await sleep(10);
}

describe('demo training session', { timeout: 180_000 }, () => { // the first compile is slow on a busy CPU-only machine
  it('reports progress and loss every step and evaluates the test images after each epoch', async () => {
    const { session, seen } = await run();
    await session.finished;
    expect(seen.progress.map((p) => `${p.epoch}:${p.step}/${p.stepsPerEpoch}`)).toEqual(
      [1, 2].flatMap((epoch) => [1, 2, 3, 4, 5, 6].map((step) => `${epoch}:${step}/6`)),
    );
    for (const p of seen.progress) {
      expect(p.samplesPerSec).toBeGreaterThan(0);
      expect(p.msPerStep).toBeGreaterThan(0);
    }
    // Points at increasing global steps, ending at the last step; each covers the steps since
    // the previous one, so their step-weighted mean is the epoch's exact loss.
    const steps = seen.loss.map(([step]) => step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps.at(-1)).toBe(12);
    expect(seen.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const e of seen.epochs) {
      const points = seen.loss.filter(([step]) => step > (e.epoch - 1) * 6 && step <= e.epoch * 6);
      let previous = (e.epoch - 1) * 6;
      let sum = 0;
      for (const [step, loss] of points) {
        sum += loss * (step - previous);
        previous = step;
      }
      expect(sum / 6).toBeCloseTo(e.trainLoss, 4);
      expect(e.logits).toHaveLength(test.count * 10);
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(e.testLoss)).toBe(true);
    }
  });

  it('pauses after the current step and continues the same epoch on resume', async () => {
    let paused = false;
    const { session, seen } = await run((p, s) => {
      if (p.epoch === 1 && p.step === 2 && !paused) {
        paused = true;
        s.pause();
      }
    });
    await until(() => seen.progress.length >= 2);
    await sleep(300);
    expect(seen.progress).toHaveLength(2); // no step while paused
    expect(seen.epochs).toHaveLength(0);
    session.resume();
    await session.finished;
    expect(seen.progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(seen.epochs.map((e) => e.epoch)).toEqual([1, 2]);
  });

  it('stops mid-epoch, and while paused after an epoch’s last step without evaluating it', async () => {
    const midway = await run((p, s) => p.step === 3 && s.stop());
    await midway.session.finished;
    expect(midway.seen.progress).toHaveLength(3);
    expect(midway.seen.epochs).toHaveLength(0);
    expect((await midway.session.trainer.flushMetrics()).steps).toBe(3); // the trainer stays usable

    const atEnd = await run((p, s) => p.step === 6 && s.pause());
    await until(() => atEnd.seen.progress.length >= 6);
    await sleep(300);
    expect(atEnd.seen.progress).toHaveLength(6);
    atEnd.session.stop();
    await atEnd.session.finished;
    expect(atEnd.seen.progress).toHaveLength(6);
    expect(atEnd.seen.epochs).toHaveLength(0);
  });

  it('trains with every augmentation field on (compile accepts the form’s augment option)', async () => {
    const augment = { shift: 2, rotate: 10, scale: 0.1, noise: 0.1, cutout: 6, mixup: 0.2, cutmix: 0.5 };
    const { session, seen } = await run(undefined, { ...settings, epochs: 1, augment });
    await session.finished;
    expect(seen.progress).toHaveLength(6);
    expect(seen.epochs).toHaveLength(1);
    expect(Number.isFinite(seen.epochs[0]!.trainLoss)).toBe(true);
    expect(seen.loss.every(([, loss]) => Number.isFinite(loss))).toBe(true);
  });
});
