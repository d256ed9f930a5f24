// Kernel descriptors for shaders/reduce.wgsl: axis sums and means, the bias gradient,
// sum's broadcast backward, argmax, and sums / correct counts into a metrics slot.
//
// Sums are workgroup reductions: each thread adds a strided share of the terms in blocks
// of 64, then the workgroup sum joins the threads (a pairwise tree, or one subgroupAdd over a
// one-subgroup workgroup: src/kernels/workgroup-sum.ts). For L terms over a workgroup of W threads
// the rounding error stays within about (64 + L/(64·W) + log2 W)·2⁻²⁴·Σ|x|, far below the
// L·2⁻²⁴·Σ|x| of a running f32 sum.
import { ConfigError } from '../errors';
import kernelSource from '../../shaders/reduce.wgsl?raw';
import { grid1d, type ComputeProgram } from '../gpu/program';
import { summing, withTreeSum, type WorkgroupSumOptions } from './workgroup-sum';

/** For the entry points that do not sum over a workgroup. */
const source = withTreeSum(kernelSource);

export interface ReduceOptions {
  /** Threads per workgroup: a power of two ≤ 256. Defaults depend on the kernel. */
  workgroupSize?: number;
}

/** Options of the kernels that sum over a workgroup (see src/kernels/workgroup-sum.ts). */
export interface SumOptions extends ReduceOptions, WorkgroupSumOptions {}

export interface SlotOptions extends SumOptions {
  /** Add to the slot's current value instead of overwriting it. */
  accumulate: boolean;
  /** Index of the f32 word of the metrics buffer to write. */
  slot: number;
  /**
   * A padded batch: the metrics word at this index holds (as an f32) how many leading rows
   * are real, and only those rows count. Default: every row counts.
   */
  rowsSlot?: number;
}

/** The launch parameters of shaders/reduce.wgsl (its ReduceDims): the fields a kernel reads, the others 0. */
function dims(shape: { outer?: number; axis?: number; inner?: number; rows?: number; cols?: number; n?: number }): number[] {
  const { outer = 0, axis = 0, inner = 0, rows = 0, cols = 0, n = 0 } = shape;
  return [outer, axis, inner, rows, cols, n];
}

function positive(kernel: string, names: readonly string[], dims: readonly number[]): void {
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ConfigError(`${kernel}: [${names.join(', ')}] = [${dims.join(', ')}] must be positive integers`);
  }
}

/** The requested workgroup size, validated, or the smallest power of two ≥ fallback (≤ 256). */
function workgroupSize(kernel: string, options: ReduceOptions, fallback: number): number {
  const wg = options.workgroupSize ?? Math.min(256, 2 ** Math.ceil(Math.log2(fallback)));
  if (!Number.isInteger(wg) || wg < 1 || wg > 256 || (wg & (wg - 1)) !== 0) {
    throw new ConfigError(`${kernel}: workgroup size must be a power of two ≤ 256, got ${wg}`);
  }
  return wg;
}

/** The smallest metrics buffer the slot options fit (trial buffers). */
function metricWords(options: SlotOptions): number {
  return Math.max(options.slot, options.rowsSlot ?? 0) + 1;
}

function slotConstants(kernel: string, options: SlotOptions): Record<string, number> {
  if (!Number.isInteger(options.slot) || options.slot < 0) {
    throw new ConfigError(`${kernel}: slot must be a non-negative integer, got ${options.slot}`);
  }
  const rowsSlot = options.rowsSlot;
  if (rowsSlot !== undefined && (!Number.isInteger(rowsSlot) || rowsSlot < 0 || rowsSlot === options.slot)) {
    throw new ConfigError(`${kernel}: rowsSlot must be a non-negative integer other than slot ${options.slot}, got ${rowsSlot}`);
  }
  return { SLOT: options.slot, ACCUMULATE: options.accumulate ? 1 : 0, ...(rowsSlot === undefined ? {} : { ROWS_SLOT: rowsSlot }) };
}

/**
 * Sum (or mean) over the middle axis of a row-major [outer, axis, inner] tensor.
 * Bindings: x (read, f32 [outer, axis, inner]), out (write, f32 [outer, inner]).
 */
export function sumAxis(
  outer: number,
  axis: number,
  inner: number,
  options: SumOptions & { mean?: boolean } = {},
): ComputeProgram {
  positive('sumAxis', ['outer', 'axis', 'inner'], [outer, axis, inner]);
  return summing(options, {
    kernel: 'sumAxis',
    source: kernelSource,
    // One workgroup per output with no more threads than terms, so short axes idle nobody.
    treeThreads: workgroupSize('sumAxis', options, axis),
    terms: axis,
    bindingFloats: [outer * axis * inner, outer * inner],
    build: ({ shader, threads, suffix }) => ({
      label: `reduce.${options.mean ? 'mean' : 'sum'}Axis${suffix}`,
      shader,
      entryPoint: 'sum_axis',
      bindings: ['read', 'write'],
      constants: { WG: threads, SCALE: options.mean ? 1 / axis : 1 },
      params: dims({ outer, axis, inner }),
      workgroups: grid1d(outer * inner, 1),
    }),
  });
}

/**
 * Gradient of {@link sumAxis}: dy broadcast along the axis (divided by axis for the mean).
 * Bindings: dy (read, f32 [outer, inner]), dx (write, f32 [outer, axis, inner]).
 */
export function sumAxisBackward(
  outer: number,
  axis: number,
  inner: number,
  options: ReduceOptions & { mean?: boolean } = {},
): ComputeProgram {
  positive('sumAxisBackward', ['outer', 'axis', 'inner'], [outer, axis, inner]);
  const wg = workgroupSize('sumAxisBackward', options, 256);
  return {
    label: `reduce.${options.mean ? 'mean' : 'sum'}Axis.backward`,
    shader: source,
    entryPoint: 'broadcast_axis',
    bindings: ['read', 'write'],
    constants: { WG: wg, SCALE: options.mean ? 1 / axis : 1 },
    params: dims({ outer, axis, inner }),
    workgroups: grid1d(outer * axis * inner, wg),
  };
}

/**
 * Bias gradient db[c] = Σ_{o,s} dy[o, c, s]; with inner = 1 the column sum of [rows, cols].
 * Bindings: dy (read, f32 [outer, channels, inner]), db (write, f32 [channels]).
 */
export function biasGradient(outer: number, channels: number, inner = 1, options: SumOptions = {}): ComputeProgram {
  positive('biasGradient', ['outer', 'channels', 'inner'], [outer, channels, inner]);
  return summing(options, {
    kernel: 'biasGradient',
    source: kernelSource,
    treeThreads: workgroupSize('biasGradient', options, outer * inner),
    terms: outer * inner,
    bindingFloats: [outer * channels * inner, channels],
    build: ({ shader, threads, suffix }) => ({
      label: `reduce.biasGradient${suffix}`,
      shader,
      entryPoint: 'sum_channels',
      bindings: ['read', 'write'],
      constants: { WG: threads },
      params: dims({ outer, axis: channels, inner }),
      workgroups: grid1d(channels, 1),
    }),
  });
}

/**
 * Column sums out[j] = Σ_r x[r, j] of a row-major [rows, cols] tensor, one invocation per
 * column (few rows, many columns: the partial weight gradients of a convolution).
 * Bindings: x (read, f32 [rows, cols]), out (write, f32 [cols]).
 */
export function sumRows(rows: number, cols: number, options: ReduceOptions = {}): ComputeProgram {
  positive('sumRows', ['rows', 'cols'], [rows, cols]);
  const wg = workgroupSize('sumRows', options, 64);
  return {
    label: 'reduce.sumRows',
    shader: source,
    entryPoint: 'sum_rows',
    bindings: ['read', 'write'],
    constants: { WG: wg },
    params: dims({ axis: rows, inner: cols }),
    workgroups: grid1d(cols, wg),
  };
}

/**
 * out[slot] = (accumulate ? out[slot] : 0) + scale·Σ x[0..n), in one dispatch of one
 * workgroup that strides over x: a loss summed into a metrics buffer with no readback.
 * One workgroup keeps it a single dispatch; at n = 1e6 that is ~4k loads per thread. With
 * rowsSlot, only the first min(n, out[rowsSlot] · termsPerRow) terms are summed.
 * Bindings: x (read, f32 [n]), out (write, f32 metrics buffer with more than slot words).
 */
export function sumToSlot(n: number, options: SlotOptions & { scale?: number; termsPerRow?: number }): ComputeProgram {
  positive('sumToSlot', ['n'], [n]);
  const slots = slotConstants('sumToSlot', options);
  return summing(options, {
    kernel: 'sumToSlot',
    source: kernelSource,
    // 256 threads whatever n: with n a launch parameter, every batch size shares the pipeline.
    treeThreads: workgroupSize('sumToSlot', options, 256),
    terms: n,
    bindingFloats: [n, metricWords(options)],
    build: ({ shader, threads, suffix }) => ({
      label: `reduce.sumToSlot${suffix}`,
      shader,
      entryPoint: 'sum_to_slot',
      bindings: ['read', 'write'],
      params: dims({ n }),
      constants: {
        WG: threads,
        SCALE: options.scale ?? 1,
        ...slots,
        ...(options.rowsSlot === undefined ? {} : { TERMS_PER_ROW: options.termsPerRow ?? 1 }),
      },
      workgroups: [1, 1, 1],
    }),
  });
}

/**
 * Index of the first maximum of each row of [rows, cols] (ties: lowest index, as
 * torch.argmax; a NaN is never chosen unless it is the row's first value).
 * Bindings: x (read, f32 [rows, cols]), indices (write, u32 [rows]).
 */
export function argmax(rows: number, cols: number, options: ReduceOptions = {}): ComputeProgram {
  positive('argmax', ['rows', 'cols'], [rows, cols]);
  const wg = workgroupSize('argmax', options, 64);
  return {
    label: 'reduce.argmax',
    shader: source,
    entryPoint: 'argmax',
    bindings: ['read', 'write'],
    constants: { WG: wg },
    params: dims({ rows, cols }),
    workgroups: grid1d(rows, wg),
  };
}

/**
 * metrics[slot] = (accumulate ? metrics[slot] : 0) + number of rows whose argmax (first
 * maximum) equals the label, as an f32 count (exact below 2²⁴), one workgroup.
 * A label ≥ cols never matches. With rowsSlot, only the first metrics[rowsSlot] rows count.
 * Bindings: logits (read, f32 [rows, cols]),
 * labels (read, u32 [rows]), metrics (write, f32 buffer with more than slot words).
 */
export function countCorrect(rows: number, cols: number, options: SlotOptions): ComputeProgram {
  positive('countCorrect', ['rows', 'cols'], [rows, cols]);
  if (rows >= 2 ** 24) throw new ConfigError(`countCorrect: ${rows} rows exceed the exact f32 count 2^24`);
  const slots = slotConstants('countCorrect', options);
  return summing(options, {
    kernel: 'countCorrect',
    source: kernelSource,
    treeThreads: workgroupSize('countCorrect', options, 256), // as sumToSlot's
    terms: rows,
    bindingFloats: [rows * cols, rows, metricWords(options)],
    build: ({ shader, threads, suffix }) => ({
      label: `reduce.countCorrect${suffix}`,
      shader,
      entryPoint: 'count_correct',
      bindings: ['read', 'read', 'write'],
      constants: { WG: threads, ...slots },
      params: dims({ rows, cols }),
      workgroups: [1, 1, 1],
    }),
  });
}
