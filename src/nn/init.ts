// Seeded weight initializers with torch.nn.init definitions. They run once, on the CPU,
// when a model is compiled; the values are uploaded into the parameter arena.
import { seededRandom } from '../data/dataset';

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
