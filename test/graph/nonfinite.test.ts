// The non-finite guard: the first step whose gradients hold a NaN or ±Inf comes back with the
// metrics (no extra readback), and activations carry a NaN input through as torch does.
import { expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { optimizerUpdate, segmentTable } from '../../src/kernels/optim';
import { Linear, ReLU } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';
import { runProgram } from '../helpers/gpu';
import { normal } from '../helpers/random';

// Arena 40: vec4 access, 1 or 8 vec4s per invocation; 41: element by element.
it.each([[40, 1], [40, 8], [41, 8]] as const)('update_flagged stores the first step with a non-finite gradient and keeps it (arena %i, %i vec4s per invocation)', async (n, vec4s) => {
  const table = segmentTable([{ start: 0, length: n }], n);
  const uniform = (t: number) => {
    const u = new Float32Array(8);
    u.set([0.1, 1, 1, 1]);
    new Uint32Array(u.buffer)[4] = t;
    return u;
  };
  const program = optimizerUpdate({ kind: 'sgd', lr: 0.1 }, n, 1, { flagWord: 2, vec4s });
  const clean = normal(n, 1);
  const [, , finite] = await runProgram(program, [{ uniform: uniform(3) }, table, clean, normal(n, 2), { zeros: 4 }, { zeros: 4 }]);
  expect(new Uint32Array(finite!.buffer)[2]).toBe(0);
  for (const bad of [NaN, Infinity, -Infinity]) {
    const grads = clean.slice();
    grads[n - 3] = bad;
    const [, , flagged] = await runProgram(program, [{ uniform: uniform(7) }, table, grads, normal(n, 2), { zeros: 4 }, { zeros: 4 }]);
    expect(new Uint32Array(flagged!.buffer)[2], String(bad)).toBe(7);
    const [, , kept] = await runProgram(program, [{ uniform: uniform(9) }, table, grads, normal(n, 2), { zeros: 4 }, Uint32Array.of(0, 0, 5, 0)]);
    expect(new Uint32Array(kept!.buffer)[2]).toBe(5); // an earlier step stays
  }
});

it('a NaN input at step 3 shows as nonFiniteStep 3 and a NaN loss, through ReLU', async () => {
  const model = new Sequential([new Linear(6, 8), ReLU(), new Linear(8, 3)]);
  const trainer = await compile(model, { inputShape: [6], loss: 'crossEntropy', optimizer: adam(), batchSize: 4, metricsEvery: 1 });
  const y = Uint32Array.of(0, 1, 2, 0);
  const x = normal(24, 3);
  trainer.step(x, y);
  trainer.step(x, y);
  expect((await trainer.flushMetrics()).nonFiniteStep).toBeNull();
  const poisoned = x.slice();
  poisoned[5] = NaN;
  trainer.step(poisoned, y);
  trainer.step(x, y);
  const metrics = await trainer.flushMetrics();
  expect(metrics.nonFiniteStep).toBe(3);
  expect(metrics.loss).toBeNaN();
  await trainer.sync();
  expect(trainer.metrics.nonFiniteStep).toBe(3); // the asynchronous readback carries it too
  trainer.resetMetrics();
  expect((await trainer.flushMetrics()).nonFiniteStep).toBeNull();
  await trainer.destroy();
});
