// The training loop of the demo: epochs of GPU steps that never block the page (throttled to a
// couple of steps in flight, yielding to the browser often), pausable mid-epoch, with an
// evaluation on the test images after every epoch.
import { Batcher, type LabeledData, type Trainer } from '../src/index';

/** What the loop reports to the page. */
export interface TrainingEvents {
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

const yieldToBrowser = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TrainingSession {
  private paused = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Resolves when the loop has ended (all epochs done, or stopped). */
  readonly finished: Promise<void>;

  constructor(
    readonly trainer: Trainer,
    private readonly train: LabeledData,
    private readonly test: LabeledData,
    readonly epochs: number,
    private readonly seed: number,
    private readonly events: TrainingEvents,
  ) {
    this.finished = this.run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Ends the loop at the next step; await `finished` before destroying the device. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { trainer, events } = this;
    const batcher = new Batcher(this.train, trainer.batchSize, { seed: this.seed });
    const perEpoch = batcher.batchesPerEpoch;
    for (let epoch = 1; epoch <= this.epochs; epoch++) {
      trainer.train();
      trainer.resetMetrics();
      batcher.startEpoch();
      let seen = { steps: 0, loss: 0 }; // the last metrics point plotted
      let activeMs = 0; // time spent training this epoch (pauses excluded)
      let since = performance.now();
      let lastYield = since;
      for (let b = 0; b < perEpoch; b++) {
        if (this.paused) {
          activeMs += performance.now() - since;
          await trainer.sync(); // let the queued steps finish while paused
          await new Promise<void>((resolve) => (this.wake = resolve));
          since = performance.now();
        }
        if (this.stopped) return;
        const { x, y } = batcher.fill(b);
        trainer.step(x, y);
        await trainer.throttle(); // never more than two steps ahead of the GPU
        const m = trainer.metrics;
        if (m.steps > seen.steps) {
          events.loss((epoch - 1) * perEpoch + m.steps, (m.loss * m.steps - seen.loss * seen.steps) / (m.steps - seen.steps));
          seen = { steps: m.steps, loss: m.loss };
        }
        const now = performance.now();
        const ms = (activeMs + now - since) / (b + 1);
        events.progress({ epoch, step: b + 1, stepsPerEpoch: perEpoch, samplesPerSec: (1000 * trainer.batchSize) / ms, msPerStep: ms });
        if (now - lastYield > 30) {
          await yieldToBrowser(); // a frame can render, clicks (Pause) get handled
          lastYield = performance.now();
        }
      }
      const metrics = await trainer.flushMetrics(); // exact numbers for the whole epoch
      if (metrics.steps > seen.steps) {
        events.loss((epoch - 1) * perEpoch + metrics.steps, (metrics.loss * metrics.steps - seen.loss * seen.steps) / (metrics.steps - seen.steps));
      }
      if (this.stopped) return;
      // One forward pass over the test images: the page needs the logits (confusion matrix,
      // mistakes) and loss and accuracy follow from them; evaluate() would be a second pass.
      const logits = await inEvalMode(trainer, () => trainer.predict(this.test.x, this.test.count));
      const test = scoreLogits(logits, this.test.y, this.test.count);
      events.epoch({ epoch, trainAccuracy: metrics.accuracy, trainLoss: metrics.loss, testAccuracy: test.accuracy, testLoss: test.loss, logits });
    }
  }
}
