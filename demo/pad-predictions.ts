// The drawing pad's predictions: every stroke asks for one, requests are coalesced (at most one
// prediction in flight, then the newest drawing), and the bars show the current model's class
// probabilities. The model is whatever the page holds at the time: a trainer or a loaded model.
import { MNIST_MEAN, MNIST_STD, Trainer, type CompiledModel } from '../src/index';
import { DrawPad, drawPreview, renderBars, softmax } from './draw';
import { inEvalMode } from './training';

export interface PadElements {
  canvas: HTMLCanvasElement;
  /** 28×28: what the model sees. */
  preview: HTMLCanvasElement;
  bars: HTMLOListElement;
  /** "Train or load a model…", shown while there is none. */
  hint: HTMLElement;
}

export class PadPredictions {
  readonly pad: DrawPad;
  private running = false;
  private dirty = false;
  /** Settles when no prediction is running: free a model only after it. */
  idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly el: PadElements,
    private readonly model: () => CompiledModel | undefined,
    private readonly onError: (error: unknown) => void,
  ) {
    this.pad = new DrawPad(el.canvas, () => this.request());
    renderBars(el.bars, undefined);
  }

  /** Predicts the drawing again soon (the model or the drawing changed). */
  request(): void {
    this.dirty = true;
    if (!this.running) this.idle = this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty) {
        this.dirty = false;
        const pixels = this.pad.toMnist();
        drawPreview(this.el.preview, pixels);
        const model = this.model();
        this.el.hint.hidden = !!model;
        if (!pixels || !model) {
          renderBars(this.el.bars, undefined);
          continue;
        }
        const x = pixels.map((v) => (v - MNIST_MEAN) / MNIST_STD); // as parseMnist's 'standardize'
        // A trainer predicts in eval mode (running BN statistics, no dropout).
        const logits = await (model instanceof Trainer ? inEvalMode(model, () => model.predict(x, 1)) : model.predict(x, 1));
        if (model === this.model()) renderBars(this.el.bars, softmax(logits));
      }
    } catch (error) {
      if (this.model()) this.onError(error); // a model freed mid-prediction is not an error
    } finally {
      this.running = false;
    }
  }
}
