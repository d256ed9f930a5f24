// What the device report says about the adapter: the fields of GPUAdapterInfo, the adapter's
// and the engine device's features, the limits that bound the kernels (workgroup memory and
// size, storage bindings), and the subgroup sizes that decide which matmul kernel can run.
import type { GpuRuntime } from '../src/index';

/** The adapter as the report records it. */
export interface AdapterReport {
  /** The engine's one-line name (GpuDevice.adapterName): what the peak table matches. */
  name: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.subgroupMinSize / subgroupMaxSize where the implementation reports them. */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
  /** The fixed subgroup size the engine's subgroup kernels use, if any (GpuRuntime.subgroupSize). */
  engineSubgroupSize?: number;
  /** Sorted feature names of the adapter, and of the device the engine requested. */
  adapterFeatures: string[];
  deviceFeatures: string[];
  /** The device's values of {@link KEY_LIMITS}. */
  limits: Record<string, number>;
}

/** The limits the report lists. */
export const KEY_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'minStorageBufferOffsetAlignment',
] as const;

/** Reads the adapter report of the runtime's adapter and device. */
export function adapterReport(runtime: GpuRuntime): AdapterReport {
  const { adapter, adapterName } = runtime.gpu;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const limits: Record<string, number> = {};
  for (const key of KEY_LIMITS) {
    const value = (runtime.device.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  return {
    name: adapterName,
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    ...(typeof info.subgroupMinSize === 'number' ? { subgroupMinSize: info.subgroupMinSize } : {}),
    ...(typeof info.subgroupMaxSize === 'number' ? { subgroupMaxSize: info.subgroupMaxSize } : {}),
    ...(runtime.subgroupSize ? { engineSubgroupSize: runtime.subgroupSize } : {}),
    adapterFeatures: [...adapter.features].map(String).sort(),
    deviceFeatures: [...runtime.device.features].map(String).sort(),
    limits,
  };
}
