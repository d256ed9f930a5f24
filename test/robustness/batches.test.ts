// Arguments of step(), evaluate(), predict() and the other per-call methods: wrong array types
// (what parseIdx or a plain Array gives), wrong lengths, labels out of range, bad counts. Each
// fails with a ShadergradError naming the argument, before anything is written or submitted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import type { CompiledModel } from '../../src/graph/compiled-model';
import { compileInference, type InferenceModel } from '../../src/graph/inference';
import { ShapeError } from '../../src/graph/ir';
import { compile } from '../../src/graph/compile';
import type { Trainer } from '../../src/graph/trainer';
import type { GpuRuntime } from '../../src/gpu/runtime';
import { testRuntime } from '../helpers/gpu';
import { failsBeforeGpuWork, throwsBeforeGpuWork, tinyClassifier, validOptions, type ErrorClass, type Fragment } from './expect-error';

// tinyClassifier: 4 inputs, 3 outputs; batch 4, evaluation plans up to 8 rows.
const x = new Float32Array(16);
const labels = Uint32Array.of(0, 1, 2, 0);
const targets = new Float32Array(12);
const any = (v: unknown) => v as never;

let runtime: GpuRuntime;
let classifier: Trainer;
let regressor: Trainer;
let served: InferenceModel;

beforeAll(async () => {
  runtime = await testRuntime();
  classifier = await compile(tinyClassifier(), validOptions(runtime));
  regressor = await compile(tinyClassifier(), { ...validOptions(runtime), loss: 'mse', seed: 1 });
  served = await compileInference(tinyClassifier(), { inputShape: [4], batchSize: 8, runtime });
  classifier.step(x, labels); // a good step first: failures must leave a working trainer
  await classifier.sync();
});

afterAll(async () => {
  await classifier.destroy();
  await regressor.destroy();
  await served.destroy();
});

const stepCases: [label: string, loss: 'ce' | 'mse', x: unknown, y: unknown, kind: ErrorClass, fragments: Fragment[]][] = [
  ['a Float64Array input', 'ce', new Float64Array(16), labels, ConfigError, ['step: input must be a Float32Array', 'got Float64Array(16)']],
  ['an Array input', 'ce', Array(16).fill(0), labels, ConfigError, ['step: input must be a Float32Array', 'got an array of 16', 'Float32Array.from']],
  ['a missing input', 'ce', undefined, labels, ConfigError, ['step: input', 'got undefined']],
  ['Uint8Array labels (as parseIdx returns them)', 'ce', x, Uint8Array.of(0, 1, 2, 0), ConfigError, ['step: class labels must be a Uint32Array', 'got Uint8Array(4)', 'Uint32Array.from']],
  ['Int32Array labels', 'ce', x, Int32Array.of(0, 1, 2, 0), ConfigError, ['step: class labels', 'got Int32Array(4)']],
  ['Float32Array labels for cross-entropy', 'ce', x, Float32Array.of(0, 1, 2, 0), ConfigError, ['step: class labels', 'got Float32Array(4)']],
  ['an Array of labels', 'ce', x, [0, 1, 2, 0], ConfigError, ['step: class labels', 'got [0, 1, 2, 0]']],
  ['missing labels', 'ce', x, undefined, ConfigError, ['step: class labels', 'got undefined']],
  ['a label equal to the class count', 'ce', x, Uint32Array.of(0, 1, 3, 0), ConfigError, ['step: label 3 at row 2', 'class index in [0, 3)']],
  ['a label 2^32 − 1 (−1 wrapped)', 'ce', x, Uint32Array.of(0, 4294967295, 0, 0), ConfigError, ['step: label 4294967295 at row 1']],
  ['an input one sample short', 'ce', new Float32Array(12), labels, ShapeError, ['step: input has 12 values', 'expected 4×[4] = 16']],
  ['an input one value long', 'ce', new Float32Array(17), labels, ShapeError, ['step: input has 17 values', '= 16']],
  ['too few labels', 'ce', x, Uint32Array.of(0, 1, 2), ShapeError, ['step: targets have 3 values, expected 4']],
  ['Uint32Array targets for MSE', 'mse', x, new Uint32Array(12), ConfigError, ['step: targets must be a Float32Array', 'got Uint32Array(12)']],
  ['Float64Array targets for MSE', 'mse', x, new Float64Array(12), ConfigError, ['step: targets must be a Float32Array', 'got Float64Array(12)']],
  ['one target per row for MSE (labels, not targets)', 'mse', x, new Float32Array(4), ShapeError, ['step: targets have 4 values, expected 12']],
];

describe('step() arguments', () => {
  it.each(stepCases)('%s', (_label, loss, xs, ys, kind, fragments) => {
    const trainer = loss === 'ce' ? classifier : regressor;
    const steps = trainer.stats().steps;
    throwsBeforeGpuWork(runtime, () => trainer.step(any(xs), any(ys)), kind, fragments);
    expect(trainer.stats().steps).toBe(steps);
  });

  it('the trainer still steps after every rejected batch', async () => {
    const before = classifier.stats().steps;
    classifier.step(x, labels);
    regressor.step(x, targets);
    await classifier.sync();
    await regressor.sync();
    expect(classifier.stats().steps).toBe(before + 1);
  });
});

const data = (fields: Record<string, unknown>) => ({ x: new Float32Array(24), y: new Uint32Array(6), count: 6, ...fields });

const evaluateCases: [label: string, model: 'ce' | 'mse' | 'served', data: unknown, kind: ErrorClass, fragments: Fragment[]][] = [
  ['count 0', 'ce', data({ count: 0 }), ConfigError, ['evaluate: data.count', 'an integer ≥ 1', 'got 0']],
  ['count missing', 'ce', data({ count: undefined }), ConfigError, ['evaluate: data.count', 'got undefined']],
  ['count 2.5', 'ce', data({ count: 2.5 }), ConfigError, ['evaluate: data.count', 'got 2.5']],
  ['count "6"', 'served', data({ count: '6' }), ConfigError, ['evaluate: data.count', 'got "6"']],
  ['x missing', 'ce', data({ x: undefined }), ConfigError, ['evaluate: data.x must be a Float32Array', 'got undefined']],
  ['x a Float64Array', 'served', data({ x: new Float64Array(24) }), ConfigError, ['evaluate: data.x', 'got Float64Array(24)']],
  ['y missing', 'ce', data({ y: undefined }), ConfigError, ['evaluate: data.y', 'got undefined']],
  ['y a Uint8Array (parseIdx labels)', 'served', data({ y: new Uint8Array(6) }), ConfigError, ['evaluate: class labels must be a Uint32Array', 'got Uint8Array(6)']],
  ['y an Array', 'ce', data({ y: [0, 1, 2, 0, 1, 2] }), ConfigError, ['evaluate: data.y', 'got [0, 1, 2, 0, 1, 2]']],
  ['y Uint32Array for MSE', 'mse', data({ y: new Uint32Array(18) }), ConfigError, ['evaluate: targets must be a Float32Array', 'got Uint32Array(18)']],
  ['count larger than x holds', 'ce', data({ count: 7, y: new Uint32Array(7) }), ShapeError, ['evaluate: input has 24 values', 'expected 7×[4] = 28']],
  ['count larger than y holds', 'ce', data({ y: new Uint32Array(5) }), ShapeError, ['evaluate: targets have 5 values, expected 6']],
  ['a label out of range', 'served', data({ y: Uint32Array.of(0, 1, 2, 0, 1, 9) }), ConfigError, ['evaluate: label 9 at row 5', '[0, 3)']],
  ['data null', 'ce', null, ConfigError, ['evaluate: data must be {x, y, count}', 'got null']],
  ['data a bare input array', 'ce', new Float32Array(24), ConfigError, ['evaluate: data.count', 'got undefined']],
];

const modelOf = (name: 'ce' | 'mse' | 'served'): CompiledModel => (name === 'ce' ? classifier : name === 'mse' ? regressor : served);

describe('evaluate() arguments', () => {
  it.each(evaluateCases)('%s', async (_label, model, d, kind, fragments) => {
    await failsBeforeGpuWork(runtime, () => modelOf(model).evaluate(any(d)), kind, fragments);
  });
});

const predictCases: [label: string, model: 'ce' | 'served', args: unknown[], kind: ErrorClass, fragments: Fragment[]][] = [
  ['a Float64Array input', 'ce', [new Float64Array(8)], ConfigError, ['predict: input must be a Float32Array', 'got Float64Array(8)']],
  ['an Array input', 'served', [[1, 2, 3, 4]], ConfigError, ['predict: input must be a Float32Array', 'got [1, 2, 3, 4]']],
  ['an input that is not a whole number of samples', 'served', [new Float32Array(6)], ShapeError, ['predict: input has 6 values', 'samples of [4]']],
  ['an empty input', 'served', [new Float32Array(0)], ShapeError, ['predict: input has 0 values']],
  ['count larger than the input holds', 'ce', [new Float32Array(8), 3], ShapeError, ['predict: input has 8 values']],
];

describe('predict() arguments', () => {
  it.each(predictCases)('%s', async (_label, model, args, kind, fragments) => {
    await failsBeforeGpuWork(runtime, () => (modelOf(model).predict as (...a: unknown[]) => unknown)(...args), kind, fragments);
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, predict()); it was: the default `count = x.length / sampleSize`
  // is evaluated before any check, so predict() without an input is a TypeError.
  it('no input is a ConfigError naming the input', async () => {
    await failsBeforeGpuWork(runtime, () => (served.predict as () => unknown)(), ConfigError, ['predict: input', 'got undefined']);
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, predict()); it was: a bad count is reported as "input has N values,
  // not a whole number of samples" (a ShapeError), which names neither `count` nor its value.
  it.each([
    ['0', 0],
    ['1.5', 1.5],
    ['-1', -1],
    ['NaN', NaN],
    ['"2"', '2'],
  ])('count %s is a ConfigError naming count and its value', async (shown, count) => {
    await failsBeforeGpuWork(runtime, () => served.predict(new Float32Array(8), any(count)), ConfigError, ['predict: count', `got ${shown}`]);
  });
});

describe('other per-call arguments', () => {
  it.each([
    ['throttle(-1)', () => classifier.throttle(-1), ['throttle: maxInFlight', 'got -1']],
    ['throttle(1.5)', () => classifier.throttle(1.5), ['throttle: maxInFlight', 'got 1.5']],
    ["prepareEvaluation('test', 4)", () => served.prepareEvaluation(any('test'), 4), ["prepareEvaluation: mode must be 'train' or 'eval'", 'got "test"']],
    ["prepareEvaluation('eval', 0)", () => served.prepareEvaluation('eval', 0), ['prepareEvaluation: rows', 'got 0']],
    ['gradientNorm() without clipGradNorm', () => classifier.gradientNorm(), ['gradientNorm: compile with clipGradNorm']],
  ])('%s', async (_label, run, fragments) => {
    await failsBeforeGpuWork(runtime, run, ConfigError, fragments);
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, evalRun()); it was: rows over evalBatchSize find no eval bucket,
  // and the plan is built for batch `undefined`: "input: every dimension must be a positive
  // integer, got [, 4]" (a ShapeError that names neither rows nor the limit).
  it("prepareEvaluation('eval', rows > evalBatchSize) is a ConfigError naming rows and the limit", async () => {
    await failsBeforeGpuWork(runtime, () => served.prepareEvaluation('eval', 9), ConfigError, ['prepareEvaluation: rows', '8', 'got 9']);
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, loadStateDict()); it was: options.strict is not checked; any
  // truthy value (the string 'false' included) means strict.
  it('loadStateDict strict "false" is a ConfigError', async () => {
    await failsBeforeGpuWork(runtime, () => served.loadStateDict(new Map(), { strict: any('false') }), ConfigError, ['loadStateDict: strict', 'got "false"']);
  });

  // Fixed bug, kept as a regression test (src/graph/compiled-model.ts, evalRun()); it was: a train-mode plan of more rows than
  // evalBatchSize compiles (buffers, pipelines) instead of failing like eval mode's bucket limit.
  it("prepareEvaluation('train', rows > evalBatchSize) fails before any GPU work", async () => {
    await failsBeforeGpuWork(runtime, () => served.prepareEvaluation('train', 9), ConfigError, ['prepareEvaluation: rows', 'got 9']);
  });
});
