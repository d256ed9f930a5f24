// The setup form: reads the settings, turns them into a model and an optimizer with the public
// API, and keeps the learning rate at a sensible default when the optimizer changes.
import {
  BatchNorm1d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  LeakyReLU,
  Linear,
  OPTIMIZER_FACTORIES,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
  type Initializer,
  type Module,
  type OptimizerConfig,
} from '../src/index';

export type OptimizerName = keyof typeof OPTIMIZER_FACTORIES;
const ACTIVATIONS = { relu: ReLU, leakyRelu: () => LeakyReLU(), elu: () => ELU(), gelu: GELU, tanh: Tanh, sigmoid: Sigmoid };
export type ActivationName = keyof typeof ACTIVATIONS;

export interface Settings {
  hidden: number[];
  activation: ActivationName;
  init: 'he' | 'xavier' | 'pytorch';
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
}

/** Learning rates that train this MLP well in a few epochs (torch's defaults where they do). */
const DEFAULT_LR: Record<OptimizerName, number> = {
  sgd: 0.05,
  momentum: 0.01,
  nesterov: 0.01,
  adagrad: 0.01,
  adadelta: 1,
  rmsprop: 0.001,
  adam: 0.001,
  adamw: 0.001,
};

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

/** The settings as typed in the form; throws RangeError naming the bad field. */
export function readSettings(): Settings {
  const data = new FormData(form());
  const settings: Settings = {
    hidden: parseLayers(String(data.get('layers') ?? '')),
    activation: data.get('activation') as ActivationName,
    init: data.get('init') as Settings['init'],
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
  };
  if (settings.batch > settings.trainCount) throw new RangeError(`Batch size ${settings.batch} exceeds the ${settings.trainCount} training samples`);
  return settings;
}

function initializers(init: Settings['init']): { weightInit?: Initializer; biasInit?: Initializer } {
  if (init === 'he') return { weightInit: { kind: 'heNormal' }, biasInit: { kind: 'zeros' } };
  if (init === 'xavier') return { weightInit: { kind: 'xavierUniform' }, biasInit: { kind: 'zeros' } };
  return {}; // Linear's default: PyTorch's U(±1/√in)
}

/** Flatten → [Linear → (BatchNorm1d) → activation → (Dropout)]* → Linear(…, 10). */
export function buildModel(s: Settings): Sequential {
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

export function buildOptimizer(s: Settings): OptimizerConfig {
  return OPTIMIZER_FACTORIES[s.optimizer]({ lr: s.lr, weightDecay: s.weightDecay });
}

/** A one-line description, e.g. "784-256-128-10 relu, adam lr 0.001". */
export function describe(s: Settings): string {
  const extras = [s.batchnorm && 'BN', s.dropout > 0 && `dropout ${s.dropout}`].filter(Boolean).join(', ');
  return `784-${[...s.hidden, 10].join('-')} ${s.activation}${extras ? ` (${extras})` : ''}, ${s.optimizer} lr ${s.lr}`;
}

/** Resets the learning rate (and AdamW's decay) to defaults when another optimizer is picked. */
export function wireOptimizerDefaults(): void {
  const f = form();
  const optimizer = f.elements.namedItem('optimizer') as HTMLSelectElement;
  optimizer.addEventListener('change', () => {
    const name = optimizer.value as OptimizerName;
    (f.elements.namedItem('lr') as HTMLInputElement).value = String(DEFAULT_LR[name]);
    (f.elements.namedItem('weightDecay') as HTMLInputElement).value = name === 'adamw' ? '0.01' : '0';
  });
}

/** Locks the form while a model exists (settings apply at the next Reset). */
export function setLocked(locked: boolean): void {
  for (const fieldset of form().querySelectorAll('fieldset')) fieldset.disabled = locked;
}
