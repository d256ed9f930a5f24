// Many models in one training run, on replicas (compile's `replicas`): bagging (bootstrap
// samples, probabilities averaged), k-fold cross-validation (replica r holds out fold r) and
// random hyperparameter search (lr and weight decay drawn per replica). Each compiles one
// replicated trainer, so K models train in the same dispatches, one submit per step.
import { ConfigError } from '../errors';
import { finiteNumber, integer, knownKeys, optionsObject, show } from '../validate';
import { seededRandom, shuffleInPlace } from '../data/dataset';
import { gather, type ArrayDataset } from '../data/arrays';
import { resolveOptimizer } from '../kernels/optim-config';
import type { Module } from '../nn/module';
import type { Evaluation } from './compiled-model';
import type { CompileOptions } from './options';
import { MAX_REPLICAS, type ReplicaOptions } from './replicas';
import { checkDataFits, trainReplicas, type ReplicaEpochs } from './replica-training';
import { compile } from './compile';
import type { Trainer } from './trainer';


/** compile()'s options without `replicas` (each function sets them). */
export type EnsembleCompileOptions = Omit<CompileOptions, 'replicas'>;

const now = () => performance.now();

function compileReplicas(what: string, model: Module, options: EnsembleCompileOptions, replicas: ReplicaOptions[] | number): Promise<Trainer> {
  const o = optionsObject(`${what}: compile options`, options);
  if (o.replicas !== undefined) throw new ConfigError(`${what}: compile options must not set replicas (${what} sets them)`);
  return compile(model, { ...options, replicas });
}

/** A bagging ensemble: K replicas, each trained on its own bootstrap sample. */
export class BaggingEnsemble {
  constructor(
    /** The replicated trainer (its replicas are the members). */
    readonly trainer: Trainer,
    /** Seconds the training took. */
    readonly seconds: number,
  ) {}

  /**
   * The ensemble's class probabilities [count, classes]: the mean of the members' softmax
   * (eval mode). The forward passes run on the GPU; the mean is taken on the CPU.
   */
  async predictProbabilities(x: Float32Array): Promise<Float32Array> {
    const { trainer } = this;
    const mode = trainer.mode;
    trainer.eval();
    const logits = await trainer.predict(x).finally(() => (trainer.mode = mode));
    const classes = trainer.outputs;
    const count = logits.length / (classes * trainer.replicas);
    const mean = new Float32Array(count * classes);
    for (let m = 0; m < trainer.replicas; m++) {
      for (let i = 0; i < count; i++) {
        const row = logits.subarray((m * count + i) * classes, (m * count + i + 1) * classes);
        const top = Math.max(...row);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - top);
        for (let c = 0; c < classes; c++) mean[i * classes + c]! += Math.exp(row[c]! - top) / sum / trainer.replicas;
      }
    }
    return mean;
  }

  /** The ensemble's accuracy (argmax of the mean probabilities) beside every member's evaluation, on labelled data. */
  async evaluate(data: ArrayDataset<Uint32Array>): Promise<{ accuracy: number; members: Evaluation[]; meanMemberAccuracy: number }> {
    checkDataFits('evaluate', this.trainer, data);
    const probabilities = await this.predictProbabilities(data.x);
    const classes = this.trainer.outputs;
    let correct = 0;
    for (let i = 0; i < data.count; i++) {
      const row = probabilities.subarray(i * classes, (i + 1) * classes);
      if (row.indexOf(Math.max(...row)) === data.y[i]) correct++;
    }
    const mode = this.trainer.mode;
    this.trainer.eval();
    const evaluation = await this.trainer.evaluate(data).finally(() => (this.trainer.mode = mode));
    const members = evaluation.replicas ?? [evaluation];
    return { accuracy: correct / data.count, members, meanMemberAccuracy: evaluation.accuracy };
  }

  destroy(): Promise<void> {
    return this.trainer.destroy();
  }
}

/**
 * Bagging (bootstrap aggregating): `replicas` copies of the model, replica r trained on n
 * samples drawn with replacement from the n of `data` (seeded by seed + r), averaged by
 * probabilities at prediction. Replica seeds: compile's seed + r.
 */
export async function bagging(model: Module, options: EnsembleCompileOptions, data: ArrayDataset, bag: ReplicaEpochs & { replicas: number }): Promise<BaggingEnsemble> {
  integer('bagging: replicas', bag.replicas, 1, MAX_REPLICAS);
  const start = now();
  const trainer = await compileReplicas('bagging', model, options, bag.replicas);
  try {
    checkDataFits('bagging', trainer, data);
    const samples = Array.from({ length: bag.replicas }, (_, r) => {
      const random = seededRandom(((bag.seed ?? 0) + 7919 * (r + 1)) >>> 0);
      return Uint32Array.from({ length: data.count }, () => Math.floor(random() * data.count));
    });
    await trainReplicas(trainer, data, samples, bag);
  } catch (error) {
    await trainer.destroy();
    throw error;
  }
  return new BaggingEnsemble(trainer, (now() - start) / 1000);
}

export interface CrossValidation {
  /** Replica r's evaluation (eval mode) on fold r, which it never trained on. */
  folds: Evaluation[];
  mean: { loss: number; accuracy: number };
  /** Population standard deviation over the folds (numpy's default, ddof 0). */
  std: { loss: number; accuracy: number };
  seconds: number;
}

/**
 * k-fold cross-validation in one run: the samples are shuffled once (seeded) into k folds
 * (sizes differ by at most one, as kFold), replica r trains on every fold but r and is
 * evaluated on fold r.
 */
export async function crossValidate(model: Module, options: EnsembleCompileOptions, data: ArrayDataset, cv: ReplicaEpochs & { folds: number }): Promise<CrossValidation> {
  integer('crossValidate: folds', cv.folds, 2, Math.min(MAX_REPLICAS, data.count));
  const start = now();
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  shuffleInPlace(order, seededRandom(cv.seed ?? 0));
  const bounds = Array.from({ length: cv.folds + 1 }, (_, i) => Math.floor((i * data.count) / cv.folds));
  const held = (r: number) => order.subarray(bounds[r]!, bounds[r + 1]!);
  const rest = (r: number) => Uint32Array.from([...order.subarray(0, bounds[r]!), ...order.subarray(bounds[r + 1]!)]);
  const trainer = await compileReplicas('crossValidate', model, options, cv.folds);
  try {
    checkDataFits('crossValidate', trainer, data);
    await trainReplicas(trainer, data, Array.from({ length: cv.folds }, (_, r) => rest(r)), cv);
    trainer.eval();
    const folds: Evaluation[] = [];
    for (let r = 0; r < cv.folds; r++) folds.push((await trainer.evaluate(gather(data, held(r)))).replicas![r]!);
    return { folds, ...meanAndStd(folds), seconds: (now() - start) / 1000 };
  } finally {
    await trainer.destroy();
  }
}

function meanAndStd(folds: readonly Evaluation[]): { mean: { loss: number; accuracy: number }; std: { loss: number; accuracy: number } } {
  const stats = (f: (e: Evaluation) => number) => {
    const mean = folds.reduce((a, e) => a + f(e), 0) / folds.length;
    return { mean, std: Math.sqrt(folds.reduce((a, e) => a + (f(e) - mean) ** 2, 0) / folds.length) };
  };
  const [loss, accuracy] = [stats((e) => e.loss), stats((e) => e.accuracy)];
  return { mean: { loss: loss.mean, accuracy: accuracy.mean }, std: { loss: loss.std, accuracy: accuracy.std } };
}

/** Where a hyperparameter is drawn from. */
export type Distribution =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'logUniform'; low: number; high: number }
  | { kind: 'choice'; values: readonly number[] };

/** Uniform on [low, high). */
export const uniform = (low: number, high: number): Distribution => ({ kind: 'uniform', low, high });
/** Log-uniform on [low, high), low > 0 (learning rates, weight decays). */
export const logUniform = (low: number, high: number): Distribution => ({ kind: 'logUniform', low, high });
/** One of the values, each equally likely. */
export const choice = (values: readonly number[]): Distribution => ({ kind: 'choice', values: [...values] });

/** The hyperparameters a search varies: what replicas can differ in within one run. */
export interface SearchSpace {
  lr?: Distribution;
  weightDecay?: Distribution;
}

export interface Trial {
  lr: number;
  weightDecay: number;
  /** Evaluation on the validation data (eval mode). */
  validation: Evaluation;
}

function checkDistribution(what: string, d: unknown): Distribution {
  const o = optionsObject(what, d) as Partial<Distribution> & Record<string, unknown>;
  if (o.kind === 'choice') {
    if (!Array.isArray(o.values) || o.values.length === 0) throw new ConfigError(`${what}.values must be a non-empty array of numbers, got ${show(o.values)}`);
    o.values.forEach((v: unknown, i: number) => finiteNumber(`${what}.values[${i}]`, v, 0));
    return o as Distribution;
  }
  if (o.kind !== 'uniform' && o.kind !== 'logUniform') throw new ConfigError(`${what} must be uniform(lo, hi), logUniform(lo, hi) or choice([...]), got ${show(d)}`);
  const low = finiteNumber(`${what}.low`, o.low, o.kind === 'logUniform' ? Number.MIN_VALUE : 0);
  finiteNumber(`${what}.high`, o.high, low);
  return o as Distribution;
}

function draw(d: Distribution, random: () => number): number {
  if (d.kind === 'choice') return d.values[Math.floor(random() * d.values.length)]!;
  if (d.kind === 'uniform') return d.low + (d.high - d.low) * random();
  return Math.exp(Math.log(d.low) + (Math.log(d.high) - Math.log(d.low)) * random());
}

/**
 * Random search: `trials` draws of lr and weight decay from `space` (seeded), trained as
 * replicas (at most `replicasPerRound` per compiled run, default all), each evaluated on
 * `validation`; returned best first (highest accuracy with class labels, else lowest loss).
 */
export async function randomSearch(
  model: Module,
  options: EnsembleCompileOptions,
  data: ArrayDataset,
  validation: ArrayDataset,
  search: ReplicaEpochs & { space: SearchSpace; trials: number; replicasPerRound?: number },
): Promise<{ trials: Trial[]; seconds: number }> {
  const space = optionsObject('randomSearch: space', search.space) as Record<string, unknown>;
  knownKeys('randomSearch: space', space, ['lr', 'weightDecay']);
  const lr = space.lr === undefined ? undefined : checkDistribution('randomSearch: space.lr', space.lr);
  const wd = space.weightDecay === undefined ? undefined : checkDistribution('randomSearch: space.weightDecay', space.weightDecay);
  integer('randomSearch: trials', search.trials, 1);
  const perRound = integer('randomSearch: replicasPerRound', search.replicasPerRound ?? Math.min(search.trials, MAX_REPLICAS), 1, MAX_REPLICAS);
  const optimizer = resolveOptimizer(options.optimizer);
  const random = seededRandom(search.seed ?? 0);
  const drawn = Array.from({ length: search.trials }, () => ({ lr: lr && draw(lr, random), weightDecay: wd && draw(wd, random) }));
  const start = now();
  const trials: Trial[] = [];
  for (let first = 0; first < drawn.length; first += perRound) {
    const round = drawn.slice(first, first + perRound);
    const seed = (options.seed ?? 0) + first;
    const trainer = await compileReplicas('randomSearch', model, { ...options, seed }, round);
    try {
      checkDataFits('randomSearch', trainer, data);
      checkDataFits('randomSearch: validation', trainer, validation);
      const all = Uint32Array.from({ length: data.count }, (_, i) => i);
      await trainReplicas(trainer, data, round.map(() => all), { ...search, seed: (search.seed ?? 0) + first });
      trainer.eval();
      const evaluation = await trainer.evaluate(validation);
      (evaluation.replicas ?? [evaluation]).forEach((own, r) => {
        trials.push({ lr: round[r]!.lr ?? optimizer.lr, weightDecay: round[r]!.weightDecay ?? optimizer.weightDecay, validation: own });
      });
    } finally {
      await trainer.destroy();
    }
  }
  const labels = trials.every((t) => !Number.isNaN(t.validation.accuracy));
  trials.sort((a, b) => (labels ? b.validation.accuracy - a.validation.accuracy : a.validation.loss - b.validation.loss));
  return { trials, seconds: (now() - start) / 1000 };
}
