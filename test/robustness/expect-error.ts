// Assertions shared by the robustness suite: a call fails with the right ShadergradError
// subclass and a message that names what was wrong, and (where it must fail before any GPU
// work) without creating a buffer or a pipeline or holding a byte more on the runtime.
import type { CompileOptions } from '../../src/graph/options';
import { expect } from 'vitest';
import { ShadergradError } from '../../src/errors';
import type { GpuRuntime } from '../../src/gpu/runtime';
import type { CompiledModel } from '../../src/graph/compiled-model';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential, type Module } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';

export type ErrorClass = new (...args: any[]) => Error;

/** A message fragment: a substring or a pattern. */
export type Fragment = string | RegExp;

/** Runs `run` and returns what it threw or rejected with; fails the test when it succeeded. */
export async function caught(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, but the call succeeded');
}

/** Like {@link caught}, for a call that must throw synchronously (not return a rejected promise). */
export function caughtSync(run: () => unknown): Error {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    return error as Error;
  }
  if (result instanceof Promise) result.catch(() => undefined);
  throw new Error(`expected a synchronous throw, got ${result instanceof Promise ? 'a promise' : 'a return value'}`);
}

/** The error is a `kind` (and so a ShadergradError) and its message holds every fragment. */
export function expectError(error: unknown, kind: ErrorClass, fragments: readonly Fragment[]): void {
  expect(error).toBeInstanceOf(kind);
  expect(error).toBeInstanceOf(ShadergradError);
  const message = (error as Error).message;
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(message).toContain(fragment);
    else expect(message).toMatch(fragment);
  }
}

/** What GPU work leaves on a runtime: allocations, pipelines, bytes held, work submitted. */
export function gpuFootprint(runtime: GpuRuntime) {
  const { bufferAllocations, pipelinesCreated, bytesHeld, submits, dispatches } = runtime.stats();
  return { bufferAllocations, pipelinesCreated, bytesHeld, submits, dispatches, cachedPipelines: runtime.pipelines.size };
}

/**
 * `run` fails with `kind` and every fragment, and leaves no GPU trace on `runtime`: no buffer
 * allocated, no pipeline created or cached, no byte held, nothing submitted.
 */
export async function failsBeforeGpuWork(runtime: GpuRuntime, run: () => unknown, kind: ErrorClass, fragments: readonly Fragment[]): Promise<Error> {
  const before = gpuFootprint(runtime);
  const error = await caught(run);
  expectError(error, kind, fragments);
  expect(gpuFootprint(runtime)).toEqual(before);
  return error;
}

/** {@link failsBeforeGpuWork} for a call that must throw synchronously (step, resetMetrics, stats). */
export function throwsBeforeGpuWork(runtime: GpuRuntime, run: () => unknown, kind: ErrorClass, fragments: readonly Fragment[]): Error {
  const before = gpuFootprint(runtime);
  const error = caughtSync(run);
  expectError(error, kind, fragments);
  expect(gpuFootprint(runtime)).toEqual(before);
  return error;
}

/** A small classifier: 4 inputs, 3 classes. */
export const tinyClassifier = (): Module => new Sequential([new Linear(4, 8), ReLU(), new Linear(8, 3)]);

/** Valid compile options for {@link tinyClassifier} on `runtime`; cases override one field. */
export function validOptions(runtime: GpuRuntime): CompileOptions {
  return { inputShape: [4], loss: 'crossEntropy', optimizer: adam({ lr: 1e-3 }), batchSize: 4, evalBatchSize: 8, runtime };
}

/** compile() with one option replaced (or removed, with `undefined` and `drop`). */
export function compileWith(runtime: GpuRuntime, overrides: Record<string, unknown>, drop: readonly string[] = [], model = tinyClassifier()) {
  const options: Record<string, unknown> = { ...validOptions(runtime), ...overrides };
  for (const key of drop) delete options[key];
  return compile(model, options as unknown as CompileOptions);
}

/**
 * Every public method of a compiled {@link tinyClassifier} (batch 4), with valid arguments;
 * `state` gives a state dict and a checkpoint to load. Sync methods must throw, not reject.
 */
export function modelCalls(state: () => { dict: Map<string, unknown>; checkpoint: Uint8Array }) {
  const x = new Float32Array(16);
  const labels = Uint32Array.of(0, 1, 2, 0);
  const shared: [name: string, sync: boolean, call: (m: CompiledModel) => unknown][] = [
    ['evaluate', false, (m) => m.evaluate({ x, y: labels, count: 4 })],
    ['predict', false, (m) => m.predict(x)],
    ['parameters', false, (m) => m.parameters()],
    ['stateDict', false, (m) => m.stateDict()],
    ['loadStateDict', false, (m) => m.loadStateDict(state().dict as never)],
    ['sync', false, (m) => m.sync()],
    ['prepareEvaluation', false, (m) => m.prepareEvaluation('eval', 4)],
  ];
  const trainerOnly: [name: string, sync: boolean, call: (t: Trainer) => unknown][] = [
    ['step', true, (t) => t.step(x, labels)],
    ['gradients', false, (t) => t.gradients()],
    ['gradientNorm', false, (t) => t.gradientNorm()],
    ['checkpoint', false, (t) => t.checkpoint()],
    ['restore', false, (t) => t.restore(state().checkpoint)],
    ['flushMetrics', false, (t) => t.flushMetrics()],
    ['resetMetrics', true, (t) => t.resetMetrics()],
    ['throttle', false, (t) => t.throttle()],
    ['stats', true, (t) => t.stats()],
    ['fit', false, (t) => t.fit({ x, y: labels, count: 4 }, { epochs: 1 })],
    ['setLearningRate', true, (t) => t.setLearningRate(0.1)],
    ['prepareBatch', false, (t) => t.prepareBatch(2)],
  ];
  return { shared, trainerOnly };
}
