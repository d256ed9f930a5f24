// The soak benchmark CLI behind `npm run soak` (Node only): runs bench/soak.ts's long training
// run and compile cycles, prints each sample as a table row on stderr as it comes, a summary,
// and with --json one JSON line on stdout; exits 1 if anything grew past its limit.
import { compileCycles, CYCLE_STEPS, cycleBatch, loadMnist, longRun, sampleEvery, slope, type Cycles, type LongRun } from '../../bench/soak';
import { ShadergradError } from '../gpu/errors';
import { probeAdapterName } from './adapter';
import type { CliIo } from './train-main';

export const SOAK_USAGE = 'usage: npm run soak -- [--steps N] [--cycles N] [--sizes N] [--quick] [--json]';

/**
 * RSS may grow this much after warm-up. RSS is not only our memory: V8 keeps freed pages for
 * a while, and Dawn and lavapipe/LLVM grow their own pools; a --quick run on lavapipe settled
 * 14 MB above its warm-up point within one interval and then stayed flat. A real per-step
 * leak sums up over a run: one leaked batch array (128×784 floats, 401 KB) a step is 3.8 GB
 * over 9,500 steps, one leaked 4 KB object a step 37 MB. 32 MB leaves room for the noise and
 * still catches ~3.5 KB a step on the full run; the steady RSS slope is printed too, for
 * leaks too slow to cross it.
 */
export const RSS_LIMIT = 32 * 2 ** 20;
/**
 * RSS may grow this much from the end of the warm-up cycles to any later cycle. Every device
 * made and destroyed moves lavapipe's and malloc's pools: with nothing leaking, RSS still rose
 * ~77 MB over the first three own-runtime cycles on lavapipe, then stayed in a ±20 MB band for
 * the next 37. A leak of one MNIST MLP's 13 MB of buffers, or of its 27 pipelines (~1 MB each
 * on lavapipe), a cycle crosses this within three cycles.
 */
export const CYCLE_RSS_LIMIT = 32 * 2 ** 20;

/** Cycles before RSS is taken as the baseline: 5, or half of a short run. */
export const warmupCycles = (cycles: number): number => Math.min(5, Math.ceil(cycles / 2));

export interface SoakArgs {
  steps: number;
  cycles: number;
  /** Distinct batch sizes the cycles go through in turn (default 40: a new one every cycle of a full run). */
  sizes: number;
  json: boolean;
}

export class SoakUsageError extends Error {}

/** Parses argv; --quick means 1000 steps and 8 cycles unless --steps / --cycles say otherwise. */
export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  let steps: number | undefined;
  let cycles: number | undefined;
  let sizes = 40;
  let quick = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') json = true;
    else if (flag === '--quick') quick = true;
    else if (flag === '--steps' || flag === '--cycles' || flag === '--sizes') {
      const value = argv[++i];
      const n = Number(value);
      if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0) {
        throw new SoakUsageError(`${flag} must be an integer ≥ 0, got ${value === undefined ? 'nothing' : `"${value}"`} (${SOAK_USAGE})`);
      }
      if (flag === '--sizes' && n < 1) throw new SoakUsageError(`--sizes must be an integer ≥ 1, got "${value}" (${SOAK_USAGE})`);
      if (flag === '--steps') steps = n;
      else if (flag === '--sizes') sizes = n;
      else cycles = n;
    } else throw new SoakUsageError(flag === '--help' || flag === '-h' ? SOAK_USAGE : `unknown option "${flag}" (${SOAK_USAGE})`);
  }
  return { steps: steps ?? (quick ? 1000 : 10_000), cycles: cycles ?? (quick ? 8 : 40), sizes, json };
}

const mb = (bytes: number, digits = 1) => (bytes / 2 ** 20).toFixed(digits);
const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mb(bytes)}`;
const row = (cells: (string | number)[], widths: number[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');

/** Warm-up, end and drift of the long run; the failures it has. */
export function summarizeLongRun(run: LongRun) {
  const { samples } = run;
  const warm = samples[0]!;
  const end = samples.at(-1)!;
  const after = samples.slice(1);
  const maxOf = (f: (s: (typeof samples)[number]) => number) => Math.max(0, ...after.map((s) => f(s) - f(warm)));
  const summary = {
    warmup: { step: warm.step, rss: warm.rss, heapUsed: warm.heapUsed, gpuBytes: warm.gpuBytes },
    end: { step: end.step, rss: end.rss, heapUsed: end.heapUsed, gpuBytes: end.gpuBytes },
    maxRssDrift: maxOf((s) => s.rss),
    maxHeapDrift: maxOf((s) => s.heapUsed),
    maxGpuBytesDrift: maxOf((s) => s.gpuBytes),
    allocationsAfterWarmup: end.bufferAllocations,
    pipelinesCreatedAfterWarmup: end.pipelinesCreated,
    /** Over the samples after warm-up (the warm-up point itself left out: RSS settles after it). */
    rssSlopePer1000Steps: 1000 * slope(after.map((s) => s.step), after.map((s) => s.rss)),
    stepsPerSec: after.length ? after.reduce((a, s) => a + s.stepsPerSec, 0) / after.length : warm.stepsPerSec,
    finalTestAccuracy: end.testAccuracy,
  };
  const failures: string[] = [];
  if (summary.maxGpuBytesDrift > 0) failures.push(`long run: GPU bytes grew ${summary.maxGpuBytesDrift} B after warm-up`);
  if (summary.allocationsAfterWarmup > 0) failures.push(`long run: ${summary.allocationsAfterWarmup} buffer allocations after warm-up`);
  if (summary.pipelinesCreatedAfterWarmup > 0) failures.push(`long run: ${summary.pipelinesCreatedAfterWarmup} pipelines created after warm-up`);
  if (summary.maxRssDrift > RSS_LIMIT) failures.push(`long run: RSS grew ${mb(summary.maxRssDrift)} MB after warm-up (limit ${mb(RSS_LIMIT, 0)} MB)`);
  return { summary, failures };
}

/**
 * RSS from the end of the warm-up cycles to the end, GPU bytes held and pipelines from the
 * first cycle to the last (exact counters need no warm-up); the failures it has.
 */
export function summarizeCycles(run: Cycles) {
  const first = run.cycles[0]!;
  const warm = run.cycles[warmupCycles(run.cycles.length) - 1]!;
  const end = run.cycles.at(-1)!;
  const after = run.cycles.slice(warm.cycle);
  const n = run.cycles.length;
  const summary = {
    warmupCycles: warm.cycle,
    rssBefore: run.before.rss,
    rssAfterFirst: first.rss,
    rssAfterWarmup: warm.rss,
    rssEnd: end.rss,
    rssDrift: end.rss - warm.rss,
    maxRssDrift: Math.max(0, ...after.map((c) => c.rss - warm.rss)),
    rssSlopePerCycle: slope(after.map((c) => c.cycle), after.map((c) => c.rss)),
    heapDrift: end.heapUsed - warm.heapUsed,
    bytesHeldAfterFirst: first.bytesHeld,
    bytesHeldEnd: end.bytesHeld,
    pipelinesAfterFirst: first.pipelines,
    pipelinesEnd: end.pipelines,
    pipelinesPerCycle: n > 1 ? (end.pipelines - first.pipelines) / (n - 1) : 0,
  };
  const failures: string[] = [];
  const what = `cycles (${run.runtime} runtime)`;
  if (summary.bytesHeldEnd > summary.bytesHeldAfterFirst) failures.push(`${what}: GPU bytes held after destroy() grew ${summary.bytesHeldEnd - summary.bytesHeldAfterFirst} B`);
  if (summary.maxRssDrift > CYCLE_RSS_LIMIT) {
    failures.push(`${what}: RSS grew ${mb(summary.maxRssDrift)} MB after warm-up cycle ${warm.cycle} (limit ${mb(CYCLE_RSS_LIMIT, 0)} MB)`);
  }
  return { summary, failures };
}

const LONG_WIDTHS = [6, 8, 8, 12, 7, 6, 6, 8, 8, 7];
const CYCLE_WIDTHS = [5, 5, 8, 8, 11, 9, 7, 6];

/** Runs the soak CLI; returns the exit code (0 nothing grew, 1 growth or a failure, 2 bad arguments). */
export async function runSoakCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: SoakArgs;
  try {
    args = parseSoakArgs(argv);
  } catch (error) {
    io.stderr.write(`soak: ${(error as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const adapter = await probeAdapterName();
    const gc = typeof (globalThis as { gc?: unknown }).gc === 'function';
    log(`soak: shadergrad on ${adapter}; Node ${process.version}${gc ? ', memory after global.gc()' : ', no --expose-gc: memory includes garbage'}`);
    const data = loadMnist();
    const failures: string[] = [];
    const result: Record<string, unknown> = { adapter, exposeGc: gc, rssLimit: RSS_LIMIT, cycleRssLimit: CYCLE_RSS_LIMIT };

    if (args.steps > 0) {
      log(`\nlong run: MNIST MLP, Adam, batch 128, ${args.steps} steps; every ${sampleEvery(args.steps)} steps evaluate() on 1000 test samples and predict() on 1..300 (eval mode)`);
      log(row(['step', 'RSS MB', 'heap MB', 'GPU bytes', 'allocs', 'pipes+', 'pipes', 'steps/s', 'predict', 'test %'], LONG_WIDTHS));
      const run = await longRun(data, args.steps, (s) =>
        log(row([s.step, mb(s.rss), mb(s.heapUsed), s.gpuBytes, s.bufferAllocations, s.pipelinesCreated, s.pipelines, s.stepsPerSec.toFixed(1), s.predictCount, (100 * s.testAccuracy).toFixed(2)], LONG_WIDTHS)),
      );
      const { summary, failures: found } = summarizeLongRun(run);
      failures.push(...found);
      result.longRun = { ...summary, steps: run.steps, batch: run.batch, sampleEvery: run.sampleEvery, samples: run.samples };
      log(
        `warm-up (step ${summary.warmup.step}): RSS ${mb(summary.warmup.rss)} MB, GPU ${summary.warmup.gpuBytes} B; ` +
          `end (step ${summary.end.step}): RSS ${mb(summary.end.rss)} MB, GPU ${summary.end.gpuBytes} B`,
      );
      log(
        `max drift after warm-up: RSS ${signed(summary.maxRssDrift)} MB (limit ${mb(RSS_LIMIT, 0)}), heap ${signed(summary.maxHeapDrift)} MB, ` +
          `GPU ${summary.maxGpuBytesDrift} B; steady RSS slope ${signed(summary.rssSlopePer1000Steps)} MB per 1000 steps; ` +
          `${summary.allocationsAfterWarmup} allocations, ${summary.pipelinesCreatedAfterWarmup} pipelines after warm-up; ${summary.stepsPerSec.toFixed(1)} steps/s`,
      );
    }

    if (args.cycles > 0) {
      const cycles: Record<string, unknown> = {};
      for (const runtime of ['own', 'shared'] as const) {
        log(
          `\ncompile cycles (${runtime === 'own' ? "a: each on its own runtime, compile's default" : 'b: all on one GpuRuntime.create() runtime'}): ` +
            `${args.cycles} × compile → ${CYCLE_STEPS} steps → evaluate() → destroy(), batch ${cycleBatch(0)}..${cycleBatch(Math.min(args.cycles, args.sizes) - 1, args.sizes)}`,
        );
        log(row(['cycle', 'batch', 'RSS MB', 'heap MB', 'bytes held', 'pipelines', 'test %', 's'], CYCLE_WIDTHS));
        const run = await compileCycles(data, args.cycles, runtime, (c) =>
          log(row([c.cycle, c.batch, mb(c.rss), mb(c.heapUsed), c.bytesHeld, c.pipelines, (100 * c.testAccuracy).toFixed(2), c.seconds.toFixed(1)], CYCLE_WIDTHS)),
          args.sizes,
        );
        const { summary: s, failures: found } = summarizeCycles(run);
        failures.push(...found);
        cycles[runtime] = { ...s, samples: run.cycles };
        log(
          `RSS before ${mb(s.rssBefore)} MB, after cycle 1 ${mb(s.rssAfterFirst)}, after warm-up cycle ${s.warmupCycles} ${mb(s.rssAfterWarmup)}, ` +
            `end ${mb(s.rssEnd)}: drift ${signed(s.rssDrift)} MB (max ${signed(s.maxRssDrift)}, limit ${mb(CYCLE_RSS_LIMIT, 0)}; ` +
            `slope ${signed(s.rssSlopePerCycle)} MB per cycle), heap ${signed(s.heapDrift)} MB; ` +
            `bytes held ${s.bytesHeldAfterFirst} → ${s.bytesHeldEnd} B; pipelines ${s.pipelinesAfterFirst} → ${s.pipelinesEnd} (${s.pipelinesPerCycle.toFixed(1)} per cycle)`,
        );
      }
      result.cycles = cycles;
    }

    log(failures.length ? `\nsoak: FAILED\n${failures.map((f) => `  ${f}`).join('\n')}` : '\nsoak: nothing grew past its limit');
    if (args.json) io.stdout.write(`${JSON.stringify({ ...result, pass: failures.length === 0, failures })}\n`);
    return failures.length ? 1 : 0;
  } catch (error) {
    io.stderr.write(`soak: ${error instanceof ShadergradError ? error.message : String((error as Error).stack ?? error)}\n`);
    return 1;
  }
}
