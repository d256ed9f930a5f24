// Pacing of Dawn's event polling against the real binding (the `webgpu` package): its
// ProcessEvents callback is recognized (else a Dawn upgrade would silently restore the busy
// loop), a long wait moves onto the timer, and the dawnEvents option decides who holds pacing.
import { describe, expect, it } from 'vitest';
import { dawnPacing } from '../../src/gpu/dawn-events';
import { requestGpuDevice } from '../../src/gpu/device';
import { testRuntime } from '../helpers/gpu';

// About 40 ms of arithmetic on lavapipe: long enough that a wait spins past its 1 ms.
const BUSY = `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  var x = f32(g.x) * 1e-6;
  for (var i = 0u; i < 4000u; i++) { x = fma(x, 0.999999, 1e-7); }
  out[g.x] = x;
}`;

describe('Dawn event pacing with the real binding', () => {
  it('a CPU adapter\'s device paces Dawn, and waiting on a long kernel polls on the timer', async () => {
    const runtime = await testRuntime();
    expect(runtime.gpu.adapterName).toMatch(/llvmpipe|lavapipe|swiftshader/i); // CI's adapter: a CPU rasterizer
    expect(dawnPacing().holds).toBeGreaterThan(0);
    expect(runtime.gpu.dawnEvents).toBe('paced');
    const { device } = runtime;
    const buffer = device.createBuffer({ size: 64 * 256 * 4, usage: GPUBufferUsage.STORAGE });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: BUSY }), entryPoint: 'main' } });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
    await runtime.sync();
    const before = dawnPacing();
    const start = performance.now();
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let i = 0; i < 8; i++) pass.dispatchWorkgroups(256);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await runtime.sync();
    const waited = performance.now() - start;
    const after = dawnPacing();
    buffer.destroy();
    expect(waited, 'the kernel ran long enough to test pacing').toBeGreaterThan(5);
    // Dawn's callback was recognized: the wait went onto the timer after its first millisecond.
    expect(after.timers - before.timers).toBeGreaterThan(0);
    // Back to back, Dawn polls thousands of times in such a wait; paced, a few per millisecond.
    expect(after.spins + after.timers - before.spins - before.timers).toBeLessThan(waited * 20 + 50);
  });

  it('dawnEvents: "spin" holds no pacing, "paced" holds it until the device is destroyed', async () => {
    const base = dawnPacing().holds;
    const spinning = await requestGpuDevice({ dawnEvents: 'spin' });
    expect(spinning.dawnEvents).toBe('spin');
    expect(dawnPacing().holds).toBe(base);
    spinning.destroy();
    const paced = await requestGpuDevice({ dawnEvents: 'paced' });
    expect(paced.dawnEvents).toBe('paced');
    expect(dawnPacing().holds).toBe(base + 1);
    paced.destroy();
    expect(dawnPacing().holds).toBe(base);
  });
});
