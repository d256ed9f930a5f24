// destroy() gives back every GPU byte a trainer took (training and evaluation buffers alike).
import { expect, it } from 'vitest';
import { ShadergradError } from '../../src/gpu/errors';
import { compile } from '../../src/graph/compile';
import { Dropout, Linear, ReLU } from '../../src/nn/layers';
import { BatchNorm1d } from '../../src/nn/norm';
import { Sequential } from '../../src/nn/module';
import { adam } from '../../src/optim/optimizers';
import { testRuntime } from '../helpers/gpu';
import { normal } from '../helpers/random';

it('frees all GPU memory of a trainer and refuses further steps', async () => {
  const runtime = await testRuntime();
  // The runtime keeps one staging buffer per readback size for reuse; make the 16-byte one
  // (metrics readbacks) exist before counting, since it belongs to the runtime, not the trainer.
  const probe = runtime.createBuffer(16, 'probe');
  await runtime.read(probe);
  runtime.destroyBuffer(probe);
  const before = runtime.stats().bytesHeld;
  const model = new Sequential([new Linear(10, 16), BatchNorm1d(16), ReLU(), new Dropout(0.2), new Linear(16, 3)]);
  const trainer = await compile(model, { inputShape: [10], loss: 'crossEntropy', optimizer: adam(), batchSize: 8, evalBatchSize: 20, runtime });
  const x = normal(8 * 10, 1);
  const y = Uint32Array.from({ length: 8 }, (_, i) => i % 3);
  trainer.step(x, y);
  trainer.eval();
  await trainer.evaluate({ x: normal(30 * 10, 2), y: Uint32Array.from({ length: 30 }, (_, i) => i % 3), count: 30 });
  expect(runtime.stats().bytesHeld).toBeGreaterThan(before);
  await trainer.destroy();
  expect(runtime.stats().bytesHeld).toBe(before);
  expect(() => trainer.step(x, y)).toThrow(ShadergradError);
  await runtime.sync(); // the shared runtime is still usable
});
