// The setup form: reads the settings, turns them into a model (an MLP or a CNN) and compile
// options (optimizer, augmentation) with the public API, shows the fields of the chosen
// architecture (optimizer-defaults.ts handles the learning rate when the optimizer changes).
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  LeakyReLU,
  Linear,
  MaxPool2d,
  OPTIMIZER_FACTORIES,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
  type AugmentOptions,
  type CompileOptions,
  type GpuRuntime,
  type Initializer,
  type Module,
  type OptimizerConfig,
} from '../src/index';

export type OptimizerName = keyof typeof OPTIMIZER_FACTORIES;
const ACTIVATIONS = { relu: ReLU, leakyRelu: () => LeakyReLU(), elu: () => ELU(), gelu: GELU, tanh: Tanh, sigmoid: Sigmoid };
export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];
export type Architecture = 'mlp' | 'cnn';

export interface Settings {
  arch: Architecture;
  /** MLP: hidden layer widths (empty for the CNN). */
  hidden: number[];
  /** MLP only; the CNN uses ReLU. */
  activation: ActivationName;
  /** MLP only; the CNN uses He-normal convolutions, as the CLI's `cnn`. */
  init: 'he' | 'xavier' | 'pytorch';
  /** CNN: output channels of its two convolutions. */
  channels: [number, number];
  /** MLP: after every hidden layer; CNN: before the classifier. */
  dropout: number;
  batchnorm: boolean;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  batch: number;
  epochs: number;
  trainCount: number;
  testCount: number;
  seed: number;
  augment: AugmentSettings;
}

/** The augmentation fields, each 0 (off) or a strength; `scale` is the ± of the zoom. */
export type AugmentSettings = Record<'shift' | 'rotate' | 'scale' | 'noise' | 'cutout' | 'mixup' | 'cutmix', number>;
export const NO_AUGMENT: AugmentSettings = { shift: 0, rotate: 0, scale: 0, noise: 0, cutout: 0, mixup: 0, cutmix: 0 };
/** Each field's form name, largest value and label (as in index.html). */
const AUGMENT_FIELDS: Record<keyof AugmentSettings, [name: string, max: number, label: string]> = {
  shift: ['augShift', 8, 'Shift'],
  rotate: ['augRotate', 45, 'Rotate'],
  scale: ['augScale', 0.5, 'Scale ±'],
  noise: ['augNoise', 2, 'Noise σ'],
  cutout: ['augCutout', 28, 'Cutout'],
  mixup: ['augMixup', 2, 'Mixup α'],
  cutmix: ['augCutmix', 2, 'CutMix α'],
};

/** The settings the model's layers depend on: enough to rebuild it from a saved file. */
export type ModelSettings = Pick<Settings, 'arch' | 'hidden' | 'activation' | 'init' | 'channels' | 'dropout' | 'batchnorm'>;

const form = () => document.querySelector<HTMLFormElement>('#settings')!;

/** Parses "256, 128" into layer widths; throws with a readable message on bad input. */
export function parseLayers(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const sizes = parts.map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new RangeError(`Hidden layers: "${text}" is not a comma-separated list of sizes 1–4096`);
  }
  return sizes;
}

function number(data: FormData, name: string, min: number, max: number, label: string): number {
  const value = Number(data.get(name));
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`${label} must be between ${min} and ${max}`);
  return value;
}

const channels = (data: FormData, name: string, label: string) => Math.round(number(data, name, 1, 256, `${label} channels`));

/** The settings as typed in the form; throws RangeError naming the bad field. */
export function readSettings(): Settings {
  const data = new FormData(form());
  const arch = data.get('arch') as Architecture;
  const settings: Settings = {
    arch, // the other architecture's fields are hidden: not read, so they cannot fail
    hidden: arch === 'mlp' ? parseLayers(String(data.get('layers') ?? '')) : [],
    activation: data.get('activation') as ActivationName,
    init: data.get('init') as Settings['init'],
    channels: arch === 'cnn' ? [channels(data, 'conv1', 'Conv 1'), channels(data, 'conv2', 'Conv 2')] : [0, 0],
    dropout: number(data, 'dropout', 0, 0.95, 'Dropout p'),
    batchnorm: data.get('batchnorm') === 'on',
    optimizer: data.get('optimizer') as OptimizerName,
    lr: number(data, 'lr', 0, 100, 'Learning rate'),
    weightDecay: number(data, 'weightDecay', 0, 10, 'Weight decay'),
    batch: Math.round(number(data, 'batch', 1, 4096, 'Batch size')),
    epochs: Math.round(number(data, 'epochs', 1, 100, 'Epochs')),
    trainCount: Math.round(number(data, 'trainCount', 1, 60000, 'Training samples')),
    testCount: Number(data.get('testCount')),
    seed: Math.round(number(data, 'seed', 0, 2 ** 31, 'Seed')),
    augment: { ...NO_AUGMENT },
  };
  for (const [key, [name, max, label]] of Object.entries(AUGMENT_FIELDS) as [keyof AugmentSettings, [string, number, string]][]) {
    const value = number(data, name, 0, max, label);
    settings.augment[key] = key === 'cutout' ? Math.round(value) : value; // the engine takes a whole side in pixels
  }
  if (settings.batch > settings.trainCount) throw new RangeError(`Batch size ${settings.batch} exceeds the ${settings.trainCount} training samples`);
  return settings;
}

function initializers(init: ModelSettings['init']): { weightInit?: Initializer; biasInit?: Initializer } {
  if (init === 'he') return { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } };
  if (init === 'xavier') return { weightInit: { kind: 'xavierUniform' }, biasInit: { kind: 'zeros' } };
  return {}; // Linear's default: PyTorch's U(±1/√in)
}

/** The model the settings describe: see buildMlp and buildCnn. */
export function buildModel(s: ModelSettings): Sequential {
  return s.arch === 'cnn' ? buildCnn(s) : buildMlp(s);
}

/** Flatten → [Linear → (BatchNorm1d) → activation → (Dropout)]* → Linear(…, 10). */
function buildMlp(s: ModelSettings): Sequential {
  const layers: Module[] = [new Flatten()];
  let width = 784;
  for (const size of s.hidden) {
    layers.push(new Linear(width, size, initializers(s.init)));
    if (s.batchnorm) layers.push(BatchNorm1d(size));
    layers.push(ACTIVATIONS[s.activation]());
    if (s.dropout > 0) layers.push(new Dropout(s.dropout));
    width = size;
  }
  layers.push(new Linear(width, 10, s.init === 'pytorch' ? {} : { weightInit: { kind: 'xavierUniform' }, biasInit: { kind: 'zeros' } }));
  return new Sequential(layers);
}

/**
 * [Conv2d 3×3 (pad 1, He) → (BatchNorm2d) → MaxPool2d(2) → ReLU] × 2 → Flatten →
 * Linear(c₂·7·7, 128, He) → ReLU → (Dropout) → Linear(128, 10) with PyTorch's default init. With 16 and 32 channels, batch norm on and no
 * dropout this is the CLI's `mnistModel('cnn')` (src/cli/models.ts), layer for layer.
 */
function buildCnn(s: ModelSettings): Sequential {
  const layers: Module[] = [];
  let channels = 1;
  for (const out of s.channels) {
    layers.push(new Conv2d(channels, out, 3, { padding: 1, ...initializers('he') }));
    if (s.batchnorm) layers.push(BatchNorm2d(out));
    layers.push(new MaxPool2d(2), ReLU()); // pooling first: they commute, and ReLU sees a quarter of the values
    channels = out;
  }
  layers.push(new Flatten(), new Linear(channels * 7 * 7, 128, initializers('he')), ReLU());
  if (s.dropout > 0) layers.push(new Dropout(s.dropout));
  layers.push(new Linear(128, 10));
  return new Sequential(layers);
}

export function buildOptimizer(s: Settings): OptimizerConfig {
  return OPTIMIZER_FACTORIES[s.optimizer]({ lr: s.lr, weightDecay: s.weightDecay });
}

/**
 * compile's augment option for the fields, or undefined when all are 0. The images are
 * [1, 28, 28] for both models (the MLP flattens them in its first layer).
 */
export function augmentOption(a: AugmentSettings): AugmentOptions | undefined {
  const { scale, ...rest } = a;
  const on = Object.entries(rest).filter(([, v]) => v > 0);
  if (on.length === 0 && !(scale > 0)) return undefined;
  return { imageShape: [1, 28, 28], ...Object.fromEntries(on), ...(scale > 0 && { scale: [1 - scale, 1 + scale] }) };
}

/** compile()'s options for the settings; `augment` only when some augmentation is on. */
export function compileOptions(s: Settings, runtime: GpuRuntime): CompileOptions {
  const stepsPerEpoch = Math.floor(s.trainCount / s.batch);
  const augment = augmentOption(s.augment);
  return {
    inputShape: [1, 28, 28], // NCHW without the batch: the MLP flattens it, the CNN convolves it
    loss: 'crossEntropy',
    optimizer: buildOptimizer(s),
    batchSize: s.batch,
    seed: s.seed,
    metricsEvery: Math.min(10, Math.max(1, Math.floor(stepsPerEpoch / 10))), // short runs still draw a curve
    runtime,
    ...(augment && { augment }),
  };
}

/** The model in a few words, e.g. "784-256-128-10 relu" or "CNN 16-32 ch (BN)". */
export function describeModel(s: ModelSettings): string {
  const extras = [s.batchnorm && 'BN', s.dropout > 0 && `dropout ${s.dropout}`].filter(Boolean).join(', ');
  const model = s.arch === 'cnn' ? `CNN ${s.channels.join('-')} ch` : `784-${[...s.hidden, 10].join('-')} ${s.activation}`;
  return `${model}${extras ? ` (${extras})` : ''}`;
}

/** A one-line description, e.g. "784-256-128-10 relu, adam lr 0.001" or "CNN 16-32 ch (BN), adam lr 0.001, shift 2, rotate 10". */
export function describe(s: Settings): string {
  const augment = Object.entries(s.augment).filter(([, v]) => v > 0).map(([k, v]) => `, ${k} ${v}`);
  return `${describeModel(s)}, ${s.optimizer} lr ${s.lr}${augment.join('')}`;
}

/**
 * Shows the fields of the chosen architecture (elements with data-arch) and, when the choice
 * changes, sets batch norm to that architecture's default: off for the MLP, on for the CNN.
 */
export function wireArchitecture(): void {
  const f = form();
  const arch = f.elements.namedItem('arch') as HTMLSelectElement;
  const show = () => {
    for (const el of f.querySelectorAll<HTMLElement>('[data-arch]')) el.hidden = el.dataset.arch !== arch.value;
  };
  arch.addEventListener('change', () => {
    (f.elements.namedItem('batchnorm') as HTMLInputElement).checked = arch.value === 'cnn';
    show();
  });
  show(); // the browser may have restored the form
}

/** Locks the form while a model exists (settings apply at the next Reset). */
export function setLocked(locked: boolean): void {
  for (const fieldset of form().querySelectorAll('fieldset')) fieldset.disabled = locked;
}
