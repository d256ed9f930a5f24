// Kernel choice per adapter: a program may offer alternatives (kernels that compute the
// same thing, e.g. the matmul variants); the runtime runs the one chosen for its adapter and
// the program's shape class. By default the choice comes from the family's deterministic
// table; with trials on, the candidates are timed once per shape class (timestamp queries
// where the device has them, else wall time around onSubmittedWorkDone) and the winner is
// kept for the runtime and persisted (src/gpu/kernel-choice-store.ts).
import { ConfigError } from '../errors';
import type { AdapterFacts } from './adapter-kind';
import { defaultChoiceStore, type ChoiceStore } from './kernel-choice-store';
import { GpuError, toGpuError } from './errors';
import { PassTimer } from './pass-timer';
import type { Pipeline, PipelineCache } from './pipelines';
import { paramsGroup, paramsWords } from './launch-params';
import { pipelineKey, type ComputeProgram } from './program';

/** Kernels interchangeable with a program, offered on the program as `alternatives`. */
export interface KernelAlternatives {
  /** Kernel family, the key of KernelChoiceOptions.force (e.g. "matmul"). */
  readonly family: string;
  /** Choices are made and kept per (adapter, shape class), e.g. "matmul 2^30". */
  readonly shapeClass: string;
  /** Names of the candidates (all run on this device and write the same results). */
  readonly candidates: readonly string[];
  /** The program of a candidate. */
  make(name: string): ComputeProgram;
  /** The deterministic choice for an adapter, when no trial runs. */
  table(adapter: AdapterFacts): string;
  /** f32 words of each binding, for the trial's buffers. */
  readonly bindingFloats: readonly number[];
  /** What some trial buffers hold, where zeros would time an unrepresentative path (e.g. an empty segment table). */
  readonly trialData?: Readonly<Record<number, Uint32Array<ArrayBuffer> | Float32Array<ArrayBuffer>>>;
}

/** The alternatives a program offers, if any. */
export function alternativesOf(program: ComputeProgram): KernelAlternatives | undefined {
  return (program as { alternatives?: KernelAlternatives }).alternatives;
}

/** How GpuRuntime chooses among alternatives. */
export interface KernelChoiceOptions {
  /**
   * Time the candidates the first time a shape class is compiled (every candidate's
   * pipeline is created, then each runs for a few dispatches). Off by default: on CPU
   * drivers a pipeline takes seconds to create. Also on with SHADERGRAD_KERNEL_TRIALS=1.
   */
  trials?: boolean;
  /** Always this candidate for a family (tests, benchmarks), e.g. { matmul: 'tiled-64x64' }. */
  force?: Readonly<Record<string, string>>;
  /** Where trial results persist (default: see defaultChoiceStore); `false`: nowhere. */
  store?: ChoiceStore | false;
  /** Node: the JSON file of the default store (also SHADERGRAD_KERNEL_CACHE). */
  cachePath?: string;
}

/** One choice made: the candidate and how it was picked, with each candidate's trial time. */
export interface KernelChoice {
  readonly name: string;
  readonly by: 'table' | 'trial' | 'stored' | 'forced';
  /** Milliseconds per dispatch of each candidate timed (trials only). */
  readonly ms?: Readonly<Record<string, number>>;
  /** Candidates left out of a trial, with why: their pipeline did not compile, or their runs raised a GPU error. */
  readonly failed?: Readonly<Record<string, string>>;
}

/** Dispatches per candidate in a trial: enough for ~50 ms of GPU time, 1 to 8. */
const TRIAL_MS = 50;
const MAX_REPEATS = 8;

function env(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

export class KernelChooser {
  private readonly made = new Map<string, Promise<KernelChoice>>();
  private readonly done = new Map<string, KernelChoice>();
  private readonly trials: boolean;
  private readonly store: ChoiceStore | undefined;
  private stored: Promise<Record<string, string>> | undefined;

  constructor(
    private readonly device: GPUDevice,
    readonly adapter: AdapterFacts,
    private readonly pipelines: PipelineCache,
    private readonly options: KernelChoiceOptions = {},
  ) {
    this.trials = options.trials ?? env('SHADERGRAD_KERNEL_TRIALS') === '1';
    this.store = options.store === false ? undefined : (options.store ?? defaultChoiceStore(options.cachePath ?? env('SHADERGRAD_KERNEL_CACHE')));
  }

  /** Every choice made so far, by "family shape class" (e.g. "matmul 2^30" → tiled-64x64). */
  choices(): ReadonlyMap<string, KernelChoice> {
    return this.done;
  }

  /**
   * The program to run for `program`: itself when it offers no alternatives, else the chosen
   * candidate. `held` lists pipelines a trial still holds (acquired), for the caller to
   * release once it has acquired its own.
   */
  async resolve(program: ComputeProgram): Promise<{ program: ComputeProgram; held: string[] }> {
    const alternatives = alternativesOf(program);
    if (!alternatives) return { program, held: [] };
    const key = alternatives.shapeClass;
    let held: string[] = [];
    let choice = this.made.get(key);
    if (!choice) {
      choice = this.choose(alternatives).then((made) => {
        held = made.held;
        this.done.set(key, made.choice);
        return made.choice;
      });
      this.made.set(key, choice);
      choice.catch(() => this.made.delete(key));
    }
    const { name } = await choice;
    const usable = alternatives.candidates.includes(name) ? name : alternatives.table(this.adapter);
    return { program: alternatives.make(usable), held };
  }

  private async choose(alt: KernelAlternatives): Promise<{ choice: KernelChoice; held: string[] }> {
    const forced = this.options.force?.[alt.family];
    if (forced !== undefined) {
      if (!alt.candidates.includes(forced)) {
        throw new ConfigError(`kernel choice: force.${alt.family} must be one of ${alt.candidates.join(', ')} on this device, got ${forced}`);
      }
      return { choice: { name: forced, by: 'forced' }, held: [] };
    }
    if (!this.trials) return { choice: { name: alt.table(this.adapter), by: 'table' }, held: [] };
    const storeKey = this.storeKey(alt);
    const stored = (await this.loadStored())[storeKey];
    if (stored !== undefined && alt.candidates.includes(stored)) return { choice: { name: stored, by: 'stored' }, held: [] };
    const { name, ms, failed, held } = await this.trial(alt);
    void this.persist(storeKey, name);
    return { choice: { name, by: 'trial', ms, ...(Object.keys(failed).length ? { failed } : {}) }, held };
  }

  /** Adapter, shape class and the candidates' shader texts (a changed kernel is timed again). */
  private storeKey(alt: KernelAlternatives): string {
    const shaders = new Set(alt.candidates.map((name) => pipelineKey(alt.make(name)).split('|').pop()));
    const { vendor, architecture, device, description } = this.adapter;
    return [vendor, architecture, device, description, alt.shapeClass, [...shaders].join('.')].join('|');
  }

  private loadStored(): Promise<Record<string, string>> {
    // A store that cannot be read is an empty one: a choice is only ever a speed-up.
    return (this.stored ??= this.store ? this.store.load().catch(() => ({})) : Promise.resolve({}));
  }

  private async persist(key: string, name: string): Promise<void> {
    const entries = await this.loadStored();
    entries[key] = name;
    await this.store?.save(entries).catch(() => undefined); // never fatal (read-only disk, quota, private mode)
  }

  /**
   * Times every candidate that compiles on the same buffers; the fastest wins. A candidate
   * whose pipeline does not compile, or whose runs raise a GPU error (a validation error makes
   * a dispatch do nothing, which would time as the fastest), is left out, with why.
   */
  private async trial(alt: KernelAlternatives): Promise<{ name: string; ms: Record<string, number>; failed: Record<string, string>; held: string[] }> {
    const programs = alt.candidates.map((name) => alt.make(name));
    const failed: Record<string, string> = {};
    const pipelines = await Promise.all(
      programs.map((p, i) =>
        this.pipelines.acquire(p).catch((error: unknown) => {
          failed[alt.candidates[i]!] = error instanceof Error ? error.message : String(error);
          return undefined;
        }),
      ),
    );
    const buffers = alt.bindingFloats.map((floats, binding) => {
      const usage = programs[0]!.bindings[binding] === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
      const buffer = this.device.createBuffer({ label: `trial ${alt.shapeClass}`, size: Math.max(16, Math.ceil(floats / 4) * 16), usage: usage | GPUBufferUsage.COPY_DST });
      const data = alt.trialData?.[binding];
      if (data) this.device.queue.writeBuffer(buffer, 0, data);
      return buffer;
    });
    const uniforms: GPUBuffer[] = [];
    const timer = this.device.features.has('timestamp-query') ? new PassTimer(this.device) : undefined;
    const ms: Record<string, number> = {};
    let outOfMemory = false;
    try {
      for (const [i, pipeline] of pipelines.entries()) {
        if (!pipeline) continue;
        const name = alt.candidates[i]!;
        this.device.pushErrorScope('validation');
        this.device.pushErrorScope('out-of-memory');
        let time: number | undefined;
        let thrown: unknown;
        try {
          time = await this.timeCandidate(pipeline, programs[i]!, buffers, uniforms, timer);
        } catch (error) {
          thrown = error;
        }
        const errors = [await this.device.popErrorScope(), await this.device.popErrorScope()].filter((e) => e !== null);
        if (errors.length || time === undefined) {
          failed[name] = errors.length ? errors.map((e) => toGpuError(e, `the kernel trial of ${name}`).message).join('; ') : String(thrown instanceof Error ? thrown.message : thrown);
          if (errors.some((e) => toGpuError(e, '').kind === 'out-of-memory')) outOfMemory = true;
          continue;
        }
        ms[name] = time;
      }
    } finally {
      for (const buffer of [...buffers, ...uniforms]) buffer.destroy();
      timer?.destroy();
    }
    const keys = pipelines.map((p, i) => p?.key ?? pipelineKey(programs[i]!));
    const timed = Object.entries(ms);
    if (timed.length === 0) {
      this.pipelines.release(keys.filter((_, i) => pipelines[i]));
      const why = Object.entries(failed).map(([name, message]) => `${name}: ${message}`).join('; ');
      throw new GpuError(outOfMemory ? 'out-of-memory' : 'validation', why, `the kernel trial of ${alt.shapeClass}: no candidate ran`);
    }
    const [name] = timed.reduce((best, next) => (next[1] < best[1] ? next : best));
    const winner = alt.candidates.indexOf(name);
    this.pipelines.release(keys.filter((_, i) => i !== winner && pipelines[i]));
    return { name, ms, failed, held: [keys[winner]!] };
  }

  /** Milliseconds per dispatch of one candidate: a first untimed run (some drivers, lavapipe, compile at the first dispatch), then enough for ~TRIAL_MS. */
  private async timeCandidate(pipeline: Pipeline, program: ComputeProgram, buffers: readonly GPUBuffer[], uniforms: GPUBuffer[], timer: PassTimer | undefined): Promise<number> {
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.layout,
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const groups = [bindGroup, ...(pipeline.paramsLayout ? [paramsGroup(this.device, pipeline, { buffer: this.paramsUniform(program, uniforms) })] : [])];
    const run = (repeats: number, by: PassTimer | undefined) => this.time(pipeline.pipeline, groups, program.workgroups, repeats, by);
    await run(1, undefined);
    const once = await run(1, timer);
    const repeats = Math.max(1, Math.min(MAX_REPEATS, Math.floor(TRIAL_MS / Math.max(once, 1e-3))));
    return repeats === 1 ? once : (await run(repeats, timer)) / repeats;
  }

  /** A candidate's launch parameters in a uniform, destroyed with the trial's buffers. */
  private paramsUniform(program: ComputeProgram, uniforms: GPUBuffer[]): GPUBuffer {
    const words = paramsWords(program);
    const buffer = this.device.createBuffer({ label: `trial ${program.label} params`, size: words.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, words);
    uniforms.push(buffer);
    return buffer;
  }

  /** Milliseconds of `repeats` dispatches in one pass: GPU time with a timer, else wall time. */
  private async time(pipeline: GPUComputePipeline, groups: readonly GPUBindGroup[], [x, y, z]: readonly number[], repeats: number, timer: PassTimer | undefined): Promise<number> {
    timer?.reset();
    const timestampWrites = timer?.next();
    const encoder = this.device.createCommandEncoder({ label: 'kernel trial' });
    const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : {});
    pass.setPipeline(pipeline);
    groups.forEach((group, index) => pass.setBindGroup(index, group));
    for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(x!, y!, z!);
    pass.end();
    const start = performance.now();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
    const wall = performance.now() - start;
    return timer ? ((await timer.read())?.ms ?? wall) : wall;
  }
}
