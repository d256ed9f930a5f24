// Seeded weight initializers with torch.nn.init definitions. They run once, on the CPU,
// when a model is compiled; the values are uploaded into the parameter arena.
import { seededRandom } from '../data/dataset';
import { fail, finiteNumber, knownKeys, optionsObject } from '../validate';

/** How a parameter tensor is initialized. */
export type Initializer =
  | { kind: 'zeros' }
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number; mean?: number }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'xavierUniform'; gain?: number }
  | { kind: 'xavierNormal'; gain?: number }
  | { kind: 'heUniform'; gain?: number } // torch.nn.init.kaiming_uniform_ (fan_in), gain √2 for ReLU
  | { kind: 'heNormal'; gain?: number };

/** Each initializer's settings: required ones first, then optional ones. */
const SETTINGS: Record<Initializer['kind'], { required: string[]; optional: string[] }> = {
  zeros: { required: [], optional: [] },
  constant: { required: ['value'], optional: [] },
  normal: { required: ['std'], optional: ['mean'] },
  uniform: { required: ['low', 'high'], optional: [] },
  xavierUniform: { required: [], optional: ['gain'] },
  xavierNormal: { required: [], optional: ['gain'] },
  heUniform: { required: [], optional: ['gain'] },
  heNormal: { required: [], optional: ['gain'] },
};

/**
 * Checks an initializer given to a layer (a ConfigError naming it): a known kind, its
 * settings finite in float32, std ≥ 0 and low ≤ high. An unknown kind would otherwise leave
 * the tensor at zeros, and a NaN setting fill it with NaN, without a word.
 */
export function checkInitializer(what: string, value: unknown): Initializer {
  const init = optionsObject(what, value);
  const settings = SETTINGS[init.kind as Initializer['kind']];
  if (typeof init.kind !== 'string' || !Object.hasOwn(SETTINGS, init.kind) || !settings) {
    fail(`${what}.kind`, init.kind, `one of ${Object.keys(SETTINGS).map((k) => `'${k}'`).join(', ')}`);
  }
  knownKeys(what, init, ['kind', ...settings.required, ...settings.optional]);
  for (const key of settings.required) finiteNumber(`${what}.${key}`, init[key]);
  for (const key of settings.optional) if (init[key] !== undefined) finiteNumber(`${what}.${key}`, init[key]);
  if (init.kind === 'normal') finiteNumber(`${what}.std`, init.std, 0);
  if (init.kind === 'uniform' && (init.low as number) > (init.high as number)) {
    fail(`${what}.low`, init.low, `≤ high (${init.high as number})`);
  }
  return init as unknown as Initializer;
}

/** Fan-in and fan-out of a weight of PyTorch shape [out, in, ...kernel]. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  const fanIn = (shape[1] ?? shape[0] ?? 1) * receptive;
  const fanOut = (shape[0] ?? 1) * receptive;
  return { fanIn, fanOut };
}

/** Values for a tensor of `shape`, drawn with `random` (a seeded generator). */
export function initialize(init: Initializer, shape: readonly number[], random: () => number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const { fanIn, fanOut } = fans(shape);
  const normal = (std: number, mean = 0) => {
    for (let i = 0; i < n; i++) {
      const u = Math.max(random(), 1e-12);
      out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    }
  };
  const uniform = (low: number, high: number) => {
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * random();
  };
  switch (init.kind) {
    case 'zeros':
      break;
    case 'constant':
      out.fill(init.value);
      break;
    case 'normal':
      normal(init.std, init.mean);
      break;
    case 'uniform':
      uniform(init.low, init.high);
      break;
    case 'xavierUniform': {
      const a = (init.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
      uniform(-a, a);
      break;
    }
    case 'xavierNormal':
      normal((init.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'heUniform': {
      const bound = (init.gain ?? Math.SQRT2) * Math.sqrt(3 / fanIn);
      uniform(-bound, bound);
      break;
    }
    case 'heNormal':
      normal((init.gain ?? Math.SQRT2) / Math.sqrt(fanIn));
      break;
  }
  return out;
}

/** A generator per seed, so each parameter of a model is reproducible. */
export function initRandom(seed: number): () => number {
  return seededRandom(seed);
}
