// What a benchmark is, and the one timing loop every benchmark shares. Definitions here take
// a GpuRuntime (and, for the peers, the TF.js or jax-js modules) and never import Node APIs, so the
// Node CLI (src/cli/bench*.ts) and a browser page can both run them.
import type { GpuRuntime } from '../src/index';
import type { CallCounts } from './count';
import type { JaxModules } from './jaxjs';
import type { TfModules } from './tfjs';

/** Which engine produced a number. */
export type Engine = 'shadergrad' | 'tfjs' | 'jaxjs';

/** The quantity a benchmark reports per second. */
export type Unit = 'gflops' | 'gbps' | 'samplesPerSec';

export const UNIT_LABEL: Record<Unit, string> = { gflops: 'GFLOP/s', gbps: 'GB/s', samplesPerSec: 'samples/s' };

/** What the benchmarks run on. */
export interface BenchContext {
  runtime: GpuRuntime;
  /** TF.js with its WebGPU backend ready, or why it could not be loaded. */
  tfjs: TfModules | { unavailable: string };
  /** jax-js with its WebGPU device initialized and selected, or why not. */
  jaxjs: JaxModules | { unavailable: string };
}

/** One prepared benchmark: buffers made, pipelines compiled. */
export interface Prepared {
  /** Runs the work once, reads the result back and compares it with a CPU reference; throws on a mismatch. Returns what was checked. */
  check(): Promise<string>;
  /** Records and submits one iteration; does not wait for the GPU (may await to stay a few steps ahead). */
  iterate(): void | Promise<void>;
  /** Resolves when every submitted iteration has finished on the GPU. */
  sync(): Promise<void>;
  /** Frees what prepare() made. */
  dispose(): void;
}

/** One benchmark case: a kernel or program at one size, on one engine. */
export interface BenchCase {
  suite: string;
  name: string;
  /** Problem size, e.g. "1024×1024×1024" (M×K×N) or "16M floats". */
  size: string;
  engine: Engine;
  unit: Unit;
  /** Work per iteration in the unit's numerator: FLOPs, bytes or samples. */
  work: number;
  /** How `work` was counted, printed with the results. */
  formula: string;
  prepare(ctx: BenchContext): Promise<Prepared>;
}

/** A suite: its cases, or only its smallest ones (quick mode, used by the tests). */
export interface Suite {
  name: string;
  cases(quick: boolean): BenchCase[];
}

/** One measured result (the fields of a `--json` line). */
export interface BenchResult {
  suite: string;
  name: string;
  size: string;
  engine: Engine;
  medianMs: number;
  /**
   * Median GPU time of one iteration from timestamp queries (engine cases on a device with
   * `timestamp-query`): the passes' own time, without submit and completion overhead.
   */
  gpuMs?: number;
  gflops?: number;
  gbps?: number;
  samplesPerSec?: number;
  /**
   * Queue submits and compute dispatches per iteration (a training step in the train suite)
   * over the timed runs, syncs included, counted on the WebGPU prototypes (bench/count.ts).
   */
  submits?: number;
  dispatches?: number;
  /** Timed runs and iterations per run. */
  runs: number;
  iterations: number;
  formula: string;
  /** What the correctness check compared. */
  check: string;
}

export interface TimingOptions {
  /** Untimed iterations after the check (pipeline warm-up, caches). Default 1. */
  warmup?: number;
  /** Timed runs; the median is reported. Default 5 (3 when one run takes over 2 s). */
  runs?: number;
  /** Aim for runs of about this many milliseconds. Default 300. */
  targetMs?: number;
  /** The engine's runtime, to time its passes with timestamp queries when the device can. */
  passTiming?: Pick<GpuRuntime, 'startPassTiming' | 'stopPassTiming'>;
  /** Running submit / dispatch totals (bench/count.ts): each run's difference is recorded. */
  counter?: Readonly<CallCounts>;
}

/** A checked, warmed-up case whose timed runs can be interleaved with other cases'. */
export interface Timer {
  readonly benchCase: BenchCase;
  /** Timed runs wanted. */
  readonly runs: number;
  /** Does one timed run: N iterations, then waits for the GPU. */
  run(): Promise<void>;
  /** The median of the runs so far. */
  result(): BenchResult;
}

/**
 * Checks one prepared case against its CPU reference, warms it up and picks N (iterations
 * per run) so that a run lasts about `targetMs`. Each timed run submits N iterations and
 * waits for GPU completion (queue.onSubmittedWorkDone); its time / N is one sample. Rates
 * come from these wall times, measured alike for every engine (they include the submit
 * overhead a user pays). With `passTiming` and a device that has timestamp queries, each
 * run also sums its passes' GPU time (read back after the run): `gpuMs`.
 */
export async function startTimer(benchCase: BenchCase, prepared: Prepared, options: TimingOptions = {}): Promise<Timer> {
  const check = await prepared.check();
  const warmup = Math.max(1, options.warmup ?? 1);
  let start = performance.now();
  for (let i = 0; i < warmup; i++) await prepared.iterate();
  await prepared.sync();
  const perIteration = (performance.now() - start) / warmup;
  const iterations = Math.max(1, Math.min(1000, Math.round((options.targetMs ?? 300) / perIteration)));
  const runs = options.runs ?? (perIteration * iterations > 2000 ? 3 : 5);
  const samples: number[] = [];
  const gpuSamples: number[] = [];
  const counted = { submits: 0, dispatches: 0 };
  const counter = options.counter;
  return {
    benchCase,
    runs,
    async run() {
      const timing = options.passTiming?.startPassTiming() ?? false;
      const before = counter && { ...counter };
      start = performance.now();
      for (let i = 0; i < iterations; i++) await prepared.iterate();
      await prepared.sync();
      samples.push((performance.now() - start) / iterations);
      if (counter && before) {
        counted.submits += counter.submits - before.submits;
        counted.dispatches += counter.dispatches - before.dispatches;
      }
      const gpu = timing ? await options.passTiming!.stopPassTiming() : undefined;
      if (gpu) gpuSamples.push(gpu.ms / iterations);
    },
    result() {
      const medianMs = median(samples);
      const gpuMs = gpuSamples.length === samples.length ? { gpuMs: median(gpuSamples) } : {};
      const rate = benchCase.work / (medianMs / 1000);
      const steps = samples.length * iterations;
      const counts = counter && steps ? { submits: counted.submits / steps, dispatches: counted.dispatches / steps } : {};
      return {
        suite: benchCase.suite,
        name: benchCase.name,
        size: benchCase.size,
        engine: benchCase.engine,
        medianMs,
        ...gpuMs,
        [benchCase.unit]: benchCase.unit === 'samplesPerSec' ? rate : rate / 1e9,
        ...counts,
        runs: samples.length,
        iterations,
        formula: benchCase.formula,
        check,
      };
    },
  };
}

/**
 * Times several cases with their runs interleaved (A B A B …), so that a change in machine
 * load between runs hits every case alike and their ratios stay meaningful.
 */
export async function measureInterleaved(timers: readonly Timer[]): Promise<BenchResult[]> {
  const most = Math.max(0, ...timers.map((t) => t.runs));
  for (let r = 0; r < most; r++) for (const t of timers) if (r < t.runs) await t.run();
  return timers.map((t) => t.result());
}

/** Checks, warms up and times one case alone. */
export async function measure(benchCase: BenchCase, prepared: Prepared, options: TimingOptions = {}): Promise<BenchResult> {
  const [result] = await measureInterleaved([await startTimer(benchCase, prepared, options)]);
  return result!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A seeded uniform generator on [lo, hi) (mulberry32), so every run sees the same data. */
export function randomArray(length: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Seeded integers in [0, n). */
export function randomLabels(length: number, n: number, seed: number): Uint32Array {
  return Uint32Array.from(randomArray(length, seed, 0, 1), (u) => Math.min(n - 1, Math.floor(u * n)));
}

/** `count` distinct-ish indices in [0, n), always including the first and the last. */
export function spotIndices(n: number, count: number, seed: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const picks = randomArray(count - 2, seed, 0, 1);
  return [0, n - 1, ...Array.from(picks, (u) => Math.floor(u * n))];
}

/** 0, 1, …, n − 1. */
export function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** Thrown when a GPU result differs from the CPU reference. */
export class CheckError extends Error {
  override name = 'CheckError';
}

/**
 * Compares got[i] with want[i] for the given indices: |got − want| ≤ atol + rtol·|want|
 * (or scale[i] instead of |want| when given). Returns the largest error seen.
 */
export function compareAt(
  what: string,
  indices: Iterable<number>,
  got: (i: number) => number,
  want: (i: number) => number,
  { atol = 1e-5, rtol = 1e-4, scale }: { atol?: number; rtol?: number; scale?: (i: number) => number } = {},
): number {
  let worst = 0;
  for (const i of indices) {
    const g = got(i);
    const w = want(i);
    const err = Math.abs(g - w);
    const bound = atol + rtol * (scale ? scale(i) : Math.abs(w));
    if (!(err <= bound)) throw new CheckError(`${what}: element ${i} is ${g}, CPU reference ${w} (tolerance ${bound.toExponential(2)})`);
    worst = Math.max(worst, err);
  }
  return worst;
}
