// Float64 reference of a Trainer over several steps: forward (dropout masks from seed and
// step), loss, backward, clipping by global norm (torch clip_grad_norm_), a torch.optim update
// with this step's learning rate, BatchNorm running statistics; eval-mode predict and
// evaluate. Every hyperparameter comes from the caller, so nothing is taken from src/.
import type { ResolvedOptimizer } from '../../src/kernels/optim-config';
import { centralDifference } from '../helpers/compare';
import { initialBuffers, modelForward, parameterNames, type Layer, type ParamRole, type Tensors } from './model';
import { ReferenceOptimizer } from './optim';
import { argmax } from './reduce';
import { crossEntropy, labelTargets } from './softmax_xent';

export interface ReferenceTrainerOptions {
  layers: Layer[];
  /** Shape of one sample. */
  inputShape: number[];
  /** Mean-reduced: cross-entropy over class labels, or MSE over targets shaped like the output. */
  loss: 'crossEntropy' | 'mse';
  optimizer: ResolvedOptimizer;
  /** Learning rate of 0-based step s (the LR schedule). */
  lr: (s: number) => number;
  clipGradNorm?: number;
  /** Dropout seed. */
  seed: number;
  /** Initial parameters by state-dict name (read from the GPU trainer before its first step). */
  params: ReadonlyMap<string, ArrayLike<number>>;
  /**
   * A parameter's param-group settings (weight decay, lr as a multiple of the step's), or
   * undefined for the optimizer's own. Default: none, so every parameter is decayed (torch).
   */
  group?: (name: string, role: ParamRole) => { weightDecay: number; lrScale: number } | undefined;
}

/** Loss of a batch (sum of per-sample losses / N) and what the loss head hands on. */
export interface HeadResult {
  loss: number;
  /** Rows whose argmax is their label (NaN for MSE). */
  correct: number;
  /** dLoss/dOutput. */
  grad: Float64Array;
  /** Per-sample losses before the mean (for evaluate). */
  perSample: Float64Array;
}

export function lossHead(kind: 'crossEntropy' | 'mse', out: ArrayLike<number>, y: ArrayLike<number>, n: number, c: number): HeadResult {
  if (kind === 'crossEntropy') {
    const ce = crossEntropy(out, labelTargets(y, n, c, 0), n, c, 1);
    const predicted = argmax(out, n, c);
    return {
      loss: ce.loss.reduce((s, v) => s + v, 0) / n,
      correct: predicted.filter((k, i) => k === y[i]).length,
      grad: ce.grad.map((g) => g / n),
      perSample: ce.loss,
    };
  }
  const perSample = new Float64Array(n);
  const grad = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    const d = out[i]! - y[i]!;
    const row = Math.floor(i / c);
    perSample[row] = perSample[row]! + (d * d) / c;
    grad[i] = (2 * d) / (n * c);
  }
  return { loss: perSample.reduce((s, v) => s + v, 0) / n, correct: NaN, grad, perSample };
}

export interface ReferenceStep {
  loss: number;
  correct: number;
  /** Gradients before clipping. */
  raw: Tensors;
  /** Gradients as the update sees them (after clipping). */
  grads: Tensors;
  /** Global L2 norm of the raw gradients. */
  norm: number;
  lr: number;
}

export class ReferenceTrainer {
  steps = 0;
  /** BatchNorm running statistics by state-dict name. */
  buffers: Tensors;
  /** torch's num_batches_tracked: train-mode forward passes. */
  batchesTracked = 0;
  private readonly names: string[];
  private readonly segments: { start: number; length: number; weightDecay?: number; lrScale?: number }[];
  private readonly optimizer: ReferenceOptimizer;

  constructor(readonly options: ReferenceTrainerOptions) {
    const info = parameterNames(options.layers);
    if (info.length !== options.params.size) throw new Error(`reference trainer: ${info.length} parameters, ${options.params.size} given`);
    let start = 0;
    this.names = info.map((p) => p.name);
    this.segments = info.map(({ name, role }) => {
      const given = options.params.get(name);
      if (!given) throw new Error(`reference trainer: no initial value for ${name}`);
      const segment = { start, length: given.length, ...options.group?.(name, role) };
      start += given.length;
      return segment;
    });
    const flat = new Float64Array(start);
    this.names.forEach((name, k) => flat.set(Array.from(options.params.get(name)!), this.segments[k]!.start));
    this.optimizer = new ReferenceOptimizer(options.optimizer, this.segments, flat);
    this.buffers = initialBuffers(options.layers);
  }

  private split(flat: Float64Array): Tensors {
    return new Map(this.names.map((name, k) => [name, flat.slice(this.segments[k]!.start, this.segments[k]!.start + this.segments[k]!.length)]));
  }

  /** A copy of the current parameters. */
  get params(): Tensors {
    return this.split(this.optimizer.params);
  }

  /** Optimizer state slot `slot` (torch's name: exp_avg, momentum_buffer, ...) per parameter. */
  state(slot: string): Tensors {
    return this.split(this.optimizer.slot(slot));
  }

  /** Loss and raw gradients of a train-mode pass at `params` with the dropout masks of `step`; changes nothing. */
  lossAndGradients(x: ArrayLike<number>, y: ArrayLike<number>, n: number, step: number, params = this.params) {
    const { layers, inputShape, seed } = this.options;
    const forward = modelForward(layers, params, this.buffers, x, [n, ...inputShape], { train: true, seed, step });
    const head = lossHead(this.options.loss, forward.y, y, n, forward.shape[1]!);
    return { loss: head.loss, correct: head.correct, grads: forward.backward(head.grad), buffers: forward.buffers };
  }

  /** One training step on a batch of n rows. */
  step(x: ArrayLike<number>, y: ArrayLike<number>, n: number): ReferenceStep {
    this.steps++;
    const result = this.lossAndGradients(x, y, n, this.steps);
    const flat = new Float64Array(this.optimizer.params.length);
    this.names.forEach((name, k) => flat.set(result.grads.get(name)!, this.segments[k]!.start));
    const norm = Math.sqrt(flat.reduce((s, g) => s + g * g, 0));
    const max = this.options.clipGradNorm;
    // torch.nn.utils.clip_grad_norm_: coefficient max/(‖g‖ + 1e-6), clamped to 1.
    const scale = max === undefined ? 1 : Math.min(1, max / (norm + 1e-6));
    const lr = this.options.lr(this.steps - 1);
    this.optimizer.step(flat, { lr, step: this.steps, gradScale: scale });
    for (const [name, value] of result.buffers) this.buffers.set(name, value);
    this.batchesTracked++;
    const grads = this.split(flat.map((g) => g * scale));
    return { loss: result.loss, correct: result.correct, raw: result.grads, grads, norm, lr };
  }

  /** Eval-mode outputs (running statistics, no dropout) of n rows. */
  predict(x: ArrayLike<number>, n: number): ArrayLike<number> {
    const { layers, inputShape } = this.options;
    return modelForward(layers, this.params, this.buffers, x, [n, ...inputShape], { train: false }).y;
  }

  /** Eval-mode mean loss and accuracy over `count` samples (eval mode treats every sample on its own). */
  evaluate(x: ArrayLike<number>, y: ArrayLike<number>, count: number): { loss: number; accuracy: number } {
    const out = this.predict(x, count);
    const head = lossHead(this.options.loss, out, y, count, out.length / count);
    return { loss: head.loss, accuracy: head.correct / count };
  }

  /**
   * Central differences of the train-mode loss (masks of `step`) with respect to chosen
   * elements of each parameter, beside the analytic gradient: checks the reference's backward.
   */
  finiteDifferences(x: ArrayLike<number>, y: ArrayLike<number>, n: number, step: number, picks: (length: number) => number[]) {
    const params = this.params;
    const analytic = this.lossAndGradients(x, y, n, step, params).grads;
    const rows: { name: string; index: number; analytic: number; numeric: number }[] = [];
    for (const [name, value] of params) {
      for (const index of picks(value.length)) {
        const original = value[index]!;
        const numeric = centralDifference((v) => {
          value[index] = v;
          return this.lossAndGradients(x, y, n, step, params).loss;
        }, original);
        value[index] = original;
        rows.push({ name, index, analytic: analytic.get(name)![index]!, numeric });
      }
    }
    return { rows, analytic };
  }
}
