// The demo's training run: trainer.fit() over the training images (it throttles the GPU and
// yields to the browser), reported to the page through fit's callbacks, paused mid-epoch by
// awaiting in onBatchEnd, stopped through its AbortSignal, with an evaluation on the test
// images after every epoch.
import type { EpochRecord, FitData, LabeledData, Trainer, TrainingMetrics } from '../src/index';

/** What the loop reports to the page. */
export interface TrainingEvents {
  /** After every step; the rates leave out the time spent paused. */
  progress(p: { epoch: number; step: number; stepsPerEpoch: number; samplesPerSec: number; msPerStep: number }): void;
  /** Mean loss over the steps since the previous point (metrics arrive every few steps). */
  loss(globalStep: number, loss: number): void;
  epoch(e: { epoch: number; trainAccuracy: number; trainLoss: number; testAccuracy: number; testLoss: number; logits: Float32Array }): void;
}

let evalQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` with the trainer in eval mode (running BN statistics, no dropout), one caller
 * at a time: predict() and evaluate() read the mode when they start, and the epoch-end
 * evaluation and the drawing pad's predictions may overlap.
 */
export function inEvalMode<T>(trainer: Trainer, work: () => Promise<T>): Promise<T> {
  const run = evalQueue.then(async () => {
    trainer.eval();
    try {
      return await work();
    } finally {
      trainer.train();
    }
  });
  evalQueue = run.catch(() => undefined);
  return run;
}

/** Mean cross-entropy and accuracy of `count` rows of logits against class labels (as evaluate()). */
export function scoreLogits(logits: Float32Array, labels: Uint32Array, count: number): { loss: number; accuracy: number } {
  const classes = logits.length / count;
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
    loss += logSum - row[labels[i]!]!;
    if (row.indexOf(max) === labels[i]) correct++; // the first maximum, as argmax
  }
  return { loss: loss / count, accuracy: correct / count };
}

/**
 * One run of trainer.fit() with the page's controls: pause() holds it after the current step
 * (fit awaits onBatchEnd's promise), resume() continues that epoch, stop() aborts it.
 */
export class TrainingSession {
  private paused = false;
  private wake: (() => void) | undefined;
  private readonly abort = new AbortController();
  /** The last loss point plotted, in the current epoch's metrics window. */
  private seen = { steps: 0, loss: 0 };
  /** Training time of the current epoch so far (pauses excluded), and since when it runs. */
  private activeMs = 0;
  private since = performance.now();
  /** Resolves when the run has ended (all epochs done, or stopped). */
  readonly finished: Promise<void>;

  constructor(
    readonly trainer: Trainer,
    train: FitData,
    private readonly test: Pick<LabeledData, 'x' | 'y' | 'count'>,
    readonly epochs: number,
    seed: number,
    private readonly events: TrainingEvents,
  ) {
    this.finished = trainer
      .fit(train, {
        epochs,
        seed, // the shuffle of every epoch
        signal: this.abort.signal,
        yieldEveryMs: 30, // a frame can render and clicks (Pause) get handled, in Node too
        onBatchEnd: (info) => this.batchEnd(info),
        onEpochEnd: (record) => this.epochEnd(record),
      })
      .then(() => undefined);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Ends the run after the current step; await `finished` before destroying the trainer. */
  stop(): void {
    this.abort.abort();
    this.wake?.();
  }

  private async batchEnd({ epoch, batch, batches, metrics }: { epoch: number; batch: number; batches: number; metrics: TrainingMetrics }): Promise<void> {
    if (metrics.steps > this.seen.steps) this.plot(epoch, batches, metrics.steps, metrics.loss);
    const ms = (this.activeMs + performance.now() - this.since) / (batch + 1);
    this.events.progress({ epoch, step: batch + 1, stepsPerEpoch: batches, samplesPerSec: (1000 * this.trainer.batchSize) / ms, msPerStep: ms });
    if (this.paused && !this.abort.signal.aborted) {
      this.activeMs += performance.now() - this.since;
      await this.trainer.sync(); // let the queued steps finish while paused
      // Resume or Stop may have come during sync(): wait only while still paused.
      while (this.paused && !this.abort.signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
      this.since = performance.now();
    }
  }

  private async epochEnd(record: EpochRecord): Promise<void> {
    // fit read back the whole epoch's metrics: the last point covers the steps since the previous one.
    const steps = Math.ceil(record.samples / this.trainer.batchSize);
    if (steps > this.seen.steps) this.plot(record.epoch, steps, steps, record.loss);
    this.seen = { steps: 0, loss: 0 }; // fit starts a new metrics window each epoch
    if (this.abort.signal.aborted) return; // stopped during the last step: no evaluation
    // One forward pass over the test images: the page needs the logits (confusion matrix,
    // mistakes) and loss and accuracy follow from them; fit's validation would be a second pass.
    const logits = await inEvalMode(this.trainer, () => this.trainer.predict(this.test.x, this.test.count));
    const test = scoreLogits(logits, this.test.y, this.test.count);
    this.events.epoch({ epoch: record.epoch, trainAccuracy: record.accuracy, trainLoss: record.loss, testAccuracy: test.accuracy, testLoss: test.loss, logits });
    this.activeMs = 0; // the next epoch's clock starts after the evaluation
    this.since = performance.now();
  }

  /** Plots the mean loss of the steps since the last point; `steps` and `loss` cover the epoch so far. */
  private plot(epoch: number, batches: number, steps: number, loss: number): void {
    const { seen } = this;
    this.events.loss((epoch - 1) * batches + steps, (loss * steps - seen.loss * seen.steps) / (steps - seen.steps));
    this.seen = { steps, loss };
  }
}
