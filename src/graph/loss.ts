// Loss heads: the calls that turn the model output into per-row loss terms and the output
// gradient (the root of backpropagation), plus the GPU-side metrics they accumulate.
import { gaussianNll, lossForwardBackward, nllBackward, nllForward, type Loss } from '../kernels/losses';
import { countCorrect, sumToSlot } from '../kernels/reduce';
import { crossEntropyFromLabels, crossEntropyFromProbs } from '../kernels/softmax_xent';
import { ShapeError, showShape } from './ir';
import type { Schedule } from './schedule';

/**
 * The training loss; PyTorch semantics with mean reduction over the batch, except 'sse'
 * (MSELoss(reduction='sum'): the batch's Σ (p − t)²).
 *
 * 'gaussianNll' is torch.nn.GaussianNLLLoss (eps default 1e-6, full default false, mean over
 * N·D): the model output is [N, 2D] with the means in columns [0, D) and the variances in
 * [D, 2D) (positive, e.g. after a Sigmoid or Softplus); targets are f32 [N, D]. Variances
 * below eps are clamped to eps with the gradient passed through as torch does; a negative
 * variance (a ValueError in torch) makes the loss NaN.
 */
export type LossConfig =
  | { kind: 'crossEntropy'; labelSmoothing?: number }
  | { kind: 'nll' }
  | { kind: 'gaussianNll'; eps?: number; full?: boolean }
  | { kind: Loss };

/** Metrics slots in the GPU metrics buffer: Σ of batch-mean losses, count of correct rows. */
export const METRIC_LOSS = 0;
export const METRIC_CORRECT = 1;
/** A u32 (not an f32): the first training step with a NaN or ±Inf gradient since the reset, 0 if none. */
export const METRIC_NONFINITE_STEP = 2;
/** Written by the CPU for a padded evaluation batch: how many leading rows are real samples. */
export const METRIC_ROWS = 3;
export const METRIC_WORDS = 4;

/** Whether targets are class indices (u32 [N]) or values shaped like the output (f32). */
export function usesLabels(loss: LossConfig): boolean {
  return loss.kind === 'crossEntropy' || loss.kind === 'nll';
}

/** Target values per row for a model output of `outputs` columns (labels: 1). */
export function targetsPerRow(loss: LossConfig, outputs: number): number {
  if (usesLabels(loss)) return 1;
  if (loss.kind !== 'gaussianNll') return outputs;
  if (outputs % 2 !== 0) {
    throw new ShapeError(`loss gaussianNll: model output must be [N, 2D] (D means, then D variances), got ${outputs} columns`);
  }
  return outputs / 2;
}

/**
 * What the loss metric of a batch of `rows` rows must be multiplied by to give the sum of
 * its per-sample losses: the rows for a mean, 1 for 'sse' (already a sum).
 */
export function lossRowsFactor(loss: LossConfig, rows: number): number {
  return loss.kind === 'sse' ? 1 : rows;
}

export function normalizeLoss(loss: LossConfig | LossConfig['kind']): LossConfig {
  return typeof loss === 'string' ? ({ kind: loss } as LossConfig) : loss;
}

/** Keys the head reads and writes (`grad` is undefined in evaluation: no backward), and the device's subgroup size. */
export interface HeadKeys {
  output: string;
  targets: string;
  metrics: string;
  grad: string | undefined;
  scratch: (name: string, floats: number) => string;
  /** The batch may be padded: only the first metrics[METRIC_ROWS] rows enter the metrics. */
  padded?: boolean;
  /** The device's fixed subgroup size, if any: the metric sums offer the subgroup sum (src/kernels/workgroup-sum.ts). */
  subgroupSize?: number;
  /**
   * Soft targets [N, C] (mixup / CutMix, crossEntropy only): the loss uses them; accuracy
   * still counts against the labels in `targets`.
   */
  softTargets?: string;
}

/**
 * Appends the loss calls: loss terms (their sum is the batch loss), the output gradient when
 * training, Σ loss into metrics[METRIC_LOSS] and, for class labels, the number of correct
 * predictions into metrics[METRIC_CORRECT].
 */
export function lowerLoss(schedule: Schedule, loss: LossConfig, outShape: readonly number[], keys: HeadKeys): void {
  const [n, c] = outShape as [number, number];
  if (outShape.length !== 2) throw new ShapeError(`loss ${loss.kind}: model output must be [N, C], got ${showShape(outShape)}`);
  const termsPerRow = targetsPerRow(loss, c);
  const terms = keys.scratch('loss terms', n * termsPerRow);
  const grad = keys.grad ?? keys.scratch('output grad', n * c);
  switch (loss.kind) {
    case 'crossEntropy': {
      const options = { labelSmoothing: loss.labelSmoothing ?? 0 };
      // Mixup / CutMix train on mixed soft targets; accuracy still counts the labels.
      if (keys.softTargets) schedule.call(crossEntropyFromProbs(n, c, options), [keys.output, keys.softTargets, terms, grad]);
      else schedule.call(crossEntropyFromLabels(n, c, options), [keys.output, keys.targets, terms, grad]);
      break;
    }
    case 'nll':
      schedule.call(nllForward(n, c), [keys.output, keys.targets, terms]);
      if (keys.grad) schedule.call(nllBackward(n, c), [keys.targets, keys.grad]);
      break;
    case 'gaussianNll':
      schedule.call(gaussianNll(n, termsPerRow, { eps: loss.eps, full: loss.full }), [keys.output, keys.targets, terms, grad]);
      break;
    default:
      schedule.call(lossForwardBackward(loss.kind, n * c), [keys.output, keys.targets, terms, grad]);
  }
  const rowsSlot = keys.padded ? METRIC_ROWS : undefined;
  schedule.call(sumToSlot(n * termsPerRow, { accumulate: true, slot: METRIC_LOSS, rowsSlot, termsPerRow, subgroupSize: keys.subgroupSize }), [terms, keys.metrics]);
  if (usesLabels(loss)) {
    schedule.call(countCorrect(n, c, { accumulate: true, slot: METRIC_CORRECT, rowsSlot, subgroupSize: keys.subgroupSize }), [keys.output, keys.targets, keys.metrics]);
  }
}
