// Timing compute passes with timestamp queries: one sample per submitted pass, read back
// after the window, and nothing when the window overflows or the device lacks the feature.
import { describe, expect, it } from 'vitest';
import { requestGpuDevice } from '../../src/gpu/device';
import { PassTimer } from '../../src/gpu/pass-timer';
import { GpuRuntime } from '../../src/gpu/runtime';
import type { ComputeProgram } from '../../src/gpu/program';
import { testRuntime } from '../helpers/gpu';

const runtime = await testRuntime();
const hasTimestamps = runtime.device.features.has('timestamp-query');

// A kernel with some work: each of 64 invocations runs a dependent loop.
const busy: ComputeProgram = {
  label: 'test.busy',
  shader:
    '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n' +
    '@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {\n' +
    '  var x = f32(id.x);\n' +
    '  for (var i = 0u; i < 20000u; i++) { x = sin(x) + 1.0; }\n' +
    '  a[id.x] = x;\n' +
    '}',
  entryPoint: 'main',
  bindings: ['write'],
  constants: {},
  workgroups: [1, 1, 1],
};

// Skipped only on a device without timestamp queries (lavapipe and SwiftShader both have
// them); the last test covers that case with a device made without the feature.
describe.skipIf(!hasTimestamps)('pass timing (skipped: the device has no timestamp-query feature)', () => {
  it('times every pass submitted in the window, within the wall time', async () => {
    const pipeline = await runtime.prepare(busy);
    const out = runtime.createBuffer(64 * 4, 'busy out');
    const launch = runtime.launch(pipeline, [out]);
    runtime.submit([launch]);
    await runtime.sync();
    expect(runtime.startPassTiming()).toBe(true);
    const start = performance.now();
    for (let i = 0; i < 5; i++) runtime.submit([launch]);
    await runtime.sync();
    const wallMs = performance.now() - start;
    const timing = await runtime.stopPassTiming();
    expect(timing?.passes).toBe(5);
    expect(timing!.ms).toBeGreaterThan(0);
    expect(timing!.ms).toBeLessThanOrEqual(wallMs * 1.05);
    // Outside a window nothing is timed.
    runtime.submit([launch]);
    expect(await runtime.stopPassTiming()).toBeUndefined();
    runtime.destroyBuffer(out);
  });

  it('reports nothing for a window with more passes than the query set holds', async () => {
    const timer = new PassTimer(runtime.device);
    for (let i = 0; i < PassTimer.CAPACITY; i++) expect(timer.next()).toBeDefined();
    expect(timer.next()).toBeUndefined();
    expect(await timer.read()).toBeUndefined();
    timer.reset();
    expect(await timer.read()).toBeUndefined(); // no pass timed
    timer.destroy();
  });
});

it('declines on a device without the timestamp-query feature', async () => {
  const plain = new GpuRuntime(await requestGpuDevice({ requiredFeatures: [] }));
  expect(plain.startPassTiming()).toBe(false);
  expect(await plain.stopPassTiming()).toBeUndefined();
  plain.destroy();
});
