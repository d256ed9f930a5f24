// Shared body of the multi-step model-level tests (multistep-*.test.ts): trains a model on the
// GPU for a few steps on different batches and, after every step, compares the loss, training
// accuracy, gradient norm, every gradient, every parameter, the optimizer state (from a
// checkpoint) and the BatchNorm running statistics with a float64 reference trainer that
// started from the same parameters; then eval-mode predict() and evaluate() on a dataset whose
// last batch is short. These catch wiring bugs that a single step cannot show: step counters,
// LR schedule index, dropout masks per step and per layer, running statistics, eval mode.
import { expect } from 'vitest';
import type { TrainingMetrics } from '../../src/graph/metrics';
import { compile } from '../../src/graph/compile';
import { readSafetensors } from '../../src/io/safetensors';
import type { ResolvedOptimizer } from '../../src/kernels/optim-config';
import type { Module } from '../../src/nn/module';
import type { LrSchedule } from '../../src/optim/schedules';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { parameterNames, type Layer } from '../reference/model';
import { ReferenceTrainer, type ReferenceTrainerOptions } from '../reference/trainer';

export interface Batch {
  x: Float32Array;
  y: Uint32Array | Float32Array;
}

/** Relative tolerances, each times the largest magnitude of the tensor compared (see closeTo). */
export interface Tolerances {
  loss: number;
  grads: number;
  params: number;
  state: number;
  runningStats: number;
  predict: number;
  evaluate: number;
  /** Reference analytic gradient vs its central differences. */
  finiteDifferences: number;
}

/**
 * f32 on the GPU against float64, over 3–4 steps whose parameter differences feed back into
 * later gradients. Measured worst errors (lavapipe and SwiftShader alike), relative to each
 * tensor's largest magnitude: gradients, parameters, optimizer state ≤ 5e-7 (sums of ≤ 6·81
 * terms and batch statistics, a few f32 ulps); running statistics and eval outputs ≤ 2.5e-7;
 * the batch-mean losses ≤ 1e-7. Tolerances are about 10× those: far below the effects of the
 * wiring bugs these tests are for (a wrong step, rate, mask, eps or statistic moves values by
 * 1e-4 or more). Central differences in float64 (h = 1e-6): truncation ~h², rounding ~1e-16/h,
 * measured ≤ 1.2e-8.
 */
export const TOLERANCES: Tolerances = {
  loss: 1e-6,
  grads: 5e-6,
  params: 5e-6,
  state: 5e-6,
  runningStats: 2e-6,
  predict: 2e-6,
  evaluate: 1e-6,
  finiteDifferences: 1e-6,
};

export interface MultiStepCase {
  model: Module;
  /** The same model for the reference (parameter names must match the GPU's). */
  layers: Layer[];
  inputShape: number[];
  loss: 'crossEntropy' | 'mse';
  /** Every hyperparameter as a literal: both sides get the same values, no defaults. */
  optimizer: ResolvedOptimizer;
  /** torch's names of the optimizer's state slots, as the checkpoint stores them. */
  slots: string[];
  /** The library's schedule (given to compile) and the same rates written out for the reference. */
  lrSchedule: LrSchedule;
  lr: (s: number) => number;
  clipGradNorm: number;
  seed: number;
  batch: number;
  steps: number;
  /** The batch of 1-based step k. */
  batchOf: (k: number) => Batch;
  evalSet: Batch & { count: number };
  evalBatchSize: number;
  /** Step before which the reference's backward is checked by central differences. */
  finiteDifferenceStep: number;
  /** Overrides of {@link TOLERANCES}, each with its reason where it is given. */
  tolerances?: Partial<Tolerances>;
  /**
   * Parameters whose true gradient is 0 (a bias feeding BatchNorm, which subtracts the batch
   * mean): f32 leaves rounding noise there, so their gradient and optimizer state are compared
   * at the scale of the named neighbour (the layer's weight) instead of their own.
   */
  zeroGradient?: Record<string, string>;
  /** The reference's param-group settings per parameter, written out to match optimizer.groups. */
  group?: ReferenceTrainerOptions['group'];
}

/** |actual − expected| ≤ tol·max(|expected|, scale of `floor`) + tol·|expected| elementwise. */
function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, floor?: ArrayLike<number>) {
  const largest = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  const scale = Math.max(largest(expected), floor ? largest(floor) : 0);
  expectClose(actual, expected, { atol: tol * scale, rtol: tol }, what);
}

/** The training metrics ring reads back every 2 steps (checked at steps 2 and 4). */
const METRICS_EVERY = 2;

const pick = ({ steps, samples, accuracy }: TrainingMetrics) => ({ steps, samples, accuracy });

/** A few elements of a tensor of n values: first, last, and two in between. */
const picks = (n: number) => [...new Set([0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1])];

export async function checkMultiStep(c: MultiStepCase): Promise<void> {
  const tol = { ...TOLERANCES, ...c.tolerances };
  const trainer = await compile(c.model, {
    inputShape: c.inputShape,
    loss: c.loss,
    optimizer: c.optimizer,
    batchSize: c.batch,
    lrSchedule: c.lrSchedule,
    totalSteps: c.steps,
    clipGradNorm: c.clipGradNorm,
    seed: c.seed,
    evalBatchSize: c.evalBatchSize,
    metricsEvery: METRICS_EVERY,
    runtime: await testRuntime(),
  });
  const names = parameterNames(c.layers).map((p) => p.name);
  expect(trainer.parameterShapes.map((p) => p.name)).toEqual(names);
  const reference = new ReferenceTrainer({ ...c, params: await trainer.parameters() });
  const floorOf = (name: string, tensors: Map<string, ArrayLike<number>>) => {
    const neighbour = c.zeroGradient?.[name];
    return neighbour === undefined ? undefined : tensors.get(neighbour);
  };
  const rates: number[] = [];
  const losses: number[] = [];
  let correct = 0;

  for (let k = 1; k <= c.steps; k++) {
    const { x, y } = c.batchOf(k);
    if (k === c.finiteDifferenceStep) {
      // The reference's own backward, against central differences of its forward (same masks).
      const { rows, analytic } = reference.finiteDifferences(x, y, c.batch, k, picks);
      for (const name of names) {
        const mine = rows.filter((r) => r.name === name);
        const scale = floorOf(name, analytic) ?? analytic.get(name);
        const what = `reference d loss/d ${name} at step ${k}`;
        closeTo(mine.map((r) => r.analytic), mine.map((r) => r.numeric), tol.finiteDifferences, what, scale);
      }
    }
    trainer.step(x, y);
    const metrics = await trainer.flushMetrics();
    const expected = reference.step(x, y, c.batch);
    rates.push(expected.lr);
    losses.push(expected.loss);
    correct += expected.correct;
    const at = `at step ${k}`;

    // One metrics window over all steps so far: the mean of the batch losses, and accuracy
    // over every sample; the asynchronous ring (every METRICS_EVERY steps) must agree.
    const meanLoss = losses.reduce((a, b) => a + b, 0) / k;
    const window = { steps: k, samples: k * c.batch, accuracy: c.loss === 'crossEntropy' ? correct / (k * c.batch) : NaN };
    expect(Math.abs(metrics.loss - meanLoss), `loss ${at}: ${metrics.loss} vs ${meanLoss}`).toBeLessThanOrEqual(tol.loss * meanLoss);
    expect(pick(metrics), `training metrics ${at}`).toEqual(window);
    if (k % METRICS_EVERY === 0) {
      await trainer.sync();
      expect(Math.abs(trainer.metrics.loss - meanLoss), `ring loss ${at}`).toBeLessThanOrEqual(tol.loss * meanLoss);
      expect(pick(trainer.metrics), `ring metrics ${at}`).toEqual(window);
    }
    // Clipping must be active at every step, or the clipping path would go unchecked.
    expect(expected.norm, `gradient norm ${at}`).toBeGreaterThan(2 * c.clipGradNorm);
    const norm = await trainer.gradientNorm();
    expect(Math.abs(norm - expected.norm), `gradient norm ${at}: ${norm} vs ${expected.norm}`).toBeLessThanOrEqual(tol.grads * expected.norm);

    const grads = await trainer.gradients();
    for (const name of names) closeTo(grads.get(name)!, expected.grads.get(name)!, tol.grads, `grad ${name} ${at}`, floorOf(name, expected.grads));
    const params = await trainer.parameters();
    const refParams = reference.params;
    for (const name of names) closeTo(params.get(name)!, refParams.get(name)!, tol.params, `${name} ${at}`);

    const checkpoint = readSafetensors(await trainer.checkpoint());
    expect(checkpoint.metadata.steps, `checkpoint steps ${at}`).toBe(String(k));
    for (const slot of c.slots) {
      const state = reference.state(slot);
      for (const name of names) {
        const tensor = checkpoint.tensors.get(`optimizer.${slot}.${name}`);
        expect(tensor, `optimizer.${slot}.${name} ${at}`).toBeDefined();
        closeTo(tensor!.data as Float32Array, state.get(name)!, tol.state, `optimizer.${slot}.${name} ${at}`, floorOf(name, state));
      }
    }

    const dict = await trainer.stateDict();
    for (const [name, value] of reference.buffers) closeTo(dict.get(name)!.data as Float32Array, value, tol.runningStats, `${name} ${at}`);
    for (const [name, tensor] of dict) {
      if (name.endsWith('.num_batches_tracked')) expect(tensor.data, `${name} ${at}`).toEqual(BigInt64Array.of(BigInt(reference.batchesTracked)));
    }
  }
  // The schedule must change the rate at every step, or a wrong step index could go unseen.
  expect(new Set(rates).size, `learning rates ${rates.join(', ')}`).toBe(c.steps);

  // Eval mode: running statistics, no dropout; 37 samples in batches of 16 end with a short one.
  trainer.eval();
  const { evalSet } = c;
  expect(evalSet.count % c.evalBatchSize).not.toBe(0);
  const outputs = await trainer.predict(evalSet.x, evalSet.count);
  closeTo(outputs, reference.predict(evalSet.x, evalSet.count), tol.predict, 'eval-mode predict()');
  const evaluation = await trainer.evaluate(evalSet);
  const expected = reference.evaluate(evalSet.x, evalSet.y, evalSet.count);
  expect(evaluation.samples).toBe(evalSet.count);
  expect(Math.abs(evaluation.loss - expected.loss), `evaluate() loss ${evaluation.loss} vs ${expected.loss}`).toBeLessThanOrEqual(tol.evaluate * expected.loss);
  if (c.loss === 'crossEntropy') expect(evaluation.accuracy, 'evaluate() accuracy').toBe(expected.accuracy);
  await trainer.destroy();
}
