// One pipeline cache per device, keyed by (shader, entry point, bindings, constants): programs
// that differ only in their launch parameters or dispatch size share a pipeline.
// Pipeline creation is validated inside an error scope so a WGSL error surfaces as a
// typed GpuError naming the kernel, never as a silent uncaptured error.
import { toGpuError } from './errors';
import { pipelineKey, type BindingKind, type ComputeProgram } from './program';

/** A pipeline plus the bind group layouts it was made with, handed out for one program. */
export interface Pipeline {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** Group 1's layout (the launch parameters' uniform), when the program has parameters. */
  readonly paramsLayout?: GPUBindGroupLayout;
  /** The program it was asked for: its parameters and dispatch size are this launch's. */
  readonly program: ComputeProgram;
}

const BUFFER_TYPE: Record<BindingKind, GPUBufferBindingType> = {
  read: 'read-only-storage',
  write: 'storage',
  uniform: 'uniform',
};

/** Set `globalThis.SHADERGRAD_PRINT_SHADER = true` to log each WGSL module once as compiled. */
const printShaders = (): boolean =>
  Boolean((globalThis as { SHADERGRAD_PRINT_SHADER?: boolean }).SHADERGRAD_PRINT_SHADER);

export class PipelineCache {
  private readonly pipelines = new Map<string, Promise<Pipeline>>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Number of GPU pipelines actually created (cache misses). */
  created = 0;

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  keys(): IterableIterator<string> {
    return this.pipelines.keys();
  }

  /** Drops every cached pipeline whose key is not in `keep` (those a failed compile added). */
  forgetAllBut(keep: ReadonlySet<string>): void {
    for (const key of [...this.pipelines.keys()]) {
      if (keep.has(key)) continue;
      this.pipelines.delete(key);
      this.holders.delete(key);
    }
  }

  /** Models holding each pipeline (acquire/release); pipelines taken with get() stay for good. */
  private readonly holders = new Map<string, number>();
  private readonly pinned = new Set<string>();

  /**
   * The pipeline for a compiled model: counted, so that release() drops it once no model uses
   * it. A long-lived runtime that sees many batch sizes (each bakes its shapes into ~16
   * pipelines) then holds only the pipelines of the models alive.
   */
  acquire(program: ComputeProgram): Promise<Pipeline> {
    const key = pipelineKey(program);
    this.holders.set(key, (this.holders.get(key) ?? 0) + 1);
    return this.entry(key, program);
  }

  /** Gives back pipelines taken with acquire() (one call per acquire). */
  release(keys: readonly string[]): void {
    for (const key of keys) {
      const left = (this.holders.get(key) ?? 1) - 1;
      if (left > 0) {
        this.holders.set(key, left);
        continue;
      }
      this.holders.delete(key);
      if (!this.pinned.has(key)) this.pipelines.delete(key);
    }
  }

  /** Returns the cached pipeline for `program`, compiling it once (concurrent calls share it); kept for good. */
  get(program: ComputeProgram): Promise<Pipeline> {
    const key = pipelineKey(program);
    this.pinned.add(key);
    return this.entry(key, program);
  }

  private async entry(key: string, program: ComputeProgram): Promise<Pipeline> {
    let entry = this.pipelines.get(key);
    if (!entry) {
      entry = this.compile(key, program);
      this.pipelines.set(key, entry);
      entry.catch(() => this.pipelines.delete(key)); // a failed compile may be retried
    }
    const made = await entry;
    return made.program === program ? made : { ...made, program };
  }

  private module(program: ComputeProgram): GPUShaderModule {
    let module = this.modules.get(program.shader);
    if (!module) {
      if (printShaders()) console.log(`[shadergrad] WGSL for ${program.label}:\n${program.shader}`);
      module = this.device.createShaderModule({ label: program.label, code: program.shader });
      this.modules.set(program.shader, module);
    }
    return module;
  }

  private async compile(key: string, program: ComputeProgram): Promise<Pipeline> {
    const { device } = this;
    device.pushErrorScope('validation');
    const layout = device.createBindGroupLayout({
      label: program.label,
      entries: program.bindings.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: BUFFER_TYPE[kind] },
      })),
    });
    const paramsLayout = program.params
      ? device.createBindGroupLayout({
          label: `${program.label} params`,
          entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } }],
        })
      : undefined;
    const module = this.module(program);
    const descriptor: GPUComputePipelineDescriptor = {
      label: program.label,
      layout: device.createPipelineLayout({ label: program.label, bindGroupLayouts: paramsLayout ? [layout, paramsLayout] : [layout] }),
      compute: { module, entryPoint: program.entryPoint, constants: { ...program.constants } },
    };
    let pipeline: GPUComputePipeline | undefined;
    let createError: unknown;
    try {
      pipeline = await device.createComputePipelineAsync(descriptor);
    } catch (error) {
      createError = error;
    }
    const scoped = await device.popErrorScope();
    if (scoped) throw toGpuError(scoped, `pipeline creation for ${program.label}`);
    if (!pipeline) {
      const info = await module.getCompilationInfo();
      const messages = info.messages.map((m) => `${m.type} ${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
      throw toGpuErrorFromUnknown(createError, `pipeline creation for ${program.label}`, messages);
    }
    this.created++;
    return { key, pipeline, layout, ...(paramsLayout ? { paramsLayout } : {}), program };
  }
}

function toGpuErrorFromUnknown(error: unknown, context: string, compilerMessages: string) {
  const message = error instanceof Error ? error.message : String(error);
  return toGpuError(
    { message: compilerMessages ? `${message} (${compilerMessages})` : message } as GPUError,
    context,
  );
}
