// Kernel descriptor for shaders/optim.wgsl: one fused torch.optim update over the whole
// parameter arena, plus the bytes of its segment table and per-step uniform.
import { ConfigError } from '../errors';
import source from '../../shaders/optim.wgsl?raw';
import scalarAccess from '../../shaders/optim_scalar.wgsl?raw';
import vec4Access from '../../shaders/optim_vec4.wgsl?raw';
import { adapterKind, type AdapterFacts } from '../gpu/adapter-kind';
import type { KernelAlternatives } from '../gpu/kernel-choice';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { resolveOptimizer, stateSlots, type OptimizerConfig, type ResolvedOptimizer } from './optim-config';
import type { SegmentSettings } from './optim-groups';

/** Codes of the OPT override constant in the WGSL file (AdamW is ADAM + DECOUPLED). */
const OPT = { sgd: 0, adagrad: 1, adadelta: 2, rmsprop: 3, adam: 4, adamw: 4 } as const;

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
export function segmentTable(segments: readonly ArenaSegment[], arenaSize: number): Uint32Array<ArrayBuffer> {
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
 * vec4s (runs of 4 consecutive arena elements) one invocation updates: 1 keeps a GPU's many
 * cores busy on small arenas; 8 pays one invocation's overhead for 32 updates, which CPU
 * drivers need. Adam over the MNIST MLP's 235,520-float arena on lavapipe, ms per update
 * (median of 30 × 10 dispatches, two runs): 1: 5.5 / 5.2, 8: 3.6 / 3.6; the kernel before vec4
 * maths and vec4 access (8 scalars per invocation): 6.0 / 6.0. A sweep in another run: 1: 4.1–4.4,
 * 2: 4.5–4.8, 4: 3.8–4.0, 8: 3.6–3.8, 16: 4.3.
 */
export type OptimizerVec4s = 1 | 8;

/** The deterministic choice by adapter: 8 vec4s per invocation on CPU rasterizers, 1 elsewhere. */
export function optimizerTableChoice(adapter: AdapterFacts): OptimizerVec4s {
  return adapterKind(adapter) === 'cpu' ? 8 : 1;
}

/** Options of {@link optimizerUpdate}. */
export interface OptimizerUpdateOptions {
  workgroupSize?: number;
  /** Word of the flag binding that gets the first step with a non-finite gradient (adds binding 5). */
  flagWord?: number;
  /** vec4s per invocation exactly; left open, the program offers both to the runtime's per-adapter choice (family 'optimizer', candidates 'vec4x1' and 'vec4x8'). */
  vec4s?: OptimizerVec4s;
}

/**
 * One optimizer step over an arena of `arenaSize` floats holding `segmentCount` tensors.
 * Bindings: uniform ({@link optimizerUniform}, 32 bytes), segment table (read, u32,
 * {@link segmentTable}), gradients (read, f32, arena layout), parameters (write, f32,
 * updated in place), state (write, f32 [slot][arenaSize], {@link stateSlotNames}; any
 * 16-byte buffer when there are no slots). State is not read at step 1, so it needs no
 * initialization (Adagrad starts from initialAccumulatorValue). With `flagWord`, a sixth
 * binding (write, the step's metrics buffer viewed as u32) gets, in that word, the first step
 * t whose gradients held a NaN or ±Inf (left alone while it is nonzero). An arena size that is
 * a multiple of 4 reads and writes the arena as vec4s (binding sizes rounded up to 16 bytes).
 */
export function optimizerUpdate(config: OptimizerConfig, arenaSize: number, segmentCount: number, options: OptimizerUpdateOptions = {}): ComputeProgram {
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
  if (options.vec4s !== undefined && options.vec4s !== 1 && options.vec4s !== 8) {
    throw new ConfigError(`optim ${r.kind}: vec4s must be 1 or 8, got ${String(options.vec4s)}`);
  }
  const vec4 = arenaSize % 4 === 0;
  const make = (vec4s: OptimizerVec4s): ComputeProgram => ({
    label: `optim.${r.kind}${vec4 ? '.vec4' : ''}${vec4s === 1 ? '' : `.x${vec4s}`}`,
    shader: (vec4 ? vec4Access : scalarAccess) + source,
    entryPoint: flagged ? 'update_flagged' : 'update',
    bindings: ['uniform', 'read', 'read', 'write', 'write', ...(flagged ? (['write'] as const) : [])],
    constants: {
      WG: wg,
      VECS: vec4s,
      N: arenaSize,
      SLOTS: stateSlots(r),
      SEGMENTS: segmentCount,
      OPT: OPT[r.kind],
      WEIGHT_DECAY: r.weightDecay,
      ...hyperparameters(r),
      ...(flagged ? { FLAG_WORD: options.flagWord! } : {}),
    },
    workgroups: grid1d(Math.ceil(arenaSize / (4 * vec4s * wg)), 1),
  });
  if (options.vec4s !== undefined) return make(options.vec4s);
  const program = make(1);
  const alternatives: KernelAlternatives = {
    family: 'optimizer',
    shapeClass: `optimizer ${program.label} 2^${Math.round(Math.log2(arenaSize))}`,
    candidates: ['vec4x1', 'vec4x8'],
    make: (name) => make(name === 'vec4x8' ? 8 : 1),
    table: (adapter) => `vec4x${optimizerTableChoice(adapter)}`,
    bindingFloats: [UNIFORM_WORDS, 4 + Math.ceil(arenaSize / SEGMENT_BLOCK) + 1, arenaSize, arenaSize, Math.max(4, stateSlots(r) * arenaSize), ...(flagged ? [options.flagWord! + 1] : [])],
    // One segment over the whole arena: every run takes the common path of a compiled model's arena.
    trialData: { 1: segmentTable([{ start: 0, length: arenaSize }], arenaSize) },
  };
  return { ...program, alternatives } as ComputeProgram;
}
