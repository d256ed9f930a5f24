// Loss heads: the calls that turn the model output into per-row loss terms and the output
// gradient (the root of backpropagation), plus the GPU-side metrics they accumulate.
import { lossForwardBackward, nllBackward, nllForward, type Loss } from '../kernels/losses';
import { countCorrect, sumToSlot } from '../kernels/reduce';
import { crossEntropyFromLabels } from '../kernels/softmax_xent';
import { ShapeError, showShape } from './ir';
import type { Schedule } from './schedule';

/** The training loss; PyTorch semantics with mean reduction over the batch. */
export type LossConfig =
  | { kind: 'crossEntropy'; labelSmoothing?: number }
  | { kind: 'nll' }
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

export function normalizeLoss(loss: LossConfig | LossConfig['kind']): LossConfig {
  return typeof loss === 'string' ? ({ kind: loss } as LossConfig) : loss;
}

/** Keys the head reads and writes. `grad` is undefined in evaluation (no backward). */
export interface HeadKeys {
  output: string;
  targets: string;
  metrics: string;
  grad: string | undefined;
  scratch: (name: string, floats: number) => string;
  /** The batch may be padded: only the first metrics[METRIC_ROWS] rows enter the metrics. */
  padded?: boolean;
}

/**
 * Appends the loss calls: loss terms (their sum is the batch loss), the output gradient when
 * training, Σ loss into metrics[METRIC_LOSS] and, for class labels, the number of correct
 * predictions into metrics[METRIC_CORRECT].
 */
export function lowerLoss(schedule: Schedule, loss: LossConfig, outShape: readonly number[], keys: HeadKeys): void {
  const [n, c] = outShape as [number, number];
  if (outShape.length !== 2) throw new ShapeError(`loss ${loss.kind}: model output must be [N, C], got ${showShape(outShape)}`);
  const terms = keys.scratch('loss terms', usesLabels(loss) ? n : n * c);
  const grad = keys.grad ?? keys.scratch('output grad', n * c);
  switch (loss.kind) {
    case 'crossEntropy': {
      const program = crossEntropyFromLabels(n, c, { labelSmoothing: loss.labelSmoothing ?? 0 });
      schedule.call(program, [keys.output, keys.targets, terms, grad]);
      break;
    }
    case 'nll':
      schedule.call(nllForward(n, c), [keys.output, keys.targets, terms]);
      if (keys.grad) schedule.call(nllBackward(n, c), [keys.targets, keys.grad]);
      break;
    default:
      schedule.call(lossForwardBackward(loss.kind, n * c), [keys.output, keys.targets, terms, grad]);
  }
  const termsPerRow = usesLabels(loss) ? 1 : c;
  const rowsSlot = keys.padded ? METRIC_ROWS : undefined;
  schedule.call(sumToSlot(n * termsPerRow, { accumulate: true, slot: METRIC_LOSS, rowsSlot, termsPerRow }), [terms, keys.metrics]);
  if (usesLabels(loss)) {
    schedule.call(countCorrect(n, c, { accumulate: true, slot: METRIC_CORRECT, rowsSlot }), [keys.output, keys.targets, keys.metrics]);
  }
}
