// The live results of a run: the stats row, the loss and accuracy charts, and the test-set
// confusion matrix and mistakes, fed by a TrainingSession's events and cleared by Reset.
import { MNIST_MEAN, MNIST_STD, type LabeledData } from '../src/index';
import { AccuracyChart, LossChart } from './charts';
import { confusionMatrix, renderConfusion, renderMistakes } from './confusion';
import type { TrainingEvents } from './training';

const $ = (id: string) => document.getElementById(id)!;
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
/** A standardized pixel back to a byte, for drawing the misclassified images. */
const toByte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v * MNIST_STD + MNIST_MEAN)));
const RESULTS_HINT = 'The confusion matrix and mistakes appear after the first epoch.';

export class LiveView {
  private readonly stats = {
    epoch: $('epoch'),
    step: $('step'),
    loss: $('loss'),
    throughput: $('throughput'),
    stepMs: $('step-ms'),
    trainAccuracy: $('train-accuracy'),
    testAccuracy: $('test-accuracy'),
  };
  private readonly confusion = $('confusion');
  private readonly mistakes = $('mistakes');
  private readonly resultsNote = $('results-note');
  private readonly lossChart = new LossChart($('loss-chart'));
  private readonly accuracyChart = new AccuracyChart($('accuracy-chart'));

  /** Events that show a run of `epochs` evaluated on `test`; `onEpoch` runs after each epoch's results are drawn. */
  events(epochs: number, test: LabeledData, onEpoch: () => void): TrainingEvents {
    const s = this.stats;
    return {
      progress: (p) => {
        s.epoch.textContent = `${p.epoch} / ${epochs}`;
        s.step.textContent = `${p.step} / ${p.stepsPerEpoch}`;
        s.throughput.textContent = Math.round(p.samplesPerSec).toLocaleString();
        s.stepMs.textContent = p.msPerStep.toFixed(1);
      },
      loss: (step, loss) => {
        s.loss.textContent = loss.toFixed(4);
        this.lossChart.add(step, loss);
      },
      epoch: (e) => {
        s.trainAccuracy.textContent = pct(e.trainAccuracy);
        s.testAccuracy.textContent = pct(e.testAccuracy);
        this.accuracyChart.add(e.epoch, e.trainAccuracy, e.testAccuracy);
        renderConfusion(this.confusion, confusionMatrix(e.logits, test.y, test.count));
        const wrong = renderMistakes(this.mistakes, test.x, test.y, e.logits, test.count, toByte);
        this.resultsNote.textContent = `After epoch ${e.epoch}: ${wrong} of ${test.count.toLocaleString()} test images misclassified (test loss ${e.testLoss.toFixed(4)}). Showing the first 40.`;
        onEpoch();
      },
    };
  }

  clear(): void {
    for (const el of Object.values(this.stats)) el.textContent = '–';
    this.lossChart.clear();
    this.accuracyChart.clear();
    this.confusion.replaceChildren();
    this.mistakes.replaceChildren();
    this.resultsNote.textContent = RESULTS_HINT;
  }
}
