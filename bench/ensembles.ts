// The study notes' "many models" experiments on MNIST, each one replicated run: a bagging
// ensemble of 5 MLPs against its average member, 5-fold cross-validation, and a 16-trial
// random search over Adam's learning rate and weight decay. Runs wherever the engine runs:
// the data come in as arrays (src/cli/ensembles-main.ts reads MNIST in Node).
import { dataset, type ArrayDataset } from '../src/data/arrays';
import type { LabeledData } from '../src/data/dataset';
import { bagging, crossValidate, logUniform, randomSearch, type Trial } from '../src/graph/ensembles';
import { Flatten, Linear, ReLU } from '../src/nn/layers';
import { Sequential } from '../src/nn/module';
import { adam } from '../src/optim/optimizers';
import type { GpuRuntime } from '../src/gpu/runtime';

export const ENSEMBLE_DEFAULTS = {
  /** MNIST training samples for bagging; test accuracy on the test set given. */
  baggingSamples: 10_000,
  members: 5,
  /** Samples cross-validated and searched over (an MNIST subset, as the notes' exercises use). */
  subset: 5_000,
  folds: 5,
  trials: 16,
  epochs: 3,
  batch: 64,
  seed: 1,
};

export type EnsembleSettings = typeof ENSEMBLE_DEFAULTS;

/** 784-128-10 with ReLU (the replicas benchmark's MLP). */
const mlp = () => new Sequential([new Flatten(), new Linear(784, 128), ReLU(), new Linear(128, 10)]);

const arrays = (data: LabeledData, count = data.count): ArrayDataset<Uint32Array> =>
  dataset(data.x.subarray(0, count * 784), data.y.subarray(0, count), data.sampleShape);

const compileOptions = (settings: EnsembleSettings, runtime?: GpuRuntime) => ({
  inputShape: [1, 28, 28], loss: 'crossEntropy' as const, optimizer: adam({ lr: 1e-3 }), batchSize: settings.batch, evalBatchSize: 1000, seed: settings.seed, runtime,
});

export interface EnsembleReport {
  bagging: { members: number[]; meanMember: number; ensemble: number; seconds: number };
  crossValidation: { folds: number[]; mean: number; std: number; seconds: number };
  search: { best: Trial[]; worst: Trial; seconds: number };
}

/** Runs the three experiments; `log` gets a line as each finishes. */
export async function runEnsembles(train: LabeledData, test: LabeledData, settings: EnsembleSettings, log: (line: string) => void, runtime?: GpuRuntime): Promise<EnsembleReport> {
  const options = compileOptions(settings, runtime);
  const ensemble = await bagging(mlp(), options, arrays(train, settings.baggingSamples), { replicas: settings.members, epochs: settings.epochs, seed: settings.seed });
  const result = await ensemble.evaluate(arrays(test));
  await ensemble.destroy();
  const baggingReport = { members: result.members.map((m) => m.accuracy), meanMember: result.meanMemberAccuracy, ensemble: result.accuracy, seconds: ensemble.seconds };
  log(`bagging: ensemble ${pct(baggingReport.ensemble)}% vs members ${baggingReport.members.map(pct).join(', ')}% (mean ${pct(baggingReport.meanMember)}%), ${baggingReport.seconds.toFixed(1)} s`);

  const subset = arrays(train, settings.subset);
  const cv = await crossValidate(mlp(), options, subset, { folds: settings.folds, epochs: settings.epochs, seed: settings.seed });
  const cvReport = { folds: cv.folds.map((f) => f.accuracy), mean: cv.mean.accuracy, std: cv.std.accuracy, seconds: cv.seconds };
  log(`${settings.folds}-fold cross-validation: ${pct(cvReport.mean)} ± ${pct(cvReport.std)}% (folds ${cvReport.folds.map(pct).join(', ')}%), ${cv.seconds.toFixed(1)} s`);

  // Validation: the training samples after the subset, as many as a fold.
  const validation = dataset(train.x.subarray(settings.subset * 784, (settings.subset + 1000) * 784), train.y.subarray(settings.subset, settings.subset + 1000), [1, 28, 28]);
  const space = { lr: logUniform(1e-4, 1e-1), weightDecay: logUniform(1e-6, 1e-2) };
  const search = await randomSearch(mlp(), options, subset, validation, { space, trials: settings.trials, epochs: settings.epochs, seed: settings.seed });
  const searchReport = { best: search.trials.slice(0, 5), worst: search.trials.at(-1)!, seconds: search.seconds };
  log(`random search (${settings.trials} trials): best lr ${searchReport.best[0]!.lr.toExponential(2)}, weight decay ${searchReport.best[0]!.weightDecay.toExponential(2)}: ${pct(searchReport.best[0]!.validation.accuracy)}%; ${search.seconds.toFixed(1)} s`);
  return { bagging: baggingReport, crossValidation: cvReport, search: searchReport };
}

export const pct = (x: number) => (100 * x).toFixed(2);

/** The README's tables. */
export function ensembleMarkdown(report: EnsembleReport, settings: EnsembleSettings): string[] {
  const { bagging: b, crossValidation: cv, search: s } = report;
  return [
    `| experiment | result | time |`,
    `|---|---|---|`,
    `| bagging, ${settings.members} MLPs on bootstrap samples of ${settings.baggingSamples} | ensemble **${pct(b.ensemble)}%** test accuracy; members ${b.members.map(pct).join(' / ')}% (mean ${pct(b.meanMember)}%) | ${b.seconds.toFixed(1)} s |`,
    `| ${settings.folds}-fold cross-validation on ${settings.subset} samples | ${pct(cv.mean)} ± ${pct(cv.std)}% (folds ${cv.folds.map(pct).join(' / ')}%) | ${cv.seconds.toFixed(1)} s |`,
    `| random search, ${settings.trials} trials (Adam lr ~ logU(1e-4, 1e-1), weight decay ~ logU(1e-6, 1e-2)) | best lr ${s.best[0]!.lr.toExponential(2)}, wd ${s.best[0]!.weightDecay.toExponential(2)}: ${pct(s.best[0]!.validation.accuracy)}% validation; worst lr ${s.worst.lr.toExponential(2)}: ${pct(s.worst.validation.accuracy)}% | ${s.seconds.toFixed(1)} s |`,
  ];
}
