// A small functional graph API: a model is a function over symbolic tensors, so a tensor can
// feed several layers (residual connections); the executor sums the gradients it receives.
import { ShapeError, showShape, type GraphBuilder, type TensorId } from '../graph/ir';
import { fail } from '../validate';
import type { Module } from './module';

/** A tensor while a functional model is being built; only shapes, no data. */
export class SymbolicTensor {
  constructor(
    private readonly graph: GraphBuilder,
    readonly id: TensorId,
    private readonly names: { prefix: string; used: Set<string>; counter: number },
  ) {}

  get shape(): readonly number[] {
    return this.graph.shape(this.id);
  }

  /** Applies a layer; `name` becomes its parameter prefix ("fc1.weight"), default "layer<k>". */
  apply(layer: Module, name?: string): SymbolicTensor {
    if (typeof layer !== 'object' || layer === null || typeof (layer as Module).build !== 'function') {
      fail('functional model: apply(layer)', layer, 'a Module (a layer, Sequential or functional model)');
    }
    const local = name ?? `layer${this.names.counter++}`;
    if (this.names.used.has(local)) throw new ShapeError(`functional model: layer name "${local}" is used twice`);
    this.names.used.add(local);
    const path = this.names.prefix ? `${this.names.prefix}.${local}` : local;
    return new SymbolicTensor(this.graph, layer.build(this.graph, this.id, path), this.names);
  }

  /** Elementwise sum with a tensor of the same shape (a residual connection). */
  add(other: SymbolicTensor, name?: string): SymbolicTensor {
    const local = name ?? `add${this.names.counter++}`;
    if (showShape(this.shape) !== showShape(other.shape)) {
      throw new ShapeError(`add (${local}): shapes ${showShape(this.shape)} and ${showShape(other.shape)} differ`);
    }
    const path = this.names.prefix ? `${this.names.prefix}.${local}` : local;
    return new SymbolicTensor(this.graph, this.graph.op('add', path, [this.id, other.id], this.shape, {}), this.names);
  }
}

/**
 * A model defined by a function of its input, e.g.
 * `functional((x) => { const h = x.apply(new Linear(784, 128), 'fc1').apply(ReLU()); return h.add(h.apply(new Linear(128, 128), 'res')).apply(new Linear(128, 10), 'out'); })`.
 */
export function functional(fn: (input: SymbolicTensor) => SymbolicTensor): Module {
  if (typeof fn !== 'function') fail('functional: fn', fn, 'a function (input) => output');
  return {
    type: 'Functional',
    build(graph, input, path) {
      const output: unknown = fn(new SymbolicTensor(graph, input, { prefix: path, used: new Set(), counter: 0 }));
      if (!(output instanceof SymbolicTensor)) fail('functional model: the value fn returns', output, 'a SymbolicTensor (the result of apply() or add())');
      return output.id;
    },
  };
}
