// Training checkpoints: everything a Trainer needs to continue exactly where it stopped, as one
// safetensors file. Tensors "model.<name>" are the state dict; "optimizer.<slot>.<name>" the
// optimizer state of each parameter (torch's names: exp_avg, momentum_buffer, ...). The
// metadata holds the step counter (the position of the LR schedule and of Adam's bias
// correction), the dropout seed and the optimizer's hyperparameters (param groups as the
// names each took: optimizerRecord).
import { stateSlotNames, type ResolvedOptimizer } from '../kernels/optim-config';
import { readSafetensors, saveSafetensors } from '../io/safetensors';
import type { StateDict, StateTensor } from '../io/state-dict';
import { optimizerRecord, type ArenaLayout } from './arena';
import { showShape } from './ir';
import { StateDictError } from './state';
import { ConfigError } from '../errors';
import { show } from '../validate';

export const CHECKPOINT_FORMAT = 'shadergrad-checkpoint';
const VERSION = '1';

export interface CheckpointContents {
  model: StateDict;
  /** The optimizer state buffer, [slot][arena] (see stateSlotNames). */
  state: Float32Array;
  steps: number;
  seed: number;
  optimizer: ResolvedOptimizer;
}

export function encodeCheckpoint(contents: CheckpointContents, layout: ArenaLayout): Uint8Array {
  const tensors = new Map<string, StateTensor>();
  for (const [name, tensor] of contents.model) tensors.set(`model.${name}`, tensor);
  stateSlotNames(contents.optimizer).forEach((slot, s) => {
    for (const e of layout.entries) {
      const start = s * layout.size + e.offset;
      tensors.set(`optimizer.${slot}.${e.name}`, { shape: e.shape, data: contents.state.slice(start, start + e.length) });
    }
  });
  return saveSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: VERSION,
    steps: String(contents.steps),
    seed: String(contents.seed),
    optimizer: JSON.stringify(optimizerRecord(contents.optimizer, layout)),
  });
}

/**
 * Reads a checkpoint for a trainer with this layout and optimizer; throws a StateDictError
 * (or the file's DataFormatError) for anything that does not fit, before anything is loaded.
 * The model's state dict is returned unchecked: loadStateDict checks it.
 */
export function decodeCheckpoint(bytes: Uint8Array, layout: ArenaLayout, optimizer: ResolvedOptimizer): CheckpointContents {
  if (!(bytes instanceof Uint8Array)) throw new ConfigError(`restore: the checkpoint must be a Uint8Array (the bytes of checkpoint()), got ${show(bytes)}`);
  const { tensors, metadata } = readSafetensors(bytes);
  const fail = (problem: string): never => {
    throw new StateDictError(`restore: ${problem}`);
  };
  if (metadata.format !== CHECKPOINT_FORMAT) fail(`not a shadergrad checkpoint (metadata format is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}")`);
  if (metadata.version !== VERSION) fail(`checkpoint version ${JSON.stringify(metadata.version)} is not supported (expected "${VERSION}")`);
  const steps = Number(metadata.steps);
  const seed = Number(metadata.seed);
  if (!Number.isSafeInteger(steps) || steps < 0) fail(`steps must be an integer ≥ 0, got ${JSON.stringify(metadata.steps)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail(`seed must be an integer in [0, 2³²), got ${JSON.stringify(metadata.seed)}`);
  const mine = JSON.stringify(optimizerRecord(optimizer, layout));
  if (metadata.optimizer !== mine) fail(`the checkpoint's optimizer ${metadata.optimizer} differs from this trainer's ${mine}`);

  const slots = stateSlotNames(optimizer);
  const state = new Float32Array(slots.length * layout.size);
  const model: StateDict = new Map();
  const expected = new Set<string>();
  slots.forEach((slot, s) => {
    for (const e of layout.entries) {
      const name = `optimizer.${slot}.${e.name}`;
      expected.add(name);
      const tensor = tensors.get(name) ?? fail(`optimizer state ${name} is missing`);
      if (!(tensor.data instanceof Float32Array) || showShape(tensor.shape) !== showShape(e.shape)) {
        fail(`optimizer state ${name} must be float32 ${showShape(e.shape)}, got ${showShape(tensor.shape)}`);
      }
      state.set(tensor.data as Float32Array, s * layout.size + e.offset);
    }
  });
  for (const [name, tensor] of tensors) {
    if (name.startsWith('model.')) model.set(name.slice('model.'.length), tensor);
    else if (!expected.has(name)) fail(`unexpected tensor ${name} (expected model.* and ${slots.map((s) => `optimizer.${s}.*`).join(', ') || 'no optimizer state'})`);
  }
  return { model, state, steps, seed, optimizer };
}
