// Intermediate outputs for predict(x, { outputs }): which tensor a module name stands for,
// the options check (before any GPU work) and the shape of the result.
import { ConfigError } from '../errors';
import { fail, integer, knownKeys, optionsObject, show } from '../validate';
import type { GraphBuilder, TensorId } from './ir';

/** One module's output for `count` samples: shape [count, ...per sample], row-major data. */
export interface LayerOutput {
  shape: number[];
  data: Float32Array;
}

/** The second argument of predict() when intermediate outputs are wanted. */
export interface PredictOptions {
  /**
   * Module names as in the state dict's prefixes: "0", "3" for a Sequential's layers,
   * "features" or "features.2" for nested ones, the names given to a functional model's
   * apply(). A composite module's output is that of its last op.
   */
  outputs: readonly string[];
  /** Samples to run (default: all of x). */
  count?: number;
}

/** What predict(x, { outputs }) returns. */
export interface PredictOutputs {
  /** The model output, exactly what predict(x, count) returns: count × outputs values. */
  output: Float32Array;
  /** Each requested module's output, in the order asked for. */
  layers: Map<string, LayerOutput>;
}

/**
 * Every module name of a graph and the tensor its output is: the output of the last op at that
 * path or below it (a module's ops are appended together, its output last). A module that adds
 * no op (Flatten of an [N, C] input) has no name here.
 */
export function moduleOutputs(graph: GraphBuilder): Map<string, TensorId> {
  const names = new Map<string, TensorId>();
  for (const op of graph.ops) {
    if (op.layer === '') continue; // the model itself: its output is PredictOutputs.output
    const parts = op.layer.split('.');
    for (let k = 1; k <= parts.length; k++) names.set(parts.slice(0, k).join('.'), op.output);
  }
  return names;
}

/** Checks predict's options against the model's module names; returns count and outputs. */
export function checkPredictOptions(value: unknown, names: ReadonlyMap<string, unknown>): { count?: number; outputs: string[] } {
  const options = optionsObject('predict: options', value);
  knownKeys('predict: options', options, ['outputs', 'count']);
  const outputs = options.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0) fail('predict: outputs', outputs, 'a non-empty array of module names');
  const known = () => [...names.keys()].map((n) => JSON.stringify(n)).join(', ');
  outputs.forEach((name: unknown, i) => {
    if (typeof name !== 'string') fail(`predict: outputs[${i}]`, name, 'a module name (a string)');
    if (!names.has(name)) throw new ConfigError(`predict: outputs[${i}] names no module: ${show(name)} (the module names are ${known()})`);
    if (outputs.indexOf(name) !== i) throw new ConfigError(`predict: outputs names ${show(name)} twice`);
  });
  if (options.count !== undefined) integer('predict: count', options.count, 1);
  return { count: options.count as number | undefined, outputs: outputs as string[] };
}
