// A destroyed model: every public method of a Trainer and of an InferenceModel throws (or
// rejects with) the same clear ShadergradError naming the method, without GPU work; destroy()
// twice is fine, and the shared runtime keeps working.
import { beforeAll, describe, expect, it } from 'vitest';
import { ShadergradError } from '../../src/errors';
import { compileInference, type InferenceModel } from '../../src/graph/inference';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { testRuntime } from '../helpers/gpu';
import { failsBeforeGpuWork, gpuFootprint, modelCalls, throwsBeforeGpuWork, tinyClassifier, validOptions } from './expect-error';

const x = new Float32Array(16);
const labels = Uint32Array.of(0, 1, 2, 0);

let runtime: GpuRuntime;
let trainer: Trainer;
let served: InferenceModel;
const saved: { dict: Map<string, unknown>; checkpoint: Uint8Array } = { dict: new Map(), checkpoint: new Uint8Array(0) };
const { shared, trainerOnly } = modelCalls(() => saved);

beforeAll(async () => {
  runtime = await testRuntime();
  const before = gpuFootprint(runtime).bytesHeld;
  trainer = await compile(tinyClassifier(), { ...validOptions(runtime), clipGradNorm: 1 });
  served = await compileInference(tinyClassifier(), { inputShape: [4], batchSize: 8, runtime });
  trainer.step(x, labels);
  saved.dict = (await trainer.stateDict()) as Map<string, unknown>;
  saved.checkpoint = await trainer.checkpoint();
  await trainer.destroy();
  await served.destroy();
  // Staging buffers for readbacks stay with the runtime; everything else is given back.
  expect(gpuFootprint(runtime).bytesHeld - before).toBeLessThanOrEqual(4096);
});

const destroyedMessage = (method: string) => [`${method}: this model was destroyed`, 'destroy() was called', 'compile a new one'];

describe('a destroyed Trainer', () => {
  it.each([...shared, ...trainerOnly] as [string, boolean, (t: Trainer) => unknown][])('%s', async (method, sync, call) => {
    const error = sync
      ? throwsBeforeGpuWork(runtime, () => call(trainer), ShadergradError, destroyedMessage(method))
      : await failsBeforeGpuWork(runtime, () => call(trainer), ShadergradError, destroyedMessage(method));
    expect(error.constructor).toBe(ShadergradError); // the same error class from every method
  });

  it('destroy() twice is fine', async () => {
    const before = gpuFootprint(runtime);
    await expect(trainer.destroy()).resolves.toBeUndefined();
    expect(gpuFootprint(runtime)).toEqual(before);
  });

  it('train() and eval() only switch the mode; metrics still reads the last values', () => {
    trainer.eval();
    trainer.train();
    expect(trainer.metrics.steps).toBeGreaterThanOrEqual(0);
  });
});

describe('a destroyed InferenceModel', () => {
  it.each(shared)('%s', async (method, _sync, call) => {
    const error = await failsBeforeGpuWork(runtime, () => call(served), ShadergradError, destroyedMessage(method));
    expect(error.constructor).toBe(ShadergradError);
  });

  it('destroy() twice is fine', async () => {
    await expect(served.destroy()).resolves.toBeUndefined();
  });
});

describe('the shared runtime after models are destroyed', () => {
  it('compiles and trains a new model', async () => {
    const again = await compile(tinyClassifier(), validOptions(runtime));
    again.step(x, labels);
    expect((await again.flushMetrics()).steps).toBe(1);
    await again.destroy();
  });

  it('destroy() while steps are in flight waits for them and frees everything', async () => {
    const before = gpuFootprint(runtime).bytesHeld;
    const busy = await compile(tinyClassifier(), validOptions(runtime));
    for (let i = 0; i < 5; i++) busy.step(x, labels);
    await busy.destroy();
    expect(gpuFootprint(runtime).bytesHeld).toBe(before);
    expect(() => busy.step(x, labels)).toThrow(/step: this model was destroyed/);
  });
});
