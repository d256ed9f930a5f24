// Kernel descriptors for shaders/dropout.wgsl: inverted dropout forward and backward with
// a counter-based mask (Philox-2x32-10 of seed, step and element index; no mask buffer).
import { ConfigError } from '../errors';
import kernelSource from '../../shaders/dropout.wgsl?raw';
import philox from '../../shaders/philox.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';

export interface DropoutOptions {
  /**
   * First RNG counter of this tensor (default 0). Dropout layers that share one seed
   * uniform must use disjoint ranges [offset, offset + n) or they draw the same mask.
   */
  offset?: number;
  workgroupSize?: number;
}

const U32_RANGE = 2 ** 32;

/** shaders/dropout.wgsl after the Philox helper it draws from. */
const source = `${philox}\n${kernelSource}`;

function program(n: number, p: number, entryPoint: 'forward' | 'backward', options: DropoutOptions): ComputeProgram {
  const offset = options.offset ?? 0;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`dropout: size must be ≥ 1, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`dropout: p must be in [0, 1], got ${p}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + n > U32_RANGE) {
    throw new ConfigError(`dropout: counters [${offset}, ${offset + n}) of size ${n} do not fit in u32`);
  }
  const wg = options.workgroupSize ?? 256;
  return {
    label: `dropout.${entryPoint}`,
    shader: source,
    entryPoint,
    bindings: ['uniform', 'read', 'write'],
    constants: {
      WG: wg,
      N: n,
      OFFSET: offset,
      // keep ⇔ u ≥ p with u = (draw >> 8)/2^24, i.e. (draw >> 8) ≥ ceil(p·2^24) exactly.
      THRESHOLD: Math.ceil(p * 2 ** 24),
      SCALE: p < 1 ? 1 / (1 - p) : 0,
    },
    workgroups: grid1d(n, wg),
  };
}

/**
 * y = x ⊙ mask / (1 − p) over n values (torch.nn.Dropout in training; p = 1 gives zeros).
 * Bindings: rng uniform (see {@link dropoutUniforms}), x [n] f32, y [n] f32.
 */
export function dropoutForward(n: number, p: number, options: DropoutOptions = {}): ComputeProgram {
  return program(n, p, 'forward', options);
}

/**
 * dx = dy ⊙ mask / (1 − p) with the forward mask recomputed from the same rng uniform.
 * Bindings: rng uniform, dy [n] f32, dx [n] f32.
 */
export function dropoutBackward(n: number, p: number, options: DropoutOptions = {}): ComputeProgram {
  return program(n, p, 'backward', options);
}

/** The 16-byte rng uniform (seed, step as u32): write a new step to draw a new mask. */
export function dropoutUniforms(seed: number, step: number, out = new Uint32Array(4)): Uint32Array {
  for (const [name, v] of [['seed', seed], ['step', step]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= U32_RANGE) throw new ConfigError(`dropout: ${name} must be a u32, got ${v}`);
  }
  out.set([seed, step, 0, 0]);
  return out;
}
