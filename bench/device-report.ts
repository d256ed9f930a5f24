// The real-GPU report behind `npm run bench -- --device-report`: the adapter, compile times
// (cold and warm), the MNIST MLP and CNN training steps against TF.js and jax-js (the train
// suite's cases), square matmuls per kernel variant with their fraction of the adapter's
// FP32 peak, and the CNN's convolution passes per kernel variant beside the table's choice. Sized to finish in a few minutes on a real GPU; `quick` shrinks it for CPU
// drivers and tests. Like every bench/ file it takes a runtime and never imports Node APIs.
import type { GpuRuntime } from '../src/index';
import { adapterReport, type AdapterReport } from './device-report-adapter';
import { compileTimings, type CompileTiming } from './device-report-compile';
import { convCases, convTableChoice, reportConvs, type ReportConv } from './device-report-conv';
import { matmulCases, matmulVariants, type ReportVariant } from './device-report-matmul';
import { fp32Peak, type Fp32Peak } from './device-report-peaks';
import type { BenchContext, Engine } from './core';
import { runCases } from './run';
import { isResult, type Row } from './table';
import { trainSuite } from './train';

/** Matmul sizes (N for N×N×N): the 1024²–8192² on a real GPU; small ones in quick mode. */
export const REPORT_SIZES = { full: [1024, 2048, 4096, 8192], quick: [128, 256] } as const;

/** One matmul variant at one size. */
export type MatmulEntry = { variant: string; n: number } & (
  | {
      /** From GPU timestamps where the device has them (`timing`), else from wall clock. */
      gflops: number;
      /** gflops over the FP32 peak; null when the peak is unknown. */
      fractionOfPeak: number | null;
      /** Median wall time per matmul over the timed runs (submit to GPU completion), and the GPU's own time when timed. */
      medianMs: number;
      gpuMs?: number;
      runs: number;
      iterations: number;
      check: string;
    }
  | { error: string }
);

/** One convolution pass of one layer in one kernel variant. */
export type ConvEntry = { variant: string; pass: string; layer: string; work: number } & (
  | { gflops: number; medianMs: number; gpuMs?: number; runs: number; iterations: number; check: string }
  | { error: string }
);

export type ReportSection = 'adapter' | 'compile' | 'train' | 'matmul' | 'conv';

/** The MNIST models the report trains, and how the train suite names their cases. */
export type TrainModel = 'mlp' | 'cnn';
const TRAIN_CASE: Record<TrainModel, RegExp> = { mlp: /^MLP /, cnn: /^MNIST CNN / };

export interface DeviceReport {
  /** ISO time the report started. */
  date: string;
  /** Where it ran, from the caller (e.g. "Node v20.20.2 (Dawn) on linux x64"). */
  environment: string;
  /** The host's load up to the last write (the CLI sets it: load average, busy and stolen CPU shares). */
  host?: string;
  quick: boolean;
  adapter: AdapterReport;
  /** The FP32 peak used for fractionOfPeak; null when unknown. */
  peak: Fp32Peak | null;
  /** How matmul GFLOP/s were timed. */
  timing: 'gpu-timestamps' | 'wall-clock';
  compile: CompileTiming[];
  /** The train suite's rows (shadergrad and the peers that loaded), as `npm run bench --json` prints them. */
  train: Row[];
  matmul: MatmulEntry[];
  conv: ConvEntry[];
  /** The variant the per-adapter table picks for each conv layer and pass ("<layer> <pass>" → name). */
  convTable: Record<string, string>;
  /** Sections not run yet: non-empty only in the partial reports given to onUpdate. */
  pending: ReportSection[];
  /** Sections that threw, with the message; the report goes on with the next section. */
  errors: Partial<Record<ReportSection, string>>;
  /** Wall time of each finished section, and of the whole report. */
  durationMs: Partial<Record<ReportSection | 'total', number>>;
}

export interface DeviceReportOptions {
  quick: boolean;
  /** FP32 peak in TFLOP/s (`--peak`), overriding the table. */
  peakTflops?: number;
  /** Engines whose training steps to run; shadergrad always. */
  peers: readonly Exclude<Engine, 'shadergrad'>[];
  /** A fresh runtime on the same adapter, for the cold compile times. */
  newRuntime: () => Promise<GpuRuntime>;
  environment: string;
  /** Replaces the default variant list (matmulVariants). */
  variants?: readonly ReportVariant[];
  /** Replaces the matmul sizes of REPORT_SIZES (tests use smaller ones). */
  sizes?: readonly number[];
  /** Replaces the convolution layers of reportConvs (tests use smaller ones). */
  convs?: readonly ReportConv[];
  /** The models whose compile times and training steps to measure; default both. */
  models?: readonly TrainModel[];
  onProgress?: (text: string) => void;
  /** Called with the report so far after each section (so a run cut short still leaves numbers). */
  onUpdate?: (report: DeviceReport) => void;
}

/** Matmul rows as report entries: GFLOP/s from GPU time where measured, over the peak. */
function matmulEntries(rows: readonly Row[], cases: readonly { n: number; variant: string }[], peak: Fp32Peak | undefined): MatmulEntry[] {
  return rows.map((row, i) => {
    const { n, variant } = cases[i]!;
    if (!isResult(row)) return { variant, n, error: row.error };
    const seconds = (row.gpuMs ?? row.medianMs) / 1000;
    const gflops = (2 * n ** 3) / seconds / 1e9;
    const timed = { medianMs: row.medianMs, ...(row.gpuMs === undefined ? {} : { gpuMs: row.gpuMs }) };
    return { variant, n, gflops, fractionOfPeak: peak ? gflops / (peak.tflops * 1000) : null, ...timed, runs: row.runs, iterations: row.iterations, check: row.check };
  });
}

/** Runs the report's sections in order (cold compile first, before anything else compiles), calling onUpdate once the adapter is known and after each section. */
export async function runDeviceReport(ctx: BenchContext, options: DeviceReportOptions): Promise<DeviceReport> {
  const start = performance.now();
  const adapter = adapterReport(ctx.runtime);
  const peak = fp32Peak(adapter.name, options.peakTflops);
  const report: DeviceReport = {
    date: new Date().toISOString(),
    environment: options.environment,
    quick: options.quick,
    adapter,
    peak: peak ?? null,
    timing: ctx.runtime.device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall-clock',
    compile: [],
    train: [],
    matmul: [],
    conv: [],
    convTable: {},
    pending: ['compile', 'train', 'matmul', 'conv'],
    errors: {},
    durationMs: { adapter: performance.now() - start },
  };
  options.onUpdate?.(report);
  const section = async (name: ReportSection, run: () => Promise<void>) => {
    options.onProgress?.(`device report: ${name} …`);
    const t = performance.now();
    try {
      await run();
    } catch (error) {
      // One run on a borrowed machine: a failing section must not cost the others' numbers.
      report.errors[name] = (error as Error).message ?? String(error);
    }
    report.durationMs[name] = performance.now() - t;
    report.pending = report.pending.filter((s) => s !== name);
    options.onUpdate?.(report);
  };
  const timing = { quick: options.quick, onProgress: options.onProgress };
  const models = options.models ?? ['mlp', 'cnn'];

  await section('compile', async () => {
    report.compile = await compileTimings(options.newRuntime, models);
  });
  await section('train', async () => {
    const engines = new Set<Engine>(['shadergrad', ...options.peers]);
    const cases = trainSuite.cases(options.quick).filter((c) => engines.has(c.engine) && models.some((m) => TRAIN_CASE[m].test(c.name)));
    report.train = await runCases(cases, ctx, timing);
  });
  await section('matmul', async () => {
    const variants = options.variants ?? matmulVariants(ctx.runtime);
    const sizes = options.sizes ?? (options.quick ? REPORT_SIZES.quick : REPORT_SIZES.full);
    const cases = sizes.flatMap((n) => variants.map((v) => ({ n, variant: v.name })));
    report.matmul = matmulEntries(await runCases(matmulCases(sizes, variants), ctx, timing), cases, peak);
  });
  await section('conv', async () => {
    const variants = options.variants ?? matmulVariants(ctx.runtime);
    const cases = convCases(options.convs ?? reportConvs(options.quick), variants);
    const rows = await runCases(cases, ctx, timing);
    report.conv = rows.map((row, i): ConvEntry => {
      const { name, size: layer, work } = cases[i]!;
      const [, pass = '', variant = ''] = /^conv2d (\S+) (.+)$/.exec(name) ?? [];
      if (!isResult(row)) return { variant, pass, layer, work, error: row.error };
      const seconds = (row.gpuMs ?? row.medianMs) / 1000;
      const timed = { medianMs: row.medianMs, ...(row.gpuMs === undefined ? {} : { gpuMs: row.gpuMs }) };
      return { variant, pass, layer, work, gflops: work / seconds / 1e9, ...timed, runs: row.runs, iterations: row.iterations, check: row.check };
    });
    report.convTable = convTableChoice(ctx.runtime, options.convs ?? reportConvs(options.quick));
  });
  report.durationMs.total = performance.now() - start;
  options.onUpdate?.(report);
  return report;
}

/** The report's failures: sections that threw, and rows that produced no number for a reason other than a peer that did not load. */
export function reportFailures(report: DeviceReport): string[] {
  const sections = Object.entries(report.errors).map(([name, message]) => `${name} section failed: ${message}`);
  const train = report.train.filter((r) => !isResult(r) && r.error.startsWith('FAILED')).map((r) => `${r.name} (${r.engine}): ${'error' in r ? r.error : ''}`);
  const matmul = report.matmul.filter((m) => 'error' in m).map((m) => `matmul ${m.variant} ${m.n}²: ${'error' in m ? m.error : ''}`);
  const conv = report.conv.filter((c) => 'error' in c).map((c) => `conv2d ${c.pass} ${c.variant} ${c.layer}: ${'error' in c ? c.error : ''}`);
  return [...sections, ...train, ...matmul, ...conv];
}
