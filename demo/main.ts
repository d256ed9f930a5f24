// Demo entry: wires the setup form, the training loop, the charts, the test-set results and the
// drawing pad to one WebGPU runtime. MNIST comes from the IDX files served at the site root.
import './styles.css';
import {
  GpuRuntime,
  MNIST_MEAN,
  MNIST_STD,
  WebGPUUnavailableError,
  compile,
  fetchMnistFiles,
  parseMnist,
  type MnistFiles,
  type Trainer,
} from '../src/index';
import { AccuracyChart, LossChart } from './charts';
import { confusionMatrix, renderConfusion, renderMistakes } from './confusion';
import { buildModel, buildOptimizer, describe, readSettings, setLocked, wireArchitecture, wireOptimizerDefaults } from './controls';
import { DrawPad, drawPreview, renderBars, softmax } from './draw';
import { inEvalMode, TrainingSession } from './training';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  adapter: $('adapter'),
  error: $('error'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  reset: $<HTMLButtonElement>('reset'),
  loading: $('loading'),
  loadingText: $('loading-text'),
  loadingBar: $<HTMLProgressElement>('loading-bar'),
  status: $('status'),
  epoch: $('epoch'),
  step: $('step'),
  loss: $('loss'),
  throughput: $('throughput'),
  stepMs: $('step-ms'),
  trainAccuracy: $('train-accuracy'),
  testAccuracy: $('test-accuracy'),
  testNote: $('test-note'),
  confusion: $('confusion'),
  mistakes: $('mistakes'),
  resultsNote: $('results-note'),
  bars: $<HTMLOListElement>('probabilities'),
  preview: $<HTMLCanvasElement>('draw-preview'),
  drawHint: $('draw-hint'),
};

let runtime: GpuRuntime | undefined;
let files: MnistFiles | undefined;
let trainer: Trainer | undefined;
let session: TrainingSession | undefined;
const lossChart = new LossChart($('loss-chart'));
const accuracyChart = new AccuracyChart($('accuracy-chart'));
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function showError(error: unknown): void {
  ui.error.hidden = false;
  ui.error.textContent = error instanceof Error ? error.message : String(error);
  console.error(error);
}

type State = 'loading' | 'idle' | 'compiling…' | 'training' | 'paused' | 'done' | 'failed' | 'resetting…' | 'no WebGPU';
let state: State = 'loading';

/** Shows the state and enables the buttons that make sense in it. */
function setState(next: State): void {
  state = next;
  ui.status.textContent = next === 'loading' ? 'loading data…' : next;
  const ready = !!runtime && !!files;
  ui.start.disabled = !ready || !['idle', 'paused'].includes(state);
  ui.start.textContent = state === 'paused' ? 'Resume' : 'Start';
  ui.pause.disabled = state !== 'training';
  ui.reset.disabled = !trainer || state === 'compiling…' || state === 'resetting…';
}

async function start(): Promise<void> {
  if (state === 'paused' && session) {
    session.resume();
    setState('training');
    return;
  }
  ui.error.hidden = true;
  const settings = readSettings();
  setLocked(true);
  setState('compiling…');
  const mnist = parseMnist(files!, { trainCount: settings.trainCount, testCount: settings.testCount, normalization: 'standardize' });
  const stepsPerEpoch = Math.floor(settings.trainCount / settings.batch);
  trainer = await compile(buildModel(settings), {
    inputShape: [1, 28, 28], // NCHW without the batch: the MLP flattens it, the CNN convolves it
    loss: 'crossEntropy',
    optimizer: buildOptimizer(settings),
    batchSize: settings.batch,
    seed: settings.seed,
    metricsEvery: Math.min(10, Math.max(1, Math.floor(stepsPerEpoch / 10))), // short runs still draw a curve
    runtime: runtime!,
  });
  await trainer.prepareEvaluation('eval', 1); // the drawing pad predicts one image at a time
  ui.adapter.textContent = trainer.runtime.gpu.adapterName;
  ui.testNote.textContent = `(test: first ${mnist.test.count.toLocaleString()} test images; ${describe(settings)})`;
  const test = mnist.test;
  session = new TrainingSession(trainer, mnist.train, test, settings.epochs, settings.seed, {
    progress: (p) => {
      ui.epoch.textContent = `${p.epoch} / ${settings.epochs}`;
      ui.step.textContent = `${p.step} / ${p.stepsPerEpoch}`;
      ui.throughput.textContent = Math.round(p.samplesPerSec).toLocaleString();
      ui.stepMs.textContent = p.msPerStep.toFixed(1);
    },
    loss: (step, loss) => {
      ui.loss.textContent = loss.toFixed(4);
      lossChart.add(step, loss);
    },
    epoch: (e) => {
      ui.trainAccuracy.textContent = pct(e.trainAccuracy);
      ui.testAccuracy.textContent = pct(e.testAccuracy);
      accuracyChart.add(e.epoch, e.trainAccuracy, e.testAccuracy);
      renderConfusion(ui.confusion, confusionMatrix(e.logits, test.y, test.count));
      const toByte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v * MNIST_STD + MNIST_MEAN)));
      const wrong = renderMistakes(ui.mistakes, test.x, test.y, e.logits, test.count, toByte);
      ui.resultsNote.textContent = `After epoch ${e.epoch}: ${wrong} of ${test.count.toLocaleString()} test images misclassified (test loss ${e.testLoss.toFixed(4)}). Showing the first 40.`;
      requestPrediction();
    },
  });
  setState('training');
  const current = session;
  current.finished.then(
    () => {
      if (session === current) setState('done');
    },
    (error: unknown) => {
      showError(error);
      if (session === current) setState('failed');
    },
  );
}

async function reset(): Promise<void> {
  const old = session;
  const oldTrainer = trainer;
  session = undefined;
  trainer = undefined;
  setState('resetting…'); // nothing can be clicked until the old model's memory is freed
  if (old) {
    old.stop();
    await old.finished.catch(() => undefined);
  }
  await oldTrainer?.destroy(); // frees every GPU buffer of the old model; the device stays
  for (const el of [ui.epoch, ui.step, ui.loss, ui.throughput, ui.stepMs, ui.trainAccuracy, ui.testAccuracy]) el.textContent = '–';
  lossChart.clear();
  accuracyChart.clear();
  ui.confusion.replaceChildren();
  ui.mistakes.replaceChildren();
  ui.resultsNote.textContent = 'The confusion matrix and mistakes appear after the first epoch.';
  setLocked(false);
  setState('idle');
  requestPrediction();
}

// Drawing pad: predictions are coalesced, at most one in flight.
let predicting = false;
let dirty = false;
const pad = new DrawPad($<HTMLCanvasElement>('draw-canvas'), () => requestPrediction());
$('draw-clear').addEventListener('click', () => pad.clear());

function requestPrediction(): void {
  dirty = true;
  if (!predicting) void predictLoop();
}

async function predictLoop(): Promise<void> {
  predicting = true;
  try {
    while (dirty) {
      dirty = false;
      const pixels = pad.toMnist();
      drawPreview(ui.preview, pixels);
      const model = trainer;
      if (!pixels || !model) {
        renderBars(ui.bars, undefined);
        ui.drawHint.hidden = !!model;
        continue;
      }
      ui.drawHint.hidden = true;
      const x = pixels.map((v) => (v - MNIST_MEAN) / MNIST_STD); // as parseMnist's 'standardize'
      const logits = await inEvalMode(model, () => model.predict(x, 1));
      if (model === trainer) renderBars(ui.bars, softmax(logits));
    }
  } catch (error) {
    if (trainer) showError(error);
  } finally {
    predicting = false;
  }
}

ui.start.addEventListener('click', () =>
  start().catch((error: unknown) => {
    showError(error);
    setLocked(!!trainer);
    setState(trainer ? 'failed' : 'idle');
  }),
);
ui.pause.addEventListener('click', () => {
  session?.pause();
  setState('paused');
});
ui.reset.addEventListener('click', () => void reset().catch(showError));
wireArchitecture();
wireOptimizerDefaults();
renderBars(ui.bars, undefined);

async function init(): Promise<void> {
  setState('loading');
  const gpu = GpuRuntime.create().then(
    (r) => {
      runtime = r;
      ui.adapter.textContent = r.gpu.adapterName;
    },
    (error: unknown) => {
      ui.adapter.textContent = 'unavailable';
      showError(error instanceof WebGPUUnavailableError ? error : new Error(`WebGPU failed: ${String(error)}`));
    },
  );
  const data = fetchMnistFiles(import.meta.env.BASE_URL, (loaded, total) => {
    ui.loadingBar.value = loaded / total;
    ui.loadingText.textContent = `Loading MNIST… ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
  }).then((f) => {
    files = f;
    ui.loading.classList.add('done');
    ui.loadingText.textContent = 'MNIST loaded: 60,000 training and 10,000 test images.';
  });
  await Promise.all([gpu, data.catch(showError)]);
  setState(runtime ? 'idle' : 'no WebGPU');
}

void init();
