// trainer.fit(): the epoch loop over in-memory data. Shuffles, batches (the last, partial
// batch of an epoch trains too, on a plan of its own size), validates, reports through
// callbacks, stops early or on an AbortSignal, and yields to the event loop so a page stays
// responsive. A step never waits for the GPU; each epoch ends with one metrics readback.
import { ConfigError } from '../errors';
import { boolean, fail, finiteNumber, integer, knownKeys, optionsObject } from '../validate';
import { seededRandom, shuffleInPlace } from '../data/dataset';
import { splitDataset } from '../data/arrays';
import type { EvaluationData } from './compiled-model';
import type { TrainingMetrics } from './metrics';
import type { Trainer } from './trainer';

/** Training data: `count` samples, x row-major, y class indices (Uint32Array) or targets (Float32Array). */
export type FitData = EvaluationData;

export type Monitor = 'valLoss' | 'valAccuracy' | 'loss';

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean of the epoch's batch losses, and accuracy over its samples (NaN without labels). */
  loss: number;
  accuracy: number;
  /** NaN without validation data (and for an aborted epoch). */
  valLoss: number;
  valAccuracy: number;
  /** The learning rate of the epoch's first step. */
  lr: number;
  /** Training time of the epoch, validation excluded. */
  seconds: number;
  samples: number;
}

export interface History {
  epochs: EpochRecord[];
  stopped: 'completed' | 'earlyStopping' | 'aborted';
  /**
   * The epoch with the best value of earlyStopping's monitor (else valLoss with validation
   * data, else loss); null before any epoch completed.
   */
  bestEpoch: number | null;
}

export interface FitOptions {
  /** The last epoch to train (an integer ≥ 1). */
  epochs: number;
  /**
   * Epochs already trained (Keras's initial_epoch, e.g. after restore()): training runs
   * epochs initialEpoch + 1 … epochs, and the skipped epochs' shuffles are replayed, so a
   * resumed fit sees the same sample order as one straight run. Default 0.
   */
  initialEpoch?: number;
  /** Reshuffle the sample order every epoch (default true), seeded by `seed` (default 0). */
  shuffle?: boolean;
  seed?: number;
  /** Data evaluated (eval mode) after every epoch, or a fraction of the training data held out by a seeded split. */
  validation?: FitData | { fraction: number; seed?: number };
  /** After every step; `metrics` are the newest read back (they lag by up to metricsEvery steps). */
  onBatchEnd?: (info: { epoch: number; batch: number; batches: number; metrics: TrainingMetrics }) => unknown;
  onEpochEnd?: (record: EpochRecord) => unknown;
  onProgress?: (info: { epoch: number; samplesDone: number; samplesPerSec: number }) => unknown;
  /**
   * Stop after `patience` epochs without an improvement of more than `minDelta`; with
   * `restoreBest` (default) the weights of the best epoch (a CPU stateDict() snapshot) are
   * loaded back at the end, however fit ends.
   */
  earlyStopping?: { monitor: Monitor; patience: number; minDelta?: number; restoreBest?: boolean };
  /**
   * torch's ReduceLROnPlateau (absolute threshold `minDelta`, default 0, no cooldown): after
   * more than `patience` epochs without improvement, lr ← max(lr × factor, minLr), through
   * setLearningRate() (so it replaces lrSchedule from then on).
   */
  reduceLrOnPlateau?: { monitor: Monitor; factor?: number; patience?: number; minLr?: number; minDelta?: number };
  /** Checked before every step: fit resolves with the history so far and stopped: 'aborted'. */
  signal?: AbortSignal;
  /** Await a macrotask when this many ms passed since the last one; default 16 in a browser, never in Node. */
  yieldEveryMs?: number;
  /** Steps kept in flight on the GPU at most (trainer.throttle); default 2. */
  throttle?: number;
}

const FIT_KEYS = [
  'epochs', 'initialEpoch', 'shuffle', 'seed', 'validation', 'onBatchEnd', 'onEpochEnd', 'onProgress', 'earlyStopping', 'reduceLrOnPlateau', 'signal',
  'yieldEveryMs', 'throttle',
];
const MONITORS: readonly Monitor[] = ['valLoss', 'valAccuracy', 'loss'];

/** Tracks the best value of a monitored metric; valAccuracy improves upwards, losses downwards. */
class Plateau {
  best = NaN;
  bestEpoch: number | null = null;
  bad = 0;
  constructor(
    readonly monitor: Monitor,
    private readonly minDelta: number,
  ) {}

  /** Records an epoch; true when it improved on the best so far. */
  update(record: EpochRecord): boolean {
    const value = record[this.monitor];
    const sign = this.monitor === 'valAccuracy' ? -1 : 1;
    if (!Number.isNaN(value) && (this.bestEpoch === null || sign * (value - this.best) < -this.minDelta)) {
      this.best = value;
      this.bestEpoch = record.epoch;
      this.bad = 0;
      return true;
    }
    this.bad++;
    return false;
  }
}

function checkData(trainer: Trainer, what: string, data: unknown): FitData {
  const d = optionsObject(what, data) as unknown as FitData;
  integer(`${what}.count`, d.count, 1);
  if (!(d.x instanceof Float32Array)) fail(`${what}.x`, d.x, 'a Float32Array');
  if (!(d.y instanceof Uint32Array) && !(d.y instanceof Float32Array)) fail(`${what}.y`, d.y, 'a Uint32Array of labels or a Float32Array of targets');
  const width = d.y instanceof Uint32Array ? 1 : trainer.targetSize;
  if (d.x.length !== d.count * trainer.sampleSize || d.y.length !== d.count * width) {
    throw new ConfigError(
      `${what}: ${d.count} samples need ${d.count * trainer.sampleSize} input values and ${d.count * width} targets, got ${d.x.length} and ${d.y.length}`,
    );
  }
  return d;
}

function checkMonitor(what: string, value: Record<string, unknown>, validation: boolean): Monitor {
  const monitor = value.monitor as Monitor;
  if (!MONITORS.includes(monitor)) fail(`${what}.monitor`, monitor, `one of ${MONITORS.map((m) => `'${m}'`).join(', ')}`);
  if (monitor !== 'loss' && !validation) throw new ConfigError(`${what}: monitor '${monitor}' needs fit's validation option`);
  return monitor;
}

function checkFitOptions(value: unknown) {
  const o = optionsObject('fit options', value) as FitOptions & Record<string, unknown>;
  knownKeys('fit', o, FIT_KEYS);
  integer('fit: epochs', o.epochs, 1);
  if (o.initialEpoch !== undefined) integer('fit: initialEpoch', o.initialEpoch, 0, o.epochs);
  if (o.shuffle !== undefined) boolean('fit: shuffle', o.shuffle);
  if (o.seed !== undefined) integer('fit: seed', o.seed, 0, 0xffffffff);
  for (const key of ['onBatchEnd', 'onEpochEnd', 'onProgress'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'function') fail(`fit: ${key}`, o[key], 'a function');
  }
  const validation = o.validation !== undefined;
  let early: { plateau: Plateau; patience: number; restoreBest: boolean } | undefined;
  if (o.earlyStopping !== undefined) {
    const e = optionsObject('fit: earlyStopping', o.earlyStopping);
    knownKeys('fit: earlyStopping', e, ['monitor', 'patience', 'minDelta', 'restoreBest']);
    const monitor = checkMonitor('fit: earlyStopping', e, validation);
    const patience = integer('fit: earlyStopping.patience', e.patience, 1);
    const minDelta = e.minDelta === undefined ? 0 : finiteNumber('fit: earlyStopping.minDelta', e.minDelta, 0);
    const restoreBest = e.restoreBest === undefined ? true : boolean('fit: earlyStopping.restoreBest', e.restoreBest);
    early = { plateau: new Plateau(monitor, minDelta), patience, restoreBest };
  }
  let reduce: { plateau: Plateau; factor: number; patience: number; minLr: number } | undefined;
  if (o.reduceLrOnPlateau !== undefined) {
    const r = optionsObject('fit: reduceLrOnPlateau', o.reduceLrOnPlateau);
    knownKeys('fit: reduceLrOnPlateau', r, ['monitor', 'factor', 'patience', 'minLr', 'minDelta']);
    const monitor = checkMonitor('fit: reduceLrOnPlateau', r, validation);
    const factor = r.factor === undefined ? 0.1 : finiteNumber('fit: reduceLrOnPlateau.factor', r.factor, 0, 1 - Number.EPSILON);
    const patience = r.patience === undefined ? 10 : integer('fit: reduceLrOnPlateau.patience', r.patience, 0);
    const minLr = r.minLr === undefined ? 0 : finiteNumber('fit: reduceLrOnPlateau.minLr', r.minLr, 0);
    const minDelta = r.minDelta === undefined ? 0 : finiteNumber('fit: reduceLrOnPlateau.minDelta', r.minDelta, 0);
    reduce = { plateau: new Plateau(monitor, minDelta), factor, patience, minLr };
  }
  if (o.signal !== undefined && (typeof o.signal !== 'object' || o.signal === null || typeof o.signal.aborted !== 'boolean')) {
    fail('fit: signal', o.signal, 'an AbortSignal (new AbortController().signal)');
  }
  if (o.yieldEveryMs !== undefined) finiteNumber('fit: yieldEveryMs', o.yieldEveryMs, 0);
  if (o.throttle !== undefined) integer('fit: throttle', o.throttle, 0);
  return { o, early, reduce };
}

const inBrowser = () => typeof (globalThis as { document?: unknown }).document !== 'undefined';
const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The loop behind trainer.fit(); see FitOptions. Leaves the trainer in train mode. */
export async function fit(trainer: Trainer, data: FitData, options: FitOptions): Promise<History> {
  const { o, early, reduce } = checkFitOptions(options);
  let train = checkData(trainer, 'fit: data', data);
  let validation: FitData | undefined;
  const v = o.validation === undefined ? undefined : optionsObject('fit: validation (a dataset or {fraction, seed})', o.validation);
  if (v && 'fraction' in v) {
    knownKeys('fit: validation', v, ['fraction', 'seed']);
    const split = splitDataset({ ...train, sampleShape: [trainer.sampleSize] }, v.fraction as number, (v.seed as number | undefined) ?? 0);
    [train, validation] = [split.train, split.validation];
  } else if (v) {
    validation = checkData(trainer, 'fit: validation', v);
  }
  const { count } = train;
  const batchSize = trainer.batchSize;
  const full = Math.floor(count / batchSize);
  const tail = count - full * batchSize;
  const batches = full + (tail > 0 ? 1 : 0);
  if (tail > 0) await trainer.prepareBatch(tail);

  const size = trainer.sampleSize;
  const width = train.y.length / count;
  const xBatch = new Float32Array(batchSize * size);
  const yBatch = train.y instanceof Uint32Array ? new Uint32Array(batchSize * width) : new Float32Array(batchSize * width);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const random = seededRandom(o.seed ?? 0);
  const yieldEveryMs = o.yieldEveryMs ?? (inBrowser() ? 16 : undefined);
  const best = early?.plateau ?? new Plateau(validation ? 'valLoss' : 'loss', 0);
  let snapshot: Awaited<ReturnType<Trainer['stateDict']>> | undefined;
  let lastYield = performance.now();
  const history: History = { epochs: [], stopped: 'completed', bestEpoch: null };

  epochs: for (let epoch = 1; epoch <= o.epochs; epoch++) {
    if (o.shuffle ?? true) shuffleInPlace(order, random);
    if (epoch <= (o.initialEpoch ?? 0)) continue;
    trainer.train();
    trainer.resetMetrics();
    const lr = trainer.learningRate;
    const start = performance.now();
    let samplesDone = 0;
    for (let b = 0; b < batches; b++) {
      if (o.signal?.aborted) {
        history.stopped = 'aborted';
        if (samplesDone > 0) history.epochs.push(await record(trainer, epoch, lr, start, undefined));
        break epochs;
      }
      const rows = Math.min(batchSize, count - b * batchSize);
      for (let i = 0; i < rows; i++) {
        const s = order[b * batchSize + i]!;
        xBatch.set(train.x.subarray(s * size, (s + 1) * size), i * size);
        yBatch.set(train.y.subarray(s * width, (s + 1) * width), i * width);
      }
      trainer.step(xBatch.subarray(0, rows * size), yBatch.subarray(0, rows * width));
      samplesDone += rows;
      await trainer.throttle(o.throttle ?? 2);
      await o.onBatchEnd?.({ epoch, batch: b, batches, metrics: trainer.metrics });
      await o.onProgress?.({ epoch, samplesDone, samplesPerSec: (samplesDone * 1000) / Math.max(1e-3, performance.now() - start) });
      if (yieldEveryMs !== undefined && performance.now() - lastYield >= yieldEveryMs) {
        await macrotask();
        lastYield = performance.now();
      }
    }
    const epochRecord = await record(trainer, epoch, lr, start, validation);
    history.epochs.push(epochRecord);
    if (best.update(epochRecord) && early?.restoreBest) snapshot = await trainer.stateDict();
    history.bestEpoch = best.bestEpoch;
    if (reduce && !reduce.plateau.update(epochRecord) && reduce.plateau.bad > reduce.patience) {
      trainer.setLearningRate(Math.max(trainer.learningRate * reduce.factor, reduce.minLr));
      reduce.plateau.bad = 0;
    }
    await o.onEpochEnd?.(epochRecord);
    if (early && early.plateau.bad >= early.patience) {
      history.stopped = 'earlyStopping';
      break;
    }
  }
  if (snapshot && history.bestEpoch !== history.epochs.at(-1)?.epoch) await trainer.loadStateDict(snapshot);
  trainer.train();
  return history;
}

/** Ends an epoch: one metrics readback, then validation in eval mode. */
async function record(trainer: Trainer, epoch: number, lr: number, start: number, validation: FitData | undefined): Promise<EpochRecord> {
  const metrics = await trainer.flushMetrics();
  const seconds = (performance.now() - start) / 1000;
  let valLoss = NaN;
  let valAccuracy = NaN;
  if (validation) {
    trainer.eval();
    ({ loss: valLoss, accuracy: valAccuracy } = await trainer.evaluate(validation));
    trainer.train();
  }
  return { epoch, loss: metrics.loss, accuracy: metrics.accuracy, valLoss, valAccuracy, lr, seconds, samples: metrics.samples };
}

