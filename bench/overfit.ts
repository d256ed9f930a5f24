// The study notes' overfitting experiment (after Saito, "Deep Learning from Scratch", 6.4):
// a deep MLP (784-100×6-10, ReLU, He init) trained with plain SGD on only 300 MNIST samples
// reaches ~100% train accuracy while test accuracy lags; each regularizer is one variant of
// the same run. Runs wherever the engine runs: the data come in as arrays.
import type { CompileOptions } from '../src/graph/options';
import type { LabeledData } from '../src/data/dataset';
import type { GpuRuntime } from '../src/gpu/runtime';
import { compile } from '../src/graph/compile';
import type { Trainer } from '../src/graph/trainer';
import { Dropout, Flatten, Linear, ReLU } from '../src/nn/layers';
import { Sequential, type Module } from '../src/nn/module';
import { BatchNorm1d } from '../src/nn/norm';
import { sgd } from '../src/optim/optimizers';

export const OVERFIT_DEFAULTS = { trainSamples: 300, epochs: 200, batch: 100, lr: 0.01, every: 10, seed: 1 };

export interface Variant {
  name: string;
  /** What the variant adds to the plain network, for the table. */
  what: string;
  dropout?: number;
  batchNorm?: boolean;
  weightDecay?: number;
  augment?: CompileOptions['augment'];
}

/** The regularizers the notes list, each alone, at the book's settings where it gives them. */
export const VARIANTS: readonly Variant[] = [
  { name: 'none', what: 'no regularization' },
  { name: 'weight-decay', what: 'weight decay λ = 0.1 (SGD weight_decay, all parameters)', weightDecay: 0.1 },
  { name: 'dropout', what: 'Dropout(0.2) after every hidden ReLU', dropout: 0.2 },
  { name: 'augment', what: 'GPU augmentation: shift ±2 px, rotate ±10°, scale 0.9–1.1', augment: { imageShape: [1, 28, 28], shift: 2, rotate: 10, scale: [0.9, 1.1] } },
  { name: 'batchnorm', what: 'BatchNorm1d before every hidden ReLU', batchNorm: true },
];

/** 784 → 100 ×6 → 10 with ReLU, He-normal weights and zero biases (the book's initialization). */
export function deepMlp(variant: Variant, hidden = 6, width = 100): Module {
  const layers: Module[] = [new Flatten()];
  let features = 784;
  for (let i = 0; i < hidden; i++) {
    layers.push(new Linear(features, width, { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } }));
    if (variant.batchNorm) layers.push(BatchNorm1d(width));
    layers.push(ReLU());
    if (variant.dropout) layers.push(new Dropout(variant.dropout));
    features = width;
  }
  layers.push(new Linear(features, 10, { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } }));
  return new Sequential(layers);
}

export interface CurvePoint {
  epoch: number;
  /** Accuracy in eval mode on the clean training samples (no dropout, no augmentation). */
  trainAccuracy: number;
  testAccuracy: number;
  trainLoss: number;
}

export interface VariantResult {
  variant: Variant;
  curve: CurvePoint[];
  final: CurvePoint;
  /** Final train − test accuracy, in percentage points. */
  gap: number;
  bestTestAccuracy: number;
  seconds: number;
}

async function measure(trainer: Trainer, train: LabeledData, test: LabeledData, epoch: number, trainLoss: number): Promise<CurvePoint> {
  trainer.eval();
  const [onTrain, onTest] = [await trainer.evaluate(train), await trainer.evaluate(test)];
  trainer.train();
  return { epoch, trainAccuracy: onTrain.accuracy, testAccuracy: onTest.accuracy, trainLoss };
}

/**
 * Trains one variant; measures train and test accuracy every `every` epochs and at the end.
 * `runtime`: compile on it (the Labs page's shared one); default a new one.
 */
export async function runVariant(
  variant: Variant,
  data: { train: LabeledData; test: LabeledData },
  settings = OVERFIT_DEFAULTS,
  onPoint: (point: CurvePoint) => void = () => {},
  runtime?: GpuRuntime,
): Promise<VariantResult> {
  const start = performance.now();
  const trainer = await compile(deepMlp(variant), {
    inputShape: [1, 28, 28],
    loss: 'crossEntropy',
    optimizer: sgd({ lr: settings.lr, weightDecay: variant.weightDecay ?? 0 }),
    batchSize: settings.batch,
    seed: settings.seed,
    evalBatchSize: 1000,
    ...(variant.augment && { augment: variant.augment }),
    ...(runtime && { runtime }),
  });
  const curve: CurvePoint[] = [];
  try {
    await trainer.fit(data.train, {
      epochs: settings.epochs,
      seed: settings.seed,
      onEpochEnd: async (e) => {
        if (e.epoch % settings.every !== 0 && e.epoch !== settings.epochs && e.epoch !== 1) return;
        const point = await measure(trainer, data.train, data.test, e.epoch, e.loss);
        curve.push(point);
        onPoint(point);
      },
    });
  } finally {
    await trainer.destroy();
  }
  const final = curve.at(-1)!;
  return {
    variant,
    curve,
    final,
    gap: 100 * (final.trainAccuracy - final.testAccuracy),
    bestTestAccuracy: Math.max(...curve.map((p) => p.testAccuracy)),
    seconds: (performance.now() - start) / 1000,
  };
}
