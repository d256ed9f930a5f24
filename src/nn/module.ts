// The module interface: a layer appends its ops and parameters to a graph and returns
// its output tensor. Shapes are checked here, before anything touches the GPU.
import { GraphBuilder, ShapeError, showShape, type TensorId } from '../graph/ir';
import { fail } from '../validate';

export interface Module {
  /** Layer type, used in error messages ("Linear", "BatchNorm1d", ...). */
  readonly type: string;
  /** Appends this layer to `graph` at module path `path` and returns its output. */
  build(graph: GraphBuilder, input: TensorId, path: string): TensorId;
}

/** Throws a ShapeError naming the layer when `ok` is false. */
export function expectShape(ok: boolean, type: string, path: string, expected: string, got: readonly number[]): void {
  if (!ok) throw new ShapeError(`${type} (layer ${path}): expects input ${expected} but got ${showShape(got)}`);
}

/** Layers applied one after another; parameters are named "<index>.<field>" like torch.nn.Sequential. */
export class Sequential implements Module {
  readonly type = 'Sequential';
  readonly layers: readonly Module[];

  constructor(layers: readonly Module[]) {
    if (!Array.isArray(layers)) fail('Sequential: layers', layers, 'an array of layers');
    if (layers.length === 0) throw new ShapeError('Sequential: needs at least one layer');
    layers.forEach((layer: unknown, i) => {
      if (typeof layer !== 'object' || layer === null || typeof (layer as Module).build !== 'function') {
        fail(`Sequential: layers[${i}]`, layer, 'a Module (a layer, Sequential or functional model)');
      }
    });
    this.layers = layers;
  }

  build(graph: GraphBuilder, input: TensorId, path = ''): TensorId {
    return this.layers.reduce((x, layer, i) => layer.build(graph, x, path ? `${path}.${i}` : String(i)), input);
  }
}
