// Device limits: a model or batch too big for this device is a ResourceLimitError naming the
// tensor and the limit, thrown before any buffer is made; a compile that fails later (a limit
// found late, a GPU error) gives back every byte and forgets its pipelines. Sizes come from
// the device's own limits (lavapipe binds 128 MiB, SwiftShader 1 GiB), so nothing big is made.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ResourceLimitError } from '../../src/errors';
import { GpuError } from '../../src/gpu/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { compileInference } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import { Conv2d } from '../../src/nn/conv';
import { Flatten, Linear, ReLU } from '../../src/nn/layers';
import { Sequential, type Module } from '../../src/nn/module';
import { BatchNorm1d } from '../../src/nn/norm';
import { adam, sgd } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { caught, expectError, failsBeforeGpuWork, gpuFootprint, tinyClassifier, validOptions, type Fragment } from './expect-error';

let runtime: GpuRuntime;
/** The largest buffer a kernel may bind, in bytes. */
let limit: number;

beforeAll(async () => {
  runtime = await testRuntime();
  const { maxStorageBufferBindingSize, maxBufferSize } = runtime.device.limits;
  limit = Math.min(maxStorageBufferBindingSize, maxBufferSize);
});

const trainOn = (model: Module, inputShape: number[], batchSize: number, extra: Record<string, unknown> = {}) =>
  compile(model, { ...validOptions(runtime), inputShape, batchSize, evalBatchSize: 8, ...extra });

/** Rows of `floats` floats each that just pass the limit. */
const rowsOver = (floats: number) => Math.floor(limit / (4 * floats)) + 1;

describe('too big for the device, found before any GPU work', () => {
  const cases: [label: string, run: () => Promise<unknown>, fragments: () => Fragment[]][] = [
    [
      'a Linear output (batch × 1024 features)',
      () => trainOn(new Sequential([new Linear(4, 1024), ReLU(), new Linear(1024, 3)]), [4], rowsOver(1024)),
      () => ['compile: the output of 0:linear', `[${rowsOver(1024)}, 1024]`, 'maxStorageBufferBindingSize', `${limit} bytes`],
    ],
    [
      'the input batch of a wide input',
      () => trainOn(new Sequential([ReLU(), new Linear(1024, 3)]), [1024], rowsOver(1024)),
      () => ['compile: the input batch', `[${rowsOver(1024)}, 1024]`, `${limit} bytes`],
    ],
    [
      'a Conv2d output (64 channels of 32×32)',
      () => trainOn(new Sequential([new Conv2d(1, 64, 3, { padding: 1 }), new Flatten(), new Linear(65536, 3)]), [1, 32, 32], rowsOver(65536)),
      () => ['compile: the output of 0:conv2d', `[${rowsOver(65536)}, 64, 32, 32]`, 'maxStorageBufferBindingSize'],
    ],
    [
      'the parameter arena (one huge Linear)',
      () => trainOn(new Sequential([new Linear(rowsOver(1024), 1024)]), [rowsOver(1024)], 2, { optimizer: sgd() }),
      () => ['compile: the 2 parameters need', 'maxStorageBufferBindingSize', `${limit} bytes`],
    ],
    [
      "Adam's state (2 × an arena that fits)",
      () => trainOn(new Sequential([new Linear(rowsOver(2048), 1024)]), [rowsOver(2048)], 2, { optimizer: adam() }),
      () => ['compile: optimizer state needs a buffer', `${limit} bytes`],
    ],
    [
      'a batch over the dispatch limit (maxComputeWorkgroupsPerDimension)',
      () => trainOn(new Sequential([new Linear(1, 1)]), [1], 2 ** 22, { loss: 'mse', optimizer: sgd() }),
      () => ['layer 0 (linear)', 'matmul', 'workgroups', 'per-dimension limit of 65535'],
    ],
    [
      'BatchNorm1d over 65535 channels (one workgroup each)',
      () => trainOn(new Sequential([new Linear(4, 70000), BatchNorm1d(70000), new Linear(70000, 3)]), [4], 4),
      () => ['batchnorm', '70000 channels', 'over the 65535 workgroups'],
    ],
  ];

  it.each(cases)('%s', async (_label, run, fragments) => {
    await failsBeforeGpuWork(runtime, run, ResourceLimitError, fragments());
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, checkArenaLimits); it was: the arena error counts parameters but
  // does not name the tensor that makes it too big.
  it('the arena error names the largest parameter (0.weight)', async () => {
    await failsBeforeGpuWork(runtime, () => trainOn(new Sequential([new Linear(rowsOver(1024), 1024)]), [rowsOver(1024)], 2, { optimizer: sgd() }), ResourceLimitError, ['0.weight']);
  });

  // A kernel descriptor's limit error gets the layer it lowers (src/graph/build.ts, lowerOp).
  it('the dispatch-limit error names the layer', async () => {
    await failsBeforeGpuWork(runtime, () => trainOn(new Sequential([new Linear(1, 1)]), [1], 2 ** 22, { loss: 'mse', optimizer: sgd() }), ResourceLimitError, ['layer 0']);
  });
});

describe('a compile that fails late leaves nothing behind', () => {
  const wide = () => new Sequential([new Linear(4, 1024), new Linear(1024, 3)]);

  it('an evalBatchSize too big for the device: ResourceLimitError, bytes and cached pipelines as before', async () => {
    const before = gpuFootprint(runtime);
    const error = await caught(() => compile(wide(), { ...validOptions(runtime), evalBatchSize: rowsOver(1024) }));
    expectError(error, ResourceLimitError, [`eval ${rowsOver(1024)}: the output of 0:linear`, 'maxStorageBufferBindingSize']);
    expect(gpuFootprint(runtime).bytesHeld).toBe(before.bytesHeld);
    expect(runtime.pipelines.size).toBe(before.cachedPipelines);
  });

  // The evaluation plan of evalBatchSize rows is checked with the training plan (checkEvalLimits).
  it('an evalBatchSize too big for the device fails before any GPU work', async () => {
    await failsBeforeGpuWork(runtime, () => compile(wide(), { ...validOptions(runtime), evalBatchSize: rowsOver(1024) }), ResourceLimitError, ['0:linear']);
  });

  it('a compileInference batchSize too big for the device: ResourceLimitError, bytes as before', async () => {
    const before = gpuFootprint(runtime);
    const error = await caught(() => compileInference(wide(), { inputShape: [4], batchSize: rowsOver(1024), runtime }));
    expectError(error, ResourceLimitError, ['the output of 0:linear', `${limit} bytes`]);
    expect(gpuFootprint(runtime).bytesHeld).toBe(before.bytesHeld);
    expect(runtime.pipelines.size).toBe(before.cachedPipelines);
  });

  // compileInference checks its plan before the parameter arena is made.
  it('a compileInference batchSize too big for the device fails before any GPU work', async () => {
    await failsBeforeGpuWork(runtime, () => compileInference(wide(), { inputShape: [4], batchSize: rowsOver(1024), runtime }), ResourceLimitError, ['0:linear']);
  });

  it.each([
    ['compile', () => compile(tinyClassifier(), { ...validOptions(runtime), seed: 11 })],
    ['compileInference', () => compileInference(tinyClassifier(), { inputShape: [4], batchSize: 8, runtime })],
  ])('a GPU error while %s makes its pipelines: the GpuError, bytes and cached pipelines as before', async (_label, run) => {
    const before = gpuFootprint(runtime);
    const fault = new GpuError('validation', 'injected pipeline failure', 'pipeline creation for a test');
    const prepare = vi.spyOn(runtime, 'acquirePipeline');
    prepare.mockImplementationOnce(() => Promise.reject(fault));
    try {
      expect(await caught(run)).toBe(fault);
    } finally {
      prepare.mockRestore();
    }
    expect(gpuFootprint(runtime).bytesHeld).toBe(before.bytesHeld);
    expect(runtime.pipelines.size).toBe(before.cachedPipelines);
  });

  it('the runtime compiles and trains a model after the failed compiles', async () => {
    const before = gpuFootprint(runtime).bytesHeld;
    const trainer = await compile(tinyClassifier(), validOptions(runtime));
    trainer.step(new Float32Array(16), Uint32Array.of(0, 1, 2, 0));
    expect((await trainer.flushMetrics()).steps).toBe(1);
    await trainer.destroy();
    expect(gpuFootprint(runtime).bytesHeld - before).toBeLessThanOrEqual(4096); // staging kept by the runtime
  });
});
