// A functional model with a residual connection: h feeds both a layer and an add, so its
// gradient is the sum of two contributions. Gradients are compared with a float64 reference.
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { Linear, Tanh } from '../../src/nn/layers';
import { functional } from '../../src/nn/functional';
import { sgd } from '../../src/optim/optimizers';
import { ShapeError } from '../../src/graph/ir';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';
import { linear, linearBackward } from '../reference/network';
import { crossEntropy, labelTargets } from '../reference/softmax_xent';

const N = 17;
const model = () =>
  functional((x) => {
    const h = x.apply(new Linear(6, 8), 'fc1');
    const r = h.apply(new Linear(8, 8), 'res').apply(Tanh());
    return h.add(r).apply(new Linear(8, 3), 'out');
  });

describe('functional models', () => {
  it('sum the gradients of a tensor read twice (residual connection)', async () => {
    const trainer = await compile(model(), { inputShape: [6], loss: 'crossEntropy', optimizer: sgd({ lr: 0 }), batchSize: N, runtime: await testRuntime() });
    expect(trainer.parameterShapes.map((p) => p.name)).toEqual(['fc1.weight', 'fc1.bias', 'res.weight', 'res.bias', 'out.weight', 'out.bias']);
    const p = await trainer.parameters();
    const x = normal(N * 6, 21);
    const labels = Uint32Array.from({ length: N }, (_, i) => i % 3);
    trainer.step(x, labels);
    const grads = await trainer.gradients();

    const h = linear(x, p.get('fc1.weight')!, p.get('fc1.bias')!, N, 6, 8);
    const r = linear(h, p.get('res.weight')!, p.get('res.bias')!, N, 8, 8).map(Math.tanh);
    const z = h.map((v, i) => v + r[i]!);
    const logits = linear(z, p.get('out.weight')!, p.get('out.bias')!, N, 8, 3);
    const ce = crossEntropy(logits, labelTargets(labels, N, 3, 0), N, 3, N);
    const out = linearBackward(z, p.get('out.weight')!, ce.grad, N, 8, 3);
    const du = out.dx.map((g, i) => g * (1 - r[i]! ** 2));
    const res = linearBackward(h, p.get('res.weight')!, du, N, 8, 8);
    const dh = out.dx.map((g, i) => g + res.dx[i]!); // the two contributions to h's gradient
    const fc1 = linearBackward(x, p.get('fc1.weight')!, dh, N, 6, 8);

    const expected: Record<string, Float64Array> = {
      'fc1.weight': fc1.dw, 'fc1.bias': fc1.db, 'res.weight': res.dw, 'res.bias': res.db, 'out.weight': out.dw, 'out.bias': out.db,
    };
    for (const [name, g] of Object.entries(expected)) {
      const largest = Math.max(...Array.from(g, Math.abs));
      expectClose(grads.get(name)!, Array.from(g), { atol: 1e-5 * largest, rtol: 1e-5 }, `grad ${name}`);
    }
  });

  it('rejects adding tensors of different shapes, naming both', () => {
    const bad = functional((x) => x.apply(new Linear(6, 8), 'a').add(x.apply(new Linear(6, 4), 'b'), 'sum'));
    return expect(compile(bad, { inputShape: [6], loss: 'crossEntropy', optimizer: sgd(), batchSize: 2 })).rejects.toThrow(
      new ShapeError('add (sum): shapes [2, 8] and [2, 4] differ'),
    );
  });
});
