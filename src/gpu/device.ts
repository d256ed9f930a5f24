// Acquires a GPUDevice in the browser (navigator.gpu) or in Node (Dawn, `webgpu` package),
// and wires device errors and loss to the caller.
import {
  DeviceLostError,
  GpuError,
  WebGPUUnavailableError,
  toGpuError,
  type GpuEnvironment,
} from './errors';

/** Options of {@link requestGpuDevice}. */
export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /**
   * Features the device must have; a missing one fails with `device-request-failed`. By
   * default the optional features the engine uses (`subgroups`, `timestamp-query`) are
   * requested when the adapter has them.
   */
  requiredFeatures?: GPUFeatureName[];
  /** Leave out the `subgroups` feature even when the adapter has it (kernels without subgroup operations are used). */
  noSubgroups?: boolean;
  /**
   * Limits to request. By default the adapter's maximum buffer and storage-binding sizes
   * are requested, so large parameter arenas fit.
   */
  requiredLimits?: Record<string, number>;
  /** Use this GPU object instead of navigator.gpu / Dawn (tests, a custom Dawn instance). */
  gpu?: Pick<GPU, 'requestAdapter'>;
  /** Called for every uncaptured GPU error (they are also kept, see GpuDevice.takeErrors). */
  onError?: (error: GpuError) => void;
  /** Called once if the device is lost. */
  onLost?: (error: DeviceLostError) => void;
}

/** A device plus what the engine needs to know about it. */
export interface GpuDevice {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  /** Human-readable adapter name, e.g. "llvmpipe (LLVM 19.1.7, 256 bits)" or "SwiftShader". */
  readonly adapterName: string;
  readonly environment: GpuEnvironment;
  /**
   * Lanes per subgroup when the device has the `subgroups` feature and the adapter reports
   * one fixed size (lavapipe 8, SwiftShader 4); undefined otherwise. Subgroup kernels need
   * a workgroup that is exactly one subgroup, so a varying size rules them out.
   */
  readonly subgroupSize: number | undefined;
  /** Resolves (never rejects) with the loss reason if the device is lost. */
  readonly lost: Promise<DeviceLostError>;
  /** Uncaptured GPU errors seen since the last call; the caller decides to throw. */
  takeErrors(): GpuError[];
  /** Destroys the device; pending work is dropped. */
  destroy(): void;
}

// Dawn crashes the process if the object returned by create() is garbage-collected while
// a device made from it is alive, so the one Node GPU instance is held here for good.
let nodeGpu: GPU | undefined;

export function currentEnvironment(): GpuEnvironment {
  return typeof window !== 'undefined' && typeof document !== 'undefined' ? 'browser' : 'node';
}

async function loadNodeGpu(): Promise<GPU> {
  if (nodeGpu) return nodeGpu;
  // A variable specifier keeps browser bundlers from trying to bundle the native addon.
  const specifier = 'webgpu';
  let dawn: { create(flags: string[]): GPU; globals: object };
  try {
    dawn = await import(/* @vite-ignore */ specifier);
  } catch (cause) {
    throw new WebGPUUnavailableError('node', 'no-dawn', `cannot load the "webgpu" package (${String(cause)})`, {
      cause,
    });
  }
  // GPUBufferUsage, GPUShaderStage, GPUMapMode... are globals in browsers; Dawn exports them.
  Object.assign(globalThis, dawn.globals);
  nodeGpu = dawn.create([]);
  return nodeGpu;
}

async function findGpu(environment: GpuEnvironment): Promise<Pick<GPU, 'requestAdapter'>> {
  if (environment === 'browser' || (typeof navigator !== 'undefined' && 'gpu' in navigator)) {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) throw new WebGPUUnavailableError(environment, 'no-webgpu', 'navigator.gpu is undefined');
    return gpu;
  }
  return loadNodeGpu();
}

/** The features requested by default: the optional ones the engine uses, where the adapter has them. */
function defaultFeatures(adapter: GPUAdapter, options: DeviceOptions): GPUFeatureName[] {
  const wanted: GPUFeatureName[] = ['timestamp-query', ...(options.noSubgroups ? [] : ['subgroups' as GPUFeatureName])];
  return wanted.filter((feature) => adapter.features.has(feature));
}

function fixedSubgroupSize(adapter: GPUAdapter, device: GPUDevice): number | undefined {
  const { subgroupMinSize: min, subgroupMaxSize: max } = adapter.info;
  return device.features.has('subgroups') && typeof min === 'number' && min > 0 && min === max ? min : undefined;
}

function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'unknown adapter';
}

/**
 * Requests a WebGPU device. Throws {@link WebGPUUnavailableError} (with a message saying what
 * to install or enable) when there is none.
 */
export async function requestGpuDevice(options: DeviceOptions = {}): Promise<GpuDevice> {
  const environment = currentEnvironment();
  const gpu = options.gpu ?? (await findGpu(environment));
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) {
    throw new WebGPUUnavailableError(environment, 'no-adapter', 'requestAdapter() returned no adapter');
  }
  const requiredLimits = options.requiredLimits ?? {
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: options.requiredFeatures ?? defaultFeatures(adapter, options),
      requiredLimits,
    });
  } catch (cause) {
    throw new WebGPUUnavailableError(environment, 'device-request-failed', String(cause), { cause });
  }

  const pending: GpuError[] = [];
  const onUncaptured = (event: Event) => {
    const error = toGpuError((event as GPUUncapturedErrorEvent).error, 'an uncaptured GPU operation');
    pending.push(error);
    options.onError?.(error);
  };
  device.addEventListener('uncapturederror', onUncaptured);
  const lost = device.lost.then((info) => {
    const error = new DeviceLostError(info.reason, info.message);
    options.onLost?.(error);
    return error;
  });

  return {
    device,
    adapter,
    adapterName: describeAdapter(adapter),
    environment,
    subgroupSize: fixedSubgroupSize(adapter, device),
    lost,
    takeErrors: () => pending.splice(0, pending.length),
    // Dawn keeps listeners alive, and this closure's scope holds the device: without removing
    // it a destroyed device is never collected (the soak benchmark measured ~6 MB per compile).
    destroy: () => {
      device.removeEventListener('uncapturederror', onUncaptured);
      device.destroy();
    },
  };
}
