// compile()'s options, and the checks of compile() and compileInference() options before any
// GPU work: presence, type, range and unknown keys, each a ConfigError naming the option.
import type { DeviceLostError } from '../gpu/errors';
import { GpuRuntime } from '../gpu/runtime';
import type { OptimizerConfig } from '../kernels/optim-config';
import type { LrSchedule } from '../optim/schedules';
import { LOSSES } from '../kernels/losses';
import { boolean, F32_MAX, fail, finiteNumber, integer, knownKeys, optionsObject, shape } from '../validate';
import { checkAugment, type AugmentOptions } from './augment';
import type { LossConfig } from './loss';
import type { ReplicaSpec } from './replicas';

const LOSS_KINDS = ['crossEntropy', 'nll', 'gaussianNll', ...Object.keys(LOSSES)];
/** Options each loss takes besides `kind`. */
const LOSS_KEYS: Record<string, string[]> = { crossEntropy: ['labelSmoothing'], gaussianNll: ['eps', 'full'] };

export interface CompileOptions {
  /** Shape of one sample, e.g. [1, 28, 28] or [784]. */
  inputShape: readonly number[];
  loss: LossConfig | LossConfig['kind'];
  optimizer: OptimizerConfig;
  batchSize: number;
  /**
   * Learning rate per step; default: the optimizer's lr every step. It is the default group's
   * rate: a param group with its own lr gets schedule(step) × group lr / optimizer lr, the same
   * factor for every group, as torch's schedulers apply to each group's initial lr.
   */
  lrSchedule?: LrSchedule;
  /** Clip gradients to this global L2 norm before each update (torch clip_grad_norm_), on the GPU. */
  clipGradNorm?: number;
  /** Total steps the schedule spans (for fraction-based schedules). */
  totalSteps?: number;
  /** Seeds parameter initialization, dropout masks and augmentation. */
  seed?: number;
  /** Read metrics back every k steps (asynchronously). Default 20. */
  metricsEvery?: number;
  /** Batch size for evaluate() and predict(). Default 1000. */
  evalBatchSize?: number;
  /** Use this runtime; default: a new one on the default device. */
  runtime?: GpuRuntime;
  /**
   * Called once if the device is lost (driver reset, GPU process crash; not for destroy()).
   * Every later call then rejects with the DeviceLostError; continue on a new device by
   * compiling again and restore()-ing a checkpoint().
   */
  onDeviceLost?: (error: DeviceLostError) => void;
  /**
   * Data augmentation on the GPU inside every training step (tail batches too; never in
   * evaluate() or predict()), seeded by `seed` and the step: see {@link AugmentOptions}.
   */
  augment?: AugmentOptions;
  /**
   * Train K independent copies of the model in the same plans: a count, or one
   * {seed?, lr?, weightDecay?} per replica (see {@link ReplicaOptions}). step() then takes K
   * batches one after another, metrics and evaluate() report per replica, stateDict({replica})
   * reads one replica as an ordinary model. Not yet with `augment`.
   */
  replicas?: ReplicaSpec;
}

/** A loss given as its name or as {kind, ...}; checked and normalized. */
export function checkLoss(what: string, loss: unknown): LossConfig {
  const config = typeof loss === 'string' ? { kind: loss } : loss;
  const allowed = `one of ${LOSS_KINDS.map((k) => `'${k}'`).join(', ')} (or {kind: 'crossEntropy', labelSmoothing}, {kind: 'gaussianNll', eps, full})`;
  if (typeof config !== 'object' || config === null) fail(what, loss, allowed);
  const kind = (config as { kind?: unknown }).kind;
  if (!LOSS_KINDS.includes(kind as string)) fail(typeof loss === 'string' ? what : `${what}.kind`, kind, allowed);
  const c = config as Record<string, unknown>;
  knownKeys(what, c, ['kind', ...(LOSS_KEYS[c.kind as string] ?? [])]);
  if (c.labelSmoothing !== undefined) finiteNumber(`${what}.labelSmoothing`, c.labelSmoothing, 0, 1);
  // eps clamps the variance in f32: a value that f32 rounds to 0 (or to a subnormal) would not.
  if (c.eps !== undefined && !(typeof c.eps === 'number' && c.eps >= 2 ** -126 && c.eps <= F32_MAX)) {
    fail(`${what}.eps`, c.eps, 'a finite number > 0 (float32: from 1.2e-38)');
  }
  if (c.full !== undefined) boolean(`${what}.full`, c.full);
  return c as LossConfig;
}

function checkRuntime(what: string, runtime: unknown): void {
  if (runtime !== undefined && !(runtime instanceof GpuRuntime)) fail(what, runtime, 'a GpuRuntime (GpuRuntime.create())');
}

const COMPILE_KEYS = [
  'inputShape', 'loss', 'optimizer', 'batchSize', 'lrSchedule', 'clipGradNorm', 'totalSteps', 'seed', 'metricsEvery', 'evalBatchSize', 'runtime',
  'onDeviceLost', 'augment', 'replicas',
];

/** Everything compile() can check without the model; the optimizer is checked by resolveOptimizer. */
export function checkCompileOptions(value: unknown): void {
  const o = optionsObject('compile options', value);
  knownKeys('compile', o, COMPILE_KEYS);
  shape('compile: inputShape (the shape of one sample, e.g. [1, 28, 28])', o.inputShape);
  if (o.loss === undefined) fail('compile: loss', o.loss, `given (e.g. 'crossEntropy')`);
  const loss = checkLoss('compile: loss', o.loss);
  if (o.augment !== undefined) checkAugment('compile: augment', o.augment, o.inputShape as number[], loss);
  if (o.optimizer === undefined) fail('compile: optimizer', o.optimizer, 'given (e.g. adam({ lr: 1e-3 }))');
  integer('compile: batchSize', o.batchSize, 1);
  if (o.lrSchedule !== undefined && typeof o.lrSchedule !== 'function') fail('compile: lrSchedule', o.lrSchedule, 'a function (step, totalSteps) → lr');
  if (o.clipGradNorm !== undefined) finiteNumber('compile: clipGradNorm', o.clipGradNorm, Number.MIN_VALUE);
  if (o.totalSteps !== undefined) integer('compile: totalSteps', o.totalSteps, 1);
  if (o.seed !== undefined) integer('compile: seed', o.seed, 0, 0xffffffff);
  if (o.metricsEvery !== undefined) integer('compile: metricsEvery', o.metricsEvery, 1);
  if (o.evalBatchSize !== undefined) integer('compile: evalBatchSize', o.evalBatchSize, 1, 1 << 24);
  if (o.onDeviceLost !== undefined && typeof o.onDeviceLost !== 'function') fail('compile: onDeviceLost', o.onDeviceLost, 'a function');
  checkRuntime('compile: runtime', o.runtime);
}

export function checkInferenceOptions(value: unknown): void {
  const o = optionsObject('compileInference options', value);
  knownKeys('compileInference', o, ['inputShape', 'batchSize', 'loss', 'seed', 'runtime', 'onDeviceLost']);
  shape('compileInference: inputShape (the shape of one sample, e.g. [1, 28, 28])', o.inputShape);
  if (o.batchSize !== undefined) integer('compileInference: batchSize', o.batchSize, 1, 1 << 24);
  if (o.loss !== undefined) checkLoss('compileInference: loss', o.loss);
  if (o.seed !== undefined) integer('compileInference: seed', o.seed, 0, 0xffffffff);
  if (o.onDeviceLost !== undefined && typeof o.onDeviceLost !== 'function') fail('compileInference: onDeviceLost', o.onDeviceLost, 'a function');
  checkRuntime('compileInference: runtime', o.runtime);
}
