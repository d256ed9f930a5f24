// The benchmark runner behind `npm run bench` (Node only): loads the engine, TF.js and jax-js on one
// Dawn GPU object, runs the selected suites from bench/ (check, warm up, time, median) and
// prints a table, JSON lines (--json) or the README's markdown table (--markdown, --readme).
import { readFileSync, writeFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { SUITES, type BenchContext } from '../../bench/index';
import { runCases } from '../../bench/run';
import { isResult, markdownTable, replaceBetweenMarkers, targets, textTable } from '../../bench/table';
import { dawnPacing } from '../gpu/dawn-events';
import { GpuRuntime } from '../gpu/runtime';
import { ShadergradError } from '../gpu/errors';
import { runDeviceReportCli } from './bench-device-report';
import { startHostLoad } from './host-load';
import { loadJaxjs } from './bench-jaxjs';
import { loadTfjs } from './bench-tfjs';
import type { CliIo } from './train-main';

export const BENCH_USAGE =
  `usage: npm run bench -- [--suite ${SUITES.map((s) => s.name).join(',')}] [--json] [--markdown] ` +
  '[--readme FILE] [--quick] [--no-tfjs] [--no-jaxjs] [--filter TEXT] [--dawn-events paced|spin] [--device-report [--peak TFLOPS] [--out DIR]]';

export interface BenchArgs {
  suites: string[];
  json: boolean;
  markdown: boolean;
  /** Write the markdown table into this file between the bench markers. */
  readme: string | undefined;
  /** Only each suite's smallest size, one timed run (a smoke test). */
  quick: boolean;
  tfjs: boolean;
  jaxjs: boolean;
  /** Only cases whose "name size" contains this text, e.g. "1024×1024×1024". */
  filter: string | undefined;
  /** Run the real-GPU report (bench/device-report.ts) instead of the suites. */
  deviceReport: boolean;
  /** The adapter's FP32 peak in TFLOP/s, overriding the report's table. */
  peak: number | undefined;
  /** The report's folder (default .tmp/device-report). */
  out: string | undefined;
  /** How Dawn polls for finished work (DeviceOptions.dawnEvents; by default paced on CPU adapters). */
  dawnEvents: 'paced' | 'spin' | undefined;
}

export class BenchUsageError extends Error {}

function parsePeak(value: string): number {
  const peak = Number(value);
  if (!(peak > 0 && Number.isFinite(peak))) throw new BenchUsageError(`--peak must be a positive number of TFLOP/s, got "${value}"`);
  return peak;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = { suites: SUITES.map((s) => s.name), json: false, markdown: false, readme: undefined, quick: false, tfjs: true, jaxjs: true, filter: undefined, deviceReport: false, peak: undefined, out: undefined, dawnEvents: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') args.json = true;
    else if (flag === '--markdown') args.markdown = true;
    else if (flag === '--quick') args.quick = true;
    else if (flag === '--no-tfjs') args.tfjs = false;
    else if (flag === '--no-jaxjs') args.jaxjs = false;
    else if (flag === '--device-report') args.deviceReport = true;
    else if (flag === '--suite' || flag === '--readme' || flag === '--filter' || flag === '--peak' || flag === '--out' || flag === '--dawn-events') {
      const value = argv[++i];
      if (value === undefined) throw new BenchUsageError(`${flag} needs a value (${BENCH_USAGE})`);
      if (flag === '--readme') args.readme = value;
      else if (flag === '--out') args.out = value;
      else if (flag === '--peak') args.peak = parsePeak(value);
      else if (flag === '--filter') args.filter = value;
      else if (flag === '--dawn-events') {
        if (value !== 'paced' && value !== 'spin') throw new BenchUsageError(`--dawn-events must be paced or spin, got "${value}"`);
        args.dawnEvents = value;
      } else {
        args.suites = value.split(',').filter(Boolean);
        const unknown = args.suites.filter((s) => !SUITES.some((suite) => suite.name === s));
        if (unknown.length || !args.suites.length) throw new BenchUsageError(`unknown suite "${unknown.join(',')}" (choose ${SUITES.map((s) => s.name).join(', ')})`);
      }
    } else throw new BenchUsageError(flag === '--help' || flag === '-h' ? BENCH_USAGE : `unknown option "${flag}" (${BENCH_USAGE})`);
  }
  if (!args.deviceReport && (args.peak !== undefined || args.out !== undefined)) throw new BenchUsageError(`--peak and --out go with --device-report (${BENCH_USAGE})`);
  return args;
}

// Dawn crashes the process if its GPU object is collected while a device lives: keep it here.
let dawnGpu: GPU | undefined;

function nodeGpu(): GPU {
  Object.assign(globalThis, globals);
  // Dawn rounds timestamp queries down to 65.536 µs by default (against timing attacks), too
  // coarse for a pass of a small kernel on a real GPU: the bench wants them exact.
  return (dawnGpu ??= create(['disable-dawn-features=timestamp_quantization']) as GPU);
}

function progress(io: CliIo, text: string): void {
  if ('isTTY' in io.stderr && io.stderr.isTTY) io.stderr.write(`\r${text.slice(0, 150)}\x1b[K`);
  else io.stderr.write(`${text}\n`);
}

/** Runs the benchmark CLI; returns the exit code (0 ok, 1 a failure, 2 bad arguments). */
export async function runBenchCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    io.stderr.write(`bench: ${(error as Error).message}\n`);
    return 2;
  }
  const hostLoad = startHostLoad();
  let runtime: GpuRuntime;
  try {
    // The runtime lives for the whole run, so its pacing of Dawn's events covers the peers too.
    runtime = await GpuRuntime.create({ gpu: nodeGpu(), dawnEvents: args.dawnEvents });
  } catch (error) {
    io.stderr.write(`bench: ${error instanceof ShadergradError ? error.message : String(error)}\n`);
    return 1;
  }
  if (args.deviceReport) return runDeviceReportCli(args, { runtime, gpu: nodeGpu(), progress: (text) => progress(io, text), hostLoad }, io);
  const cases = SUITES.filter((s) => args.suites.includes(s.name))
    .flatMap((s) => s.cases(args.quick))
    .filter((c) => (args.tfjs || c.engine !== 'tfjs') && (args.jaxjs || c.engine !== 'jaxjs') && (!args.filter || `${c.name} ${c.size}`.includes(args.filter)));
  const needsTfjs = cases.some((c) => c.engine === 'tfjs');
  const tfjs = needsTfjs ? await loadTfjs(nodeGpu()) : { unavailable: 'not requested (--no-tfjs)' };
  const needsJaxjs = cases.some((c) => c.engine === 'jaxjs');
  const jaxjs = needsJaxjs ? await loadJaxjs(nodeGpu()) : { unavailable: 'not requested (--no-jaxjs)' };
  const ctx: BenchContext = { runtime, tfjs, jaxjs };
  const adapter = runtime.gpu.adapterName;
  const tfAdapter = !needsTfjs ? 'TF.js not run' : 'unavailable' in tfjs ? tfjs.unavailable : `TF.js 4.22.0 WebGPU on ${tfjs.adapter}`;
  const jaxAdapter = !needsJaxjs ? 'jax-js not run' : 'unavailable' in jaxjs ? jaxjs.unavailable : `jax-js 0.1.25 WebGPU on ${jaxjs.adapter}`;
  const polling = dawnPacing().holds > 0 ? "Dawn's event polling paced (src/gpu/dawn-events.ts)" : "Dawn's own event polling loop";
  io.stderr.write(`bench: shadergrad on ${adapter}; ${tfAdapter}; ${jaxAdapter}; ${polling}\n`);

  // Cases of one suite and size (engines, transpose modes, fused or not) run interleaved.
  const rows = await runCases(cases, ctx, {
    quick: args.quick,
    onProgress: (text) => progress(io, text),
    onRow: (row) => args.json && io.stdout.write(`${JSON.stringify(row)}\n`),
  });
  if ('isTTY' in io.stderr && io.stderr.isTTY) io.stderr.write('\n');
  runtime.destroy();

  const host = hostLoad();
  const about =
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` in Node ${process.version} (Dawn): shadergrad on ` +
    `**${adapter}**, ${tfAdapter}, ${jaxAdapter}, same process and adapter, ${polling} for all three; ${host}. ` +
    'Median of timed runs, each to GPU completion (queue.onSubmittedWorkDone) after N iterations; every case first checked against a CPU reference. ' +
    'Submits and dispatches per step are counted on GPUQueue.submit and GPUComputePassEncoder.dispatchWorkgroups(Indirect) over the timed runs.';
  if (!args.json) io.stdout.write(`${args.markdown ? markdownTable(rows, about) : `${textTable(rows)}\n\n${targets(rows).join('\n')}\n\nhost: ${host}`}\n`);
  if (args.readme) {
    writeFileSync(args.readme, replaceBetweenMarkers(readFileSync(args.readme, 'utf8'), markdownTable(rows, about)));
    io.stderr.write(`bench: wrote the table into ${args.readme}\n`);
  }
  const failed = rows.filter((r) => !isResult(r) && r.error.startsWith('FAILED'));
  for (const f of failed) if (!isResult(f)) io.stderr.write(`bench: ${f.suite} ${f.name} ${f.size} (${f.engine}): ${f.error}\n`);
  return failed.length ? 1 : 0;
}
