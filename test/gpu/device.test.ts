// Device acquisition, typed errors, and GPU errors surfacing instead of being swallowed.
import { describe, expect, it } from 'vitest';
import { requestGpuDevice } from '../../src/gpu/device';
import { GpuError, WebGPUUnavailableError } from '../../src/gpu/errors';
import type { ComputeProgram } from '../../src/gpu/program';
import { testRuntime } from '../helpers/gpu';

describe('requestGpuDevice', () => {
  it('returns a working device on this machine and names the adapter', async () => {
    const runtime = await testRuntime();
    expect(runtime.device.limits.maxComputeWorkgroupSizeX).toBeGreaterThanOrEqual(256);
    expect(runtime.gpu.adapterName.length).toBeGreaterThan(0);
    expect(runtime.gpu.environment).toBe(typeof document === 'undefined' ? 'node' : 'browser');
  });

  it('throws WebGPUUnavailableError with instructions when there is no adapter', async () => {
    const noAdapter = { requestAdapter: async () => null };
    const error = await requestGpuDevice({ gpu: noAdapter }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebGPUUnavailableError);
    const typed = error as WebGPUUnavailableError;
    expect(typed.reason).toBe('no-adapter');
    if (typed.environment === 'node') expect(typed.message).toMatch(/mesa-vulkan-drivers/);
    else expect(typed.message).toMatch(/enable-unsafe-webgpu/);
  });

  it('throws WebGPUUnavailableError when a required feature is missing', async () => {
    const error = await requestGpuDevice({ requiredFeatures: ['no-such-feature' as GPUFeatureName] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebGPUUnavailableError);
    expect((error as WebGPUUnavailableError).reason).toBe('device-request-failed');
  });
});

describe('optional features', () => {
  it('requests subgroups and timestamp queries where the adapter has them, and reports a fixed subgroup size', async () => {
    const runtime = await testRuntime();
    const { adapter, device } = runtime.gpu;
    for (const feature of ['subgroups', 'timestamp-query'] as GPUFeatureName[]) {
      expect(device.features.has(feature), feature).toBe(adapter.features.has(feature));
    }
    const { subgroupMinSize: min, subgroupMaxSize: max } = adapter.info;
    const fixed = adapter.features.has('subgroups') && min !== undefined && min === max;
    expect(runtime.subgroupSize).toBe(fixed ? min : undefined);
  });

  it('leaves subgroups out when asked (kernels without subgroup operations are then used)', async () => {
    const gpu = await requestGpuDevice({ noSubgroups: true });
    expect(gpu.device.features.has('subgroups')).toBe(false);
    expect(gpu.subgroupSize).toBeUndefined();
    gpu.destroy();
  });
});

describe('GPU errors are surfaced', () => {
  it('a WGSL compile error becomes a GpuError naming the kernel', async () => {
    const runtime = await testRuntime();
    const broken: ComputeProgram = {
      label: 'test.broken',
      shader: '@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }',
      entryPoint: 'main',
      bindings: [],
      constants: {},
      workgroups: [1, 1, 1],
    };
    const error = await runtime.prepare(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpuError);
    expect((error as GpuError).message).toMatch(/test\.broken/);
  });

  it('a validation error in a submit is thrown by the next sync, not swallowed', async () => {
    const runtime = await testRuntime();
    const program: ComputeProgram = {
      label: 'test.copy',
      shader:
        '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n' +
        '@compute @workgroup_size(1) fn main() { a[0] = 1.0; }',
      entryPoint: 'main',
      bindings: ['write'],
      constants: {},
      workgroups: [1, 1, 1],
    };
    const pipeline = await runtime.prepare(program);
    // A buffer without STORAGE usage cannot be bound as storage: a validation error.
    const notStorage = runtime.createBuffer(16, 'not storage', GPUBufferUsage.COPY_DST);
    const bindGroup = runtime.bindGroup(pipeline, [notStorage]); // uncaptured validation error
    runtime.submit([{ pipeline, bindGroup }]); // and another: an invalid bind group is used
    await expect(runtime.sync()).rejects.toBeInstanceOf(GpuError);
    runtime.destroyBuffer(notStorage);
  });
});
