// Bagging, k-fold cross-validation and random search on replicas, on small separable data:
// the ensemble's probabilities are the mean of its members' softmax, each fold is evaluated
// by the replica that never saw it, search results are ranked and a hopeless learning rate
// ranks last; bad arguments are ConfigErrors naming them.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors';
import { dataset, type ArrayDataset } from '../../src/data/arrays';
import { bagging, choice, crossValidate, logUniform, randomSearch } from '../../src/graph/ensembles';
import { Linear, Tanh } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { sgd } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal, rng } from '../helpers/random';
import { caught, expectError } from '../robustness/expect-error';

const CLASSES = 3;
/** Three Gaussian blobs in 4-D, centers 3 apart: linearly separable up to a few samples. */
function blobs(count: number, seed: number): ArrayDataset<Uint32Array> {
  const random = rng(seed);
  const noise = normal(count * 4, seed + 1, 0.5);
  const y = Uint32Array.from({ length: count }, () => Math.floor(random() * CLASSES));
  const x = Float32Array.from(noise, (v, i) => v + (i % 4 === y[Math.floor(i / 4)]! ? 3 : 0));
  return dataset(x, y, [4]);
}

const model = () => new Sequential([new Linear(4, 8), Tanh(), new Linear(8, CLASSES)]);

async function options() {
  return { inputShape: [4], loss: 'crossEntropy' as const, optimizer: sgd({ lr: 0.2 }), batchSize: 10, evalBatchSize: 64, runtime: await testRuntime() };
}

describe('bagging', () => {
  it('averages the members\' softmax and beats chance on held-out data', async () => {
    const ensemble = await bagging(model(), await options(), blobs(120, 1), { replicas: 3, epochs: 4, seed: 5 });
    const test = blobs(60, 9);
    const probabilities = await ensemble.predictProbabilities(test.x);
    expect(probabilities.length).toBe(60 * CLASSES);
    // The float64 mean of each member's softmax, from the members' own logits.
    ensemble.trainer.eval();
    const logits = await ensemble.trainer.predict(test.x);
    for (let i = 0; i < 60; i++) {
      for (let c = 0; c < CLASSES; c++) {
        let mean = 0;
        for (let m = 0; m < 3; m++) {
          const row = Array.from(logits.subarray((m * 60 + i) * CLASSES, (m * 60 + i + 1) * CLASSES));
          const top = Math.max(...row);
          mean += Math.exp(row[c]! - top) / row.reduce((a, v) => a + Math.exp(v - top), 0) / 3;
        }
        expect(probabilities[i * CLASSES + c]).toBeCloseTo(mean, 6);
      }
    }
    const result = await ensemble.evaluate(test);
    expect(result.members).toHaveLength(3);
    expect(result.meanMemberAccuracy).toBeCloseTo(result.members.reduce((a, m) => a + m.accuracy, 0) / 3, 12);
    expect(result.accuracy).toBeGreaterThan(0.8);
    // Bootstrap samples differ, so the members differ.
    const state = await ensemble.trainer.parameters();
    expect(state.get('0.0.weight')).not.toEqual(state.get('1.0.weight'));
    await ensemble.destroy();
  });
});

describe('crossValidate', () => {
  it('evaluates replica r on fold r only; mean and population std over the folds', async () => {
    const result = await crossValidate(model(), await options(), blobs(123, 2), { folds: 4, epochs: 4, seed: 3 });
    expect(result.folds.map((f) => f.samples)).toEqual([30, 31, 31, 31]); // ⌊i·123/4⌋ bounds
    const accuracies = result.folds.map((f) => f.accuracy);
    const mean = accuracies.reduce((a, b) => a + b, 0) / 4;
    expect(result.mean.accuracy).toBeCloseTo(mean, 12);
    expect(result.std.accuracy).toBeCloseTo(Math.sqrt(accuracies.reduce((a, v) => a + (v - mean) ** 2, 0) / 4), 12);
    for (const fold of result.folds) expect(fold.accuracy).toBeGreaterThan(0.7);
    expect(result.seconds).toBeGreaterThan(0);
  });
});

describe('randomSearch', () => {
  it('ranks trials by validation accuracy; a hopeless learning rate ranks last', async () => {
    const space = { lr: choice([1e-6, 0.3]), weightDecay: logUniform(1e-5, 1e-3) };
    const { trials } = await randomSearch(model(), await options(), blobs(120, 4), blobs(60, 5), { space, trials: 6, epochs: 3, seed: 11, replicasPerRound: 4 });
    expect(trials).toHaveLength(6);
    for (let i = 1; i < 6; i++) expect(trials[i - 1]!.validation.accuracy).toBeGreaterThanOrEqual(trials[i]!.validation.accuracy);
    for (const t of trials) {
      expect([1e-6, 0.3]).toContain(t.lr);
      expect(t.weightDecay).toBeGreaterThanOrEqual(1e-5);
      expect(t.weightDecay).toBeLessThan(1e-3);
    }
    expect(new Set(trials.map((t) => t.lr)).size).toBe(2); // seed 11 draws both
    expect(trials[0]!.lr).toBe(0.3);
    expect(trials.at(-1)!.lr).toBe(1e-6);
  });

  it('rejects bad arguments with ConfigErrors that name them', async () => {
    const o = await options();
    const data = blobs(40, 6);
    const cases: [() => Promise<unknown>, string[]][] = [
      [() => bagging(model(), o, data, { replicas: 0, epochs: 1 }), ['bagging: replicas', 'got 0']],
      [() => bagging(model(), { ...o, replicas: 2 } as never, data, { replicas: 2, epochs: 1 }), ['bagging: compile options must not set replicas']],
      [() => bagging(model(), o, dataset(new Float32Array(40 * 5), new Uint32Array(40), [5]), { replicas: 2, epochs: 1 }), ['bagging', '[5]', '4 values']],
      [() => crossValidate(model(), o, data, { folds: 1, epochs: 1 }), ['crossValidate: folds', 'got 1']],
      [() => randomSearch(model(), o, data, data, { space: { momentum: choice([0.9]) } as never, trials: 2, epochs: 1 }), ['randomSearch: space', 'unknown option "momentum"']],
      [() => randomSearch(model(), o, data, data, { space: { lr: logUniform(0, 1) }, trials: 2, epochs: 1 }), ['randomSearch: space.lr.low', 'got 0']],
      [() => randomSearch(model(), o, data, data, { space: {}, trials: 0, epochs: 1 }), ['randomSearch: trials', 'got 0']],
    ];
    for (const [run, fragments] of cases) expectError(await caught(run), ConfigError, fragments);
  });
});
