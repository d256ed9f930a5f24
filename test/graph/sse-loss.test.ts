// 'sse' as a training loss through compile(): torch.nn.MSELoss(reduction='sum'). The step's loss
// is the batch's Σ (p − t)², its gradient 2(p − t) (not divided by N·C), and evaluate() reports
// the mean over samples of each sample's Σ_c (p − t)², over padded batches too.
import { expect, it } from 'vitest';
import { compile } from '../../src/graph/compile';
import { Linear } from '../../src/nn/layers';
import { Sequential } from '../../src/nn/module';
import { sgd } from '../../src/optim/optimizers';
import { expectClose } from '../helpers/compare';
import { testRuntime } from '../helpers/gpu';
import { uniform } from '../helpers/random';
import { linear, linearBackward } from '../reference/network';

const [N, IN, OUT] = [8, 3, 2];

it("trains with 'sse': loss, gradients and update as MSELoss(reduction='sum'), evaluate per sample", async () => {
  const lr = 0.01;
  const trainer = await compile(new Sequential([new Linear(IN, OUT)]), {
    inputShape: [IN],
    loss: 'sse',
    optimizer: sgd({ lr }),
    batchSize: N,
    evalBatchSize: 8,
    runtime: await testRuntime(),
  });
  const before = await trainer.parameters();
  const [w, b] = [before.get('0.weight')!, before.get('0.bias')!];
  const x = uniform(N * IN, 5);
  const t = uniform(N * OUT, 6, -2, 2);
  const y = linear(x, w, b, N, IN, OUT);
  const loss = y.reduce((s, v, i) => s + (v - t[i]!) ** 2, 0);
  const { dw, db } = linearBackward(x, w, Array.from(y, (v, i) => 2 * (v - t[i]!)), N, IN, OUT);

  trainer.step(x, t);
  expect(Math.abs((await trainer.flushMetrics()).loss - loss)).toBeLessThan(3e-7 * loss); // measured < 1e-7
  const grads = await trainer.gradients();
  const tol = (g: ArrayLike<number>) => ({ atol: 3e-7 * Math.max(...Array.from(g, Math.abs)), rtol: 3e-7 });
  expectClose(grads.get('0.weight')!, dw, tol(dw), 'grad 0.weight');
  expectClose(grads.get('0.bias')!, db, tol(db), 'grad 0.bias');
  const after = await trainer.parameters();
  expectClose(after.get('0.weight')!, Array.from(w, (p, i) => p - lr * dw[i]!), { atol: 1e-6, rtol: 1e-6 }, 'updated 0.weight');

  // 21 samples: batches of 8, 8 and a padded 5.
  trainer.eval();
  const xs = uniform(21 * IN, 7);
  const ts = uniform(21 * OUT, 8, -2, 2);
  const ys = linear(xs, after.get('0.weight')!, after.get('0.bias')!, 21, IN, OUT);
  const perSample = ys.reduce((s, v, i) => s + (v - ts[i]!) ** 2, 0) / 21;
  const result = await trainer.evaluate({ x: xs, y: ts, count: 21 });
  expect(Math.abs(result.loss - perSample)).toBeLessThan(3e-7 * perSample);
  await trainer.destroy();
}, 300_000); // compiling takes seconds on CPU drivers (minutes on a loaded machine)
