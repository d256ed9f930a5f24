// A schedule is the ordered list of kernel calls of one step (or one evaluation batch), each
// naming its buffers by key. Materializing it plans the buffers, compiles the pipelines and
// makes the bind groups once; running it afterwards is a single submit.
import { packParams, PARAMS_WORDS } from '../gpu/launch-params';
import type { ComputeProgram } from '../gpu/program';
import { alignedSize, type BufferResource, type GpuRuntime, type Launch } from '../gpu/runtime';
import { ResourceLimitError } from '../errors';
import { planBuffers, type Lifetime } from './plan';

/** Where a buffer lives. */
export type Storage =
  /** An intermediate: placed by liveness, may share a GPU buffer with others. */
  | { kind: 'planned' }
  /** Owned by this schedule alone and kept between runs (its input batch, its metrics). */
  | { kind: 'local'; usage?: 'uniform' }
  /** Shared by every schedule of a model and kept (running statistics, RNG uniform). */
  | { kind: 'shared'; usage?: 'uniform'; init?: Float32Array | Uint32Array }
  /** A view into the parameter or gradient arena at a float offset. */
  | { kind: 'view'; arena: 'params' | 'grads'; offset: number }
  /**
   * A view into a 'local' buffer of the same schedule at a float offset (a multiple of 64:
   * 256-byte binding alignment): one replica's slice of the input, targets or metrics.
   */
  | { kind: 'part'; of: string; offset: number };

export interface BufferSpec {
  readonly bytes: number;
  readonly storage: Storage;
  /** What the buffer holds, for errors (e.g. "2:conv2d output"). */
  readonly what?: string;
}

export interface Call {
  readonly program: ComputeProgram;
  readonly keys: readonly string[];
}

/** Buffers shared across the schedules of one model. */
export interface SharedBuffers {
  readonly params: GPUBuffer;
  /** Absent in inference-only models. */
  readonly grads?: GPUBuffer;
  readonly byKey: Map<string, GPUBuffer>;
}

export class Schedule {
  readonly calls: Call[] = [];
  readonly specs = new Map<string, BufferSpec>();

  /** Declares a buffer; declaring a key again must agree in size. */
  define(key: string, bytes: number, storage: Storage, what?: string): string {
    const known = this.specs.get(key);
    if (known && known.bytes !== bytes) throw new Error(`schedule: ${key} declared with ${known.bytes} and ${bytes} bytes`);
    if (!known) this.specs.set(key, { bytes, storage, what });
    return key;
  }

  /**
   * Throws a ResourceLimitError naming the buffer when one is larger than the device can
   * bind (maxStorageBufferBindingSize, maxUniformBufferBindingSize) or create (maxBufferSize).
   */
  checkLimits(limits: GPUSupportedLimits, label: string): void {
    for (const [key, { bytes, storage, what }] of this.specs) {
      if (storage.kind === 'view' || storage.kind === 'part') continue; // checked with their whole
      const uniform = 'usage' in storage && storage.usage === 'uniform';
      const [limit, name] = uniform
        ? [limits.maxUniformBufferBindingSize, 'maxUniformBufferBindingSize']
        : [Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize), 'maxStorageBufferBindingSize'];
      if (alignedSize(bytes) > limit) {
        throw new ResourceLimitError(
          `${label}: ${what ?? key} needs a buffer of ${bytes} bytes, over this device's ${name} of ${limit} bytes (use a smaller batch or layer)`,
        );
      }
    }
  }

  /**
   * Gives a planned buffer a GPU buffer of its own, so its value outlives the schedule's later
   * calls and can be read back after a run (predict's intermediate outputs).
   */
  keep(key: string): string {
    const spec = this.specs.get(key);
    if (!spec) throw new Error(`schedule: keep of undeclared ${key}`);
    if (spec.storage.kind === 'planned') this.specs.set(key, { ...spec, storage: { kind: 'local' } });
    return key;
  }

  call(program: ComputeProgram, keys: readonly string[]): void {
    for (const key of keys) if (!this.specs.has(key)) throw new Error(`schedule: ${program.label} uses undeclared ${key}`);
    if (keys.length !== program.bindings.length) {
      throw new Error(`schedule: ${program.label} has ${program.bindings.length} bindings, got ${keys.length} keys`);
    }
    this.calls.push({ program, keys });
  }
}

/** A schedule with its buffers, pipelines and bind groups made. */
export interface Materialized {
  readonly launches: readonly Launch[];
  readonly buffers: ReadonlyMap<string, GPUBuffer>;
  /** GPU buffers this schedule owns (planned slots and local buffers). */
  readonly owned: readonly GPUBuffer[];
  /** Keys of the pipelines it acquired (one per call), released when its model is destroyed. */
  readonly pipelineKeys: readonly string[];
}

export async function materialize(runtime: GpuRuntime, schedule: Schedule, shared: SharedBuffers, label: string): Promise<Materialized> {
  schedule.checkLimits(runtime.device.limits, label);
  const lifetimes = new Map<string, { first: number; last: number }>();
  schedule.calls.forEach((call, position) => {
    for (const key of call.keys) {
      const span = lifetimes.get(key);
      if (span) span.last = position;
      else lifetimes.set(key, { first: position, last: position });
    }
  });
  const planned: Lifetime[] = [];
  for (const [key, spec] of schedule.specs) {
    const span = lifetimes.get(key);
    if (spec.storage.kind === 'planned' && span) planned.push({ key, bytes: alignedSize(spec.bytes), ...span });
  }
  const plan = planBuffers(planned);
  const slots = plan.slotBytes.map((bytes, i) => runtime.createBuffer(bytes, `${label} slot ${i}`));
  const owned: GPUBuffer[] = [...slots];
  const buffers = new Map<string, GPUBuffer>();
  const resources = new Map<string, BufferResource>();

  for (const [key, { bytes, storage }] of schedule.specs) {
    let resource: BufferResource;
    switch (storage.kind) {
      case 'part':
        continue; // after the buffers they view
      case 'planned': {
        const slot = plan.slotOf.get(key);
        if (slot === undefined) continue; // declared but never used
        resource = slots[slot]!;
        break;
      }
      case 'local': {
        const usage = storage.usage === 'uniform' ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : undefined;
        resource = runtime.createBuffer(bytes, `${label} ${key}`, usage);
        owned.push(resource);
        break;
      }
      case 'shared': {
        let buffer = shared.byKey.get(key);
        if (!buffer) {
          const usage = storage.usage === 'uniform' ? GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST : undefined;
          buffer = runtime.createBuffer(bytes, key, usage);
          if (storage.init) runtime.write(buffer, storage.init);
          shared.byKey.set(key, buffer);
        }
        resource = buffer;
        break;
      }
      case 'view': {
        const arena = storage.arena === 'params' ? shared.params : shared.grads;
        if (!arena) throw new Error(`schedule ${label}: ${key} views the gradient arena, which this model does not have`);
        resource = {
          buffer: arena,
          offset: storage.offset * 4,
          size: alignedSize(bytes),
        };
        break;
      }
    }
    resources.set(key, resource);
    buffers.set(key, 'buffer' in resource ? resource.buffer : resource);
  }
  for (const [key, { bytes, storage }] of schedule.specs) {
    if (storage.kind !== 'part') continue;
    const whole = buffers.get(storage.of)!;
    resources.set(key, { buffer: whole, offset: storage.offset * 4, size: alignedSize(bytes) });
    buffers.set(key, whole);
  }

  const pipelines = await Promise.all(schedule.calls.map((call) => runtime.acquirePipeline(call.program)));
  // Every launch's parameters in one uniform of the schedule's own, written once.
  const packed = packParams(pipelines.map((p) => p.program), runtime.device.limits.minUniformBufferOffsetAlignment);
  const params = packed && { buffer: runtime.uniform(packed.words, `${label} launch parameters`), offsets: packed.offsets };
  if (params) owned.push(params.buffer);
  const launches = schedule.calls.map((call, i): Launch => {
    const pipeline = pipelines[i]!;
    const bindGroup = runtime.bindGroup(pipeline, call.keys.map((key) => resources.get(key)!));
    const { workgroups } = pipeline.program;
    const offset = params?.offsets[i];
    if (!params || offset === undefined) return { pipeline, bindGroup, workgroups };
    return { pipeline, bindGroup, workgroups, params: runtime.paramsGroup(pipeline, { buffer: params.buffer, offset, size: PARAMS_WORDS * 4 }) };
  });
  return { launches, buffers, owned, pipelineKeys: pipelines.map((p) => p.key) };
}
