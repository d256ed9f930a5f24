// The narrow interface between the engine and WebGPU: buffers, pipelines, bind groups,
// recording dispatches into one submit, and async readback. It counts everything it
// creates so tests and benchmarks can prove the hot path allocates nothing.
import { ConfigError } from '../errors';
import { requestGpuDevice, type DeviceOptions, type GpuDevice } from './device';
import { DeviceLostError } from './errors';
import { adapterFacts } from './adapter-kind';
import { KernelChooser, type KernelChoiceOptions } from './kernel-choice';
import { PassTimer, type PassTiming } from './pass-timer';
import { PipelineCache, type Pipeline } from './pipelines';
import { Readback } from './readback';
import { paramsGroup, paramsWords } from './launch-params';
import type { ComputeProgram } from './program';

/** Counters since the runtime was created (take differences to get per-step numbers). */
export interface GpuStats {
  dispatches: number;
  submits: number;
  readbacks: number;
  bufferAllocations: number;
  pipelinesCreated: number;
  /** Bytes of GPU buffers currently alive, staging buffers included. */
  bytesHeld: number;
}

/** A whole buffer or a byte range of one. */
export type BufferResource = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** A copy of the first `bytes` bytes of one buffer into another, after the compute pass. */
export interface BufferCopy {
  readonly from: GPUBuffer;
  readonly to: GPUBuffer;
  readonly bytes: number;
}

/** One recorded dispatch. */
export interface Launch {
  readonly pipeline: Pipeline;
  readonly bindGroup: GPUBindGroup;
  /** Group 1, the launch parameters' uniform: needed when the program has parameters. */
  readonly params?: GPUBindGroup;
  /** Defaults to the program's own dispatch size. */
  readonly workgroups?: readonly [number, number, number];
}

/** Rounds a byte size up to what WebGPU accepts for bindings and copies. */
export function alignedSize(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

export class GpuRuntime {
  readonly device: GPUDevice;
  readonly pipelines: PipelineCache;
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  private readonly readback: Readback;
  /** launch()'s uniforms of launch parameters, one per distinct value, kept for the runtime's life. */
  private readonly paramBuffers = new Map<string, GPUBuffer>();
  private passTimer: PassTimer | undefined;
  private timingPasses = false;
  private readonly counters = { dispatches: 0, submits: 0, readbacks: 0, bufferAllocations: 0, bytesHeld: 0 };
  /** Set once the device is lost: every later call throws it. */
  private lostError: DeviceLostError | undefined;
  /** Buffers made inside cleanupOnError() calls, per call. */
  private readonly tracking = new Set<GPUBuffer[]>();

  /** Picks among the alternatives a program offers (the matmul variants) for this adapter. */
  readonly kernelChoice: KernelChooser;

  constructor(readonly gpu: GpuDevice, kernelChoice?: KernelChoiceOptions) {
    this.device = gpu.device;
    this.pipelines = new PipelineCache(gpu.device);
    this.readback = new Readback({
      device: gpu.device,
      deviceLost: gpu.lost,
      createBuffer: (bytes, label, usage) => this.createBuffer(bytes, label, usage),
      throwPendingErrors: () => this.throwPendingErrors(),
      countReadback: () => this.countReadback(),
    });
    this.kernelChoice = new KernelChooser(gpu.device, adapterFacts(gpu.adapter), this.pipelines, kernelChoice);
    void gpu.lost.then((error) => {
      this.lostError = error;
    });
  }

  /** The DeviceLostError once the device is lost (destroy() included), else undefined. */
  get lost(): DeviceLostError | undefined {
    return this.lostError;
  }

  /** Throws the DeviceLostError when the device is gone. */
  checkAlive(): void {
    if (this.lostError) throw this.lostError;
  }

  /**
   * Runs `build`; if it throws, destroys every buffer created meanwhile and forgets the
   * pipelines it added, so a failed compile leaves nothing behind.
   */
  async cleanupOnError<T>(build: () => Promise<T>): Promise<T> {
    const made: GPUBuffer[] = [];
    const pipelinesBefore = new Set(this.pipelines.keys());
    this.tracking.add(made);
    try {
      return await build();
    } catch (error) {
      for (const buffer of made) if (this.sizes.has(buffer)) this.destroyBuffer(buffer);
      this.pipelines.forgetAllBut(pipelinesBefore);
      throw error;
    } finally {
      this.tracking.delete(made);
    }
  }

  /** The device's fixed subgroup size when it has the `subgroups` feature (see GpuDevice.subgroupSize). */
  get subgroupSize(): number | undefined {
    return this.gpu.subgroupSize;
  }

  /** Requests a device (see {@link requestGpuDevice}) and wraps it. */
  static async create(options?: DeviceOptions & { kernelChoice?: KernelChoiceOptions }): Promise<GpuRuntime> {
    return new GpuRuntime(await requestGpuDevice(options), options?.kernelChoice);
  }

  /** Creates a buffer of at least `bytes` bytes (rounded up to 16). */
  createBuffer(
    bytes: number,
    label: string,
    usage: GPUBufferUsageFlags = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  ): GPUBuffer {
    this.checkAlive();
    const size = alignedSize(bytes);
    const buffer = this.device.createBuffer({ label, size, usage });
    for (const made of this.tracking) made.push(buffer);
    this.sizes.set(buffer, size);
    this.counters.bufferAllocations++;
    this.counters.bytesHeld += size;
    return buffer;
  }

  /** Destroys a buffer made by this runtime and stops counting its bytes. */
  destroyBuffer(buffer: GPUBuffer): void {
    this.counters.bytesHeld -= this.sizes.get(buffer) ?? 0;
    this.sizes.delete(buffer);
    buffer.destroy();
  }

  /** Creates a storage buffer holding `data`. */
  upload(data: Float32Array | Int32Array | Uint32Array, label: string): GPUBuffer {
    const buffer = this.createBuffer(data.byteLength, label);
    this.write(buffer, data);
    return buffer;
  }

  /** Creates a uniform buffer holding `data` (small per-step settings: learning rate, step). */
  uniform(data: Float32Array | Int32Array | Uint32Array, label: string): GPUBuffer {
    const buffer = this.createBuffer(data.byteLength, label, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.write(buffer, data);
    return buffer;
  }

  /** Queues a write of `data` into `buffer` at byte `offset` (no allocation). */
  write(buffer: GPUBuffer, data: Float32Array | Int32Array | Uint32Array, offset = 0): void {
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /**
   * A pipeline for a compiled model's plan, given back with releasePipelines() when it is
   * destroyed. A program that offers alternatives runs the one kernelChoice picks (its
   * label names the variant).
   */
  async acquirePipeline(program: ComputeProgram): Promise<Pipeline> {
    this.checkAlive();
    const { program: chosen, held } = await this.kernelChoice.resolve(program);
    try {
      return await this.pipelines.acquire(chosen);
    } finally {
      this.pipelines.release(held);
    }
  }

  /** Gives back pipelines taken with acquirePipeline(); unused ones leave the cache. */
  releasePipelines(keys: readonly string[]): void {
    this.pipelines.release(keys);
  }

  /** The cached pipeline for a program, compiled on first use and kept for the runtime's life. */
  prepare(program: ComputeProgram): Promise<Pipeline> {
    return this.pipelines.get(program);
  }

  /**
   * A bind group with resources[i] at binding i: a whole buffer, or a view (offset and size in
   * bytes; offsets must be multiples of the device's minStorageBufferOffsetAlignment, 256).
   */
  bindGroup(pipeline: Pipeline, resources: readonly BufferResource[], label = pipeline.program.label): GPUBindGroup {
    const expected = pipeline.program.bindings.length;
    if (resources.length !== expected) {
      throw new ConfigError(`${pipeline.program.label}: expected ${expected} buffers, got ${resources.length}`);
    }
    return this.device.createBindGroup({
      label,
      layout: pipeline.layout,
      entries: resources.map((resource, binding) => ({
        binding,
        resource: 'buffer' in resource ? resource : { buffer: resource },
      })),
    });
  }

  /** Group 1 of a program with launch parameters: `resource` holds its PARAMS_WORDS words. */
  paramsGroup(pipeline: Pipeline, resource: BufferResource): GPUBindGroup {
    return paramsGroup(this.device, pipeline, 'buffer' in resource ? resource : { buffer: resource });
  }

  /**
   * A launch of `pipeline` (its program's dispatch size) on `resources`, with its launch
   * parameters in a uniform the runtime keeps (one per distinct value): for kernels run
   * directly (tests, benchmarks). Compiled models make their launches when they are built.
   */
  launch(pipeline: Pipeline, resources: readonly BufferResource[], label?: string): Launch {
    const bindGroup = this.bindGroup(pipeline, resources, label);
    const { program } = pipeline;
    if (!program.params) return { pipeline, bindGroup, workgroups: program.workgroups };
    const words = paramsWords(program);
    const key = words.join(',');
    let buffer = this.paramBuffers.get(key);
    if (!buffer) {
      buffer = this.uniform(words, `${program.label} params`);
      this.paramBuffers.set(key, buffer);
    }
    return { pipeline, bindGroup, params: this.paramsGroup(pipeline, buffer), workgroups: program.workgroups };
  }

  /**
   * Records every launch into one compute pass, then the buffer copies (e.g. metrics into a
   * staging buffer for an asynchronous readback), and submits it all once. Does not wait.
   */
  submit(launches: readonly Launch[], label = 'shadergrad', copies: readonly BufferCopy[] = []): void {
    this.checkAlive();
    const encoder = this.device.createCommandEncoder({ label });
    const timestampWrites = this.timingPasses ? this.passTimer!.next() : undefined;
    const pass = encoder.beginComputePass(timestampWrites ? { label, timestampWrites } : { label });
    for (const launch of launches) {
      const [x, y, z] = launch.workgroups ?? launch.pipeline.program.workgroups;
      pass.setPipeline(launch.pipeline.pipeline);
      pass.setBindGroup(0, launch.bindGroup);
      if (launch.params) pass.setBindGroup(1, launch.params);
      pass.dispatchWorkgroups(x, y, z);
    }
    pass.end();
    for (const copy of copies) encoder.copyBufferToBuffer(copy.from, 0, copy.to, 0, copy.bytes);
    this.device.queue.submit([encoder.finish()]);
    this.counters.dispatches += launches.length;
    this.counters.submits++;
  }

  /**
   * Copies `bytes` bytes of `buffer` back to the CPU. Waits for the GPU, then throws the
   * first GPU error raised since the last check, if any.
   */
  async read(buffer: GPUBuffer, bytes = this.sizes.get(buffer) ?? buffer.size): Promise<ArrayBuffer> {
    this.checkAlive();
    return this.readback.read(buffer, bytes, alignedSize(bytes));
  }

  /** Counts a readback started elsewhere (a mapAsync of a staging buffer the caller owns). */
  countReadback(): void {
    this.counters.readbacks++;
  }

  /** Reads a buffer as `length` float32 values. */
  async readFloat32(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, length * 4));
  }

  /** Waits for all submitted work, then throws the first pending GPU error, if any. */
  async sync(): Promise<void> {
    this.checkAlive();
    await this.device.queue.onSubmittedWorkDone();
    this.checkAlive();
    this.throwPendingErrors();
  }

  /** Throws the first uncaptured GPU error reported since the last check. */
  throwPendingErrors(): void {
    const [first] = this.gpu.takeErrors();
    if (first) throw first;
  }

  stats(): GpuStats {
    return { ...this.counters, pipelinesCreated: this.pipelines.created };
  }

  /**
   * Starts timing every compute pass submitted from now on with timestamp queries (up to
   * PassTimer.CAPACITY passes). Returns false, timing nothing, when the device lacks the
   * `timestamp-query` feature.
   */
  startPassTiming(): boolean {
    if (!this.device.features.has('timestamp-query')) return false;
    (this.passTimer ??= new PassTimer(this.device)).reset();
    this.timingPasses = true;
    return true;
  }

  /**
   * Stops timing and reads the GPU time of the passes timed since startPassTiming() (one
   * readback). Undefined when nothing was timed or the passes overflowed the query set.
   */
  async stopPassTiming(): Promise<PassTiming | undefined> {
    if (!this.timingPasses) return undefined;
    this.timingPasses = false;
    this.counters.readbacks++;
    const timing = await this.passTimer!.read();
    this.throwPendingErrors();
    return timing;
  }

  /** Destroys the device and everything on it. */
  destroy(): void {
    // Lost from now on, not only once device.lost settles: a call right after must throw.
    this.lostError ??= new DeviceLostError('destroyed', 'GpuRuntime.destroy() was called');
    this.passTimer?.destroy();
    this.gpu.destroy();
  }
}
