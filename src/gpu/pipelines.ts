// One pipeline cache per device, keyed by (shader, entry point, bindings, constants).
// Pipeline creation is validated inside an error scope so a WGSL error surfaces as a
// typed GpuError naming the kernel, never as a silent uncaptured error.
import { toGpuError } from './errors';
import { pipelineKey, type BindingKind, type ComputeProgram } from './program';

/** A pipeline plus the bind group layout it was made with. */
export interface Pipeline {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
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
    for (const key of [...this.pipelines.keys()]) if (!keep.has(key)) this.pipelines.delete(key);
  }

  /** Returns the cached pipeline for `program`, compiling it once (concurrent calls share it). */
  get(program: ComputeProgram): Promise<Pipeline> {
    const key = pipelineKey(program);
    let entry = this.pipelines.get(key);
    if (!entry) {
      entry = this.compile(key, program);
      this.pipelines.set(key, entry);
      entry.catch(() => this.pipelines.delete(key)); // a failed compile may be retried
    }
    return entry;
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
    const module = this.module(program);
    const descriptor: GPUComputePipelineDescriptor = {
      label: program.label,
      layout: device.createPipelineLayout({ label: program.label, bindGroupLayouts: [layout] }),
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
    return { key, pipeline, layout, program };
  }
}

function toGpuErrorFromUnknown(error: unknown, context: string, compilerMessages: string) {
  const message = error instanceof Error ? error.message : String(error);
  return toGpuError(
    { message: compilerMessages ? `${message} (${compilerMessages})` : message } as GPUError,
    context,
  );
}
