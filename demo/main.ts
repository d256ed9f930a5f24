// Demo entry: wires the setup form, the training loop, the charts, the test-set results, the
// drawing pad and Save / Load to one WebGPU runtime. MNIST comes from the IDX files served at
// the site root. The model of the last finished run is kept in IndexedDB and restored on load.
import './styles.css';
import {
  GpuRuntime,
  WebGPUUnavailableError,
  compile,
  downloadBytes,
  fetchMnistFiles,
  parseMnist,
  readFileBytes,
  type Trainer,
  type CompiledModel,
  type InferenceModel,
  type MnistFiles,
} from '../src/index';
import {
  buildModel,
  compileOptions,
  describe,
  describeModel,
  readSettings,
  setLocked,
  wireArchitecture,
  type ModelSettings,
} from './controls';
import { LiveView } from './live';
import { wireOptimizerDefaults } from './optimizer-defaults';
import { PadPredictions } from './pad-predictions';
import { fileName, modelFile, modelFromFile, recallModel, rememberModel } from './persistence';
import { statusLabel, type State } from './status';
import { TrainingSession } from './training';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  adapter: $('adapter'),
  error: $('error'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  reset: $<HTMLButtonElement>('reset'),
  save: $<HTMLButtonElement>('save'),
  load: $<HTMLInputElement>('load'),
  modelNote: $('model-note'),
  loading: $('loading'),
  loadingText: $('loading-text'),
  loadingBar: $<HTMLProgressElement>('loading-bar'),
  status: $('status'),
  testNote: $('test-note'),
};

let runtime: GpuRuntime | undefined;
let files: MnistFiles | undefined;
let trainer: Trainer | undefined;
let trained: ModelSettings | undefined; // what `trainer` was built from
/** A model from a file or from this browser's storage, for the drawing pad; never with a trainer. */
let served: { model: InferenceModel; settings: ModelSettings } | undefined;
let session: TrainingSession | undefined;
/** The last run's model going into IndexedDB; Reset waits for it before freeing the model. */
let remembering: Promise<void> = Promise.resolve();
const live = new LiveView();

function showError(error: unknown): void {
  ui.error.hidden = false;
  ui.error.textContent = error instanceof Error ? error.message : String(error);
  console.error(error);
}

let state: State = 'loading';

/** Shows the state and enables the buttons that make sense in it. */
function setState(next: State): void {
  state = next;
  ui.status.textContent = statusLabel(next);
  const ready = !!runtime && !!files;
  ui.start.disabled = !ready || !['idle', 'paused'].includes(state);
  ui.start.textContent = state === 'paused' ? 'Resume' : 'Start';
  ui.pause.disabled = state !== 'training';
  ui.reset.disabled = !(trainer || served) || ['loading', 'compiling…', 'resetting…', 'opening…'].includes(state);
  ui.save.disabled = !(trainer || served) || !['idle', 'paused', 'done'].includes(state);
  ui.load.disabled = !runtime || !['idle', 'done', 'failed'].includes(state);
}

function note(text: string): void {
  ui.modelNote.hidden = !text;
  ui.modelNote.textContent = text;
}

/** The model the pad predicts with and Save saves: the trainer's, else a loaded one. */
function currentModel(): { model: CompiledModel; settings: ModelSettings } | undefined {
  return trainer ? { model: trainer, settings: trained! } : served;
}

const predictions = new PadPredictions(
  { canvas: $<HTMLCanvasElement>('draw-canvas'), preview: $<HTMLCanvasElement>('draw-preview'), bars: $<HTMLOListElement>('probabilities'), hint: $('draw-hint') },
  () => currentModel()?.model,
  showError,
);
const requestPrediction = () => predictions.request();
$('draw-clear').addEventListener('click', () => predictions.pad.clear());

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
  await dropServed(); // the new model takes over the pad after its first epoch
  note('');
  requestPrediction();
  const mnist = parseMnist(files!, { trainCount: settings.trainCount, testCount: settings.testCount, normalization: 'standardize' });
  trainer = await compile(buildModel(settings), compileOptions(settings, runtime!));
  trained = settings;
  await trainer.prepareEvaluation('eval', 1); // the drawing pad predicts one image at a time
  ui.adapter.textContent = trainer.runtime.gpu.adapterName;
  ui.testNote.textContent = `(test: first ${mnist.test.count.toLocaleString()} test images; ${describe(settings)})`;
  session = new TrainingSession(trainer, mnist.train, mnist.test, settings.epochs, settings.seed, live.events(settings.epochs, mnist.test, requestPrediction));
  setState('training');
  const current = session;
  current.finished.then(
    () => {
      if (session !== current) return; // stopped by Reset
      setState('done');
      remembering = keep(current.trainer, settings);
    },
    (error: unknown) => {
      showError(error);
      if (session === current) setState('failed');
    },
  );
}

/** Saves a finished run's model in IndexedDB, so that the next page load restores it. */
async function keep(model: Trainer, settings: ModelSettings): Promise<void> {
  try {
    await rememberModel(await modelFile(model, settings));
    note('Model kept in this browser: reloading the page restores it.');
  } catch (error) {
    note(`Could not keep the model in this browser: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function dropServed(): Promise<void> {
  const old = served;
  served = undefined;
  await predictions.idle;
  await old?.model.destroy();
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
  await remembering;
  await predictions.idle;
  await oldTrainer?.destroy(); // frees every GPU buffer of the old model; the device stays
  await dropServed();
  note('');
  live.clear();
  setLocked(false);
  setState('idle');
  requestPrediction();
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
ui.save.addEventListener('click', () => {
  const current = currentModel();
  if (current) void modelFile(current.model, current.settings).then((bytes) => downloadBytes(bytes, fileName(current.settings)), showError);
});
ui.load.addEventListener('change', () => {
  const file = ui.load.files?.[0];
  ui.load.value = ''; // picking the same file again fires another change
  if (file) void load(file);
});
wireArchitecture();
wireOptimizerDefaults($<HTMLFormElement>('settings'), $('optimizer-note'));

/**
 * Opens a model file for the drawing pad; it replaces the current model only once it has
 * loaded. A bad file (DataFormatError, StateDictError) changes nothing and shows why.
 */
async function load(file: File): Promise<void> {
  const before = state;
  ui.error.hidden = true;
  setState('opening…');
  try {
    const opened = await modelFromFile(await readFileBytes(file), runtime!);
    if (trainer) await reset();
    await dropServed();
    served = opened;
    note(`Loaded ${file.name}: ${describeModel(opened.settings)}.`);
    setState('idle');
    requestPrediction();
  } catch (error) {
    showError(new Error(`Could not load ${file.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
    setState(before);
  }
}

/** Restores the model kept by the last finished run, if this browser has one. */
async function restore(gpu: GpuRuntime): Promise<void> {
  try {
    const bytes = await recallModel();
    if (!bytes) return;
    served = await modelFromFile(bytes, gpu);
    note(`Restored the last trained model (${describeModel(served.settings)}) from this browser's storage: draw a digit.`);
    requestPrediction();
  } catch (error) {
    note(`Could not restore the last trained model: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function init(): Promise<void> {
  setState('loading');
  const gpu = GpuRuntime.create().then(
    (r) => {
      runtime = r;
      ui.adapter.textContent = r.gpu.adapterName;
      return restore(r); // the pad can predict while MNIST still loads
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
