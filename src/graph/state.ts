// The state of a compiled model as PyTorch's state_dict() sees it: every parameter (a view of
// the arena) and buffer (running statistics on the GPU, counters on the CPU) by name, and the
// checks a dict must pass before any of it is written to the GPU.
import { ShadergradError } from '../gpu/errors';
import { dtypeOf, toStateDict, type StateDictLike, type StateTensor } from '../io/state-dict';
import type { ArenaLayout } from './arena';
import { showShape, sizeOf, type GraphBuilder } from './ir';

/** A state dict does not fit the model: missing or unexpected keys, wrong shapes or dtypes. */
export class StateDictError extends ShadergradError {
  override name = 'StateDictError';
  constructor(
    message: string,
    readonly missing: readonly string[] = [],
    readonly unexpected: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Where one state-dict entry lives. */
export type StateSource =
  /** In the parameter arena at a float offset. */
  | { kind: 'param'; offset: number }
  /** A GPU buffer shared by the model's plans, keyed by the entry's name. */
  | { kind: 'buffer' }
  /** A counter kept on the CPU (int64 in PyTorch). */
  | { kind: 'counter' };

export interface StateEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
  readonly source: StateSource;
}

/** The model's state-dict entries in PyTorch's order (registration order). */
export function stateEntries(graph: GraphBuilder, layout: ArenaLayout): StateEntry[] {
  const params = new Map(layout.entries.map((e) => [e.name, e]));
  const buffers = new Map(graph.buffers.map((b) => [b.name, b]));
  return graph.stateNames.map((name) => {
    const param = params.get(name);
    if (param) return { name, shape: param.shape, dtype: 'float32', source: { kind: 'param', offset: param.offset } };
    const buffer = buffers.get(name)!;
    return buffer.dtype === 'f32'
      ? { name, shape: buffer.shape, dtype: 'float32', source: { kind: 'buffer' } }
      : { name, shape: buffer.shape, dtype: 'int64', source: { kind: 'counter' } };
  });
}

/** One tensor's problem, or undefined when it fits the entry. */
function mismatch(entry: StateEntry, tensor: StateTensor): string | undefined {
  if (!tensor || typeof tensor !== 'object' || !Array.isArray(tensor.shape)) return `${entry.name} is not a {shape, data} tensor`;
  const shape = showShape(tensor.shape);
  if (shape !== showShape(entry.shape)) {
    return `size mismatch for ${entry.name}: copying a tensor of shape ${shape} from the dict, the shape in the model is ${showShape(entry.shape)}`;
  }
  const data = tensor.data as unknown;
  if (!(data instanceof Float32Array || data instanceof BigInt64Array)) {
    return `${entry.name}: data must be a Float32Array (float32) or BigInt64Array (int64), got ${Object.prototype.toString.call(data).slice(8, -1)}`;
  }
  if (data.length !== sizeOf(entry.shape)) return `${entry.name}: shape ${shape} holds ${sizeOf(entry.shape)} values, but data has ${data.length}`;
  const dtype = dtypeOf(tensor);
  if (entry.dtype === 'float32' && dtype !== 'float32') return `dtype mismatch for ${entry.name}: int64 in the dict, float32 in the model`;
  if (entry.dtype === 'int64' && dtype === 'float32') {
    const v = (data as Float32Array)[0]!;
    if (!(Number.isInteger(v) && v >= 0)) return `${entry.name}: a count must be a non-negative integer, got ${v}`;
  }
  if (entry.dtype === 'int64' && dtype === 'int64' && (data as BigInt64Array)[0]! < 0n) {
    return `${entry.name}: a count must be ≥ 0, got ${(data as BigInt64Array)[0]}`;
  }
  return undefined;
}

/**
 * Checks a dict against the model's entries as torch's load_state_dict does: in strict mode
 * missing and unexpected keys are errors; shape and dtype mismatches always are. Every problem
 * goes into one StateDictError. Returns the tensors to load, by entry.
 */
export function matchStateDict(
  entries: readonly StateEntry[],
  given: StateDictLike,
  options: { strict: boolean; what: string },
): { load: Map<StateEntry, StateTensor>; missing: string[]; unexpected: string[] } {
  if (!given || typeof given !== 'object') throw new StateDictError(`${options.what}: expected a state dict (a Map or an object of tensors), got ${String(given)}`);
  const dict = toStateDict(given);
  const known = new Set(entries.map((e) => e.name));
  const missing = entries.filter((e) => !dict.has(e.name)).map((e) => e.name);
  const unexpected = [...dict.keys()].filter((name) => !known.has(name));
  const problems: string[] = [];
  if (options.strict && missing.length > 0) problems.push(`missing key(s): ${missing.map((k) => `"${k}"`).join(', ')}`);
  if (options.strict && unexpected.length > 0) problems.push(`unexpected key(s): ${unexpected.map((k) => `"${k}"`).join(', ')}`);
  const load = new Map<StateEntry, StateTensor>();
  for (const entry of entries) {
    const tensor = dict.get(entry.name);
    if (tensor === undefined) continue;
    const problem = mismatch(entry, tensor);
    if (problem) problems.push(problem);
    else load.set(entry, tensor);
  }
  if (problems.length > 0) {
    throw new StateDictError(`${options.what}: error(s) loading the state dict:\n  ${problems.join('\n  ')}`, missing, unexpected);
  }
  return { load, missing, unexpected };
}

/** A counter's value from a checked tensor (int64 or an integer-valued float). */
export function counterValue(tensor: StateTensor): bigint {
  return tensor.data instanceof BigInt64Array ? tensor.data[0]! : BigInt(tensor.data[0]!);
}
