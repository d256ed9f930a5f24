// compile({ augment }) end to end: one step's gradient equals a float64 reference through the
// augmented (and mixed) batch, for full and tail batches; a tiny problem trains; evaluate /
// predict never augment; steps are reproducible per seed and differ per step; bad options
// and mixing with a regression loss are rejected; still one submit and no allocation a step.
import type { CompileOptions } from '../../src/graph/options';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { drawMix, type AugmentOptions } from '../../src/graph/augment';
import { compile } from '../../src/graph/compile';
import type { ImageShape } from '../../src/kernels/augment';
import { Flatten, Linear } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { augmentReference, mixReference, mixTargetsReference } from '../reference/augment';

const IMAGE: ImageShape = [2, 5, 6];
const FEATURES = 60;
const CLASSES = 3;
const SEED = 21;
const SMOOTHING = 0.1;

async function trainer(augment: AugmentOptions | undefined, extra: Partial<CompileOptions> = {}) {
  return compile(new Sequential([new Linear(FEATURES, CLASSES)]), {
    inputShape: [FEATURES],
    loss: { kind: 'crossEntropy', labelSmoothing: SMOOTHING },
    optimizer: sgd({ lr: 0 }),
    batchSize: 8,
    seed: SEED,
    runtime: await testRuntime(),
    augment,
    ...extra,
  });
}

/** Float64 loss and weight / bias gradients of Linear + smoothed soft-target CE at `step`. */
function reference(augment: AugmentOptions, w: Float32Array, b: Float32Array, x: Float32Array, labels: Uint32Array, step: number) {
  const n = labels.length;
  const { imageShape: _, mixup, cutmix, ...samples } = augment;
  let xa: ArrayLike<number> = augmentReference(x, n, IMAGE, samples, SEED, step);
  const mix = drawMix({ mixup, cutmix }, IMAGE, SEED, step);
  xa = mixReference(xa, n, IMAGE, mix);
  const soft = mixTargetsReference(labels, CLASSES, mix).map((t) => (1 - SMOOTHING) * t + SMOOTHING / CLASSES);
  const dw = new Float64Array(CLASSES * FEATURES);
  const db = new Float64Array(CLASSES);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const logits = Array.from({ length: CLASSES }, (_, c) => b[c]! + Array.from({ length: FEATURES }, (_, f) => w[c * FEATURES + f]! * xa[r * FEATURES + f]!).reduce((s, v) => s + v, 0));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
    for (let c = 0; c < CLASSES; c++) {
      const t = soft[r * CLASSES + c]!;
      loss -= (t * (logits[c]! - lse)) / n;
      const g = (Math.exp(logits[c]! - lse) - t) / n;
      db[c] = db[c]! + g;
      for (let f = 0; f < FEATURES; f++) dw[c * FEATURES + f] = dw[c * FEATURES + f]! + g * xa[r * FEATURES + f]!;
    }
  }
  return { loss, dw, db };
}

const batch = (rows: number, seed: number) => ({
  x: uniform(rows * FEATURES, seed, 0, 1),
  y: Uint32Array.from({ length: rows }, (_, i) => (i * 5 + seed) % CLASSES),
});

const FULL: AugmentOptions = { imageShape: IMAGE, shift: 1.5, rotate: 25, scale: [0.85, 1.2], noise: 0.05, cutout: 2 };

describe('compile({ augment }) training steps', () => {
  it.each([
    ['per-sample only', FULL],
    ['with mixup', { ...FULL, mixup: 0.4 }],
    ['with CutMix', { ...FULL, cutmix: 1 }],
    ['mixup or CutMix', { imageShape: IMAGE, mixup: 0.3, cutmix: 0.8 }],
  ] as [string, AugmentOptions][])('%s: the step gradient equals the reference through the augmented batch', async (_, augment) => {
    const t = await trainer(augment);
    await t.prepareBatch(5);
    const params = await t.parameters();
    const [w, b] = [params.get('0.weight')!, params.get('0.bias')!];
    for (const [rows, step] of [[8, 1], [5, 2], [8, 3]] as const) {
      const { x, y } = batch(rows, step);
      t.resetMetrics();
      t.step(x, y);
      const metrics = await t.flushMetrics();
      const grads = await t.gradients();
      const ref = reference(augment, w, b, x, y, step);
      // f32 sums of 60 products of values ≤ ~1.3 (noise added) against float64.
      expect(Math.abs(metrics.loss - ref.loss)).toBeLessThan(2e-5 * ref.loss);
      expectClose(grads.get('0.weight')!, ref.dw, { atol: 2e-5, rtol: 1e-4 }, `dW rows ${rows} step ${step}`);
      expectClose(grads.get('0.bias')!, ref.db, { atol: 2e-6, rtol: 1e-4 }, `db rows ${rows} step ${step}`);
    }
    t.destroy();
  });

  it('steps are reproducible for a fixed seed and differ across steps and seeds', async () => {
    const augment = { ...FULL, mixup: 0.4, cutmix: 1 };
    const { x, y } = batch(8, 4);
    const grads = async (seed: number, steps: number) => {
      const t = await trainer(augment, { seed });
      const out: Float32Array[] = [];
      for (let s = 0; s < steps; s++) {
        t.step(x, y);
        out.push((await t.gradients()).get('0.weight')!);
      }
      t.destroy();
      return out;
    };
    const [a, b, c] = [await grads(SEED, 2), await grads(SEED, 2), await grads(SEED + 1, 1)];
    expect(Array.from(a[0]!)).toEqual(Array.from(b[0]!));
    expect(Array.from(a[1]!)).toEqual(Array.from(b[1]!));
    expect(Array.from(a[1]!)).not.toEqual(Array.from(a[0]!)); // lr 0: only the augmentation changed
    expect(Array.from(c[0]!)).not.toEqual(Array.from(a[0]!));
  });

  it('a restored checkpoint continues with the same draws', async () => {
    const t = await trainer({ ...FULL, mixup: 0.4, cutmix: 1 }, { optimizer: sgd({ lr: 0.1 }) });
    const { x, y } = batch(8, 6);
    t.step(x, y);
    const saved = await t.checkpoint();
    t.step(x, y);
    const next = (await t.gradients()).get('0.weight')!;
    await t.restore(saved);
    t.step(x, y);
    expect(Array.from((await t.gradients()).get('0.weight')!)).toEqual(Array.from(next));
    t.destroy();
  });

  it('keeps one submit, no allocation and no readback per step', async () => {
    const t = await trainer({ ...FULL, mixup: 0.2, cutmix: 0.5 }, { optimizer: sgd({ lr: 0.1 }) });
    const { x, y } = batch(8, 1);
    for (let s = 0; s < 6; s++) t.step(x, y);
    await t.sync();
    const stats = t.stats();
    expect(stats.submitsPerStep).toBe(1);
    expect(stats.allocationsPerStep).toBe(0);
    expect(stats.readbacksPerStep).toBe(0);
    expect(stats.pipelinesCreatedPerStep).toBe(0);
    t.destroy();
  });
});

describe('training with augmentation', () => {
  // Four classes: a bright 2×2 blob in one quadrant of an 8×8 image, anywhere inside it.
  function blobs(count: number, seed: number) {
    const r = uniform(count * 2, seed, 0, 1);
    const x = new Float32Array(count * 64);
    const y = Uint32Array.from({ length: count }, (_, i) => i % 4);
    for (let i = 0; i < count; i++) {
      const [qx, qy] = [(y[i]! % 2) * 4, Math.floor(y[i]! / 2) * 4];
      const [ox, oy] = [qx + Math.floor(r[2 * i]! * 3), qy + Math.floor(r[2 * i + 1]! * 3)];
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) x[i * 64 + (oy + dy!) * 8 + ox + dx!] = 1;
    }
    return { x, y };
  }
  const model = () => new Sequential([new Flatten(), new Linear(64, 4)]);
  const options = async (augment?: AugmentOptions): Promise<CompileOptions> => ({
    inputShape: [1, 8, 8], loss: 'crossEntropy', optimizer: sgd({ lr: 0.5 }), batchSize: 16, seed: 3, runtime: await testRuntime(), augment,
  });

  it('trains (finite, decreasing loss); evaluate and predict do not augment', async () => {
    const t = await compile(model(), await options({ shift: 0.5, noise: 0.05, mixup: 0.2 }));
    const data = blobs(16 * 8, 1);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 6; epoch++) {
      t.resetMetrics();
      for (let i = 0; i < 8; i++) t.step(data.x.subarray(i * 1024, (i + 1) * 1024), data.y.subarray(i * 16, (i + 1) * 16));
      losses.push((await t.flushMetrics()).loss);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);

    // An equal model without augmentation, loaded with the same weights, predicts the same.
    const plain = await compile(model(), await options());
    await plain.loadStateDict(await t.stateDict());
    const test = blobs(40, 2);
    const [p, q] = [await t.predict(test.x), await plain.predict(test.x)];
    expect(Array.from(p)).toEqual(Array.from(q));
    expect(Array.from(await t.predict(test.x))).toEqual(Array.from(p));
    const [e, f] = [await t.evaluate({ ...test, count: 40 }), await plain.evaluate({ ...test, count: 40 })];
    expect(e.loss).toBe(f.loss);
    expect(e.accuracy).toBe(f.accuracy);
    t.destroy();
    plain.destroy();
  });
});

describe('augment option checks', () => {
  const bad: [AugmentOptions | Record<string, unknown>, RegExp, Partial<CompileOptions>?][] = [
    [{ rotate: NaN }, /^compile: augment\.rotate must be a finite number in \[0, 180\], got NaN$/],
    [{ shift: -1 }, /^compile: augment\.shift must be a finite number ≥ 0, got -1$/],
    [{ noise: Infinity }, /augment\.noise must be a finite number ≥ 0, got Infinity/],
    [{ scale: [1.2, 0.8] }, /augment\.scale must be \[min, max\] with 0 < min ≤ max/],
    [{ cutout: 2.5 }, /augment\.cutout must be an integer ≥ 0, got 2\.5/],
    [{ mixup: -0.1 }, /augment\.mixup must be a finite number ≥ 0/],
    [{ flip: true }, /compile: augment: unknown option "flip"/],
    [{ imageShape: [1, 28, 27] }, /augment\.imageShape must be \[C, H, W\] with as many values as inputShape \[1, 8, 8\] \(64\)/],
    [{ imageShape: [64] }, /augment\.imageShape must be \[C, H, W\]/],
    [{ shift: 1 }, /augment\.imageShape must be given as \[C, H, W\] when inputShape is not 3-D \(inputShape \[64\]\)/, { inputShape: [64] }],
    [{ mixup: 0.2 }, /^compile: augment\.mixup needs the class-label loss 'crossEntropy' \(it mixes soft targets\), got loss 'mse'$/, { loss: 'mse' }],
    [{ cutmix: 1 }, /augment\.cutmix needs the class-label loss 'crossEntropy'.*got loss 'nll'/, { loss: 'nll' }],
  ];
  it.each(bad)('rejects %j before any GPU work', async (augment, message, extra = {}) => {
    const options = { inputShape: [1, 8, 8], loss: 'crossEntropy', optimizer: sgd({ lr: 0.1 }), batchSize: 4, augment, ...extra } as CompileOptions;
    // No runtime given: a failing check must throw before one is created.
    const error = await compile(new Sequential([new Linear(64, 4)]), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts a regression loss without mixing, and a 3-D inputShape as the image', async () => {
    const t = await compile(new Sequential([new Flatten(), new Linear(64, 2)]), {
      inputShape: [1, 8, 8], loss: 'mse', optimizer: sgd({ lr: 0.1 }), batchSize: 4, runtime: await testRuntime(), augment: { shift: 1, noise: 0.1 },
    });
    t.step(uniform(256, 1), uniform(8, 2));
    expect(Number.isFinite((await t.flushMetrics()).loss)).toBe(true);
    t.destroy();
  });
});
