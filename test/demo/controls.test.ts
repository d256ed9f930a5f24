// The demo's model builder against the CLI's named models: the setup form's CNN defaults must
// build the CLI's mnistModel('cnn') layer for layer; the augmentation fields must map to
// compile's augment option (absent while all are 0); the test-set scoring must agree with a
// direct computation. No GPU: models are plain objects until compiled.
import { describe, expect, it } from 'vitest';
import { mnistModel } from '../../src/cli/models';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { augmentOption, buildModel, compileOptions, NO_AUGMENT, type Settings } from '../../demo/controls';
import { scoreLogits } from '../../demo/training';

/** The form's defaults (demo/index.html) after choosing the CNN. */
const cnnDefaults: Settings = {
  arch: 'cnn',
  hidden: [],
  activation: 'relu',
  init: 'he',
  channels: [16, 32],
  dropout: 0,
  batchnorm: true,
  optimizer: 'adam',
  lr: 0.001,
  weightDecay: 0,
  batch: 128,
  epochs: 3,
  trainCount: 60000,
  testCount: 2000,
  seed: 1,
  augment: NO_AUGMENT,
};

describe('demo controls', () => {
  it("builds the CLI's CNN from the default CNN settings", () => {
    // Same layer types, sizes and initializers: the JSON of each layer's fields.
    expect(JSON.stringify(buildModel(cnnDefaults))).toBe(JSON.stringify(mnistModel('cnn')));
  });

  it('adds dropout before the classifier and drops batch norm when asked', () => {
    const types = buildModel({ ...cnnDefaults, channels: [8, 4], batchnorm: false, dropout: 0.25 }).layers.map((l) => l.type);
    expect(types).toEqual(['Conv2d', 'MaxPool2d', 'relu', 'Conv2d', 'MaxPool2d', 'relu', 'Flatten', 'Linear', 'relu', 'Dropout', 'Linear']);
  });

  it('passes compile an augment option only when some augmentation is on, for [1, 28, 28] images', () => {
    const runtime = {} as GpuRuntime; // only passed through
    const off = compileOptions(cnnDefaults, runtime);
    expect('augment' in off).toBe(false);
    expect(off).toMatchObject({ inputShape: [1, 28, 28], loss: 'crossEntropy', batchSize: 128, seed: 1, metricsEvery: 10, runtime });

    const augment = { ...NO_AUGMENT, shift: 2, rotate: 10, scale: 0.1, noise: 0.2, cutout: 8 };
    expect(compileOptions({ ...cnnDefaults, augment }, runtime).augment).toEqual({
      imageShape: [1, 28, 28],
      shift: 2,
      rotate: 10,
      scale: [0.9, 1.1],
      noise: 0.2,
      cutout: 8,
    });
    // Each field alone; the MLP's options carry the same image shape (its input is flattened by its first layer).
    expect(augmentOption({ ...NO_AUGMENT, mixup: 0.4 })).toEqual({ imageShape: [1, 28, 28], mixup: 0.4 });
    expect(augmentOption({ ...NO_AUGMENT, cutmix: 1 })).toEqual({ imageShape: [1, 28, 28], cutmix: 1 });
    expect(augmentOption({ ...NO_AUGMENT, scale: 0.25 })).toEqual({ imageShape: [1, 28, 28], scale: [0.75, 1.25] });
    expect(compileOptions({ ...cnnDefaults, arch: 'mlp', hidden: [64], augment: { ...NO_AUGMENT, noise: 0.5 } }, runtime).augment).toEqual({
      imageShape: [1, 28, 28],
      noise: 0.5,
    });
    expect(augmentOption(NO_AUGMENT)).toBeUndefined();
  });

  it('scores logits as mean cross-entropy and first-maximum accuracy', () => {
    const logits = new Float32Array([2, 1, 0, 0, 0, 3, 1, 1, 1]);
    const labels = new Uint32Array([0, 1, 0]);
    const { loss, accuracy } = scoreLogits(logits, labels, 3);
    const ce = (row: number[], label: number) => Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[label]!;
    expect(loss).toBeCloseTo((ce([2, 1, 0], 0) + ce([0, 0, 3], 1) + ce([1, 1, 1], 0)) / 3, 6);
    expect(accuracy).toBeCloseTo(2 / 3, 6); // a tie counts as the first class, as argmax
  });
});
