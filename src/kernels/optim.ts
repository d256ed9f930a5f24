// Kernel descriptor for shaders/optim.wgsl: one fused torch.optim update over the whole
// parameter arena, plus the bytes of its segment table and per-step uniform.
import { ConfigError } from '../errors';
import { boolean, fail as invalid, finiteNumber, knownKeys } from '../validate';
import source from '../../shaders/optim.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { resolveGroups, type ParamGroup, type ResolvedParamGroup, type SegmentSettings } from './optim-groups';

/**
 * Hyperparameters of each optimizer: torch.optim's names in camelCase, and its defaults
 * in {@link OPTIMIZER_DEFAULTS}. SGD with `momentum` μ and lr η takes the same steps as
 * the textbook "v ← μv − η∇L; w ← w + v" while lr is constant (v = −η·buffer).
 */
export interface OptimizerOptions {
  sgd: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean };
  adagrad: { lr: number; lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number };
  adadelta: { lr: number; rho: number; eps: number; weightDecay: number };
  rmsprop: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean };
  adam: { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number };
  /** Adam with decoupled weight decay: p ← p·(1 − lr·weightDecay) before the Adam step. */
  adamw: { lr: number; betas: readonly [number, number]; eps: number; weightDecay: number };
}

export type OptimizerKind = keyof OptimizerOptions;

/**
 * An optimizer, any hyperparameters that differ from torch's defaults, and optional param
 * groups with their own lr and weight decay (see ParamGroup). Without groups every parameter
 * gets the same options, weight decay included, as a torch optimizer given model.parameters().
 */
export type OptimizerConfig = { [K in OptimizerKind]: { kind: K } & Partial<OptimizerOptions[K]> & { groups?: readonly ParamGroup[] } }[OptimizerKind];

/** An optimizer with every hyperparameter filled in and validated (groups only when given). */
export type ResolvedOptimizer = { [K in OptimizerKind]: { kind: K } & OptimizerOptions[K] & { groups?: readonly ResolvedParamGroup[] } }[OptimizerKind];

/** torch.optim's defaults (torch ≥ 2.2, where SGD's lr defaults to 1e-3). */
export const OPTIMIZER_DEFAULTS: { readonly [K in OptimizerKind]: Readonly<OptimizerOptions[K]> } = {
  sgd: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
  adagrad: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 },
  adadelta: { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 },
  rmsprop: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
  adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
  adamw: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 },
};

/** Codes of the OPT override constant in the WGSL file (AdamW is ADAM + DECOUPLED). */
const OPT = { sgd: 0, adagrad: 1, adadelta: 2, rmsprop: 3, adam: 4, adamw: 4 } as const;

/** Fills torch's defaults in and checks every value as torch does (ConfigError naming it). */
export function resolveOptimizer(config: OptimizerConfig): ResolvedOptimizer {
  const kinds = Object.keys(OPTIMIZER_DEFAULTS);
  const kind = (config as { kind?: unknown } | null)?.kind;
  if (typeof config !== 'object' || config === null || typeof kind !== 'string' || !kinds.includes(kind)) {
    invalid('optimizer', config, `{kind: ${kinds.map((k) => `'${k}'`).join(' | ')}, …} (e.g. adam({ lr: 1e-3 }))`);
  }
  const defaults: Record<string, unknown> = OPTIMIZER_DEFAULTS[config.kind];
  const given = config as Record<string, unknown>;
  knownKeys(`optim ${config.kind}`, given, ['kind', ...Object.keys(defaults), 'groups']);
  for (const [key, value] of Object.entries(given)) {
    if (key === 'kind' || key === 'groups' || value === undefined) continue;
    const what = `optim ${config.kind}: ${key}`;
    if (typeof defaults[key] === 'boolean') boolean(what, value);
    else if (key === 'betas') {
      if (!Array.isArray(value) || value.length !== 2) invalid(what, value, 'a pair [β1, β2]');
      (value as unknown[]).forEach((b, k) => finiteNumber(`${what}[${k}]`, b));
    } else finiteNumber(what, value); // finite in float32 too: lr 1e39 would become Infinity
  }
  const c = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, given[k] ?? v]));
  const r = { kind: config.kind, ...c } as ResolvedOptimizer;
  const fail = (name: string, value: unknown, rule: string) => {
    throw new ConfigError(`optim ${r.kind}: ${name} must be ${rule}, got ${String(value)}`);
  };
  const atLeast0 = (name: string, v: number) => (Number.isFinite(v) && v >= 0) || fail(name, v, 'finite and ≥ 0');
  atLeast0('lr', r.lr);
  atLeast0('weightDecay', r.weightDecay);
  if (r.kind !== 'sgd') atLeast0('eps', r.eps);
  switch (r.kind) {
    case 'sgd':
      atLeast0('momentum', r.momentum);
      if (!Number.isFinite(r.dampening)) fail('dampening', r.dampening, 'finite');
      if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
        fail('nesterov', `momentum ${r.momentum}, dampening ${r.dampening}`, 'used with momentum > 0 and dampening 0');
      }
      break;
    case 'adagrad':
      atLeast0('lrDecay', r.lrDecay);
      atLeast0('initialAccumulatorValue', r.initialAccumulatorValue);
      break;
    case 'adadelta':
      if (!(r.rho >= 0 && r.rho <= 1)) fail('rho', r.rho, 'in [0, 1]');
      break;
    case 'rmsprop':
      atLeast0('alpha', r.alpha);
      atLeast0('momentum', r.momentum);
      break;
    case 'adam':
    case 'adamw':
      r.betas.forEach((b, k) => (b >= 0 && b < 1) || fail(`betas[${k}]`, b, 'in [0, 1)'));
      break;
  }
  const groups = given.groups === undefined ? [] : resolveGroups(r.kind, given.groups, r);
  if (groups.length > 0) r.groups = groups; // groups: [] is no groups
  return r;
}

/**
 * Names (torch's state keys) of the optimizer's state slots, in slot order. The state
 * buffer is laid out [slot][n]: slot s of arena element i is at float s·n + i, so it
 * holds stateSlots(config)·n floats.
 */
export function stateSlotNames(config: OptimizerConfig): string[] {
  const r = resolveOptimizer(config);
  switch (r.kind) {
    case 'sgd': return r.momentum > 0 ? ['momentum_buffer'] : [];
    case 'adagrad': return ['sum'];
    case 'adadelta': return ['square_avg', 'acc_delta'];
    case 'rmsprop':
      return ['square_avg', ...(r.centered ? ['grad_avg'] : []), ...(r.momentum > 0 ? ['momentum_buffer'] : [])];
    case 'adam':
    case 'adamw': return ['exp_avg', 'exp_avg_sq'];
  }
}

/** How many arena-sized state slots the optimizer needs (0 for SGD without momentum). */
export function stateSlots(config: OptimizerConfig): number {
  return stateSlotNames(config).length;
}

/**
 * One parameter tensor's place in the arena, and its param group's settings: weightDecay
 * replaces the optimizer's, lrScale (default 1) multiplies the step's lr.
 */
export type ArenaSegment = { start: number; length: number } & Partial<SegmentSettings>;

/** Arena elements per entry of the segment table's block index (BLOCK in the WGSL file). */
export const SEGMENT_BLOCK = 256;

/** Segment-table word meaning "the optimizer's weightDecay" (a NaN pattern, never a valid decay). */
const INHERIT = 0xffffffff;

/**
 * Segment table words (u32): per segment [start, length, weight decay (f32 bits, or INHERIT
 * for the optimizer's), lr scale (f32 bits)], then a block index: for each block b of
 * SEGMENT_BLOCK arena elements, b = 0..⌈arenaSize/256⌉, the last segment starting at or
 * before element 256·b (0 if none). It bounds each invocation's binary search to the
 * segments that meet its block, so the kernel finds its segment in O(1) almost everywhere.
 * Segments must be sorted by start and must not overlap; gaps between them (alignment
 * padding) are left untouched by the update.
 */
export function segmentTable(segments: readonly ArenaSegment[], arenaSize: number): Uint32Array {
  if (segments.length === 0) throw new ConfigError('optim segments: need at least one segment');
  const blocks = Math.ceil(arenaSize / SEGMENT_BLOCK) + 1;
  const table = new Uint32Array(4 * segments.length + blocks);
  const bits = new Uint32Array(new Float32Array(2).buffer);
  const floats = new Float32Array(bits.buffer);
  let end = 0;
  segments.forEach(({ start, length, weightDecay, lrScale = 1 }, k) => {
    if (!Number.isInteger(start) || !Number.isInteger(length) || length < 1 || start < end || start + length > arenaSize) {
      throw new ConfigError(
        `optim segments: segment ${k} (start ${start}, length ${length}) must have length ≥ 1, start at or after ` +
          `${end} (the end of the previous segment) and end within the arena of ${arenaSize}`,
      );
    }
    if (![weightDecay ?? 0, lrScale].every((v) => Number.isFinite(Math.fround(v)) && v >= 0)) {
      throw new ConfigError(`optim segments: segment ${k} needs weightDecay and lrScale finite (in float32) and ≥ 0, got ${weightDecay}, ${lrScale}`);
    }
    floats.set([weightDecay ?? 0, lrScale]);
    table.set([start, length, weightDecay === undefined ? INHERIT : bits[0]!, bits[1]!], 4 * k);
    end = start + length;
  });
  for (let b = 0, k = 0; b < blocks; b++) {
    while (k + 1 < segments.length && segments[k + 1]!.start <= b * SEGMENT_BLOCK) k++;
    table[4 * segments.length + b] = k;
  }
  return table;
}

/** Floats in the per-step uniform: lr, gradScale, 1 − β1^t, 1 − β2^t, t (u32), 3 padding. */
export const UNIFORM_WORDS = 8;

/** Byte offset of gradScale in the uniform, for a GPU-computed clipping factor copied in. */
export const GRAD_SCALE_OFFSET = 4;

/** What changes from step to step. */
export interface OptimizerStep {
  /** Learning rate of this step (an LR schedule's output) for the default group; defaults to the config's lr. */
  lr?: number;
  /** Step count, 1 on the first update (torch's `step` after incrementing). */
  step: number;
  /** Multiplies the raw gradient before the update (clipping, loss scaling); default 1. */
  gradScale?: number;
}

/**
 * The per-step uniform. Adagrad's lr decay and Adam's bias corrections 1 − β^t are
 * computed here in float64: in f32, 1 − β2^t with β2 = 0.999 is already 1.3e-5 off at
 * t = 1 (β2 rounds to 0.99900001), and pow's error grows with t. Writes into `out`
 * when given (no allocation in a training step). gradScale sits at GRAD_SCALE_OFFSET.
 */
export function optimizerUniform(config: OptimizerConfig, now: OptimizerStep, out = new Float32Array(UNIFORM_WORDS)): Float32Array {
  const r = resolveOptimizer(config);
  const { step, gradScale = 1 } = now;
  const lr = now.lr ?? r.lr;
  if (!(Number.isFinite(Math.fround(lr)) && lr >= 0)) throw new ConfigError(`optim ${r.kind}: lr must be finite (in float32) and ≥ 0, got ${lr}`);
  if (!Number.isInteger(step) || step < 1 || step > 0xffffffff) {
    throw new ConfigError(`optim ${r.kind}: step must be an integer ≥ 1, got ${step}`);
  }
  if (!Number.isFinite(gradScale)) throw new ConfigError(`optim ${r.kind}: gradScale must be finite, got ${gradScale}`);
  const adam = r.kind === 'adam' || r.kind === 'adamw';
  out[0] = r.kind === 'adagrad' ? lr / (1 + (step - 1) * r.lrDecay) : lr;
  out[1] = gradScale;
  out[2] = adam ? 1 - r.betas[0] ** step : 1;
  out[3] = adam ? 1 - r.betas[1] ** step : 1;
  new Uint32Array(out.buffer, out.byteOffset, UNIFORM_WORDS)[4] = step;
  return out;
}

/** Pipeline constants of each optimizer; complements 1 − β are taken in float64 as torch does. */
function hyperparameters(r: ResolvedOptimizer): Record<string, number> {
  switch (r.kind) {
    case 'sgd':
      return { MOMENTUM: r.momentum, ONE_MINUS_DAMPENING: 1 - r.dampening, NESTEROV: Number(r.nesterov) };
    case 'adagrad':
      return { EPS: r.eps, INITIAL_ACCUMULATOR: r.initialAccumulatorValue };
    case 'adadelta':
      return { EPS: r.eps, RHO: r.rho, ONE_MINUS_RHO: 1 - r.rho };
    case 'rmsprop':
      return { EPS: r.eps, ALPHA: r.alpha, ONE_MINUS_ALPHA: 1 - r.alpha, MOMENTUM: r.momentum, CENTERED: Number(r.centered) };
    case 'adam':
    case 'adamw': {
      const [b1, b2] = r.betas;
      return { EPS: r.eps, BETA1: b1, ONE_MINUS_BETA1: 1 - b1, BETA2: b2, ONE_MINUS_BETA2: 1 - b2, DECOUPLED: Number(r.kind === 'adamw') };
    }
  }
}

/**
 * Consecutive arena elements per invocation: one segment lookup and one invocation's
 * overhead for 8 updates. Adam over 1M parameters, ms per step on lavapipe / SwiftShader:
 * 1 per invocation 31.6 / 288, 4: 22.3 / 169, 8: 16.9 / 100, 16: 24.6 / 127, 32: – / 109.
 * (vec4 loads and stores with 4 or 8 elements per invocation were no faster: 17.7 / 148.)
 * Not measured on a real GPU, where one element per invocation reads memory more coalesced.
 */
const ELEMENTS_PER_INVOCATION = 8;

/**
 * One optimizer step over an arena of `arenaSize` floats holding `segmentCount` tensors.
 * Bindings: uniform ({@link optimizerUniform}, 32 bytes), segment table (read, u32,
 * {@link segmentTable}), gradients (read, f32, arena layout), parameters (write, f32,
 * updated in place), state (write, f32 [slot][arenaSize], {@link stateSlotNames}; any
 * 16-byte buffer when there are no slots). State is not read at step 1, so it needs no
 * initialization (Adagrad starts from initialAccumulatorValue). With `flagWord`, a sixth
 * binding (write, the step's metrics buffer viewed as u32) gets, in that word, the first step
 * t whose gradients held a NaN or ±Inf (left alone while it is nonzero).
 */
export function optimizerUpdate(
  config: OptimizerConfig,
  arenaSize: number,
  segmentCount: number,
  options: { workgroupSize?: number; flagWord?: number } = {},
): ComputeProgram {
  const r = resolveOptimizer(config);
  if (!Number.isInteger(arenaSize) || arenaSize < 1 || !Number.isInteger(segmentCount) || segmentCount < 1) {
    throw new ConfigError(`optim ${r.kind}: arena size and segment count must be ≥ 1, got ${arenaSize} and ${segmentCount}`);
  }
  if (Math.max(1, stateSlots(r)) * arenaSize > 0xffffffff) {
    throw new ConfigError(`optim ${r.kind}: state of ${stateSlots(r)}×${arenaSize} floats overflows u32 indexing`);
  }
  const wg = options.workgroupSize ?? 256;
  const flagged = options.flagWord !== undefined;
  if (flagged && !(Number.isInteger(options.flagWord) && options.flagWord! >= 0)) {
    throw new ConfigError(`optim ${r.kind}: flagWord must be a non-negative integer, got ${options.flagWord}`);
  }
  return {
    label: `optim.${r.kind}`,
    shader: source,
    entryPoint: flagged ? 'update_flagged' : 'update',
    bindings: ['uniform', 'read', 'read', 'write', 'write', ...(flagged ? (['write'] as const) : [])],
    constants: {
      WG: wg,
      PER: ELEMENTS_PER_INVOCATION,
      N: arenaSize,
      SEGMENTS: segmentCount,
      OPT: OPT[r.kind],
      WEIGHT_DECAY: r.weightDecay,
      ...hyperparameters(r),
      ...(flagged ? { FLAG_WORD: options.flagWord! } : {}),
    },
    workgroups: grid1d(Math.ceil(arenaSize / ELEMENTS_PER_INVOCATION), wg),
  };
}
