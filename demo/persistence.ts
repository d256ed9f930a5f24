// Saving and restoring the demo's model. A file is safetensors of the model's state dict, with
// the architecture in its metadata so that the file alone rebuilds the model; files without it
// (the CLI's `--save`) are read from their tensor names and shapes. The last trained model is
// kept in IndexedDB for the next page load.
import {
  compileInference,
  DataFormatError,
  loadFromIndexedDB,
  readSafetensors,
  saveSafetensors,
  saveToIndexedDB,
  type CompiledModel,
  type GpuRuntime,
  type InferenceModel,
  type StateDict,
} from '../src/index';
import { ACTIVATION_NAMES, buildModel, type ModelSettings } from './controls';

/** The IndexedDB key of the model of the last finished training run. */
const LAST_MODEL = 'demo-last-model';

/** The file the Save button downloads, e.g. "shadergrad-mlp.safetensors". */
export const fileName = (s: ModelSettings) => `shadergrad-${s.arch}.safetensors`;

/** The model as a safetensors file; metadata {model: 'mlp' | 'cnn', architecture: JSON}. */
export async function modelFile(model: CompiledModel, s: ModelSettings): Promise<Uint8Array> {
  const { arch, hidden, activation, init, channels, dropout, batchnorm } = s;
  const architecture = JSON.stringify({ arch, hidden, activation, init, channels, dropout, batchnorm });
  return saveSafetensors(await model.stateDict(), { model: arch, architecture });
}

/**
 * Builds the model a file describes for the drawing pad (forward only, one image per pass)
 * and loads its tensors, strictly. Throws DataFormatError for a file that is not a demo model
 * and StateDictError when the tensors do not fit; nothing is left on the GPU then.
 */
export async function modelFromFile(bytes: Uint8Array, runtime: GpuRuntime): Promise<{ model: InferenceModel; settings: ModelSettings }> {
  const { tensors, metadata } = readSafetensors(bytes);
  const settings = checked(metadata.architecture === undefined ? fromTensors(tensors) : parse(metadata.architecture));
  const model = await compileInference(buildModel(settings), { inputShape: [1, 28, 28], batchSize: 1, runtime });
  try {
    await model.loadStateDict(tensors);
  } catch (error) {
    await model.destroy();
    throw error;
  }
  return { model, settings };
}

/** Keeps a model file in this browser for the next page load. */
export const rememberModel = (bytes: Uint8Array) => saveToIndexedDB(LAST_MODEL, bytes);

/** The kept model file, if any. */
export const recallModel = () => loadFromIndexedDB(LAST_MODEL);

const fail = (why: string): never => {
  throw new DataFormatError(`not a model of this demo: ${why}`);
};

function parse(text: string): ModelSettings {
  try {
    return JSON.parse(text) as ModelSettings;
  } catch {
    return fail('its "architecture" metadata is not JSON');
  }
}

const isSize = (n: unknown, max: number) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;

/** The settings if they are ones the setup form could have made (sizes as the form limits them). */
function checked(s: ModelSettings): ModelSettings {
  if (s?.arch !== 'mlp' && s?.arch !== 'cnn') fail(`architecture ${JSON.stringify(s?.arch)} is neither "mlp" nor "cnn"`);
  if (s.arch === 'mlp' && !(Array.isArray(s.hidden) && s.hidden.length <= 16 && s.hidden.every((n) => isSize(n, 4096)))) fail('bad hidden layer sizes');
  if (s.arch === 'cnn' && !(Array.isArray(s.channels) && s.channels.length === 2 && s.channels.every((n) => isSize(n, 256)))) fail('bad channel counts');
  if (!ACTIVATION_NAMES.includes(s.activation)) fail(`unknown activation ${JSON.stringify(s.activation)}`);
  if (!(typeof s.dropout === 'number' && s.dropout >= 0 && s.dropout < 1) || typeof s.batchnorm !== 'boolean') fail('bad dropout or batchnorm');
  return s;
}

/**
 * The demo's layouts (controls.ts: buildMlp, buildCnn) read back from parameter names and
 * shapes. Layer indices tell where BatchNorm and Dropout sit (Dropout has no tensors; in eval
 * mode its p does not matter). The activation leaves no trace in the weights: ReLU is assumed.
 */
function fromTensors(tensors: StateDict): ModelSettings {
  const layers = (rank: number) =>
    [...tensors].filter(([name, t]) => /^\d+\.weight$/.test(name) && t.shape.length === rank).map(([name, t]) => ({ index: Number.parseInt(name, 10), shape: t.shape }));
  const linears = layers(2);
  const convs = layers(4);
  const batchnorm = [...tensors.keys()].some((name) => name.endsWith('.running_mean'));
  if (linears.length === 0) fail('it has no Linear weights and no "architecture" metadata');
  const gap = (linears[1]?.index ?? 0) - linears[0]!.index; // layers from one Linear to the next
  const common = { activation: 'relu', init: 'he', batchnorm } as const;
  if (convs.length > 0) {
    // …, Flatten, Linear, ReLU, (Dropout), Linear
    return { ...common, arch: 'cnn', hidden: [], channels: convs.map((c) => c.shape[0]!) as [number, number], dropout: gap > 2 ? 0.5 : 0 };
  }
  // Flatten, [Linear, (BatchNorm1d), activation, (Dropout)]*, Linear
  const dropout = linears.length > 1 && gap > 2 + Number(batchnorm) ? 0.5 : 0;
  return { ...common, arch: 'mlp', hidden: linears.slice(0, -1).map((l) => l.shape[0]!), channels: [0, 0], dropout };
}
